/*
 * dream.c - the dream cycle (dream.h): recover, reclassify, curriculum,
 * hard-example report, drift audit, training check, ranker.
 *
 * One cycle at a time per data home (flock on <home>/dream.lock), so the
 * daemon's scheduled cycle and `mnemo dream` never run the curriculum
 * twice. Each phase is timed and recorded; a failed phase does not stop
 * the others, a stop request does (the remaining phases are recorded as
 * skipped and the cycle as interrupted).
 */
#include "train/dream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/hashset.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "learn/curriculum.h"
#include "learn/drift.h"
#include "learn/experience.h"
#include "model/prompt.h"
#include "train/ranker_run.h"
#include "store/store_learn.h"
#include "train/train.h"
#include "model/verify.h"

/* Memories whose concepts make up "the buffer" for new-concept detection. */
#define REPORT_HISTORY_MAX 20000
#define REPORT_NEW_CONCEPTS_SHOWN 20
/* Short input, as the verifier's MIG rule counts it. */
#define SHORT_INPUT_CHARS 50
#define DENSE_MIN_NUMBERS 5
#define DENSE_MAX_EPR 0.8

struct cycle {
	struct mn_ctx *a;
	volatile sig_atomic_t *stop;
	char id[37];
	char prev_start[MN_TIME_LEN];
	bool drift;
	bool interrupted;
	bool failed;
};

static int lock_dream(const char *home, int *out_fd, struct mn_err *err)
{
	char *path = mn_xasprintf("%s/dream.lock", home);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	*out_fd = -1;
	if (fd < 0) {
		int e = errno;

		mn_err_set(err, MN_EIO, "could not open '%s': %s", path, strerror(e));
		free(path);
		return MN_EIO;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return mn_err_set(err, MN_EBUSY, "another dream cycle is running for '%s'", home);
	}
	*out_fd = fd;
	return 0;
}

static void unlock_dream(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

static bool stopped(const struct cycle *c)
{
	return c->stop && *c->stop;
}

/* ---- phases ---- */

static int phase_recover(struct cycle *c, json_t **out, struct mn_err *err)
{
	int dead = 0, ret = mn_train_recover_dead(c->a, &dead, err);

	if (ret)
		return ret;
	*out = json_pack("{s:i}", "training_runs_failed", dead);
	return 0;
}

static int phase_reclassify(struct cycle *c, json_t **out, struct mn_err *err)
{
	json_t *stats = NULL;
	int changed = 0, ret;

	ret = mn_experience_reclassify(c->a->store, &c->a->cfg, &changed, err);
	if (!ret)
		ret = mn_store_exp_stats(c->a->store, &stats, err);
	if (ret)
		return ret;
	*out = json_pack("{s:i,s:o}", "changed", changed, "buffer", stats);
	return 0;
}

static int phase_curriculum(struct cycle *c, json_t **out, struct mn_err *err)
{
	int ret = mn_curriculum_run(c->a, c->stop, out, err);

	if (!ret && !strcmp(mn_json_str(*out, "status", ""), "interrupted"))
		c->interrupted = true;
	return ret;
}

static uint64_t concept_hash(const char *s)
{
	uint64_t h = mn_text_hash64(s, strlen(s), 0x636f6e63ULL);

	return h ? h : 1;
}


static void add_concepts_text(void *payload, const char *text)
{
	json_t *arr = mn_json_parse(text, strlen(text), NULL);

	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *s = json_string_value(json_array_get(arr, i));

		if (s)
			mn_hashset_add(payload, concept_hash(s));
	}
	json_decref(arr);
}

static json_t *category_new(void)
{
	return json_pack("{s:i,s:[]}", "count", 0, "sample_ids");
}

static void category_hit(json_t *cat, const char *memory_id)
{
	json_t *ids = json_object_get(cat, "sample_ids");

	json_object_set_new(cat, "count",
			    json_integer(json_integer_value(json_object_get(cat, "count")) + 1));
	if (json_array_size(ids) < MN_DREAM_REPORT_SAMPLES)
		json_array_append_new(ids, json_string(memory_id));
}

