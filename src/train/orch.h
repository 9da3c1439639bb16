/*
 * orch.h - the training orchestrator (DESIGN §7.3), `mnemo train run`:
 * one run at a time (flock on training/lock): validate the request ->
 * hooks.before -> batch -> trainer -> evaluate candidate and incumbent ->
 * gate -> deploy or reject -> hooks.after (always) -> result.json.
 */
#ifndef MN_ORCH_H
#define MN_ORCH_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "learn/ctx.h"
#include "base/err.h"

struct mn_orch_opts {
	const char *request_id;         /* run this request ... */
	bool pending;                   /* ... or the one named by training/pending.json */
	volatile sig_atomic_t *stop;    /* set by SIGTERM/SIGINT: stop, clean up, cancel */
};

/* Run one request to its end. 0 when the run reached a final state
 * (deployed, rejected, failed, cancelled: see *out_result, the
 * result.json content, new reference, may be NULL); MN_EBUSY when another
 * orchestrator holds training/lock; MN_ENOTFOUND for an unknown request
 * (or no pending.json); MN_EINVAL when the request is not runnable. */
int mn_orch_run(struct mn_ctx *a, json_t **out_result, const struct mn_orch_opts *o,
		struct mn_err *err);

#endif
