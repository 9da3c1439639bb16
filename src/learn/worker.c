#include "learn/worker.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "learn/experience.h"

/* ---- locks ---- */

/* An inline encoder probes serve.lock with a shared lock for an instant;
 * a daemon starting at that instant retries for about a second before it
 * concludes that another daemon holds serve.lock. */
#define SERVE_LOCK_TRIES 50
#define SERVE_LOCK_RETRY_MS 20
#define WORKER_LOCK_POLL_MS 50

static int open_lock(int *out_fd, const char *path, struct mn_err *err)
{
	*out_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*out_fd < 0)
		return mn_err_set(err, MN_EIO, "could not open '%s': %s", path, strerror(errno));
	return 0;
}

/* Record who holds a lock file ("<pid> <kind>"), for the messages of
 * those who find it held. Best-effort: the lock itself is the flock. */
static void set_holder(int fd, const char *kind)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%ld %s\n", (long)getpid(), kind);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		mn_debug("worker", "could not record the lock holder: %s", strerror(errno));
}

static void clear_holder(int fd)
{
	if (ftruncate(fd, 0) < 0)
		mn_debug("worker", "could not clear the lock holder: %s", strerror(errno));
}

/* Who holds the lock file open as fd, in words. */
static void describe_holder(char *out, size_t len, int fd)
{
	char buf[64], kind[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%ld %15s", &pid, kind) == 2 && pid > 0) {
			if (!strcmp(kind, "serve"))
				snprintf(out, len, "mnemo serve (pid %ld)", pid);
			else
				snprintf(out, len, "an inline encoder (pid %ld, remember)", pid);
			return;
		}
	}
	snprintf(out, len, "another process");
}

static void release_fd(int fd)
{
	if (fd < 0)
		return;
	clear_holder(fd);
	flock(fd, LOCK_UN);
	close(fd);
}

bool mn_worker_daemon_running(const char *home)
{
	char *path = mn_xasprintf("%s/serve.lock", home);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool held = false;

	free(path);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		held = errno == EWOULDBLOCK;
	else
		flock(fd, LOCK_UN);
	close(fd);
	return held;
}

int mn_worker_try_lock(int *out_fd, const char *home, struct mn_err *err)
{
	char *path = mn_xasprintf("%s/worker.lock", home);
	char who[96];
	int fd = -1, ret;

	*out_fd = -1;
	ret = open_lock(&fd, path, err);
	if (ret)
		goto out;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			describe_holder(who, sizeof(who), fd);
			ret = mn_err_set(err, MN_EBUSY, "%s holds '%s'", who, path);
		} else {
			ret = mn_err_set(err, MN_EIO, "could not lock '%s': %s", path,
					 strerror(errno));
		}
		close(fd);
		goto out;
	}
	/* A daemon that holds serve.lock (or waits for worker.lock) encodes;
	 * taking worker.lock now would only make it wait. */
	if (mn_worker_daemon_running(home)) {
		flock(fd, LOCK_UN);
		close(fd);
		ret = mn_err_set(err, MN_EBUSY, "mnemo serve is running for '%s'", home);
		goto out;
	}
	set_holder(fd, "inline");
	*out_fd = fd;
out:
	free(path);
	return ret;
}

void mn_worker_unlock(int fd)
{
	release_fd(fd);
}