static size_t nonspace_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* count code points that are not ASCII whitespace */
		if ((ch & 0xc0) == 0x80 || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
		    ch == '\f' || ch == '\v')
			continue;
		n++;
	}
	return n;
}

static int phase_report(struct cycle *c, json_t **out, struct mn_err *err)
{
	struct mn_ctx *a = c->a;
	size_t max_chars = (size_t)a->cfg.encoding.max_input_chars;
	struct mn_learn_row *rows = NULL;
	struct mn_hashset known = MN_HASHSET_INIT;
	json_t *rep = NULL, *cats, *dense, *shortf, *ted, *lowc, *newc, *shown;
	char now[MN_TIME_LEN];
	char *text = NULL;
	size_t n = 0;
	int ret;

	ret = mn_store_learn_recent_rows(a->store, &rows, &n, c->prev_start,
					 MN_DREAM_REPORT_MAX_ROWS, err);
	if (ret)
		return ret;
	ret = mn_store_learn_each_concepts_before(
		a->store, n ? rows[n - 1].created_at : c->prev_start, REPORT_HISTORY_MAX,
		add_concepts_text, &known, err);
	if (ret)
		goto out;
	dense = category_new();
	shortf = category_new();
	ted = category_new();
	lowc = category_new();
	newc = category_new();
	shown = json_array();
	/* Oldest first, so a concept is new only where it first appears. */
	for (size_t k = n; k-- > 0;) {
		const struct mn_learn_row *r = &rows[k];
		size_t seen = mn_prompt_input_len(r->content, r->content_len, max_chars);
		struct mn_entities ents;
		bool fresh = false;

		mn_verify_entities(&ents, r->content, seen);
		if (ents.n_numbers >= DENSE_MIN_NUMBERS && r->epr < DENSE_MAX_EPR)
			category_hit(dense, r->memory_id);
		mn_entities_release(&ents);
		if (nonspace_chars(r->content, seen) < SHORT_INPUT_CHARS &&
		    json_array_size(r->flags) > 0)
			category_hit(shortf, r->memory_id);
		if (r->ted)
			category_hit(ted, r->memory_id);
		if (r->confidence < a->cfg.learning.min_confidence)
			category_hit(lowc, r->memory_id);
		for (size_t i = 0; i < json_array_size(r->concepts); i++) {
			const char *s = json_string_value(json_array_get(r->concepts, i));

			if (s && mn_hashset_add(&known, concept_hash(s))) {
				fresh = true;
				if (json_array_size(shown) < REPORT_NEW_CONCEPTS_SHOWN)
					json_array_append_new(shown, json_string(s));
			}
		}
		if (fresh)
			category_hit(newc, r->memory_id);
	}
	json_object_set_new(newc, "concepts", shown);
	cats = json_pack("{s:o,s:o,s:o,s:o,s:o}", "dense_numbers", dense, "short_input_flagged",
			 shortf, "template_echo", ted, "low_confidence", lowc, "new_concepts",
			 newc);
	mn_time_now_str(now);
	rep = json_pack("{s:s,s:s,s:s?,s:I,s:o}", "cycle_id", c->id, "created_at", now, "since",
			c->prev_start[0] ? c->prev_start : NULL, "rows_examined", (json_int_t)n,
			"categories", cats);
	text = mn_json_dumps(rep);
	ret = mn_store_meta_set(a->store, MN_DREAM_REPORT_KEY, text, err);
	if (ret)
		goto out;
	{
		json_t *summary = json_object();
		const char *key;
		json_t *v;

		json_object_foreach(cats, key, v)
			json_object_set(summary, key, json_object_get(v, "count"));
		*out = json_pack("{s:I,s:o,s:O}", "rows_examined", (json_int_t)n, "counts",
				 summary, "report", rep);
	}
out:
	free(text);
	mn_hashset_release(&known);
	json_decref(rep);
	mn_learn_rows_free(rows, n);
	return ret;
}

