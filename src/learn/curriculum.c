/*
 * curriculum.c - teacher corrections of needs_improvement encodings
 * (curriculum.h, DESIGN §6).
 */
#include "learn/curriculum.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "learn/experience.h"
#include "model/encoder.h"
#include "model/llm.h"
#include "model/prompt.h"
#include "store/store_learn.h"
#include "model/verify.h"

/* Consecutive transport failures after which the teacher counts as down. */
#define TEACHER_MAX_TRANSPORT_FAILURES 2
/* Words of an input the diversity term compares (the rest is ignored). */
#define SELECT_MAX_WORDS 64
/* Rows of the pool a row's typicality is measured against. */
#define SELECT_SAMPLE 256
/* How much overlap with an already labelled row lowers a row's value. */
#define LABELLED_OVERLAP_WEIGHT 0.5

/* ---- selection ---- */

/* What the verifier and the users say is wrong with the student's
 * encoding (the hardness part of the value). */
static double hardness(const struct mn_curriculum_cand *c)
{
	double v = 0;

	if (c->epr < 0.9)
		v += 0.9 - (c->epr < 0 ? 0 : c->epr);
	if (c->broken)
		v += 0.5;
	if (c->flagged)
		v += 0.1;
	if (c->recall_count >= 3 && c->recall_score < 0.3)
		v += 0.3;
	return v;
}

/* base (uncertainty or typicality) plus hardness, over 1 + attempts; never
 * zero: a confident row still beats nothing once the rest is gone */
static double value_of(const struct mn_curriculum_cand *c, double base)
{
	return (base + hardness(c) + 1e-3) / (1.0 + (c->attempts > 0 ? c->attempts : 0));
}

double mn_curriculum_value(const struct mn_curriculum_cand *c)
{
	double conf = c->confidence < 0 ? 0 : c->confidence > 1 ? 1 : c->confidence;

	return value_of(c, 1.0 - conf);
}

struct words {
	uint64_t h[SELECT_MAX_WORDS];
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The distinct words of a text (runs of letters and digits holding a
 * letter, lower case), hashed and sorted. Numbers alone are left out: a
 * ticket number does not make two reports different. */
static void words_of(struct words *w, const char *t, size_t len)
{
	char tok[48];
	size_t i = 0, k = 0;

	w->n = 0;
	while (i < len && w->n < SELECT_MAX_WORDS) {
		size_t n = 0;
		bool letter = false;

		while (i < len && !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
				    (t[i] >= '0' && t[i] <= '9')))
			i++;
		while (i < len && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
				   (t[i] >= '0' && t[i] <= '9'))) {
			if (!(t[i] >= '0' && t[i] <= '9'))
				letter = true;
			if (n < sizeof(tok))
				tok[n++] = mn_ascii_lower(t[i]);
			i++;
		}
		if (letter && n >= 2)
			w->h[w->n++] = mn_text_hash64(tok, n, 0x776f726473ULL);
	}
	if (w->n > 1)
		qsort(w->h, w->n, sizeof(w->h[0]), cmp_u64);
	for (size_t j = 0; j < w->n; j++)
		if (k == 0 || w->h[j] != w->h[k - 1])
			w->h[k++] = w->h[j];
	w->n = k;
}

