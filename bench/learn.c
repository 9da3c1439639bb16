/*
 * learn.c - what do teacher labels buy the builtin student, and does
 * choosing them well buy more?
 *
 * Scripted teachers label generated observations by rules the shipped
 * default cannot know and that are not linearly separable on bag-of-words
 * features (see the teachers below):
 *
 *   negation     ordinary words, negated or not: "did not fail", "no
 *                errors", "not critical" mean the opposite of their words
 *   noisy        the negation rules with 20% of every label replaced at
 *                random (an inconsistent teacher)
 *   interaction  three invented word pairs; each field is an XOR of two of
 *                them, so no single word says anything on its own
 *   numbers      the classes depend on numbers: latency, disk use, errors
 *   shift        seed-style wording ("deploy ... failed", "rolled back") with
 *                conventions that differ from the seed set's: a rollback is
 *                the fix, staging never matters, production always does
 *   mixed        each observation from one of the five above, at random
 *
 * For each teacher and seed, a pool of 6,000 unlabelled observations and a
 * holdout of 500 are drawn from the same rules. Two learners buy labels
 * from the pool:
 *
 *   random  the next observations in the pool (the pool is drawn at random);
 *   active  in rounds, the observations mn_curriculum_select picks - the
 *           curriculum's own selection (uncertainty from the student's
 *           confidence, diversity) - with the student retrained after each
 *           round, as the loop does between dream cycles.
 *
 * Each training run is what the loop does: train.raw.jsonl with the
 * labelled rows plus a replay share of the seed set (replay_ratio 0.3),
 * warm-started from the shipped default. Agreement is the mean over the
 * three judgment fields of exact agreement with the teacher's labels on the
 * holdout (the teacher's labels as given, noise included). Learning curves
 * after 100, 300, 1,000 and 3,000 labels are reported as the mean over the
 * seeds with a 95% t interval, and for each teacher how many labels active
 * selection needs to reach what random selection reaches with 1,000
 * (interpolated between the measured points, per seed).
 *
 * Build and run from the repository root:
 *
 *   make
 *   cc -std=c17 -O2 -D_GNU_SOURCE -iquote src bench/learn.c build/libmnemo.a \
 *      $(pkg-config --cflags --libs sqlite3 libcurl jansson libpcre2-8 yaml-0.1) \
 *      -llinear -lm -lpthread -o build/learn
 *   build/learn [-j JOBS] [-s SEEDS] [-t TEACHER[,TEACHER...]] [default-model-dir]
 *
 * Jobs (one teacher and seed each) run in parallel child processes (-j,
 * default: the CPUs online). Exit status 0 when, for every teacher the
 * student can learn, active selection reaches random's 1,000-label
 * agreement with at most 600 labels (mean over the seeds), 1 otherwise. A
 * teacher on which random selection gains under 2 points from 100 to 1,000
 * labels is one whose rule the student cannot represent (its features see
 * words, not thresholds on numbers or XORs of words): it is reported, not
 * judged.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/mem.h"
#include "core/datadir.h"
#include "learn/curriculum.h"
#include "model/student.h"
#include "train/student_train.h"

#define N_POOL       6000
#define N_HOLDOUT    500
#define REPLAY_RATIO 0.3
#define MAX_SEEDS    16
#define MATCH_AT     1000 /* random's agreement with this many labels ... */
#define MATCH_TARGET 600  /* ... active must reach with at most this many */
#define FLAT_PP      2.0  /* random gaining less from 100 to MATCH_AT: not judged */

/* Points of the learning curves. Random is measured where reported; active
 * after every round (labels bought between rounds: the next point). */
static const int random_at[] = { 100, 300, 600, 1000, 3000 };
static const int active_at[] = { 100, 200, 300, 400, 500, 600, 800, 1000, 1500, 2000, 3000 };
static const int report_at[] = { 100, 300, 600, 1000, 3000 };
#define N_RANDOM (sizeof(random_at) / sizeof(random_at[0]))
#define N_ACTIVE (sizeof(active_at) / sizeof(active_at[0]))
#define N_REPORT (sizeof(report_at) / sizeof(report_at[0]))

