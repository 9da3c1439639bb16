/*
 * calibration.c - is the builtin student's confidence a probability?
 * (issue 16). For the shipped default (or --model DIR) on the probe set
 * (or FILE.raw.jsonl arguments), each judgment field's confidence is
 * compared with how often the student agrees with the file's targets:
 *   - a reliability table (10 equal-width bins: rows, mean confidence,
 *     agreement) and the expected calibration error (ECE) of the three
 *     fields pooled and of "all three agree" (the encoding's confidence);
 *   - the share of memories the experience buffer would put in
 *     needs_improvement (mn_experience_classify with the default
 *     learning.min_confidence), twice: with the rows' own memory type and
 *     source, and as `mnemo remember TEXT` sends them (source cli, no type);
 *   - encode + verify time per 1 KB observation.
 * Built and run by bench/run.sh; alone:
 *   cc -std=c17 -O2 -D_GNU_SOURCE -iquote src bench/calibration.c \
 *      build/libmnemo.a $(pkg-config --libs sqlite3 libcurl jansson \
 *      libpcre2-8 yaml-0.1) -llinear -lm -lpthread -o calibration
 *   MNEMO_DATADIR=$PWD/data ./calibration [--model DIR] [FILE...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/mem.h"
#include "core/config.h"
#include "learn/experience.h"
#include "model/evalset.h"
#include "model/student.h"
#include "model/verify.h"

#define BINS 10

struct reliability {
	double conf[BINS], agree[BINS];
	size_t n[BINS], total;
};

static void rel_add(struct reliability *r, double q, bool ok)
{
	size_t b = q >= 1 ? BINS - 1 : q <= 0 ? 0 : (size_t)(q * BINS);

	r->conf[b] += q;
	r->agree[b] += ok;
	r->n[b]++;
	r->total++;
}

static double rel_ece(const struct reliability *r)
{
	double e = 0;

	for (size_t b = 0; b < BINS; b++)
		if (r->n[b])
			e += (r->conf[b] > r->agree[b] ? r->conf[b] - r->agree[b]
						       : r->agree[b] - r->conf[b]) /
			     (double)r->total;
	return e;
}

static void rel_print(const char *what, const struct reliability *r)
{
	double agree = 0;

	for (size_t b = 0; b < BINS; b++)
		agree += r->agree[b];
	printf("  %s: %zu judgments, agreement %.3f, ECE %.3f\n", what, r->total,
	       r->total ? agree / (double)r->total : 0, rel_ece(r));
	printf("    %-11s %6s %10s %10s\n", "confidence", "rows", "mean conf", "agreement");
	for (size_t b = 0; b < BINS; b++)
		if (r->n[b])
			printf("    [%.1f, %.1f%c %6zu %10.3f %10.3f\n", (double)b / BINS,
			       (double)(b + 1) / BINS, b + 1 == BINS ? ']' : ')', r->n[b],
			       r->conf[b] / (double)r->n[b], r->agree[b] / (double)r->n[b]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over set: reliability tables (own cues only) and the
 * needs_improvement count. */
#define N_THRESHOLDS 4
static const double thresholds[N_THRESHOLDS] = { 0.5, 0.7, 0.8, 0.9 };

static size_t run(const struct mn_student *s, const struct mn_evalset *set, bool own_cues,
		  const struct mn_config *cfg, struct reliability *fields, struct reliability *all,
		  size_t *below)
{
	static const char *const keys[3] = { "significance", "emotional_tone", "outcome" };
	size_t needs = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct mn_eval_item *it = &set->items[i];
		struct mn_student_confidence c;
		struct mn_metrics m;
		json_t *enc = NULL;
		bool every = true;
		size_t len = strlen(it->input);

		if (mn_student_encode_detail(s, &enc, &c, it->input, len,
					     own_cues ? it->source : "cli",
					     own_cues ? it->type : NULL))
			continue;
		for (size_t f = 0; f < 3; f++) {
			bool ok = !strcmp(mn_json_str(enc, keys[f], ""),
					  mn_json_str(it->target, keys[f], "?"));

			every &= ok;
			if (fields)
				rel_add(fields, c.field[f], ok);
		}
		if (all)
			rel_add(all, c.all, every);
		for (size_t t = 0; t < N_THRESHOLDS; t++)
			below[t] += c.all < thresholds[t];
		mn_verify_score(&m, it->input, len, enc);
		{
			struct mn_exp_signals sig = {
				.epr = m.epr,
				.ted = m.ted,
				.sc = m.sc,
				.has_flags = json_array_size(m.flags) > 0,
				.confidence = c.all,
			};

			needs += !strcmp(mn_experience_classify(
						 &sig, cfg->learning.min_confidence,
						 cfg->learning.curriculum.max_correction_attempts),
					 "needs_improvement");
		}
		mn_metrics_release(&m);
		json_decref(enc);
	}
	return needs;
}

