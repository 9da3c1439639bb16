#include "worker.h"

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
#include "experience.h"

static mn_worker_observer_fn observer;
static void *observer_payload;

void mn_worker_set_observer(mn_worker_observer_fn fn, void *payload)
{
	observer = fn;
	observer_payload = payload;
}

int mn_worker_try_lock(int *out_fd, const char *home, struct mn_err *err)
{
	char *path = mn_xasprintf("%s/worker.lock", home);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int ret = 0;

	*out_fd = -1;
	if (fd < 0) {
		ret = mn_err_set(err, MN_EIO, "could not open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK
			      ? mn_err_set(err, MN_EBUSY, "another process holds '%s'", path)
			      : mn_err_set(err, MN_EIO, "could not lock '%s': %s", path,
					   strerror(errno));
		close(fd);
		goto out;
	}
	*out_fd = fd;
out:
	free(path);
	return ret;
}

void mn_worker_unlock(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}

int64_t mn_worker_lease_ms(const struct mn_config *cfg)
{
	bool remote = cfg->student.provider && !strcmp(cfg->student.provider, "openai");

	/* long enough for every retry of a slow model, plus the builtin fallback */
	return remote ? (int64_t)cfg->student.timeout_s * 4000 + 30000 : 60000;
}

int mn_worker_encode_raw(struct mn_store *st, struct mn_encoder *enc,
			 const struct mn_config *cfg, const struct mn_raw *raw,
			 char *memory_id_out, struct mn_err *err)
{
	struct mn_encode_out out;
	struct mn_memory m;
	struct mn_exp_signals sig;
	int ret;

	memset(&m, 0, sizeof(m));
	ret = mn_encoder_encode(enc, &out, raw->content, raw->content_len, raw->source, raw->type,
				err);
	if (ret) {
		mn_store_fail_raw(st, raw->id, err->msg, cfg->encoding.max_attempts, NULL);
		mn_warn("worker", "encoding raw memory %s failed (attempt %d): %s", raw->id,
			raw->attempts, err->msg);
		return ret;
	}
	snprintf(m.raw_id, sizeof(m.raw_id), "%s", raw->id);
	m.encoding = out.encoding;
	m.encoding_json = out.encoding_json;
	m.encoder = out.encoder;
	m.encoder_version = out.encoder_version;
	m.fallback = out.fallback;
	m.epr = out.metrics.epr;
	m.fr = out.metrics.fr;
	m.np = out.metrics.np;
	m.sc = out.metrics.sc;
	m.ted = out.metrics.ted;
	m.mig = out.metrics.mig;
	m.flags = out.metrics.flags;
	m.confidence = out.confidence;
	m.salience = out.salience;
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
				  err);
	if (ret) {
		mn_store_fail_raw(st, raw->id, err->msg, cfg->encoding.max_attempts, NULL);
	} else {
		if (memory_id_out)
			snprintf(memory_id_out, 37, "%s", m.id);
		mn_debug("worker", "encoded %s as memory %s (%s, epr %.2f)", raw->id, m.id,
			 out.encoder_version, m.epr);
		if (observer && !out.fallback)
			observer(observer_payload, st, out.encoder_version);
	}
	mn_encode_out_release(&out);
	return ret;
}

/* Rows encoded per transaction by the daemon's worker. A crash mid-batch
 * rolls the whole batch back: its rows are simply still queued. */
#define BATCH_ROWS 16

int mn_worker_drain(struct mn_store *st, struct mn_encoder *enc, const struct mn_config *cfg,
		    const char *worker_id, int max, volatile sig_atomic_t *stop, int *out_done,
		    struct mn_err *err)
{
	int done = 0, ret = 0;
	int64_t lease = mn_worker_lease_ms(cfg);
	bool empty = false;

	while (!empty && !(stop && *stop) && (max <= 0 || done < max)) {
		int in_batch = 0, batch_done = 0;

		ret = mn_store_begin(st, err);
		if (ret)
			break;
		while (in_batch < BATCH_ROWS && !(stop && *stop) && (max <= 0 || done + in_batch < max)) {
			struct mn_raw raw;
			struct mn_err e = MN_ERR_INIT;

			memset(&raw, 0, sizeof(raw));
			ret = mn_store_claim_raw(st, &raw, worker_id, lease, &e);
			if (ret == MN_ENOTFOUND) {
				ret = 0;
				empty = true;
				break;
			}
			if (ret) {
				*err = e;
				break;
			}
			in_batch++;
			/* A failed row is recorded and the queue moves on. */
			if (mn_worker_encode_raw(st, enc, cfg, &raw, NULL, &e) == 0)
				batch_done++;
			mn_raw_release(&raw);
			if (!mn_store_in_transaction(st)) {
				/* a database error rolled the batch back */
				*err = e;
				ret = e.code ? e.code : MN_EIO;
				break;
			}
		}
		if (ret) {
			mn_store_rollback(st);
			break;
		}
		ret = mn_store_commit(st, err);
		if (ret)
			break;
		done += batch_done;
	}
	if (out_done)
		*out_done = done;
	return ret;
}
