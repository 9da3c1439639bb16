#include "train/gate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Tolerance for comparing rates computed over the same items. */
#define EPS 1e-9

enum bound { NONE, MIN_EPR, MIN_SC, MAX_FR, MAX_TED };

struct metric {
	const char *name;
	bool higher_better;
	enum bound bound;
	bool agreement; /* agreement with teacher/human targets: judged on the holdout */
};

/* Every metric is a rate or an error in [0, 1]; regressions are measured in
 * percentage points of that scale. */
static const struct metric metrics[] = {
	{ "epr", true, MIN_EPR, false },
	{ "sc_rate", true, MIN_SC, false },
	{ "fr", false, MAX_FR, false },
	{ "ted_rate", false, MAX_TED, false },
	{ "np", true, NONE, false },
	{ "mig_rate", false, NONE, false },
	{ "enum_acc", true, NONE, true },
	{ "acc_significance", true, NONE, true },
	{ "acc_tone", true, NONE, true },
	{ "acc_outcome", true, NONE, true },
	{ "concept_f1", true, NONE, true },
	{ "salience_mae", false, NONE, true },
};

static bool get(const json_t *o, const char *key, double *out)
{
	json_t *v = o ? json_object_get(o, key) : NULL;

	if (!v || !json_is_number(v))
		return false;
	*out = json_number_value(v);
	return isfinite(*out);
}

static double bound_value(enum bound b, const struct mn_config *cfg, const char **label)
{
	switch (b) {
	case MIN_EPR:
		*label = "min_epr";
		return cfg->learning.gate.min_epr;
	case MIN_SC:
		*label = "min_sc";
		return cfg->learning.gate.min_sc;
	case MAX_FR:
		*label = "max_fr";
		return cfg->learning.gate.max_fr;
	case MAX_TED:
		*label = "max_ted_rate";
		return cfg->learning.gate.max_ted_rate;
	default:
		*label = "";
		return 0;
	}
}

static json_t *check(const char *name, const char *metric, const char *kind, const double *cand,
		     const double *inc, double threshold, const char *verdict)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:f,s:s}", "name", name, "metric", metric, "kind",
			 kind, "candidate", cand ? json_real(*cand) : json_null(), "incumbent",
			 inc ? json_real(*inc) : json_null(), "threshold", threshold, "verdict",
			 verdict);
}

/* A part of the eval set a metric is judged on: the whole set (key NULL),
 * or the report under "probe" / "holdout". */
struct part {
	const char *key;
	const char *label; /* in check names: "enum_acc (probe) regression ..." */
	const char *where; /* in reasons: "enum_acc on the probe set ..." */
};

static const struct part whole = { NULL, "", "" };
static const struct part parts[] = {
	{ "probe", " (probe)", " on the probe set" },
	{ "holdout", " (holdout)", " on the holdout" },
};

static bool has_part(const json_t *report, const char *key)
{
	double n = 0;

	return get(json_object_get(report, key), "n", &n) && n >= 1;
}

/* One-sided 95%: a drop this many standard errors large is unlikely to be
 * chance. */
#define Z_ONE_SIDED_95 1.645

/* The drop (points) a part of n items can show by chance: the largest of
 * max_regression_pp, one item (100/n) and 1.645 standard errors of the
 * difference of the two means, sqrt((c(1-c) + i(1-i)) / n). For a metric
 * in [0, 1] with mean p, p(1-p) bounds an item's variance, so this holds
 * for rates, F1 and errors alike; the means are smoothed as (p*n+1)/(n+2)
 * first, so that a perfect incumbent (variance 0) does not turn one or two
 * items into a verdict. */
static double tolerance(double c, double i, double n, double pp, double *item, double *se)
{
	double t = pp;

	*item = *se = 0;
	if (n < 1)
		return t;
	c = c < 0 ? 0 : c > 1 ? 1 : c;
	i = i < 0 ? 0 : i > 1 ? 1 : i;
	c = (c * n + 1) / (n + 2);
	i = (i * n + 1) / (n + 2);
	*item = 100.0 / n;
	*se = 100.0 * sqrt((c * (1 - c) + i * (1 - i)) / n);
	if (*item > t)
		t = *item;
	if (Z_ONE_SIDED_95 * *se > t)
		t = Z_ONE_SIDED_95 * *se;
	return t;
}

/* One regression check of metric m on part p. A drop counts only when it
 * exceeds what the part can show by chance (tolerance): a small part does
 * not reject on noise, and since every part must hold, it cannot pass a
 * candidate another part rejects either. */
