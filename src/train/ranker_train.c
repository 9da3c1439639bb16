/*
 * ranker_train.c - the learned ranker's trainer (ranker_train.h,
 * docs/ranker.md "Training").
 *
 * Each train-split recall gives pairs (better, worse) of its rated results
 * (helpful > partial > irrelevant; unrated results are left out: nobody
 * said they were bad). A pair becomes two LIBLINEAR rows, x = f(better) -
 * f(worse) labelled +1 and -x labelled -1, so the problem is symmetric and
 * needs no bias. L2-regularised logistic regression (primal trust region
 * Newton, deterministic) learns w; score = w . f orders a recall's results.
 */
#include "train/ranker_train.h"

#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/dynlib.h"
#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "model/ranker.h"

#define NCOL (MN_RANK_NF + 1) /* the features, then the incumbent's score */

static int grade(const json_t *item)
{
	const char *r = mn_json_str(item, "rating", NULL);

	if (!r)
		return -1;
	if (!strcmp(r, "helpful"))
		return 2;
	if (!strcmp(r, "partial"))
		return 1;
	if (!strcmp(r, "irrelevant"))
		return 0;
	return -1;
}

/* Re-write an item's features into our order. */
static void normalise_item(json_t *item, const json_t *names)
{
	float f[MN_RANK_NF];
	json_t *arr;

	if (!mn_ranker_item_features(f, item, names)) {
		json_object_del(item, "features");
		return;
	}
	arr = json_array();
	for (int k = 0; k < MN_RANK_NF; k++)
		json_array_append_new(arr, json_real((double)f[k]));
	json_object_set_new(item, "features", arr);
}

static bool same_names(const json_t *names)
{
	if (json_array_size(names) != MN_RANK_NF)
		return false;
	for (int k = 0; k < MN_RANK_NF; k++)
		if (!mn_json_str_is(json_array_get(names, (size_t)k), mn_rank_feature_names[k]))
			return false;
	return true;
}

int mn_ranker_examples_load(json_t **out, const char *path, struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	json_t *arr = NULL, *header = NULL;
	const json_t *names = NULL;
	bool reorder = false;
	size_t lineno = 0, bad = 0;
	int ret;

	*out = NULL;
	ret = mn_file_read(&b, path, MN_LIMIT_JSON_FILE_BYTES, err);
	if (ret)
		return ret;
	arr = json_array();
	for (size_t i = 0; i < b.len;) {
		const char *line = b.data + i, *nl = memchr(line, '\n', b.len - i);
		size_t n = nl ? (size_t)(nl - line) : b.len - i;
		json_t *o;

		i += n + 1;
		lineno++;
		if (mn_text_is_blank(line, n))
			continue;
		o = mn_json_parse(line, n, NULL);
		if (!header) {
			if (!o || !mn_json_str_is(json_object_get(o, "format"),
						  MN_RANKER_EXAMPLES_FORMAT) ||
			    !json_is_array(json_object_get(o, "features"))) {
				json_decref(o);
				ret = mn_err_set(err, MN_EINVAL,
						 "%s: line %zu is not a header {\"format\":\"%s\","
						 "\"features\":[...]}",
						 path, lineno, MN_RANKER_EXAMPLES_FORMAT);
				goto out;
			}
			header = o;
			names = json_object_get(header, "features");
			reorder = !same_names(names);
			continue;
		}
		if (!json_is_object(o) || !json_is_array(json_object_get(o, "items"))) {
			bad++;
			json_decref(o);
			continue;
		}
		{
			json_t *items = json_object_get(o, "items"), *it;
			size_t k;

			json_array_foreach(items, k, it)
				if (json_is_object(it) && reorder)
					normalise_item(it, names);
		}
		json_array_append_new(arr, o);
	}
	if (!header) {
		ret = mn_err_set(err, MN_EINVAL, "%s: empty, no examples header", path);
		goto out;
	}
	if (bad)
		mn_warn("ranker", "%s: %zu line(s) that are not query objects skipped", path, bad);
	*out = arr;
	arr = NULL;
out:
	json_decref(arr);
	json_decref(header);
	mn_buf_release(&b);
	return ret;
}

int mn_ranker_examples_write(const char *path, const json_t *queries, struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	json_t *names = json_array(), *header;
	const json_t *q;
	size_t i;
	int ret;

	for (int k = 0; k < MN_RANK_NF; k++)
		json_array_append_new(names, json_string(mn_rank_feature_names[k]));
	header = json_pack("{s:s,s:o}", "format", MN_RANKER_EXAMPLES_FORMAT, "features", names);
	mn_json_dump(&b, header);
	mn_buf_addc(&b, '\n');
	json_array_foreach(queries, i, q) {
		mn_json_dump(&b, q);
		mn_buf_addc(&b, '\n');
	}
	ret = mn_file_write_atomic(path, b.data, b.len, 0600, err);
	json_decref(header);
	mn_buf_release(&b);
	return ret;
}

