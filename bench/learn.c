/*
 * learn.c - does the builtin student learn what a teacher tells it?
 *
 * A scripted teacher labels a stream of generated observations by rules the
 * default weights cannot know: significance, tone, outcome and salience are
 * keyed on invented project and status words, the tone on a combination of
 * both, with 8% label noise (see the rules below); the observations also
 * carry misleading ordinary cues ("passed", "failed", "deployed"...). The student is trained
 * as the real loop does it - train.raw.jsonl in a batch directory holding
 * the teacher's corrections plus a replay share of the seed set
 * (replay_ratio 0.3), warm-started from the incumbent - on the first 200,
 * 500 and 1,000 labelled examples, and after each run its agreement with
 * the teacher on a separate holdout is compared with the untrained default
 * weights. A from-scratch run (no incumbent) is reported alongside.
 * It also measures encode time per 1 KB observation and the training time
 * for 1,000 examples.
 *
 * Build and run from the repository root:
 *
 *   make
 *   cc -std=c17 -O2 -D_GNU_SOURCE -iquote src bench/learn.c build/libmnemo.a \
 *      $(pkg-config --cflags --libs sqlite3 libcurl jansson libpcre2-8 yaml-0.1) \
 *      -llinear -lm -lpthread -o build/learn
 *   build/learn [default-model-dir]
 *
 * Exit status 0 when the student gains at least 25 points of enum agreement
 * after 1,000 examples and never falls between steps, 1 otherwise.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/mem.h"
#include "core/datadir.h"
#include "model/student.h"
#include "train/student_train.h"

#define N_TRAIN      1000
#define N_HOLDOUT    300
#define REPLAY_RATIO 0.3

/* ---- a small deterministic generator ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static const char *pick(const char *const *list, size_t n)
{
	return list[rnd() % n];
}

#define PICK(list) pick(list, sizeof(list) / sizeof(list[0]))

/* The teacher's rules, on invented words the seed set never uses:
 *  - the project codename decides significance (and salience);
 *  - the status word decides the outcome;
 *  - the tone depends on both: a failure is "concerning" on a critical or
 *    important project and "frustrating" otherwise, a success "exciting"
 *    or "satisfying" the same way, anything else "neutral".
 * 8% of the training labels are replaced at random (an inconsistent
 * teacher); the holdout labels are clean. */
struct project {
	const char *word, *significance;
	double salience;
	bool high;
};

struct status {
	const char *word, *outcome, *tone_high, *tone_low;
};

static const struct project projects[] = {
	{ "zephyrine", "critical", 0.9, true },
	{ "quorbel", "important", 0.7, true },
	{ "lindqvar", "notable", 0.5, false },
	{ "pamfrey", "routine", 0.25, false },
};

static const struct status statuses[] = {
	{ "kalvora", "failure", "concerning", "frustrating" },
	{ "brintle", "success", "exciting", "satisfying" },
	{ "moxiquad", "ongoing", "neutral", "neutral" },
	{ "trelund", "unknown", "neutral", "neutral" },
};

static const char *const sig_labels[] = { "routine", "notable", "important", "critical" };
static const char *const tone_labels[] = { "neutral", "satisfying", "frustrating", "exciting",
					   "concerning" };
static const char *const outcome_labels[] = { "success", "failure", "ongoing", "unknown" };

static const char *const subjects[] = {
	"the billing-api rollout", "the nightly import", "search reindexing",  "the auth cache",
	"the payment retry job",   "the report builder", "the mobile release", "log shipping",
	"the schema migration",    "the image pipeline", "session cleanup",    "the CSV exporter",
};

static const char *const distractors[] = {
	"All tests passed.",
	"CI failed once but a retry went green.",
	"Deployed to staging.",
	"Latency is 120 ms at p95.",
	"Alice Chen reviewed it.",
	"No alerts fired.",
	"Two tests failed on the first run.",
	"Rolled back the config change.",
	"",
};