static bool regression(json_t *checks, json_t *reasons, const struct metric *m,
		       const struct part *p, const json_t *cand, const json_t *inc, double pp)
{
	const json_t *cs = p->key ? json_object_get(cand, p->key) : cand;
	const json_t *is = p->key && inc ? json_object_get(inc, p->key) : inc;
	double c = 0, iv = 0, n = 0, tol, drop, item = 0, se = 0;
	bool have_c = get(cs, m->name, &c), have_i = get(is, m->name, &iv), ok;
	char name[96], why[300];
	json_t *chk;

	snprintf(name, sizeof(name), "%s%s regression <= %g pp", m->name, p->label, pp);
	if (!inc || !have_i || !have_c) {
		json_array_append_new(checks, check(name, m->name, "regression",
						    have_c ? &c : NULL, have_i ? &iv : NULL, pp,
						    "skip"));
		return true;
	}
	get(cs, "n", &n);
	tol = tolerance(c, iv, n, pp, &item, &se);
	/* Positive drop = the candidate is worse, in points. */
	drop = (m->higher_better ? iv - c : c - iv) * 100.0;
	ok = drop <= tol + EPS;
	chk = check(name, m->name, "regression", &c, &iv, pp, ok ? "pass" : "fail");
	json_object_set_new(chk, "part", json_string(p->key ? p->key : "all"));
	json_object_set_new(chk, "n", json_integer((json_int_t)n));
	json_object_set_new(chk, "drop_pp", json_real(drop));
	json_object_set_new(chk, "one_item_pp", json_real(item));
	json_object_set_new(chk, "std_error_pp", json_real(se));
	json_object_set_new(chk, "tolerance_pp", json_real(tol));
	json_array_append_new(checks, chk);
	if (!ok) {
		snprintf(why, sizeof(why),
			 "%s%s %.4f is %.2f points worse than the incumbent's %.4f (allowed"
			 " %.2f: max_regression_pp %g, one of %.0f items %.2f, 1.645 standard"
			 " errors %.2f)",
			 m->name, p->where, c, drop, iv, tol, pp, n, item, Z_ONE_SIDED_95 * se);
		json_array_append_new(reasons, json_string(why));
	}
	return ok;
}

json_t *mn_gate_judge(const json_t *cand, const json_t *inc, const struct mn_config *cfg)
{
	json_t *checks = json_array(), *reasons = json_array(), *out;
	double pp = cfg->learning.gate.max_regression_pp;
	double n = 0, errors = 0;
	bool pass = true, ok;
	char why[200];

	ok = get(cand, "n", &n) && n >= 1;
	json_array_append_new(checks, check("n >= 1", "n", "absolute", ok ? &n : NULL, NULL, 1,
					    ok ? "pass" : "fail"));
	if (!ok) {
		json_array_append_new(reasons, json_string("the eval set is empty"));
		pass = false;
	}
	get(cand, "n_failed", &errors);
	ok = errors <= 0;
	json_array_append_new(checks, check("n_failed == 0", "n_failed", "absolute", &errors, NULL,
					    0, ok ? "pass" : "fail"));
	if (!ok) {
		snprintf(why, sizeof(why), "the candidate failed to encode %.0f of %.0f items",
			 errors, n);
		json_array_append_new(reasons, json_string(why));
		pass = false;
	}
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const struct metric *m = &metrics[i];
		double c, b, iv;
		bool have_c = get(cand, m->name, &c);
		bool have_i = get(inc, m->name, &iv);
		bool split = false;
		char name[96];

		if (m->bound != NONE) {
			const char *label;

			b = bound_value(m->bound, cfg, &label);
			snprintf(name, sizeof(name), "%s %s %s", m->name,
				 m->higher_better ? ">=" : "<=", label);
			ok = have_c && (m->higher_better ? c >= b - EPS : c <= b + EPS);
			json_array_append_new(checks, check(name, m->name, "absolute",
							    have_c ? &c : NULL,
							    have_i ? &iv : NULL, b,
							    ok ? "pass" : "fail"));
			if (!ok) {
				pass = false;
				if (have_c)
					snprintf(why, sizeof(why), "%s %.4f %s %s %.4f", m->name, c,
						 m->higher_better ? "<" : ">", label, b);
				else
					snprintf(why, sizeof(why), "%s was not measured", m->name);
				json_array_append_new(reasons, json_string(why));
			}
		}
		/* Faithfulness is judged on the whole eval set. Agreement with
		 * the targets is judged on the probe set and on the holdout,
		 * each on its own (DESIGN §7.3): the probe set guards what the
		 * shipped model does, the holdout what the teacher taught. The
		 * mixed whole-set value is listed for information. */
		if (m->agreement) {
			for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
				if (!has_part(cand, parts[k].key))
					continue;
				split = true;
				if (!regression(checks, reasons, m, &parts[k], cand, inc, pp))
					pass = false;
			}
		}
		if (split) {
			snprintf(name, sizeof(name), "%s (whole eval set, info)", m->name);
			json_array_append_new(checks, check(name, m->name, "info",
							    have_c ? &c : NULL,
							    have_i ? &iv : NULL, pp, "info"));
		} else if (!regression(checks, reasons, m, &whole, cand, inc, pp)) {
			pass = false;
		}
	}
	out = json_pack("{s:s,s:o,s:o,s:f,s:b,s:s}", "verdict", pass ? "pass" : "fail", "reasons",
			reasons, "checks", checks, "max_regression_pp", pp, "incumbent", inc != NULL,
			"rule",
			"every check must pass; a regression fails when its drop exceeds"
			" max_regression_pp, one item of its part (100/n points) and 1.645"
			" standard errors of the difference (100*sqrt((c(1-c)+i(1-i))/n),"
			" c and i smoothed as (p*n+1)/(n+2))");
	return out;
}

bool mn_gate_passed(const json_t *gate)
{
	const json_t *v = gate ? json_object_get(gate, "verdict") : NULL;

	return json_is_string(v) && !strcmp(json_string_value(v), "pass"); /* false on NULL */
}