/* ---- a small deterministic generator ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return r->s = x;
}

static int rint_(struct rng *r, int lo, int hi) /* [lo, hi] */
{
	return lo + (int)(rnd(r) % (uint64_t)(hi - lo + 1));
}

#define PICK(r, list) (list[rnd(r) % (sizeof(list) / sizeof(list[0]))])

static const char *const sig_labels[] = { "routine", "notable", "important", "critical" };
static const char *const tone_labels[] = { "neutral", "satisfying", "frustrating", "exciting",
					   "concerning" };
static const char *const outcome_labels[] = { "success", "failure", "ongoing", "unknown" };

struct obs {
	char text[400];
	const char *significance, *tone, *outcome;
	double salience;
};

static const char *const subjects[] = {
	"the billing-api rollout", "the nightly import", "search reindexing",  "the auth cache",
	"the payment retry job",   "the report builder", "the mobile release", "log shipping",
	"the schema migration",    "the image pipeline", "session cleanup",    "the CSV exporter",
};

static const char *const distractors[] = {
	"All tests passed.",        "CI failed once but a retry went green.",
	"Deployed to staging.",     "Alice Chen reviewed it.",
	"No alerts fired.",         "Two tests failed on the first run.",
	"Rolled back the config change.", "",
};

static double salience_of(const char *sig)
{
	return !strcmp(sig, "critical") ? 0.9 : !strcmp(sig, "important") ? 0.7
	       : !strcmp(sig, "notable") ? 0.5 : 0.25;
}

/* The tone most teachers use: a failure worries on what matters and
 * annoys elsewhere, a success excites or satisfies the same way. */
static const char *tone_of(const char *outcome, const char *sig)
{
	bool high = !strcmp(sig, "critical") || !strcmp(sig, "important");

	if (!strcmp(outcome, "failure"))
		return high ? "concerning" : "frustrating";
	if (!strcmp(outcome, "success"))
		return high ? "exciting" : "satisfying";
	return "neutral";
}

static void capitalise(char *s)
{
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 32);
}

/* negation: the words say one thing, the negation the other. */
static void t_negation(struct obs *o, struct rng *r)
{
	static const char *const sev[] = { "critical", "urgent", "minor" };
	const char *subj = PICK(r, subjects);
	int verb = rint_(r, 0, 3), neg = rint_(r, 0, 1), sv = rint_(r, 0, 2),
	    sneg = rint_(r, 0, 1);
	char a[200], b[120];

	switch (verb) {
	case 0:
		snprintf(a, sizeof(a), neg ? "%s did not fail" : "%s failed", subj);
		o->outcome = neg ? "success" : "failure";
		break;
	case 1:
		snprintf(a, sizeof(a), neg ? "%s did not succeed" : "%s succeeded", subj);
		o->outcome = neg ? "failure" : "success";
		break;
	case 2:
		snprintf(a, sizeof(a), neg ? "no errors in %s" : "errors in %s", subj);
		o->outcome = neg ? "success" : "failure";
		break;
	default:
		snprintf(a, sizeof(a), neg ? "%s has not finished yet" : "%s finished", subj);
		o->outcome = neg ? "ongoing" : "success";
		break;
	}
	snprintf(b, sizeof(b), sneg ? "this is not %s" : "this is %s", sev[sv]);
	if (sneg)
		o->significance = sv == 2 ? "important" : "routine";
	else
		o->significance = sv == 0 ? "critical" : sv == 1 ? "important" : "notable";
	o->tone = tone_of(o->outcome, o->significance);
	capitalise(a);
	if (rnd(r) % 2)
		snprintf(o->text, sizeof(o->text), "%s; %s. %s (ticket %d)", a, b,
			 PICK(r, distractors), rint_(r, 1000, 9999));
	else
		snprintf(o->text, sizeof(o->text), "%s: %s. %s (ticket %d)", b, a,
			 PICK(r, distractors), rint_(r, 1000, 9999));
	capitalise(o->text);
}