static const char *const frames[] = {
	"%s for %s: %s phase reached.",
	"Update on %s (%s) - the %s checkpoint is where we are now.",
	"In %s, %s moved into %s mode this morning.",
	"Marked %s of %s as %s in the tracker.",
	"%s: the team flagged %s as %s.",
};

struct obs {
	char text[400];
	const char *significance, *tone, *outcome;
	double salience;
};

static void make_obs(struct obs *o, bool noisy)
{
	const struct project *pr = &projects[rnd() % 4];
	const struct status *st = &statuses[rnd() % 4];
	char head[300];

	/* -Wformat-nonliteral: the frames are ours and all take three strings */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (rnd() % 2)
		snprintf(head, sizeof(head), PICK(frames), pr->word, PICK(subjects), st->word);
	else
		snprintf(head, sizeof(head), "%s %s %s, said the %s team.", PICK(subjects),
			 rnd() % 2 ? "is" : "went", st->word, pr->word);
#pragma GCC diagnostic pop
	head[0] = (char)(head[0] >= 'a' && head[0] <= 'z' ? head[0] - 32 : head[0]);
	snprintf(o->text, sizeof(o->text), "%s %s (ticket %llu)", head, PICK(distractors),
		 (unsigned long long)(rnd() % 9000 + 1000));
	o->significance = pr->significance;
	o->salience = pr->salience;
	o->outcome = st->outcome;
	o->tone = pr->high ? st->tone_high : st->tone_low;
	if (noisy && rnd() % 100 < 8) {
		o->significance = PICK(sig_labels);
		o->tone = PICK(tone_labels);
		o->outcome = PICK(outcome_labels);
	}
}

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