static int phase_drift(struct cycle *c, json_t **out, struct mn_err *err)
{
	json_t *p = NULL;
	int ret = mn_drift_audit(c->a, &p, &c->drift, err);

	if (ret)
		return ret;
	json_object_del(p, "name");
	json_object_del(p, "status");
	*out = p;
	return 0;
}

static int phase_training(struct cycle *c, json_t **out, struct mn_err *err)
{
	json_t *p = NULL;
	int ret = mn_train_check_trigger(c->a, c->drift, &p, err);

	if (ret)
		return ret;
	if (!json_is_object(p)) {
		json_decref(p);
		p = json_object();
	}
	json_object_set_new(p, "drift", json_boolean(c->drift));
	*out = p;
	return 0;
}

/* The learned ranker: its post-deploy monitor, then a run when enough new
 * ratings arrived (train/ranker_run.h). */
static int phase_ranker(struct cycle *c, json_t **out, struct mn_err *err)
{
	return mn_ranker_dream_phase(c->a, out, err);
}

struct phase {
	const char *name;
	int (*run)(struct cycle *c, json_t **out, struct mn_err *err);
};

static const struct phase phases[] = {
	{ "recover", phase_recover },       { "reclassify", phase_reclassify },
	{ "curriculum", phase_curriculum }, { "report", phase_report },
	{ "drift", phase_drift },           { "training", phase_training },
	{ "ranker", phase_ranker },
};

/* Run one phase into a record {"name","status","ms",...}. */
static json_t *run_phase(struct cycle *c, const struct phase *ph)
{
	struct mn_err perr = MN_ERR_INIT;
	json_t *body = NULL, *rec = json_pack("{s:s}", "name", ph->name);
	int64_t t0 = mn_time_mono_ms();
	int ret;

	if (stopped(c)) {
		c->interrupted = true;
		json_object_set_new(rec, "status", json_string("skipped"));
		json_object_set_new(rec, "reason", json_string("interrupted"));
		json_object_set_new(rec, "ms", json_integer(0));
		return rec;
	}
	ret = ph->run(c, &body, &perr);
	if (ret) {
		c->failed = true;
		json_object_set_new(rec, "status", json_string("failed"));
		json_object_set_new(rec, "error", json_string(perr.msg));
		mn_warn("dream", "phase %s failed: %s", ph->name, perr.msg);
	} else {
		/* Phases that report their own status (curriculum) keep it. */
		if (!json_object_get(body, "status"))
			json_object_set_new(rec, "status", json_string("ok"));
		json_object_del(body, "name");
		json_object_update(rec, body);
		if (!strcmp(mn_json_str(rec, "status", ""), "failed"))
			c->failed = true;
	}
	json_object_set_new(rec, "ms", json_integer(mn_time_mono_ms() - t0));
	json_decref(body);
	{
		/* one line per phase, with what it counted */
		char *line = mn_json_dumps(rec);

		mn_info("dream", "phase %.400s", line);
		free(line);
	}
	return rec;
}

int mn_dream_run(struct mn_ctx *a, const char *trigger, volatile sig_atomic_t *stop,
		 json_t **out_report, struct mn_err *err)
{
	struct cycle c;
	json_t *recs = json_array(), *rep = NULL;
	char started[MN_TIME_LEN];
	const char *status;
	int fd = -1, ret, n_cycles = 0, n_cur = 0;

	if (out_report)
		*out_report = NULL;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.stop = stop;
	ret = lock_dream(a->home, &fd, err);
	if (ret)
		goto out;
	/* We hold the lock: anything still `running` belongs to a dead process. */
	ret = mn_store_learn_cycle_recover(a->store, &n_cycles, err);
	if (!ret)
		ret = mn_store_learn_curriculum_recover(a->store, &n_cur, err);
	if (!ret)
		ret = mn_store_learn_cycle_begin(a->store, c.id, trigger, err);
	if (!ret)
		ret = mn_store_learn_cycle_last_start(a->store, c.prev_start, c.id, err);
	if (ret)
		goto out;
	if (n_cycles || n_cur)
		mn_info("dream", "marked %d dream cycle(s) and %d curriculum run(s) interrupted",
			n_cycles, n_cur);
	mn_time_now_str(started);
	mn_info("dream", "cycle %s (%s) started", c.id, trigger ? trigger : "manual");
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		json_t *rec = run_phase(&c, &phases[i]);

		if (i == 0) {
			json_object_set_new(rec, "dream_cycles_interrupted", json_integer(n_cycles));
			json_object_set_new(rec, "curriculum_runs_interrupted", json_integer(n_cur));
		}
		json_array_append_new(recs, rec);
	}
	status = c.interrupted ? "interrupted" : c.failed ? "partial" : "completed";
	ret = mn_store_learn_cycle_finish(a->store, c.id, status, recs,
					  c.interrupted ? "stop requested" : NULL, err);
	if (ret)
		goto out;
	mn_info("dream", "cycle %s %s", c.id, status);
	rep = json_pack("{s:s,s:s?,s:s,s:s,s:O}", "id", c.id, "trigger", trigger, "status", status,
			"started_at", started, "phases", recs);
	if (c.interrupted)
		ret = mn_err_set(err, MN_EINTR, "dream cycle %s interrupted", c.id);
	if (out_report) {
		*out_report = rep;
		rep = NULL;
	}