int mn_worker_lock_daemon(struct mn_worker_lock *out, const char *home, int64_t wait_ms,
			  volatile sig_atomic_t *stop, struct mn_err *err)
{
	char *spath = mn_xasprintf("%s/serve.lock", home);
	char *wpath = mn_xasprintf("%s/worker.lock", home);
	char who[96];
	int64_t start = mn_time_mono_ms();
	bool told = false;
	int ret;

	out->serve_fd = out->worker_fd = -1;
	ret = open_lock(&out->serve_fd, spath, err);
	if (ret)
		goto out;
	for (int i = 0; flock(out->serve_fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			ret = mn_err_set(err, MN_EIO, "could not lock '%s': %s", spath,
					 strerror(errno));
			goto out;
		}
		if (i >= SERVE_LOCK_TRIES) {
			describe_holder(who, sizeof(who), out->serve_fd);
			close(out->serve_fd); /* not ours: leave its holder line */
			out->serve_fd = -1;
			ret = mn_err_set(err, MN_EBUSY,
					 "another mnemo serve is running for '%s': %s holds '%s'",
					 home, who, spath);
			goto out;
		}
		mn_time_sleep_ms(SERVE_LOCK_RETRY_MS);
	}
	set_holder(out->serve_fd, "serve");
	ret = open_lock(&out->worker_fd, wpath, err);
	if (ret)
		goto out;
	/* Holders now are inline encoders that started before us, one
	 * encoding each (they take no new rows once serve.lock is held). */
	while (flock(out->worker_fd, LOCK_EX | LOCK_NB) < 0) {
		int64_t waited = mn_time_mono_ms() - start;

		if (errno != EWOULDBLOCK && errno != EINTR) {
			ret = mn_err_set(err, MN_EIO, "could not lock '%s': %s", wpath,
					 strerror(errno));
			goto out;
		}
		describe_holder(who, sizeof(who), out->worker_fd);
		if (stop && *stop) {
			ret = mn_err_set(err, MN_EINTR, "interrupted while waiting for '%s'", wpath);
			goto out;
		}
		if (waited >= wait_ms) {
			ret = mn_err_set(err, MN_ETIMEOUT,
					 "'%s' is still held by %s after %lld s", wpath, who,
					 (long long)(waited / 1000));
			goto out;
		}
		if (!told) {
			mn_info("worker", "waiting for %s to release '%s'", who, wpath);
			told = true;
		}
		mn_time_sleep_ms(WORKER_LOCK_POLL_MS);
	}
	set_holder(out->worker_fd, "serve");
out:
	if (ret) {
		/* the worker.lock fd was never locked: leave its holder line */
		if (out->worker_fd >= 0)
			close(out->worker_fd);
		out->worker_fd = -1;
		mn_worker_lock_release(out);
	}
	free(spath);
	free(wpath);
	return ret;
}

void mn_worker_lock_release(struct mn_worker_lock *l)
{
	release_fd(l->worker_fd);
	release_fd(l->serve_fd);
	l->worker_fd = l->serve_fd = -1;
}

int64_t mn_worker_lease_ms(const struct mn_config *cfg)
{
	bool remote = cfg->student.provider && !strcmp(cfg->student.provider, "openai");

	/* long enough for every retry of a slow model, plus the builtin fallback */
	return remote ? (int64_t)cfg->student.timeout_s * 4000 + 30000 : 60000;
}

/* ---- encoding ---- */

int mn_worker_store_encoded(struct mn_store *st, const struct mn_config *cfg,
			    const struct mn_raw *raw, const char *worker,
			    const struct mn_encode_out *out, const struct mn_worker_observer *obs,
			    char *memory_id_out, struct mn_err *err)
{
	const struct mn_claim claim = { .worker = worker, .attempt = raw->attempts };
	struct mn_memory m;
	struct mn_exp_signals sig;
	int ret;

	memset(&m, 0, sizeof(m));
	snprintf(m.raw_id, sizeof(m.raw_id), "%s", raw->id);
	m.encoding = out->encoding;
	m.encoding_json = out->encoding_json;
	m.encoder = out->encoder;
	m.encoder_version = out->encoder_version;
	m.fallback = out->fallback;
	m.epr = out->metrics.epr;
	m.fr = out->metrics.fr;
	m.np = out->metrics.np;
	m.sc = out->metrics.sc;
	m.ted = out->metrics.ted;
	m.mig = out->metrics.mig;
	m.flags = out->metrics.flags;
	m.confidence = out->confidence;
	m.salience = out->salience;
	m.source = raw->source;
	m.type = raw->type;
	m.project = raw->project;
	sig = (struct mn_exp_signals){
		.epr = m.epr,
		.ted = m.ted,
		.sc = m.sc,
		.fallback = m.fallback,
		.has_flags = json_array_size(m.flags) > 0,
		.confidence = m.confidence,
	};
	ret = mn_store_put_memory(st, &m,
				  mn_experience_classify(&sig, cfg->learning.min_confidence,
							 cfg->learning.curriculum.max_correction_attempts),
				  &claim, err);
	if (ret == MN_ENOTFOUND) {
		mn_info("worker", "dropped the encoding of %s: %s", raw->id, err->msg);
	} else if (ret) {
		/* inside a caller's transaction the rollback took it all:
		 * recording the failure is the caller's then */
		if (!mn_store_in_transaction(st))
			mn_store_fail_raw(st, raw->id, err->msg, cfg->encoding.max_attempts, &claim,
					  NULL);
	} else {
		if (memory_id_out)
			snprintf(memory_id_out, 37, "%s", m.id);
		mn_debug("worker", "encoded %s as memory %s (%s, epr %.2f)", raw->id, m.id,
			 out->encoder_version, m.epr);
		if (obs && obs->fn && !out->fallback)
			obs->fn(obs->payload, st, out->encoder_version);
	}
	return ret;
}