static double jaccard(const struct words *a, const struct words *b)
{
	size_t i = 0, j = 0, both = 0;

	if (!a->n && !b->n)
		return 1.0;
	while (i < a->n && j < b->n) {
		if (a->h[i] == b->h[j]) {
			both++;
			i++;
			j++;
		} else if (a->h[i] < b->h[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)both / (double)(a->n + b->n - both);
}

/* Before the student was taught anything (no labelled row), its
 * confidence says little about what this teacher will say: the base of
 * the value is then how typical a row is - its mean word overlap with an
 * even sample of the pool, scaled to [0, 1] - so the first corrections
 * cover what the user's inputs are mostly like. */
static void typical_values(double *value, const struct mn_curriculum_cand *c,
			   const struct words *w, size_t n)
{
	size_t step = n > SELECT_SAMPLE ? n / SELECT_SAMPLE : 1, ns = 0;
	double *dens = mn_xcalloc(n, sizeof(*dens)), top = 0;

	for (size_t s = 0; s < n; s += step)
		ns++;
	for (size_t i = 0; i < n; i++) {
		for (size_t s = 0; s < n; s += step)
			if (s != i)
				dens[i] += jaccard(&w[i], &w[s]);
		dens[i] /= (double)ns;
		if (dens[i] > top)
			top = dens[i];
	}
	for (size_t i = 0; i < n; i++)
		value[i] = value_of(&c[i], top > 0 ? dens[i] / top : 0);
	free(dens);
}

size_t mn_curriculum_select(size_t *out_idx, const struct mn_curriculum_cand *c, size_t n,
			    size_t k)
{
	struct words *w;
	double *value, *sim, *stuck;
	bool *taken, cold = true;
	size_t got = 0;

	if (!n || !k)
		return 0;
	w = mn_xcalloc(n, sizeof(*w));
	value = mn_xcalloc(n, sizeof(*value));
	sim = mn_xcalloc(n, sizeof(*sim));
	taken = mn_xcalloc(n, sizeof(*taken));
	for (size_t i = 0; i < n; i++) {
		words_of(&w[i], c[i].text ? c[i].text : "", c[i].text ? c[i].len : 0);
		value[i] = mn_curriculum_value(&c[i]);
		taken[i] = c[i].labelled;
		cold = cold && !c[i].labelled;
	}
	if (cold)
		typical_values(value, c, w, n);
	stuck = mn_xcalloc(n, sizeof(*stuck));
	for (size_t l = 0; l < n; l++) {
		double u = c[l].unlearned < 0 ? 0 : c[l].unlearned > 1 ? 1 : c[l].unlearned;

		if (!c[l].labelled)
			continue;
		for (size_t i = 0; i < n; i++) {
			double j;

			if (taken[i])
				continue;
			j = jaccard(&w[i], &w[l]);
			if (j > sim[i])
				sim[i] = j;
			if (j * u > stuck[i])
				stuck[i] = j * u;
		}
	}
	/* what the student was taught counts half as much as this batch; what
	 * it was taught and did not learn counts in full */
	for (size_t i = 0; i < n; i++)
		if (!taken[i])
			value[i] *= (1.0 - LABELLED_OVERLAP_WEIGHT * sim[i]) * (1.0 - stuck[i]);
	memset(sim, 0, n * sizeof(*sim));
	free(stuck);
	while (got < k && got < n) {
		size_t best = n;
		double best_score = -1;

		for (size_t i = 0; i < n; i++) {
			double score;

			if (taken[i])
				continue;
			score = value[i] * (1.0 - sim[i]);
			if (score > best_score) {
				best_score = score;
				best = i;
			}
		}
		if (best == n)
			break;
		taken[best] = true;
		out_idx[got++] = best;
		for (size_t i = 0; i < n; i++) {
			double j;

			if (taken[i])
				continue;
			j = jaccard(&w[i], &w[best]);
			if (j > sim[i])
				sim[i] = j;
		}
	}
	free(w);
	free(value);
	free(sim);
	free(taken);
	return got;
}

/* ---- the run ---- */

struct tally {
	int attempted, passed, rejected, errors, moved, human_kept;
	int transport_in_row;
};

static bool teacher_configured(const struct mn_config *c)
{
	return c->teacher.provider && !strcmp(c->teacher.provider, "openai");
}

static json_t *phase_new(const char *status, const char *reason)
{
	json_t *p = json_pack("{s:s,s:s}", "name", "curriculum", "status", status);

	if (reason)
		json_object_set_new(p, "reason", json_string(reason));
	return p;
}

static int open_teacher(struct mn_ctx *a, struct mn_llm **out, struct mn_err *err)
{
	const struct mn_model_cfg *t = &a->cfg.teacher;
	struct mn_llm_opts o = { 0 };
	char *key = NULL;
	int ret;

	*out = NULL;
	ret = mn_config_api_key(&key, t, a->home, err);
	if (ret)
		return ret;
	o.endpoint = t->endpoint;
	o.model = t->model;
	o.api_key = key;
	o.timeout_s = t->timeout_s;
	o.max_retries = 1;
	o.backoff_ms = 500;
	ret = mn_llm_new(out, &o, err);
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	return ret;
}

/* The row failed once more without an accepted correction: recompute its
 * category with the new attempt count (moves it to ambiguous at the
 * limit). */
static int reclassify_row(struct mn_ctx *a, const struct mn_learn_row *r, int attempts,
			  bool *moved, struct mn_err *err)
{
	struct mn_exp_signals s = {
		.epr = r->epr,
		.ted = r->ted,
		.sc = r->sc,
		.fallback = r->fallback,
		.has_flags = json_array_size(r->flags) > 0,
		.confidence = r->confidence,
		.recall_count = r->recall_count,
		.recall_score = r->recall_score,
		.correction_attempts = attempts,
		.corrected = false,
	};
	const char *cat = mn_experience_classify(&s, a->cfg.learning.min_confidence,
						 a->cfg.learning.curriculum.max_correction_attempts);

	*moved = false;
	if (!strcmp(cat, r->category))
		return 0;
	*moved = true;
	return mn_store_exp_set_category(a->store, r->id, cat, err);
}

/* One row: ask the teacher, verify, store or reject. Returns a store error
 * only; teacher trouble is counted in t. */
static int correct_one(struct mn_ctx *a, struct mn_llm *llm, const struct mn_learn_row *r,
		       struct tally *t, struct mn_err *err)
{
	size_t max_chars = (size_t)a->cfg.encoding.max_input_chars;
	size_t seen = mn_prompt_input_len(r->content, r->content_len, max_chars);
	struct mn_err terr = MN_ERR_INIT;
	struct mn_metrics met;
	json_t *enc = NULL;
	char *raw_text = NULL, *compact = NULL;
	char why[320];
	bool counted = true, moved = false, accepted = false;
	int ret, rc;

	memset(&met, 0, sizeof(met));
	t->attempted++;
	/* The identical production prompt: same builder, same cut. */
	rc = mn_llm_encode(llm, &enc, &raw_text, r->content, r->content_len, r->source, r->type,
			   max_chars, &terr);
	if (rc == MN_EHTTP || rc == MN_ETIMEOUT) {
		/* The teacher did not answer: not the row's fault. */
		counted = false;
		t->errors++;
		t->transport_in_row++;
		snprintf(why, sizeof(why), "teacher unavailable: %s", terr.msg);
		mn_warn("curriculum", "memory %s: %s", r->memory_id, terr.msg);
		goto record;
	}
	t->transport_in_row = 0;
	if (rc) {
		t->rejected++;
		snprintf(why, sizeof(why), "rejected: %s", terr.msg);
		goto record;
	}
	/* What is verified is exactly what is stored and later trained on. */
	mn_verify_score(&met, r->content, seen, enc);
	if (!met.sc || met.ted || met.epr < MN_CURRICULUM_MIN_EPR) {
		t->rejected++;
		snprintf(why, sizeof(why), "rejected: sc %s%s%s, ted %s, epr %.3f (need >= %.2f)",
			 met.sc ? "yes" : "no", met.sc ? "" : " - ", met.sc ? "" : met.sc_reason,
			 met.ted ? "yes" : "no", met.epr, MN_CURRICULUM_MIN_EPR);
		goto record;
	}
	accepted = true;
	why[0] = '\0';
record:
	ret = mn_store_begin(a->store, err);
	if (ret)
		goto out;
	ret = mn_store_learn_record_attempt(a->store, r->memory_id, accepted ? NULL : why,
					    counted, err);
	if (ret)
		goto out;
	if (accepted) {
		compact = mn_json_dumps(enc);
		ret = mn_store_exp_set_correction(a->store, r->memory_id, compact, met.epr, met.fr,
						  met.sc, a->cfg.teacher.model ? a->cfg.teacher.model
									       : "teacher",
						  err);
		if (ret == MN_ENOTFOUND) {
			/* A human amended it meanwhile: the human wins. */
			mn_err_clear(err);
			ret = 0;
			t->human_kept++;
		} else if (!ret) {
			t->passed++;
		}
	} else if (counted) {
		ret = reclassify_row(a, r, r->correction_attempts + 1, &moved, err);
		if (moved)
			t->moved++;
	}
	if (!ret)
		ret = mn_store_commit(a->store, err);
	if (!ret && !accepted && counted)
		mn_info("curriculum", "memory %s: %s%s", r->memory_id, why,
			moved ? "; moved to ambiguous" : "");
out:
	if (ret)
		mn_store_rollback(a->store);
	mn_metrics_release(&met);
	json_decref(enc);
	free(raw_text);
	free(compact);
	return ret;
}

static json_t *budget_json(const struct mn_config *c, int used, int left)
{
	return json_pack("{s:i,s:i,s:i,s:i}", "per_cycle",
			 c->learning.curriculum.max_corrections_per_cycle, "per_day",
			 c->learning.curriculum.max_calls_per_day, "used_24h", used, "left",
			 left < 0 ? 0 : left);
}

/* The share of the judgment fields of a correction the current student
 * still gets wrong. Only the builtin student is asked (in-process, about
 * 0.1 ms); a student behind an API would cost a call per row, so its rows
 * count as learned (0). */
static double unlearned(struct mn_ctx *a, struct mn_encoder *enc, const struct mn_learn_row *r)
{
	static const char *const fields[] = { "significance", "emotional_tone", "outcome" };
	struct mn_encode_out o;
	struct mn_err e = MN_ERR_INIT;
	json_t *want;
	double wrong = 0;

	if (!enc || !r->corrected_output || !r->content)
		return 0;
	want = mn_json_parse(r->corrected_output, strlen(r->corrected_output), NULL);
	if (!want)
		return 0;
	memset(&o, 0, sizeof(o));
	if (!mn_encoder_encode(enc, &o, r->content,
			       mn_prompt_input_len(r->content, r->content_len,
						   (size_t)a->cfg.encoding.max_input_chars),
			       r->source, r->type, &e) &&
	    o.encoding) {
		for (size_t f = 0; f < 3; f++)
			wrong += strcmp(mn_json_str(o.encoding, fields[f], ""),
					mn_json_str(want, fields[f], "")) != 0;
	}
	mn_encode_out_release(&o);
	json_decref(want);
	return wrong / 3.0;
}

/* The rows to send, best first: mn_curriculum_select over the pool, with
 * the newest corrected rows as what the student was already taught. */
static size_t choose(struct mn_ctx *a, size_t *order, const struct mn_learn_row *rows, size_t n,
		     size_t k)
{
	struct mn_learn_row *taught = NULL;
	struct mn_encoder *enc = NULL;
	struct mn_err e = MN_ERR_INIT;
	size_t nt = 0, m = n, got;
	struct mn_curriculum_cand *cand;

	if (mn_store_learn_recent_rows(a->store, &taught, &nt, "", MN_CURRICULUM_TAUGHT, &e))
		mn_warn("curriculum", "could not read the corrected rows: %s", e.msg);
	if (a->cfg.student.provider && !strcmp(a->cfg.student.provider, "builtin") &&
	    mn_ctx_encoder(a, &enc, &e))
		enc = NULL;
	cand = mn_xcalloc(n + nt + 1, sizeof(*cand));
	for (size_t i = 0; i < nt; i++) {
		if (!taught[i].corrected_output)
			continue;
		cand[m].text = taught[i].content;
		cand[m].len = taught[i].content ? taught[i].content_len : 0;
		cand[m].labelled = true;
		/* only a row the current student was trained on can show what it
		 * could not learn; one still waiting for a run only spreads */
		if (taught[i].trained_in_run)
			cand[m].unlearned = unlearned(a, enc, &taught[i]);
		m++;
	}
	for (size_t i = 0; i < n; i++) {
		cand[i].text = rows[i].content;
		cand[i].len = rows[i].content ? rows[i].content_len : 0;
		cand[i].confidence = rows[i].confidence;
		cand[i].epr = rows[i].epr;
		cand[i].broken = !rows[i].sc || rows[i].ted;
		cand[i].flagged = json_array_size(rows[i].flags) > 0;
		cand[i].recall_count = rows[i].recall_count;
		cand[i].recall_score = rows[i].recall_score;
		cand[i].attempts = rows[i].correction_attempts;
	}
	got = mn_curriculum_select(order, cand, m, k);
	free(cand);
	mn_learn_rows_free(taught, nt);
	return got;
}

int mn_curriculum_run(struct mn_ctx *a, volatile sig_atomic_t *stop, json_t **out_phase,
		      struct mn_err *err)
{
	const struct mn_config *c = &a->cfg;
	struct mn_learn_row *rows = NULL;
	struct mn_llm *llm = NULL;
	struct tally t = { 0 };
	char last[MN_TIME_LEN], run_id[37] = "", reason[320];
	const char *status = "completed";
	json_t *p = NULL;
	size_t n = 0, chosen = 0, *order = NULL;
	int waiting = 0, used = 0, left = 0, limit = 0, ret = 0;
	int64_t last_ms;

	*out_phase = NULL;
	if (!teacher_configured(c)) {
		*out_phase = phase_new("skipped", "no teacher configured (teacher.provider is none)");
		return 0;
	}
	if (!c->learning.enabled) {
		*out_phase = phase_new("skipped", "learning.enabled is false");
		return 0;
	}
	ret = mn_store_learn_count_needs(a->store, &waiting, err);
	if (ret)
		return ret;
	ret = mn_store_learn_curriculum_last_completed(a->store, last, err);
	if (ret)
		return ret;
	if (last[0] && mn_time_parse(&last_ms, last)) {
		int64_t cool = (int64_t)(c->learning.curriculum.cooldown_hours * 3600000.0);
		int64_t next = last_ms + cool;

		if (mn_time_now_ms() < next) {
			char when[MN_TIME_LEN];

			mn_time_format(when, next);
			snprintf(reason, sizeof(reason),
				 "cooldown: the last completed run finished at %s; next run after "
				 "%s (learning.curriculum.cooldown_hours %g)",
				 last, when, c->learning.curriculum.cooldown_hours);
			p = phase_new("skipped", reason);
			json_object_set_new(p, "waiting", json_integer(waiting));
			*out_phase = p;
			return 0;
		}
	}
	if (waiting < c->learning.curriculum.min_needs_improvement || waiting == 0) {
		snprintf(reason, sizeof(reason),
			 "%d row%s need%s improvement, fewer than "
			 "learning.curriculum.min_needs_improvement (%d)",
			 waiting, waiting == 1 ? "" : "s", waiting == 1 ? "s" : "",
			 c->learning.curriculum.min_needs_improvement);
		if (waiting == 0)
			snprintf(reason, sizeof(reason), "no rows need improvement");
		p = phase_new("skipped", reason);
		json_object_set_new(p, "waiting", json_integer(waiting));
		*out_phase = p;
		return 0;
	}
	if (c->learning.curriculum.max_corrections_per_cycle <= 0) {
		p = phase_new("skipped", "learning.curriculum.max_corrections_per_cycle is 0");
		json_object_set_new(p, "waiting", json_integer(waiting));
		*out_phase = p;
		return 0;
	}
	{
		char since[MN_TIME_LEN];

		mn_time_format(since, mn_time_now_ms() - 24 * 3600 * 1000LL);
		ret = mn_store_learn_teacher_calls(a->store, since, &used, NULL, err);
		if (ret)
			return ret;
	}
	left = c->learning.curriculum.max_calls_per_day - used;
	if (left < 0)
		left = 0;
	limit = c->learning.curriculum.max_corrections_per_cycle;
	if (limit > left)
		limit = left;
	if (limit <= 0) {
		if (c->learning.curriculum.max_calls_per_day == 0)
			snprintf(reason, sizeof(reason), "learning.curriculum.max_calls_per_day is 0");
		else
			snprintf(reason, sizeof(reason),
				 "the teacher budget is spent: %d call%s in the last 24 hours "
				 "(learning.curriculum.max_calls_per_day %d)",
				 used, used == 1 ? "" : "s", c->learning.curriculum.max_calls_per_day);
		p = phase_new("skipped", reason);
		json_object_set_new(p, "waiting", json_integer(waiting));
		json_object_set_new(p, "budget", budget_json(c, used, left));
		*out_phase = p;
		return 0;
	}
	if (stop && *stop) {
		*out_phase = phase_new("interrupted", "stop requested before the run started");
		return 0;
	}
	{
		struct mn_err terr = MN_ERR_INIT;

		if (open_teacher(a, &llm, &terr)) {
			snprintf(reason, sizeof(reason), "could not set up the teacher: %s", terr.msg);
			p = phase_new("failed", reason);
			json_object_set_new(p, "waiting", json_integer(waiting));
			*out_phase = p;
			return 0;
		}
	}
	ret = mn_store_learn_curriculum_begin(a->store, run_id, c->teacher.model, err);
	if (ret)
		goto out;
	ret = mn_store_learn_curriculum_rows(a->store, &rows, &n, MN_CURRICULUM_POOL, err);
	if (ret)
		goto finish;
	order = mn_xcalloc(n + 1, sizeof(*order));
	chosen = choose(a, order, rows, n, (size_t)limit);
	mn_info("curriculum", "run %s: %zu of %d row(s) to the teacher %s (budget: %d this cycle, "
		"%d left of %d today)", run_id, chosen, waiting,
		c->teacher.model ? c->teacher.model : "", c->learning.curriculum.max_corrections_per_cycle,
		left, c->learning.curriculum.max_calls_per_day);
	reason[0] = '\0';
	for (size_t k = 0; k < chosen; k++) {
		size_t i = order[k];

		if (stop && *stop) {
			status = "interrupted";
			snprintf(reason, sizeof(reason), "stop requested after %d of %zu rows",
				 t.attempted, chosen);
			break;
		}
		ret = correct_one(a, llm, &rows[i], &t, err);
		if (!ret)
			ret = mn_store_learn_curriculum_progress(a->store, run_id, t.attempted,
								 t.passed, t.rejected + t.errors,
								 err);
		if (ret)
			break;
		if (t.transport_in_row >= TEACHER_MAX_TRANSPORT_FAILURES) {
			status = "failed";
			snprintf(reason, sizeof(reason),
				 "teacher unavailable: %d requests in a row failed", t.transport_in_row);
			break;
		}
	}
finish:
	if (ret) {
		/* The store failed mid-run: still close the run honestly. */
		struct mn_err ferr = MN_ERR_INIT;

		status = "failed";
		mn_store_learn_curriculum_finish(a->store, run_id, status, t.attempted, t.passed,
						 t.rejected + t.errors, err->msg, &ferr);
		goto out;
	}
	ret = mn_store_learn_curriculum_finish(a->store, run_id, status, t.attempted, t.passed,
					       t.rejected + t.errors, reason[0] ? reason : NULL,
					       err);
out:
	if (!ret) {
		p = phase_new(status, reason[0] ? reason : NULL);
		json_object_set_new(p, "run_id", json_string(run_id));
		json_object_set_new(p, "teacher", json_string(c->teacher.model ? c->teacher.model
										: ""));
		json_object_set_new(p, "waiting", json_integer(waiting));
		json_object_set_new(p, "budget", budget_json(c, used + t.attempted,
							     left - t.attempted));
		json_object_set_new(p, "attempted", json_integer(t.attempted));
		json_object_set_new(p, "passed", json_integer(t.passed));
		json_object_set_new(p, "rejected", json_integer(t.rejected));
		json_object_set_new(p, "errors", json_integer(t.errors));
		json_object_set_new(p, "moved_to_ambiguous", json_integer(t.moved));
		json_object_set_new(p, "human_kept", json_integer(t.human_kept));
		*out_phase = p;
	}
	mn_learn_rows_free(rows, n);
	free(order);
	mn_llm_free(llm);
	return ret;
}
