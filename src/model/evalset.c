#include "model/evalset.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "model/prompt.h"
#include "model/verify.h"

#define WARN_LINES 5 /* skipped lines reported one by one */

void mn_evalset_init(struct mn_evalset *s)
{
	s->items = NULL;
	s->n = s->alloc = 0;
	s->max_input_chars = 0;
}

void mn_evalset_release(struct mn_evalset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].input);
		free(s->items[i].source);
		free(s->items[i].type);
		json_decref(s->items[i].target);
	}
	free(s->items);
	mn_evalset_init(s);
}

static char *opt_dup(const json_t *row, const char *key, bool *bad)
{
	const json_t *v = json_object_get(row, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return mn_xstrdup(json_string_value(v));
}

/* NULL when the row is usable, else why not. */
static const char *check_row(const json_t *row)
{
	const json_t *raw, *task;

	if (!json_is_object(row))
		return "not a JSON object";
	task = json_object_get(row, "task_type");
	if (task && !json_is_null(task) &&
	    !(json_is_string(task) && !strcmp(json_string_value(task), "encoding")))
		return "task_type is not \"encoding\"";
	raw = json_object_get(row, "raw_input");
	if (!json_is_string(raw) ||
	    mn_text_is_blank(json_string_value(raw), json_string_length(raw)))
		return "raw_input is missing or blank";
	if (!json_is_object(json_object_get(row, "encoded")))
		return "encoded is not an object";
	return NULL;
}

int mn_evalset_load(struct mn_evalset *s, const char *path, struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	size_t line_no = 0, skipped = 0;
	int ret;

	ret = mn_file_read(&b, path, MN_LIMIT_JSON_FILE_BYTES, err);
	if (ret) {
		mn_buf_release(&b);
		return ret;
	}
	for (size_t i = 0; i < b.len;) {
		const char *line = b.data + i, *nl = memchr(line, '\n', b.len - i);
		size_t n = nl ? (size_t)(nl - line) : b.len - i;
		struct mn_err perr = MN_ERR_INIT;
		const char *why;
		json_t *row;

		i += n + 1;
		line_no++;
		if (mn_text_is_blank(line, n))
			continue;
		row = mn_json_parse(line, n, &perr);
		why = row ? check_row(row) : perr.msg;
		if (!why) {
			struct mn_eval_item it;
			bool bad = false;

			it.source = opt_dup(row, "memory_source", &bad);
			it.type = opt_dup(row, "memory_type", &bad);
			if (bad) {
				free(it.source);
				free(it.type);
				why = "memory_source or memory_type is not a string";
			} else {
				it.input = mn_xstrdup(
					json_string_value(json_object_get(row, "raw_input")));
				it.target = json_incref(json_object_get(row, "encoded"));
				s->items =
					mn_xgrow(s->items, &s->alloc, s->n + 1, sizeof(*s->items));
				s->items[s->n++] = it;
			}
		}
		if (why) {
			if (skipped < WARN_LINES)
				mn_warn("evalset", "'%s' line %zu skipped: %s", path, line_no, why);
			skipped++;
		}
		json_decref(row);
	}
	if (skipped > WARN_LINES)
		mn_warn("evalset", "'%s': %zu lines skipped in all", path, skipped);
	mn_buf_release(&b);
	return 0;
}

/* ---- agreement ---- */

struct tally {
	double sum;
	size_t n;
};

static double tally_mean(const struct tally *t)
{
	return t->n ? t->sum / (double)t->n : 0.0;
}

/* Lowercased, trimmed, de-duplicated strings of a JSON array. */
static size_t concept_set(char ***out, const json_t *arr)
{
	size_t n = 0, i;
	json_t *v;
	char **set = mn_xcalloc(json_array_size(arr) + 1, sizeof(*set));

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		size_t a = 0, b;
		char *t;
		bool dup = false;

		if (!s)
			continue;
		b = strlen(s);
		while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n'))
			b--;
		t = mn_xstrndup(s + a, b - a);
		for (char *p = t; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		for (size_t k = 0; k < n && !dup; k++)
			dup = !strcmp(set[k], t);
		if (dup || !*t)
			free(t);
		else
			set[n++] = t;
	}
	*out = set;
	return n;
}

static void free_set(char **set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(set[i]);
	free(set);
}

static double concept_f1(const json_t *pred, const json_t *target)
{
	char **p, **t;
	size_t np = concept_set(&p, pred), nt = concept_set(&t, target), tp = 0;
	double f1;

	for (size_t i = 0; i < np; i++)
		for (size_t k = 0; k < nt; k++)
			if (!strcmp(p[i], t[k])) {
				tp++;
				break;
			}
	f1 = (np + nt) ? 2.0 * (double)tp / (double)(np + nt) : 1.0;
	free_set(p, np);
	free_set(t, nt);
	return f1;
}

static void agree(struct tally *t, const json_t *enc, const json_t *target, const char *key)
{
	const char *want = mn_json_str(target, key, NULL);
	const char *got = enc ? mn_json_str(enc, key, NULL) : NULL;

	if (!want)
		return;
	t->n++;
	t->sum += got && !strcmp(got, want);
}

int mn_evalset_run(struct mn_eval_report *out, const struct mn_evalset *s, mn_eval_encode_fn fn,
		   void *payload, struct mn_err *err)
{
	struct tally sig = { 0, 0 }, tone = { 0, 0 }, outc = { 0, 0 }, f1 = { 0, 0 },
		     sal = { 0, 0 };
	double sum_epr = 0, sum_fr = 0, sum_np = 0, n_sc = 0, n_ted = 0, n_mig = 0;

	memset(out, 0, sizeof(*out));
	if (!s->n)
		return mn_err_set(err, MN_EINVAL, "the eval set is empty");
	for (size_t i = 0; i < s->n; i++) {
		const struct mn_eval_item *it = &s->items[i];
		size_t len = strlen(it->input);
		size_t cut = mn_prompt_input_len(it->input, len,
						 s->max_input_chars ? s->max_input_chars
								    : MN_PROMPT_MAX_INPUT_DEFAULT);
		struct mn_err e = MN_ERR_INIT;
		json_t *enc = NULL;
		const json_t *tc, *ts;

		if (fn(payload, &enc, it->input, cut, it->source, it->type, &e) || !enc) {
			mn_debug("evalset", "item %zu: encode failed: %s", i, e.msg);
			json_decref(enc);
			enc = NULL;
			out->n_failed++;
		} else {
			struct mn_metrics m;

			mn_verify_score(&m, it->input, cut, enc);
			sum_epr += m.epr;
			sum_fr += m.fr;
			sum_np += m.np;
			n_sc += m.sc;
			n_ted += m.ted;
			n_mig += m.mig;
			mn_metrics_release(&m);
		}
		agree(&sig, enc, it->target, "significance");
		agree(&tone, enc, it->target, "emotional_tone");
		agree(&outc, enc, it->target, "outcome");
		tc = json_object_get(it->target, "concepts");
		if (json_is_array(tc)) {
			const json_t *pc = enc ? json_object_get(enc, "concepts") : NULL;

			f1.n++;
			f1.sum += json_is_array(pc) ? concept_f1(pc, tc) : 0.0;
		}
		ts = json_object_get(it->target, "salience");
		if (json_is_number(ts)) {
			const json_t *ps = enc ? json_object_get(enc, "salience") : NULL;

			sal.n++;
			sal.sum += json_is_number(ps)
					   ? fabs(json_number_value(ps) - json_number_value(ts))
					   : 1.0;
		}
		json_decref(enc);
	}
	out->n = s->n;
	out->epr = sum_epr / (double)s->n;
	out->fr = sum_fr / (double)s->n;
	out->np = sum_np / (double)s->n;
	out->sc_rate = n_sc / (double)s->n;
	out->ted_rate = n_ted / (double)s->n;
	out->mig_rate = n_mig / (double)s->n;
	out->acc_significance = tally_mean(&sig);
	out->acc_tone = tally_mean(&tone);
	out->acc_outcome = tally_mean(&outc);
	{
		double sum = 0;
		int k = 0;

		if (sig.n) {
			sum += out->acc_significance;
			k++;
		}
		if (tone.n) {
			sum += out->acc_tone;
			k++;
		}
		if (outc.n) {
			sum += out->acc_outcome;
			k++;
		}
		out->enum_acc = k ? sum / k : 0.0;
	}
	out->concept_f1 = tally_mean(&f1);
	out->salience_mae = sal.n ? sal.sum / (double)sal.n : 0.0;
	return 0;
}

static json_t *rounded(double x)
{
	return json_real(round(x * 1e6) / 1e6);
}

json_t *mn_eval_report_to_json(const struct mn_eval_report *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer((json_int_t)r->n));
	json_object_set_new(o, "n_failed", json_integer((json_int_t)r->n_failed));
	json_object_set_new(o, "epr", rounded(r->epr));
	json_object_set_new(o, "fr", rounded(r->fr));
	json_object_set_new(o, "np", rounded(r->np));
	json_object_set_new(o, "sc_rate", rounded(r->sc_rate));
	json_object_set_new(o, "ted_rate", rounded(r->ted_rate));
	json_object_set_new(o, "mig_rate", rounded(r->mig_rate));
	json_object_set_new(o, "acc_significance", rounded(r->acc_significance));
	json_object_set_new(o, "acc_tone", rounded(r->acc_tone));
	json_object_set_new(o, "acc_outcome", rounded(r->acc_outcome));
	json_object_set_new(o, "enum_acc", rounded(r->enum_acc));
	json_object_set_new(o, "concept_f1", rounded(r->concept_f1));
	json_object_set_new(o, "salience_mae", rounded(r->salience_mae));
	return o;
}