/* ---- pairs ---- */

struct pairs {
	struct feature_node *nodes; /* 2 * n rows of NCOL + 1 nodes */
	struct feature_node **x;
	double *y;
	size_t n, cap;             /* pairs (rows = 2n) */
	size_t queries;
};

static void pairs_add(struct pairs *p, const float *better, const float *worse,
		      const struct mn_ranker *inc, double prior)
{
	double d[NCOL];
	int ncol = prior > 0 ? NCOL : MN_RANK_NF;

	if (p->n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;

		p->nodes = mn_xrealloc(p->nodes, cap * 2 * (NCOL + 1) * sizeof(*p->nodes));
		p->y = mn_xrealloc(p->y, cap * 2 * sizeof(*p->y));
		p->cap = cap;
	}
	for (int k = 0; k < MN_RANK_NF; k++)
		d[k] = (double)better[k] - (double)worse[k];
	d[MN_RANK_NF] = prior * (mn_ranker_score(inc, better) - mn_ranker_score(inc, worse));
	for (int s = 0; s < 2; s++) {
		size_t row = 2 * p->n + (size_t)s;
		struct feature_node *nd = &p->nodes[row * (NCOL + 1)];
		int m = 0;

		for (int k = 0; k < ncol; k++) {
			if (d[k] == 0)
				continue;
			nd[m].index = k + 1;
			nd[m].value = s ? -d[k] : d[k];
			m++;
		}
		nd[m].index = -1;
		nd[m].value = 0;
		p->y[row] = s ? -1.0 : 1.0;
	}
	p->n++;
}

static void pairs_release(struct pairs *p)
{
	free(p->nodes);
	free(p->x);
	free(p->y);
	memset(p, 0, sizeof(*p));
}

/* All (better, worse) pairs of the train split's rated items. */
static void build_pairs(struct pairs *p, const json_t *queries, const struct mn_ranker *inc,
			double prior)
{
	const json_t *q;
	size_t qi;

	json_array_foreach(queries, qi, q) {
		const json_t *items = json_object_get(q, "items"), *it;
		size_t m = json_array_size(items), i, before = p->n;
		float (*f)[MN_RANK_NF];
		int *g;

		if (strcmp(mn_json_str(q, "split", "train"), "train") || m < 2)
			continue;
		f = mn_xcalloc(m, sizeof(*f));
		g = mn_xcalloc(m, sizeof(*g));
		json_array_foreach(items, i, it) {
			g[i] = grade(it);
			if (g[i] >= 0 && !mn_ranker_item_features(f[i], it, NULL))
				g[i] = -1;
		}
		for (i = 0; i < m; i++)
			for (size_t j = 0; j < m; j++)
				if (g[i] >= 0 && g[j] >= 0 && g[i] > g[j])
					pairs_add(p, f[i], f[j], inc, prior);
		if (p->n > before)
			p->queries++;
		free(f);
		free(g);
	}
	p->x = mn_xmalloc((2 * p->n + 1) * sizeof(struct feature_node *));
	for (size_t r = 0; r < 2 * p->n; r++)
		p->x[r] = &p->nodes[r * (NCOL + 1)];
}

size_t mn_ranker_count_pairs(const json_t *queries, size_t *out_queries)
{
	const json_t *q;
	size_t qi, pairs = 0, nq = 0;

	json_array_foreach(queries, qi, q) {
		const json_t *items = json_object_get(q, "items"), *it;
		size_t i, n[3] = { 0, 0, 0 }, here;
		float f[MN_RANK_NF];

		if (strcmp(mn_json_str(q, "split", "train"), "train"))
			continue;
		json_array_foreach(items, i, it) {
			int g = grade(it);

			if (g >= 0 && mn_ranker_item_features(f, it, NULL))
				n[g]++;
		}
		here = n[2] * (n[1] + n[0]) + n[1] * n[0];
		pairs += here;
		nq += here > 0;
	}
	if (out_queries)
		*out_queries = nq;
	return pairs;
}

static void quiet(const char *s)
{
	(void)s;
}

static int load_incumbent(struct mn_ranker *inc, const char *path, struct mn_err *err)
{
	char *file;
	int ret;

	mn_ranker_hand(inc);
	if (!path || !*path)
		return 0;
	file = mn_file_is_dir(path) ? mn_xasprintf("%s/ranker.json", path) : mn_xstrdup(path);
	ret = mn_ranker_load(inc, file, err);
	if (ret) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		ret = mn_err_set(err, ret, "incumbent: %s", msg);
	}
	free(file);
	return ret;
}