out:
	json_decref(rep);
	json_decref(recs);
	unlock_dream(fd);
	return ret;
}

int mn_dream_last_report(struct mn_ctx *a, json_t **out, struct mn_err *err)
{
	char *text = NULL;
	int ret;

	*out = NULL;
	ret = mn_store_meta_get(a->store, &text, MN_DREAM_REPORT_KEY, err);
	if (ret || !text)
		return ret;
	*out = mn_json_parse(text, strlen(text), err);
	free(text);
	return *out ? 0 : MN_EPARSE;
}

json_t *mn_dream_status_json(struct mn_ctx *a)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *o = json_object(), *cycles = NULL, *cur = NULL, *rep = NULL, *drift;
	int total = 0;

	if (mn_store_learn_cycle_list(a->store, &cycles, &total, 1, &err) == 0) {
		json_t *last = json_array_get(cycles, 0);

		json_object_set_new(o, "cycles", json_integer(total));
		if (last) {
			json_t *ph = json_object();
			json_t *v;
			size_t i;

			json_array_foreach(json_object_get(last, "phases"), i, v)
				json_object_set_new(ph, mn_json_str(v, "name", "?"),
						    json_string(mn_json_str(v, "status", "?")));
			json_object_set_new(
				o, "last_cycle",
				json_pack("{s:O,s:O,s:O,s:O,s:O,s:o}", "id",
					  json_object_get(last, "id"), "trigger",
					  json_object_get(last, "trigger"), "started_at",
					  json_object_get(last, "started_at"), "finished_at",
					  json_object_get(last, "finished_at"), "status",
					  json_object_get(last, "status"), "phases", ph));
		} else {
			json_object_set_new(o, "last_cycle", json_null());
		}
	} else {
		json_object_set_new(o, "error", json_string(err.msg));
	}
	json_decref(cycles);
	if (mn_store_learn_curriculum_last(a->store, &cur, &err) == 0)
		json_object_set_new(o, "last_curriculum", cur ? cur : json_null());
	if (mn_dream_last_report(a, &rep, &err) == 0 && rep) {
		json_t *counts = json_object();
		const char *key;
		json_t *v;

		json_object_foreach(json_object_get(rep, "categories"), key, v)
			json_object_set(counts, key, json_object_get(v, "count"));
		json_object_set_new(o, "hard_examples", counts);
	}
	json_decref(rep);
	drift = mn_drift_state_json(a);
	json_object_set_new(o, "drift",
			    json_pack("{s:s?,s:O?,s:O?}", "state",
				      mn_json_str(drift, "last_state", NULL), "consecutive_degrading",
				      json_object_get(drift, "consecutive_degrading"), "drift",
				      json_object_get(drift, "drift")));
	json_decref(drift);
	json_object_set_new(o, "teacher",
			    json_string(a->cfg.teacher.provider ? a->cfg.teacher.provider : "none"));
	return o;
}