int main(int argc, char **argv)
{
	const char *model = NULL;
	struct mn_student *s = NULL;
	struct mn_err err = MN_ERR_INIT;
	struct mn_config cfg;
	int first = 1, ret = 0;

	if (argc > 2 && !strcmp(argv[1], "--model")) {
		model = argv[2];
		first = 3;
	}
	mn_config_init(&cfg);
	if (model ? mn_student_load(&s, model, &err) : mn_student_load_default(&s, &err)) {
		fprintf(stderr, "calibration: %s\n", err.msg);
		return 1;
	}
	printf("calibration of %s (learning.min_confidence %.2f)\n", mn_student_version(s),
	       cfg.learning.min_confidence);
	for (int a = first; a <= argc; a++) {
		const char *path = a < argc ? argv[a] : "data/probe/probe.raw.jsonl";
		struct mn_evalset set;
		struct reliability fields, all;
		size_t own, cli, below[2][N_THRESHOLDS] = { { 0 } };

		if (a == argc && first < argc)
			break;
		mn_evalset_init(&set);
		if (mn_evalset_load(&set, path, &err) || !set.n) {
			fprintf(stderr, "calibration: %s: %s\n", path, set.n ? err.msg : "no rows");
			mn_evalset_release(&set);
			ret = 1;
			continue;
		}
		memset(&fields, 0, sizeof(fields));
		memset(&all, 0, sizeof(all));
		own = run(s, &set, true, &cfg, &fields, &all, below[0]);
		printf("%s (%zu rows), with the rows' own type and source:\n", path, set.n);
		rel_print("significance, emotional_tone, outcome", &fields);
		rel_print("all three agree (the encoding's confidence)", &all);
		memset(&fields, 0, sizeof(fields));
		memset(&all, 0, sizeof(all));
		cli = run(s, &set, false, &cfg, &fields, &all, below[1]);
		printf("  as `mnemo remember TEXT` sends them (source cli, no type): fields ECE "
		       "%.3f, all ECE %.3f\n",
		       rel_ece(&fields), rel_ece(&all));
		printf("  needs_improvement: %.1f%% with own cues, %.1f%% as remember sends them\n",
		       100.0 * (double)own / (double)set.n, 100.0 * (double)cli / (double)set.n);
		printf("  confidence under learning.min_confidence =");
		for (size_t t = 0; t < N_THRESHOLDS; t++)
			printf(" %.1f: %.1f%%/%.1f%%%s", thresholds[t],
			       100.0 * (double)below[0][t] / (double)set.n,
			       100.0 * (double)below[1][t] / (double)set.n,
			       t + 1 < N_THRESHOLDS ? "," : " (own cues/as remember)\n");
		mn_evalset_release(&set);
	}
	{
		/* encode + verify of a 1 KB observation */
		static const char *const para =
			"Bob restarted the payments service at 14:30 on 2024-03-05 because Redis "
			"ran out of memory after the cache grew to 512 MB; checkout was down for "
			"30 s. Deployed v1.2.3 of billing-api to production on March 5, 2024. ";
		char text[1025];
		size_t n = 0, reps = 2000;
		double t0, dt;

		while (n < 1024) {
			size_t k = strlen(para) < 1024 - n ? strlen(para) : 1024 - n;

			memcpy(text + n, para, k);
			n += k;
		}
		text[n] = '\0';
		t0 = now_s();
		for (size_t i = 0; i < reps; i++) {
			json_t *enc = NULL;
			struct mn_metrics m;

			mn_student_encode(s, &enc, NULL, text, n, "cli", "note");
			mn_verify_score(&m, text, n, enc);
			mn_metrics_release(&m);
			json_decref(enc);
		}
		dt = (now_s() - t0) / (double)reps;
		printf("encode + verify of a 1 KB observation: %.1f us\n", dt * 1e6);
	}
	mn_student_free(s);
	mn_config_release(&cfg);
	return ret;
}