int mn_ranker_train(const struct mn_ranker_train_opts *o, json_t **out_metrics,
		    struct mn_err *err)
{
	struct mn_ranker inc, cand;
	struct pairs p;
	struct problem prob;
	struct parameter param;
	struct model *m = NULL;
	json_t *queries = NULL, *metrics = NULL, *trained_on = NULL;
	double c = o->c > 0 ? o->c : MN_RANKER_DEFAULT_C;
	double prior = o->prior >= 0 ? o->prior : MN_RANKER_DEFAULT_PRIOR;
	double maxw = 0, prior_w = 0, nd = 0, rr = 0, ind = 0, irr = 0;
	size_t nq = 0, inq = 0;
	char *path = NULL;
	const char *why;
	int ret;

	memset(&p, 0, sizeof(p));
	if (out_metrics)
		*out_metrics = NULL;
	ret = load_incumbent(&inc, o->incumbent, err);
	if (ret)
		return ret;
	ret = mn_ranker_examples_load(&queries, o->examples, err);
	if (ret)
		return ret;
	build_pairs(&p, queries, &inc, prior);
	if (p.n < MN_RANKER_MIN_PAIRS) {
		ret = mn_err_set(err, MN_EDECLINED,
				 "too few pairs to train on: %zu (better, worse) pair(s) from %zu"
				 " train-split recall(s), need %d; rate more recall results"
				 " (helpful, partial, irrelevant)",
				 p.n, p.queries, MN_RANKER_MIN_PAIRS);
		goto out;
	}
	if (!mn_dynlib_load(MN_DYNLIB_LINEAR)) {
		ret = mn_err_set(err, MN_EFAIL, "liblinear: %s", mn_dynlib_error(MN_DYNLIB_LINEAR));
		goto out;
	}
	memset(&prob, 0, sizeof(prob));
	memset(&param, 0, sizeof(param));
	prob.l = (int)(2 * p.n);
	prob.n = prior > 0 ? NCOL : MN_RANK_NF;
	prob.x = p.x;
	prob.y = p.y;
	prob.bias = -1; /* symmetric rows: no bias */
	param.solver_type = L2R_LR;
	param.C = c;
	param.eps = 0.001;
	set_print_string_function(quiet);
	why = check_parameter(&prob, &param);
	if (why) {
		ret = mn_err_set(err, MN_EFAIL, "liblinear: %s", why);
		goto out;
	}
	srand((unsigned)o->seed);
	m = train(&prob, &param);
	if (!m) {
		ret = mn_err_set(err, MN_EFAIL, "liblinear could not train");
		goto out;
	}
	/* LIBLINEAR's w is for its first label; rows start with +1, so
	 * label[0] is +1 and w scores the better item higher. */
	memset(&cand, 0, sizeof(cand));
	snprintf(cand.version, sizeof(cand.version), "candidate");
	{
		double sign = m->label[0] == 1 ? 1.0 : -1.0;

		for (int k = 0; k < MN_RANK_NF; k++)
			cand.w[k] = sign * m->w[k];
		if (prior > 0) {
			prior_w = sign * m->w[MN_RANK_NF];
			for (int k = 0; k < MN_RANK_NF; k++)
				cand.w[k] += prior_w * prior * inc.w[k];
		}
	}
	for (int k = 0; k < MN_RANK_NF; k++)
		maxw = fmax(maxw, fabs(cand.w[k]));
	if (!(maxw > 0) || !isfinite(maxw)) {
		ret = mn_err_set(err, MN_EFAIL,
				 "training gave no usable weights (the ratings order nothing)");
		goto out;
	}
	for (int k = 0; k < MN_RANK_NF; k++)
		cand.w[k] /= maxw;
	mn_ranker_eval(&cand, queries, "train", &nd, &rr, &nq);
	mn_ranker_eval(&inc, queries, "train", &ind, &irr, &inq);
	ret = mn_file_mkdir_p(o->out_dir, 0700, err);
	if (ret)
		goto out;
	trained_on = json_pack("{s:I,s:I,s:s}", "queries", (json_int_t)p.queries, "pairs",
			       (json_int_t)p.n, "source", o->examples);
	path = mn_xasprintf("%s/ranker.json", o->out_dir);
	ret = mn_ranker_save(&cand, path, trained_on, err);
	if (ret)
		goto out;
	metrics = json_pack("{s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "train_queries",
			    (json_int_t)p.queries, "pairs", (json_int_t)p.n, "scored_queries",
			    (json_int_t)nq, "train_ndcg10", nd, "train_mrr", rr,
			    "incumbent_train_ndcg10", ind, "incumbent_train_mrr", irr, "c", c,
			    "prior", prior, "prior_weight", prior_w / maxw);
	free(path);
	path = mn_xasprintf("%s/metrics.json", o->out_dir);
	ret = mn_json_write_file(path, metrics, err);
	if (ret)
		goto out;
	if (out_metrics) {
		*out_metrics = metrics;
		metrics = NULL;
	}
out:
	if (m)
		free_and_destroy_model(&m);
	pairs_release(&p);
	json_decref(queries);
	json_decref(metrics);
	json_decref(trained_on);
	free(path);
	return ret;
}
