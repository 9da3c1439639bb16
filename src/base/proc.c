#include "base/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/mem.h"
#include "base/timeutil.h"

void mn_proc_result_init(struct mn_proc_result *r)
{
	memset(r, 0, sizeof(*r));
	mn_buf_init(&r->out, MN_LIMIT_CHILD_OUTPUT_BYTES);
	mn_buf_init(&r->errout, MN_LIMIT_CHILD_OUTPUT_BYTES);
	r->exit_code = -1;
}

void mn_proc_result_release(struct mn_proc_result *r)
{
	if (!r)
		return;
	mn_buf_release(&r->out);
	mn_buf_release(&r->errout);
}

bool mn_proc_ok(const struct mn_proc_result *r)
{
	return r->exited && r->exit_code == 0 && !r->timed_out && !r->stopped;
}

void mn_proc_describe(const struct mn_proc_result *r, char *buf, size_t len)
{
	if (r->timed_out)
		snprintf(buf, len, "timed out after %lld ms", (long long)r->elapsed_ms);
	else if (r->stopped)
		snprintf(buf, len, "stopped on request");
	else if (r->exited)
		snprintf(buf, len, "exit %d", r->exit_code);
	else
		snprintf(buf, len, "killed by signal %d", r->term_signal);
}

char **mn_proc_env_minimal(const char *const *extra)
{
	static const char *const keep[] = { "PATH", "HOME", "LANG", "TMPDIR", "TZ", NULL };
	size_t n = 0, cap = 8;
	char **env;

	for (const char *const *e = extra; e && *e; e++)
		cap++;
	env = mn_xcalloc(cap, sizeof(*env));
	for (const char *const *k = keep; *k; k++) {
		const char *v = getenv(*k);

		if (!v && !strcmp(*k, "PATH"))
			v = "/usr/local/bin:/usr/bin:/bin";
		if (!v && !strcmp(*k, "LANG"))
			v = "C.UTF-8";
		if (v)
			env[n++] = mn_xasprintf("%s=%s", *k, v);
	}
	for (const char *const *e = extra; e && *e; e++)
		env[n++] = mn_xstrdup(*e);
	env[n] = NULL;
	return env;
}

void mn_proc_env_free(char **env)
{
	if (!env)
		return;
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

/* The child starts with no blocked signals and default dispositions for
 * the ones a daemon handles or ignores; optionally in its own group. */
static void set_child_signals(posix_spawnattr_t *attr, bool new_pgroup)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD };
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	sigset_t none, def;

	sigemptyset(&none);
	sigemptyset(&def);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&def, sigs[i]);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &def);
	if (new_pgroup) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(attr, 0);
	}
	posix_spawnattr_setflags(attr, flags);
}

static void drain(int *fd, struct mn_buf *into, int log_fd)
{
	char chunk[8192];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (!into->failed)
		mn_buf_add(into, chunk, (size_t)n);
	if (log_fd >= 0 && write(log_fd, chunk, (size_t)n) < 0) {
		/* the log is best effort; the captured buffer still has it */
	}
}

static void send_signal(pid_t pid, bool group, int sig)
{
	if (group)
		kill(-pid, sig);
	else
		kill(pid, sig);
}

/* True when the child has exited; it is left unreaped (a zombie). */
static bool child_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