int mn_worker_encode_raw(struct mn_store *st, struct mn_encoder *enc,
			 const struct mn_config *cfg, const struct mn_raw *raw, const char *worker,
			 const struct mn_worker_observer *obs, char *memory_id_out,
			 struct mn_err *err)
{
	const struct mn_claim claim = { .worker = worker, .attempt = raw->attempts };
	struct mn_encode_out out;
	int ret;

	/* The model call may take seconds: never inside a transaction, which
	 * would hold every other writer's lock that long (store.h). */
	assert(!mn_store_in_transaction(st));
	ret = mn_encoder_encode_at(enc, &out, raw->content, raw->content_len, raw->source, raw->type,
				   raw->occurred_at[0] ? raw->occurred_at : NULL, err);
	if (ret) {
		mn_store_fail_raw(st, raw->id, err->msg, cfg->encoding.max_attempts, &claim, NULL);
		mn_warn("worker", "encoding raw memory %s failed (attempt %d): %s", raw->id,
			raw->attempts, err->msg);
		return ret;
	}
	ret = mn_worker_store_encoded(st, cfg, raw, worker, &out, obs, memory_id_out, err);
	mn_encode_out_release(&out);
	return ret;
}

int mn_worker_drain(struct mn_store *st, struct mn_encoder *enc, const struct mn_config *cfg,
		    const char *worker_id, const struct mn_worker_observer *obs, int max,
		    volatile sig_atomic_t *stop, int *out_done, struct mn_err *err)
{
	int done = 0, failed = 0, ret = 0;
	int64_t lease = mn_worker_lease_ms(cfg), t0 = mn_time_mono_ms();

	/* One row at a time, each in its own short transactions: a crash
	 * between claim and result leaves the row claimed until its lease
	 * expires, then it is queued again. */
	while (!(stop && *stop) && (max <= 0 || done < max)) {
		struct mn_raw raw;
		struct mn_err e = MN_ERR_INIT;

		memset(&raw, 0, sizeof(raw));
		ret = mn_store_claim_raw(st, &raw, worker_id, lease, &e);
		if (ret == MN_ENOTFOUND) {
			ret = 0;
			break;
		}
		if (ret) {
			*err = e;
			break;
		}
		if (mn_worker_encode_raw(st, enc, cfg, &raw, worker_id, obs, NULL, &e) == 0)
			done++;
		else
			failed++;
		mn_raw_release(&raw);
	}
	/* one line per batch the daemon drains */
	if (done || failed)
		mn_info("worker", "%s encoded %d memor%s (%d failed) in %lld ms", worker_id, done,
			done == 1 ? "y" : "ies", failed, (long long)(mn_time_mono_ms() - t0));
	if (out_done)
		*out_done = done;
	return ret;
}
