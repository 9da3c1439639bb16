/*
 * units.h - systemd user units for this installation (`mnemo
 * install-units`): mnemo.service (Type=notify, `mnemo serve`),
 * mnemo-train.path (watches training/pending.json) and mnemo-train.service
 * (`mnemo train run --pending`), with the real paths of this executable,
 * data home and config.
 */
#ifndef MN_UNITS_H
#define MN_UNITS_H

#include <jansson.h>

#include "learn/ctx.h"
#include "base/err.h"

/* Write the three units into dir (NULL = ~/.config/systemd/user,
 * honouring $XDG_CONFIG_HOME). *out: {"dir","files":[..],"next_steps":[..]}. */
int mn_units_write(json_t **out, struct mn_ctx *a, const char *dir, struct mn_err *err);

#endif