/* noisy: the negation teacher's rules, 20% of each label then replaced at
 * random (an inconsistent teacher). */
static void t_noisy(struct obs *o, struct rng *r)
{
	t_negation(o, r);
	if (rnd(r) % 100 < 20)
		o->significance = PICK(r, sig_labels);
	if (rnd(r) % 100 < 20)
		o->tone = PICK(r, tone_labels);
	if (rnd(r) % 100 < 20)
		o->outcome = PICK(r, outcome_labels);
}

/* interaction: every field is an XOR of two invented word pairs. */
static void t_interaction(struct obs *o, struct rng *r)
{
	static const char *const aw[] = { "emberline", "frostline" };
	static const char *const bw[] = { "daytime", "overnight" };
	static const char *const cw[] = { "paged", "unpaged" };
	static const char *const dw[] = { "closed", "pending" };
	int a = rint_(r, 0, 1), b = rint_(r, 0, 1), c = rint_(r, 0, 1), d = rint_(r, 0, 3) == 0;

	snprintf(o->text, sizeof(o->text),
		 "%s report for %s: %s shift, %s, ticket %s. %s (ticket %d)",
		 aw[a], PICK(r, subjects), bw[b], cw[c], dw[d], PICK(r, distractors),
		 rint_(r, 1000, 9999));
	capitalise(o->text);
	o->significance = sig_labels[(a ^ b) * 2 + (b ^ c)];
	o->outcome = d ? "ongoing" : (a ^ c) ? "failure" : "success";
	o->tone = tone_of(o->outcome, o->significance);
}

/* numbers: latency, disk use and error counts decide. */
static void t_numbers(struct obs *o, struct rng *r)
{
	int lat = rint_(r, 40, 900), disk = rint_(r, 10, 99);
	int errs = rnd(r) % 2 ? 0 : rint_(r, 1, 60);

	snprintf(o->text, sizeof(o->text),
		 "%s: p95 latency %d ms, disk at %d%%, %d errors in the last hour. %s",
		 PICK(r, subjects), lat, disk, errs, PICK(r, distractors));
	capitalise(o->text);
	o->outcome = lat > 400 ? "failure" : errs ? "ongoing" : "success";
	o->significance = disk > 90 ? "critical" : disk > 75 ? "important"
			  : disk > 50 ? "notable" : "routine";
	o->tone = tone_of(o->outcome, o->significance);
}

/* shift: the seed set's words under this user's conventions. */
static void t_shift(struct obs *o, struct rng *r)
{
	static const char *const env[] = { "staging", "production", "sandbox", "canary" };
	static const char *const res[] = { "failed", "succeeded", "was rolled back",
					   "is in progress", "passed all checks", "hit errors" };
	static const char *const who[] = { "Alice Chen", "Bob Jones", "Omar Aziz", "Mei Lin" };
	int e = rint_(r, 0, 3), x = rint_(r, 0, 5);
	bool bad = x == 0 || x == 5;

	snprintf(o->text, sizeof(o->text), "Deploy of %s to %s %s. %s checked it at %02d:%02d.",
		 PICK(r, subjects), env[e], res[x], PICK(r, who), rint_(r, 0, 23), rint_(r, 0, 59));
	o->outcome = x == 3 ? "ongoing" : bad ? "failure" : "success";
	if (e == 0 || e == 2) {
		o->significance = "routine";
		o->tone = "neutral";
		return;
	}
	o->significance = e == 1 ? (bad || x == 2 ? "critical" : "notable") : "important";
	o->tone = !strcmp(o->outcome, "failure") ? (e == 1 ? "concerning" : "frustrating")
		  : !strcmp(o->outcome, "success") && e == 1 ? "satisfying"
							    : "neutral";
}

/* mixed: each observation from one of the others, chosen at random. */
static void t_mixed(struct obs *o, struct rng *r)
{
	switch (rnd(r) % 5) {
	case 0:
		t_noisy(o, r);
		break;
	case 1:
		t_negation(o, r);
		break;
	case 2:
		t_interaction(o, r);
		break;
	case 3:
		t_numbers(o, r);
		break;
	default:
		t_shift(o, r);
		break;
	}
}