int mn_proc_run(struct mn_proc_result *r, const struct mn_proc_opts *o, struct mn_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char **own_env = NULL;
	char *const *env = o->env;
	pid_t pid = -1;
	int status = 0, rc, ret = 0;
	int64_t start = mn_time_mono_ms(), term_at = -1, last_tick = start - 500;
	int64_t grace = o->kill_grace_ms ? o->kill_grace_ms : 5000;
	bool reaped = false;

	if (!env) {
		own_env = mn_proc_env_minimal(NULL);
		env = own_env;
	}
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		ret = mn_err_set(err, MN_EFAIL, "could not create pipes: %s", strerror(errno));
		goto out_nofa;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	set_child_signals(&attr, o->new_pgroup);
	rc = posix_spawnp(&pid, o->argv[0], &fa, &attr, o->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (rc != 0) {
		ret = mn_err_set(err, MN_EFAIL, "could not start '%s': %s", o->argv[0],
				 strerror(rc));
		goto out_nofa;
	}
	while (outp[0] >= 0 || errp[0] >= 0 || !reaped) {
		struct pollfd pf[2];
		nfds_t nf = 0;
		int64_t now = mn_time_mono_ms();

		if (!reaped && child_exited(pid)) {
			/* The exited child is a zombie until reaped, so its pid still
			 * names its process group: what is left there (background
			 * children) is killed before the id can be reused. */
			if (o->kill_group && o->new_pgroup)
				kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
			}
			reaped = true;
		}
		if (!reaped && term_at < 0 && o->timeout_ms > 0 && now - start >= o->timeout_ms) {
			r->timed_out = true;
			send_signal(pid, o->new_pgroup, SIGTERM);
			term_at = now;
		}
		if (!reaped && term_at < 0 && o->tick && now - last_tick >= 500) {
			last_tick = now;
			if (!o->tick(o->payload, pid)) {
				r->stopped = true;
				send_signal(pid, o->new_pgroup, SIGTERM);
				term_at = now;
			}
		}
		if (!reaped && term_at >= 0 && now - term_at >= grace)
			send_signal(pid, o->new_pgroup, SIGKILL);
		if (reaped && outp[0] < 0 && errp[0] < 0)
			break;
		if (outp[0] >= 0)
			pf[nf++] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
		if (errp[0] >= 0)
			pf[nf++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
		if (nf == 0) {
			/* pipes closed but the child lives on (it closed its streams) */
			mn_time_sleep_ms(20);
			continue;
		}
		/* A grandchild may hold the pipes open after the child exits. */
		if (reaped && term_at < 0)
			term_at = now - grace + 1000;
		if (poll(pf, nf, 100) < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; i < nf; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (pf[i].fd == outp[0])
				drain(&outp[0], &r->out, o->log_fd);
			else
				drain(&errp[0], &r->errout, o->log_fd);
		}
		if (reaped && term_at >= 0 && mn_time_mono_ms() - term_at >= grace) {
			if (outp[0] >= 0)
				close(outp[0]);
			if (errp[0] >= 0)
				close(errp[0]);
			outp[0] = errp[0] = -1;
		}
	}
	r->elapsed_ms = mn_time_mono_ms() - start;
	if (WIFEXITED(status)) {
		r->exited = true;
		r->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->term_signal = WTERMSIG(status);
	}
out_nofa:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	mn_proc_env_free(own_env);
	return ret;
}

/* A child with stdin /dev/null and stdout/stderr on out_fd, in its own
 * process group. */
static int spawn_group(pid_t *out_pid, char *const *argv, char *const *env, int null_fd,
		       int out_fd, struct mn_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, null_fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
	set_child_signals(&attr, true);
	rc = posix_spawnp(out_pid, argv[0], &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return mn_err_set(err, MN_EFAIL, "could not start '%s': %s", argv[0], strerror(rc));
	return 0;
}

int mn_proc_spawn_bg(pid_t *out_pid, char *const *argv, char *const *env, int log_fd,
		     bool detach, struct mn_err *err)
{
	int nullfd = -1, pfd[2] = { -1, -1 }, ret = 0;
	pid_t pid = -1;

	*out_pid = -1;
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0) {
		ret = mn_err_set(err, MN_EIO, "could not open /dev/null: %s", strerror(errno));
		goto out;
	}
	if (!detach) {
		ret = spawn_group(&pid, argv, env, nullfd, log_fd >= 0 ? log_fd : nullfd, err);
		if (!ret)
			*out_pid = pid;
		goto out;
	}
	/* Detached: a middle process starts the child and exits at once, so
	 * the child is never our zombie; it reports the pid through a pipe. */
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not create a pipe: %s", strerror(errno));
		goto out;
	}
	{
		pid_t mid = fork();

		if (mid < 0) {
			ret = mn_err_set(err, MN_EFAIL, "could not fork: %s", strerror(errno));
			goto out;
		}
		if (mid == 0) {
			/* Only async-signal-safe calls from here to exec (the parent
			 * may have threads): fork and execve, not posix_spawnp. */
			pid_t g;

			setsid();
			g = fork();
			if (g == 0) {
				int o = log_fd >= 0 ? log_fd : nullfd;
				sigset_t none;

				sigemptyset(&none);
				sigprocmask(SIG_SETMASK, &none, NULL);
				signal(SIGPIPE, SIG_DFL);
				signal(SIGHUP, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				dup2(nullfd, STDIN_FILENO);
				dup2(o, STDOUT_FILENO);
				dup2(o, STDERR_FILENO);
				execve(argv[0], argv, env);
				_exit(127);
			}
			if (write(pfd[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
				_exit(1);
			_exit(g > 0 ? 0 : 1);
		}
		close(pfd[1]);
		pfd[1] = -1;
		while (waitpid(mid, NULL, 0) < 0 && errno == EINTR) {
		}
	}
	if (read(pfd[0], &pid, sizeof(pid)) != (ssize_t)sizeof(pid) || pid <= 0) {
		ret = mn_err_set(err, MN_EFAIL, "could not start '%s'", argv[0]);
		goto out;
	}
	*out_pid = pid;
out:
	if (nullfd >= 0)
		close(nullfd);
	for (int i = 0; i < 2; i++)
		if (pfd[i] >= 0)
			close(pfd[i]);
	return ret;
}

void mn_proc_stop_bg(pid_t pid, int64_t grace_ms)
{
	int64_t until = mn_time_mono_ms() + grace_ms;

	if (pid <= 0)
		return;
	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
	while (mn_time_mono_ms() < until) {
		pid_t w = waitpid(pid, NULL, WNOHANG);

		if (w == pid || (w < 0 && errno == ECHILD))
			return;
		mn_time_sleep_ms(50);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
	}
}

int mn_proc_self_exe(char *out, size_t len, struct mn_err *err)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	if (n <= 0)
		return mn_err_set(err, MN_EIO, "could not read /proc/self/exe: %s", strerror(errno));
	out[n] = '\0';
	return 0;
}

/* The minimal environment plus the variables named in pass and keys that
 * are set in ours (at most 15 names in all). */
static char **child_env(const char *const *pass, const char *const *keys)
{
	const char *names[16], *extra[16];
	char *owned[16];
	int n = 0, k = 0;
	char **env;

	for (const char *const *p = pass; p && *p && k < 15; p++)
		names[k++] = *p;
	for (const char *const *p = keys; p && *p && k < 15; p++) {
		bool dup = false;

		for (int i = 0; i < k; i++)
			dup = dup || !strcmp(names[i], *p);
		if (!dup)
			names[k++] = *p;
	}
	for (int i = 0; i < k; i++) {
		const char *v = getenv(names[i]);

		if (v) {
			owned[n] = mn_xasprintf("%s=%s", names[i], v);
			extra[n] = owned[n];
			n++;
		}
	}
	extra[n] = NULL;
	env = mn_proc_env_minimal(extra);
	for (int i = 0; i < n; i++) {
		memset(owned[i], 0, strlen(owned[i]));
		free(owned[i]);
	}
	return env;
}

int mn_proc_spawn_bg_env(pid_t *out_pid, char *const *argv, const char *const *pass,
			 const char *const *keys, int log_fd, bool detach, struct mn_err *err)
{
	char **env = child_env(pass, keys);
	int ret = mn_proc_spawn_bg(out_pid, argv, env, log_fd, detach, err);

	mn_proc_env_free(env);
	return ret;
}