static int die(const char *what, const struct mn_err *err)
{
	fprintf(stderr, "learn: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* Mean agreement with the teacher over the three enum fields. */
static double agreement(const struct mn_student *s, const struct obs *hold, size_t n)
{
	size_t agree = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *enc = NULL;
		double conf;

		if (mn_student_encode(s, &enc, &conf, hold[i].text, strlen(hold[i].text), "cli",
				      "observation"))
			die("encode failed", NULL);
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
	json_t *enc = NULL, *row;
	double conf;
	char *line;

	if (mn_student_encode(def, &enc, &conf, o->text, strlen(o->text), "cli", "observation"))
		die("encode failed", NULL);
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

/* Train on the first n corrections plus replay; returns CPU seconds. */
static double train_step(const char *batch, const char *out, const char *incumbent,
			 const struct mn_student *def, const struct obs *train, size_t n,
			 const struct mn_buf *seed, struct mn_student **model, double *wall)
{
	struct mn_buf rows = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_student_train_opts o = { batch, out, incumbent, 42, false };
	size_t replay = (size_t)((double)n * REPLAY_RATIO / (1.0 - REPLAY_RATIO));
	char *path = mn_xasprintf("%s/train.raw.jsonl", batch);
	double c0, w0, c1;

	for (size_t i = 0; i < n; i++)
		append_row(&rows, def, &train[i]);
	/* replay: the first `replay` rows of the seed set (as the loop's
	 * replay_dataset) */
	for (size_t i = 0, k = 0; i < seed->len && k < replay; k++) {
		const char *nl = memchr(seed->data + i, '\n', seed->len - i);
		size_t len = nl ? (size_t)(nl - seed->data - i) + 1 : seed->len - i;

		mn_buf_add(&rows, seed->data + i, len);
		i += len;
	}
	if (mn_file_write_atomic(path, rows.data, rows.len, 0644, &err))
		die("write batch", &err);
	c0 = cpu_now();
	w0 = wall_now();
	if (mn_student_train(&o, &err))
		die("train", &err);
	c1 = cpu_now();
	*wall = wall_now() - w0;
	mn_student_free(*model);
	if (mn_student_load(model, out, &err))
		die("load", &err);
	mn_buf_release(&rows);
	free(path);
	return c1 - c0;
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
		double t0 = cpu_now();

		for (int i = 0; i < 200; i++) {
			json_t *enc = NULL;
			double conf;

			mn_student_encode(s, &enc, &conf, text, n, "cli", "error");
			json_decref(enc);
		}
		double t = (cpu_now() - t0) / 200;

		if (t < best)
			best = t;
	}
	return best * 1e6;
}

int main(int argc, char **argv)
{
	static struct obs train[N_TRAIN], hold[N_HOLDOUT];
	static const size_t steps[] = { 200, 500, 1000 };
	struct mn_student *def = NULL, *warm = NULL, *cold = NULL;
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf seed = MN_BUF_INIT;
	char *def_dir, *seed_path;
	char base[] = "/tmp/mnemo-learn-XXXXXX";
	double base_agree, prev = -1, last = 0, train_cpu_1000 = 0, train_wall_1000 = 0;
	bool ok = true;

	if (argc > 1) {
		def_dir = mn_xstrdup(argv[1]);
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

	for (size_t i = 0; i < N_TRAIN; i++)
		make_obs(&train[i], true);
	for (size_t i = 0; i < N_HOLDOUT; i++)
		make_obs(&hold[i], false);

	base_agree = agreement(def, hold, N_HOLDOUT);
	printf("builtin student learning benchmark (holdout %d, enum agreement with the teacher)\n\n",
	       N_HOLDOUT);
	printf("%-10s %-8s %12s %12s %10s %12s\n", "examples", "replay", "warm-start", "scratch",
	       "gain(pp)", "train cpu s");
	printf("%-10s %-8s %11.1f%% %12s %10s %12s\n", "0", "-", base_agree, "-", "-", "-");
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		size_t n = steps[k];
		char *batch = mn_xasprintf("%s/batch-%zu", base, n);
		char *out_w = mn_xasprintf("%s/warm-%zu", base, n);
		char *out_c = mn_xasprintf("%s/cold-%zu", base, n);
		double wall, wall_w, cpu, a_w, a_c;

		if (mn_file_mkdir_p(batch, 0700, &err))
			die("mkdir", &err);
		cpu = train_step(batch, out_w, def_dir, def, train, n, &seed, &warm, &wall_w);
		a_w = agreement(warm, hold, N_HOLDOUT);
		(void)train_step(batch, out_c, NULL, def, train, n, &seed, &cold, &wall);
		a_c = agreement(cold, hold, N_HOLDOUT);
		printf("%-10zu %-8zu %11.1f%% %11.1f%% %+10.1f %12.2f\n", n,
		       (size_t)((double)n * REPLAY_RATIO / (1.0 - REPLAY_RATIO)), a_w, a_c,
		       a_w - base_agree, cpu);
		if (a_w + 1e-9 < prev)
			ok = false;
		prev = a_w;
		last = a_w;
		if (n == 1000) {
			train_cpu_1000 = cpu;
			train_wall_1000 = wall_w;
		}
		free(batch);
		free(out_w);
		free(out_c);
	}
	if (last - base_agree < 25.0)
		ok = false;
	printf("\nencode: %.1f us per 1 KB observation (CPU time, best of 20 batches)\n",
	       encode_us_per_kb(def));
	printf("train: 1,000 examples (+%d replay) in %.2f s CPU, %.2f s wall (warm start)\n",
	       (int)(1000 * REPLAY_RATIO / (1.0 - REPLAY_RATIO)), train_cpu_1000, train_wall_1000);
	printf("\n%s: %+.1f points after 1,000 examples (target +25, never falling)\n",
	       ok ? "PASS" : "FAIL", last - base_agree);

	{
		struct mn_err rerr = MN_ERR_INIT;

		mn_file_remove_tree(base, &rerr);
	}
	mn_student_free(def);
	mn_student_free(warm);
	mn_student_free(cold);
	mn_buf_release(&seed);
	free(def_dir);
	free(seed_path);
	return ok ? 0 : 1;
}
