/*
 * proc.h - run a program: argv, explicit small environment, timeout.
 *
 * posix_spawn (never a shell), stdin from /dev/null, stdout and stderr
 * drained by one poll loop into capped buffers (and optionally appended
 * to a log fd), SIGTERM then SIGKILL on timeout, always reaped.
 *
 * Callers that need the pid while the child runs (the orchestrator's
 * heartbeat, cancellation) get it through the tick callback.
 */
#ifndef MN_PROC_H
#define MN_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"

struct mn_proc_opts {
	char *const *argv;   /* argv[0] is looked up in PATH of `env` or the caller */
	char *const *env;    /* NULL = minimal env (PATH, HOME, LANG=C.UTF-8) */
	const char *cwd;     /* NULL = inherit */
	int64_t timeout_ms;  /* 0 = none */
	int64_t kill_grace_ms; /* between SIGTERM and SIGKILL; 0 = 5000 */
	int log_fd;          /* -1 = none; both streams are appended here too */
	bool new_pgroup;     /* put the child in its own process group */
	/* With new_pgroup: when the child exits (or is stopped or times out),
	 * SIGKILL what is left of its group, so background children it forked
	 * die with it. A child that left the group (setsid) escapes this. */
	bool kill_group;
	/* Called about every 500 ms while the child runs; return false to stop it. */
	bool (*tick)(void *payload, pid_t pid);
	void *payload;
};

struct mn_proc_result {
	int exit_code;     /* valid when exited */
	int term_signal;   /* valid when signalled */
	bool exited;
	bool timed_out;
	bool stopped;      /* tick asked to stop */
	struct mn_buf out; /* captured stdout, capped */
	struct mn_buf errout; /* captured stderr, capped */
	int64_t elapsed_ms;
};

void mn_proc_result_init(struct mn_proc_result *r);
void mn_proc_result_release(struct mn_proc_result *r);
/* Run to completion. Returns 0 when the child ran (see r for how it ended),
 * MN_EFAIL when it could not be started. */
int mn_proc_run(struct mn_proc_result *r, const struct mn_proc_opts *o, struct mn_err *err);
/* True when r says: exited with status 0, no timeout. */
bool mn_proc_ok(const struct mn_proc_result *r);
/* Human description of how the child ended ("exit 3", "killed by signal 9",
 * "timed out after 5000 ms") into buf. */
void mn_proc_describe(const struct mn_proc_result *r, char *buf, size_t len);
/* Start argv in the background: stdin /dev/null, stdout and stderr to
 * log_fd (or /dev/null when -1), its own process group, environment env.
 * detach: started through a middle process (setsid) so the child outlives
 * us and is never our zombie; argv[0] must then be an absolute path.
 * *out_pid is the child's pid either way. */
int mn_proc_spawn_bg(pid_t *out_pid, char *const *argv, char *const *env, int log_fd,
		     bool detach, struct mn_err *err);
/* SIGTERM to a background child's process group, SIGKILL after grace_ms;
 * reaped when it is our child. */
void mn_proc_stop_bg(pid_t pid, int64_t grace_ms);
/* Build the minimal environment: PATH, HOME, LANG, TMPDIR from ours, plus extra
 * "K=V" strings; NULL-terminated, free with mn_proc_env_free. */
char **mn_proc_env_minimal(const char *const *extra);
void mn_proc_env_free(char **env);

/* Path of this executable (/proc/self/exe) into out (len bytes). */
int mn_proc_self_exe(char *out, size_t len, struct mn_err *err);
/* mn_proc_spawn_bg with the minimal environment plus the variables named
 * in pass and in keys (both NULL-terminated, NULL = none) that are set in
 * ours: exactly what the caller names, nothing else. */
int mn_proc_spawn_bg_env(pid_t *out_pid, char *const *argv, const char *const *pass,
			 const char *const *keys, int log_fd, bool detach, struct mn_err *err);

#endif