struct teacher {
	const char *name;
	void (*make)(struct obs *o, struct rng *r);
};

static const struct teacher teachers[] = {
	{ "noisy", t_noisy },   { "negation", t_negation }, { "interaction", t_interaction },
	{ "numbers", t_numbers }, { "shift", t_shift },   { "mixed", t_mixed },
};
#define N_TEACHERS (sizeof(teachers) / sizeof(teachers[0]))

/* ---- timing ---- */

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double wall_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- the loop ---- */

static void die(const char *what, const struct mn_err *err)
{
	fprintf(stderr, "learn: %s: %s\n", what, err ? err->msg : "");
	exit(2);
}

static json_t *encode(const struct mn_student *s, const struct obs *o, double *conf)
{
	json_t *enc = NULL;

	if (mn_student_encode(s, &enc, conf, o->text, strlen(o->text), "cli", "observation"))
		die("encode failed", NULL);
	return enc;
}

/* Mean agreement (percent) with the teacher over the three enum fields. */
static double agreement(const struct mn_student *s, const struct obs *hold, size_t n)
{
	size_t agree = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *enc = encode(s, &hold[i], NULL);

		agree += !strcmp(mn_json_str(enc, "significance", ""), hold[i].significance);
		agree += !strcmp(mn_json_str(enc, "emotional_tone", ""), hold[i].tone);
		agree += !strcmp(mn_json_str(enc, "outcome", ""), hold[i].outcome);
		json_decref(enc);
	}
	return 100.0 * (double)agree / (3.0 * (double)n);
}

/* The teacher's correction of the default encoding: same extractive fields,
 * the rule's judgment. */
static void append_row(struct mn_buf *out, const struct mn_student *def, const struct obs *o)
{
	json_t *enc = encode(def, o, NULL), *row;
	char *line;

	json_object_set_new(enc, "significance", json_string(o->significance));
	json_object_set_new(enc, "emotional_tone", json_string(o->tone));
	json_object_set_new(enc, "outcome", json_string(o->outcome));
	json_object_set_new(enc, "salience", json_real(o->salience));
	row = json_pack("{s:s,s:o,s:s,s:n,s:s,s:f,s:s,s:s}", "raw_input", o->text, "encoded", enc,
			"task_type", "encoding", "memory_id", "source", "corrected", "epr", 1.0,
			"memory_type", "observation", "memory_source", "cli");
	line = mn_json_dumps(row);
	mn_buf_adds(out, line);
	mn_buf_addc(out, '\n');
	free(line);
	json_decref(row);
}

struct job {
	const struct teacher *t;
	int seed;
	const char *def_dir, *dir;
	const struct mn_student *def;
	const struct mn_buf *seed_set;
	double train_cpu_1000, train_wall_1000;
};

/* Train on the labelled rows idx[0..n) plus replay, warm-started from the
 * default; *model is replaced. */
static void train_on(struct job *j, const struct obs *pool, const size_t *idx, size_t n,
		     struct mn_student **model)
{
	struct mn_buf rows = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char *batch = mn_xasprintf("%s/batch", j->dir), *out = mn_xasprintf("%s/model", j->dir);
	char *path = mn_xasprintf("%s/train.raw.jsonl", batch);
	struct mn_student_train_opts o = { batch, out, j->def_dir, 42, false };
	size_t replay = (size_t)((double)n * REPLAY_RATIO / (1.0 - REPLAY_RATIO));
	double c0, w0;

