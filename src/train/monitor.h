/*
 * monitor.h - the post-deploy monitor (DESIGN §7.4): after a deploy, watch
 * the first learning.monitor.window encodings of the new version
 * (memories.encoder_version = its name); when their mean EPR or SC rate is
 * more than learning.monitor.max_drop_pp points below the version's gate
 * scores, roll back to the previous version automatically (the run becomes
 * rolled_back, live metrics are recorded on the version).
 *
 * Two entry points do the same check: the worker observer (runs in
 * whichever process encodes, on that thread's store, after the memory's
 * transaction committed) and mn_monitor_check
 * (dream cycle), which also covers memories encoded inline by the CLI.
 */
#ifndef MN_MONITOR_H
#define MN_MONITOR_H

#include <jansson.h>

#include "learn/ctx.h"
#include "base/err.h"
#include "store/store.h"

/* Set a->observer to the monitor; a must outlive it. Call it before
 * starting worker threads, which copy a->observer (it is not re-read). */
void mn_monitor_install(struct mn_ctx *a);
/* Check the current version now using store st (NULL = a->store).
 * *out (may be NULL) gets {"version","n","epr","sc","verdict":
 * "watching"|"ok"|"rolled_back"|"idle",...}. */
int mn_monitor_check(struct mn_ctx *a, struct mn_store *st, json_t **out, struct mn_err *err);

#endif
