/*
 * orch.h - the training orchestrator (DESIGN §7.3), `mnemo train run`:
 * one run at a time (flock on training/lock): validate the request ->
 * hooks.before -> batch -> trainer -> evaluate candidate and incumbent ->
 * gate -> deploy or reject -> hooks.after (always) -> result.json.
 *
 * Also the argv-template expansion and background spawning that the
 * training side shares (serve command, supervised orchestrator child).
 */
#ifndef MN_ORCH_H
#define MN_ORCH_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "app.h"
#include "base/err.h"

/* A placeholder {name} and its value; NULL value = "none". */
struct mn_orch_var {
	const char *name;
	const char *value;
};

/* Expand an argv template. A placeholder may be a whole argument or part of
 * one; unknown {words} are left as they are. An argument that is exactly a
 * placeholder whose value is NULL is dropped, and so is the option before
 * it when that starts with '-' ("--incumbent {incumbent}" disappears when
 * there is no incumbent); inside an argument a NULL value expands to "".
 * Returns a NULL-terminated heap argv (mn_orch_argv_free), NULL when the
 * template is empty. */
char **mn_orch_expand(const struct mn_argv *tmpl, const struct mn_orch_var *vars, size_t n);
void mn_orch_argv_free(char **argv);
/* Path of this executable (/proc/self/exe) into out (len bytes). */
int mn_orch_self_exe(char *out, size_t len, struct mn_err *err);

/* The names of the API-key variables the configuration names, for
 * mn_orch_spawn_bg: student.api_key_env, and teacher.api_key_env when
 * teacher; NULL-terminated, borrowed from cfg. */
void mn_orch_key_vars(const char *out[3], const struct mn_config *cfg, bool teacher);
/* mn_proc_spawn_bg with the orchestrator's minimal environment (PATH, HOME,
 * LANG, TMPDIR, TZ, the MNEMO_* and XDG_* variables that locate the data)
 * plus exactly the variables named in keys (NULL-terminated; NULL = none). */
int mn_orch_spawn_bg(pid_t *out_pid, char *const *argv, const char *const *keys, int log_fd,
		     bool detach, struct mn_err *err);

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
int mn_orch_run(struct mn_app *a, json_t **out_result, const struct mn_orch_opts *o,
		struct mn_err *err);
/* `mnemo train run [--request ID | --pending]` with its own signal
 * handling. Returns the exit code. */
int mn_orch_cli(int argc, char **argv);

#endif