	for (size_t i = 0; i < n; i++)
		append_row(&rows, j->def, &pool[idx[i]]);
	for (size_t i = 0, k = 0; i < j->seed_set->len && k < replay; k++) {
		const char *nl = memchr(j->seed_set->data + i, '\n', j->seed_set->len - i);
		size_t len = nl ? (size_t)(nl - j->seed_set->data - i) + 1 : j->seed_set->len - i;

		mn_buf_add(&rows, j->seed_set->data + i, len);
		i += len;
	}
	if (mn_file_mkdir_p(batch, 0700, &err) ||
	    mn_file_write_atomic(path, rows.data, rows.len, 0644, &err))
		die("write batch", &err);
	c0 = cpu_now();
	w0 = wall_now();
	if (mn_student_train(&o, &err))
		die("train", &err);
	if (n == 1000) {
		j->train_cpu_1000 = cpu_now() - c0;
		j->train_wall_1000 = wall_now() - w0;
	}
	mn_student_free(*model);
	*model = NULL;
	if (mn_student_load(model, out, &err))
		die("load", &err);
	mn_buf_release(&rows);
	free(path);
	free(batch);
	free(out);
}

/* One teacher and seed: both curves. Written as one line to fd:
 * "random a1 a2 ... | active b1 b2 ... | cpu wall". */
static void run_job(struct job *j, FILE *out)
{
	static struct obs pool[N_POOL], hold[N_HOLDOUT];
	struct rng r = { 0x9E3779B97F4A7C15ULL ^ ((uint64_t)(j->seed + 1) * 0x100000001B3ULL) };
	struct mn_student *m = NULL;
	size_t *idx = mn_xcalloc(N_POOL, sizeof(*idx)), have = 0;
	bool *labelled = mn_xcalloc(N_POOL, sizeof(*labelled));
	double ra[N_RANDOM], aa[N_ACTIVE];

	for (int i = 0; i < 50; i++)
		rnd(&r);
	for (size_t i = 0; i < N_POOL; i++) {
		j->t->make(&pool[i], &r);
		pool[i].salience = salience_of(pool[i].significance);
	}
	for (size_t i = 0; i < N_HOLDOUT; i++) {
		j->t->make(&hold[i], &r);
		hold[i].salience = salience_of(hold[i].significance);
	}
	/* random: the pool in the order it was drawn */
	for (size_t i = 0; i < N_POOL; i++)
		idx[i] = i;
	for (size_t k = 0; k < N_RANDOM; k++) {
		train_on(j, pool, idx, (size_t)random_at[k], &m);
		ra[k] = agreement(m, hold, N_HOLDOUT);
	}
	/* active: rounds, each chosen by the current model */
	mn_student_free(m);
	m = NULL;
	for (size_t k = 0; k < N_ACTIVE; k++) {
		const struct mn_student *cur = m ? m : j->def;
		struct mn_curriculum_cand *cand = mn_xcalloc(N_POOL, sizeof(*cand));
		size_t *map = mn_xcalloc(N_POOL, sizeof(*map)), *pick;
		size_t nc = 0, want = (size_t)active_at[k] - have, got;

		for (size_t i = 0; i < N_POOL; i++) {
			double conf = 0;

			if (!labelled[i]) {
				json_decref(encode(cur, &pool[i], &conf));
			} else {
				json_t *e = encode(cur, &pool[i], NULL);

				cand[nc].unlearned =
					(strcmp(mn_json_str(e, "significance", ""),
						pool[i].significance) != 0) +
					(strcmp(mn_json_str(e, "emotional_tone", ""), pool[i].tone) !=
					 0) +
					(strcmp(mn_json_str(e, "outcome", ""), pool[i].outcome) != 0);
				cand[nc].unlearned /= 3.0;
				json_decref(e);
			}
			cand[nc].text = pool[i].text;
			cand[nc].len = strlen(pool[i].text);
			cand[nc].confidence = conf;
			cand[nc].epr = 1.0;
			cand[nc].labelled = labelled[i];
			map[nc++] = i;
		}
		pick = mn_xcalloc(want + 1, sizeof(*pick));
		got = mn_curriculum_select(pick, cand, nc, want);
		for (size_t i = 0; i < got; i++) {
			labelled[map[pick[i]]] = true;
			idx[have++] = map[pick[i]];
		}
		free(pick);
		free(map);
		free(cand);
		train_on(j, pool, idx, have, &m);
		aa[k] = agreement(m, hold, N_HOLDOUT);
	}
	fprintf(out, "random");
	for (size_t k = 0; k < N_RANDOM; k++)
		fprintf(out, " %.3f", ra[k]);
	fprintf(out, " active");
	for (size_t k = 0; k < N_ACTIVE; k++)
		fprintf(out, " %.3f", aa[k]);
	fprintf(out, " default %.3f time %.3f %.3f\n", agreement(j->def, hold, N_HOLDOUT),
		j->train_cpu_1000, j->train_wall_1000);
	mn_student_free(m);
	free(idx);
	free(labelled);
}

struct result {
	bool ok;
	double random[N_RANDOM], active[N_ACTIVE], def, cpu, wall;
};

static bool read_result(struct result *res, const char *path)
{
	FILE *f = fopen(path, "r");
	bool ok = false;

	memset(res, 0, sizeof(*res));
	if (!f)
		return false;
	if (fscanf(f, "random") == 0) {
		size_t k;

		for (k = 0; k < N_RANDOM; k++)
			if (fscanf(f, " %lf", &res->random[k]) != 1)
				break;
		if (k == N_RANDOM && fscanf(f, " active") == 0) {
			for (k = 0; k < N_ACTIVE; k++)
				if (fscanf(f, " %lf", &res->active[k]) != 1)
					break;
			ok = k == N_ACTIVE && fscanf(f, " default %lf time %lf %lf", &res->def,
						     &res->cpu, &res->wall) == 3;
		}
	}
	fclose(f);
	res->ok = ok;
	return ok;
}

/* two-sided 95% t quantiles for df = 1..15 */
static const double t95[] = { 0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
			      2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131 };

static void mean_ci(const double *v, int n, double *mean, double *half)
{
	double s = 0, ss = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	*mean = n ? s / n : 0;
	for (int i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*half = n > 1 ? t95[n - 1 < 15 ? n - 1 : 15] * sqrt(ss / (n - 1)) / sqrt((double)n) : 0;
}

/* Labels active needs to reach `target` (linear between its points);
 * -1 when it never does within the curve. */
static double labels_to_reach(const double *curve, double target)
{
	for (size_t k = 0; k < N_ACTIVE; k++) {
		if (curve[k] + 1e-9 < target)
			continue;
		if (k == 0)
			return active_at[0];
		return active_at[k - 1] + (active_at[k] - active_at[k - 1]) *
						  (target - curve[k - 1]) / (curve[k] - curve[k - 1]);
	}
	return -1;
}

static double at(const double *curve, const int *points, size_t n, int labels)
{
	for (size_t k = 0; k < n; k++)
		if (points[k] == labels)
			return curve[k];
	return NAN;
}

static double encode_us_per_kb(const struct mn_student *s)
{
	static const char para[] =
		"Deploy of billing-api v2.3.1 to production failed: connection refused at "
		"/etc/nginx/nginx.conf. Alice Chen rolled back to v2.3.0 because 502 errors hit "
		"1,204 users for 12 minutes; we will retry after the Redis upgrade on Friday.\n";
	char text[1025];
	size_t n = 0;
	double best = 1e9;

	while (n + sizeof(para) - 1 <= 1024) {
		memcpy(text + n, para, sizeof(para) - 1);
		n += sizeof(para) - 1;
	}
	memset(text + n, 'x', 1024 - n);
	n = 1024;
	text[n] = '\0';
	for (int batch = 0; batch < 20; batch++) {
		double t0 = cpu_now(), t;

		for (int i = 0; i < 200; i++) {
			json_t *enc = NULL;
			double conf;

			mn_student_encode(s, &enc, &conf, text, n, "cli", "error");
			json_decref(enc);
		}
		t = (cpu_now() - t0) / 200;
		if (t < best)
			best = t;
	}
	return best * 1e6;
}

static bool wanted(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list)
		return true;
	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct mn_student *def = NULL;
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf seed = MN_BUF_INIT;
	char *def_dir = NULL, *seed_path;
	char base[] = "/tmp/mnemo-learn-XXXXXX";
	const char *only = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = ncpu > 0 ? (int)ncpu : 1, seeds = 5, opt, running = 0;
	struct result (*res)[MAX_SEEDS];
	pid_t *pids;
	int njobs = 0;
	double cpu_max = 0, wall_max = 0;
	bool ok = true;
	int measured = 0, judged = 0;

	while ((opt = getopt(argc, argv, "j:s:t:")) != -1) {
		if (opt == 'j')
			jobs = atoi(optarg);
		else if (opt == 's')
			seeds = atoi(optarg);
		else if (opt == 't')
			only = optarg;
		else
			return 2;
	}
	if (jobs < 1)
		jobs = 1;
	if (seeds < 2 || seeds > MAX_SEEDS) {
		fprintf(stderr, "learn: -s takes 2..%d seeds\n", MAX_SEEDS);
		return 2;
	}
	if (optind < argc) {
		def_dir = mn_xstrdup(argv[optind]);
	} else {
		char *p = mn_datadir_find("default-model/model.bin");

		if (!p)
			die("no default model (data/default-model/model.bin)", NULL);
		def_dir = mn_file_dirname(p);
		free(p);
	}
	seed_path = mn_datadir_find("seed/seed.raw.jsonl");
	if (!seed_path || mn_file_read(&seed, seed_path, 1 << 26, &err))
		die("no seed set (data/seed/seed.raw.jsonl)", &err);
	if (mn_student_load(&def, def_dir, &err))
		die("load default", &err);
	if (!mkdtemp(base))
		die("mkdtemp", NULL);
	res = mn_xcalloc(N_TEACHERS, sizeof(*res));
	pids = mn_xcalloc(N_TEACHERS * MAX_SEEDS, sizeof(*pids));

	/* one child per teacher and seed, at most `jobs` at a time */
	for (size_t t = 0; t < N_TEACHERS; t++) {
		if (!wanted(only, teachers[t].name))
			continue;
		for (int s = 0; s < seeds; s++) {
			char *dir = mn_xasprintf("%s/%s-%d", base, teachers[t].name, s);
			pid_t pid;

			if (running >= jobs) {
				wait(NULL);
				running--;
			}
			if (mn_file_mkdir_p(dir, 0700, &err))
				die("mkdir", &err);
			fflush(stdout);
			pid = fork();
			if (pid < 0)
				die("fork", NULL);
			if (pid == 0) {
				struct job j = { &teachers[t], s, def_dir, dir, def, &seed, 0, 0 };
				char *path = mn_xasprintf("%s/result.txt", dir);
				FILE *f = fopen(path, "w");

				if (!f)
					_exit(2);
				run_job(&j, f);
				fclose(f);
				_exit(0);
			}
			pids[njobs++] = pid;
			running++;
			free(dir);
		}
	}
	while (running > 0 && wait(NULL) > 0)
		running--;

	printf("builtin student: learning curves, active (mn_curriculum_select) vs random label "
	       "selection\n");
	printf("agreement with the teacher's labels on a %d-item holdout, mean over the three "
	       "judgment fields;\nmean of %d seeds with a 95%% t interval; pool %d, replay ratio "
	       "%.1f, warm start from the default\n\n",
	       N_HOLDOUT, seeds, N_POOL, REPLAY_RATIO);
	for (size_t t = 0; t < N_TEACHERS; t++) {
		double v[MAX_SEEDS], w[MAX_SEEDS], mean, half, mean2, half2, need[MAX_SEEDS];
		int n = 0, reached = 0;
		bool flat;

		if (!wanted(only, teachers[t].name))
			continue;
		for (int s = 0; s < seeds; s++) {
			char *path = mn_xasprintf("%s/%s-%d/result.txt", base, teachers[t].name, s);

			if (!read_result(&res[t][s], path))
				fprintf(stderr, "learn: %s seed %d produced no result\n",
					teachers[t].name, s);
			free(path);
		}
		for (int s = 0; s < seeds; s++)
			if (res[t][s].ok)
				v[n++] = res[t][s].def;
		if (n < 2) {
			ok = false;
			continue;
		}
		mean_ci(v, n, &mean, &half);
		printf("teacher `%s` (default weights: %.1f%%)\n\n", teachers[t].name, mean);
		printf("| labels | random | active |\n|---:|---:|---:|\n");
		for (size_t k = 0; k < N_REPORT; k++) {
			n = 0;
			for (int s = 0; s < seeds; s++) {
				if (!res[t][s].ok)
					continue;
				v[n] = at(res[t][s].random, random_at, N_RANDOM, report_at[k]);
				w[n++] = at(res[t][s].active, active_at, N_ACTIVE, report_at[k]);
			}
			mean_ci(v, n, &mean, &half);
			mean_ci(w, n, &mean2, &half2);
			printf("| %d | %.1f ± %.1f | %.1f ± %.1f |\n", report_at[k], mean, half, mean2,
			       half2);
		}
		n = 0;
		for (int s = 0; s < seeds; s++) {
			double target, l;

			if (!res[t][s].ok)
				continue;
			target = at(res[t][s].random, random_at, N_RANDOM, MATCH_AT);
			l = labels_to_reach(res[t][s].active, target);
			need[n++] = l < 0 ? 3000 * 2.0 : l; /* never: counted as twice the curve */
			reached += l >= 0;
			if (res[t][s].cpu > cpu_max)
				cpu_max = res[t][s].cpu;
			if (res[t][s].wall > wall_max)
				wall_max = res[t][s].wall;
		}
		measured++;
		mean_ci(need, n, &mean, &half);
		{
			double r100[MAX_SEEDS], r1000[MAX_SEEDS], m100, h100, m1000, h1000;
			int k = 0;

			for (int s = 0; s < seeds; s++) {
				if (!res[t][s].ok)
					continue;
				r100[k] = at(res[t][s].random, random_at, N_RANDOM, 100);
				r1000[k++] = at(res[t][s].random, random_at, N_RANDOM, MATCH_AT);
			}
			mean_ci(r100, k, &m100, &h100);
			mean_ci(r1000, k, &m1000, &h1000);
			/* Random selection that gains nothing from 100 to 1,000 labels
			 * means the student cannot represent this teacher's rule:
			 * "reaching" its 1,000-label agreement is then noise, and the
			 * teacher is reported but not judged. */
			flat = m1000 - m100 < FLAT_PP;
		}
		printf("\nlabels active needs to reach random's %d-label agreement: %.0f ± %.0f "
		       "(%d of %d seeds reach it within 3,000) - %s\n\n",
		       MATCH_AT, mean, half, reached, n,
		       flat ? "not judged: random gains under 2 points from 100 to 1,000 labels "
			      "(the student cannot represent this rule)"
		       : mean <= MATCH_TARGET ? "met"
					      : "NOT met");
		if (!flat && mean > MATCH_TARGET)
			ok = false;
		judged += !flat;
	}
	if (!measured || !judged)
		ok = false;
	printf("encode: %.1f us per 1 KB observation (CPU time, best of 20 batches)\n",
	       encode_us_per_kb(def));
	printf("train: 1,000 labels (+%d replay) in at most %.2f s CPU, %.2f s wall (warm start, "
	       "slowest job)\n",
	       (int)(1000 * REPLAY_RATIO / (1.0 - REPLAY_RATIO)), cpu_max, wall_max);
	printf("\n%s: active selection reaches random's %d-label agreement with at most %d labels "
	       "for every teacher the student can learn (%d judged of %d)\n",
	       ok ? "PASS" : "FAIL", MATCH_AT, MATCH_TARGET, judged, measured);
	{
		struct mn_err rerr = MN_ERR_INIT;

		mn_file_remove_tree(base, &rerr);
	}
	(void)pids;
	free(pids);
	free(res);
	mn_student_free(def);
	mn_buf_release(&seed);
	free(def_dir);
	free(seed_path);
	return ok ? 0 : 1;
}
