/*
 * ranker.c - the learned ranker's model: load, save, score, explain and
 * evaluate (docs/ranker.md).
 */
#include "model/ranker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"

void mn_ranker_hand(struct mn_ranker *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->version, sizeof(r->version), "%s", MN_RANKER_HAND);
	r->w[MN_RANK_BASE] = 1.0;
}

static int feature_index(const char *name)
{
	for (int i = 0; i < MN_RANK_NF; i++)
		if (strcmp(name, mn_rank_feature_names[i]) == 0)
			return i;
	return -1;
}

int mn_ranker_load(struct mn_ranker *r, const char *path, struct mn_err *err)
{
	json_t *doc = mn_json_load_file(path, err);
	const json_t *names, *weights, *v;
	double w[MN_RANK_NF] = {0};
	size_t i;
	int ret = 0;

	if (!doc)
		return err && err->code ? err->code : MN_EIO;
	names = json_object_get(doc, "features");
	weights = json_object_get(doc, "weights");
	if (!mn_json_str_is(json_object_get(doc, "format"), MN_RANKER_FORMAT) ||
	    !json_is_array(names) || !json_is_array(weights) ||
	    json_array_size(names) != json_array_size(weights)) {
		ret = mn_err_set(err, MN_EINVAL,
				 "%s: not a ranker (want format %s with features and weights of"
				 " equal length)", path, MN_RANKER_FORMAT);
		goto out;
	}
	json_array_foreach(names, i, v) {
		const json_t *x = json_array_get(weights, i);
		int k = json_is_string(v) ? feature_index(json_string_value(v)) : -1;

		if (!json_is_number(x) || !isfinite(json_number_value(x))) {
			ret = mn_err_set(err, MN_EINVAL, "%s: weight %zu is not a finite number",
					 path, i);
			goto out;
		}
		if (k < 0) {
			mn_warn("ranker", "%s: unknown feature %s ignored", path,
				json_is_string(v) ? json_string_value(v) : "(not a string)");
			continue;
		}
		w[k] = json_number_value(x);
	}
	memcpy(r->w, w, sizeof(w));
out:
	json_decref(doc);
	return ret;
}

json_t *mn_ranker_to_json(const struct mn_ranker *r)
{
	json_t *names = json_array(), *weights = json_array();

	for (int i = 0; i < MN_RANK_NF; i++) {
		json_array_append_new(names, json_string(mn_rank_feature_names[i]));
		json_array_append_new(weights, json_real(r->w[i]));
	}
	return json_pack("{s:s,s:o,s:o}", "format", MN_RANKER_FORMAT, "features", names,
			 "weights", weights);
}

int mn_ranker_save(const struct mn_ranker *r, const char *path, const json_t *trained_on,
		   struct mn_err *err)
{
	json_t *doc = mn_ranker_to_json(r);
	char now[MN_TIME_LEN];
	int ret;

	mn_time_now_str(now);
	if (trained_on)
		json_object_set(doc, "trained_on", (json_t *)trained_on);
	json_object_set_new(doc, "created_at", json_string(now));
	ret = mn_json_write_file(path, doc, err);
	json_decref(doc);
	return ret;
}

double mn_ranker_score(const struct mn_ranker *r, const float *f)
{
	double s = 0;

	for (int i = 0; i < MN_RANK_NF; i++)
		s += r->w[i] * (double)f[i];
	return s;
}

double mn_ranker_score_cb(void *ranker, const float *f)
{
	return mn_ranker_score(ranker, f);
}

static double round4(double x)
{
	return round(x * 1e4) / 1e4;
}

json_t *mn_ranker_explain(const struct mn_ranker *r, const float *f)
{
	json_t *feat = json_object(), *contrib = json_object();

	for (int i = 0; i < MN_RANK_NF; i++) {
		json_object_set_new(feat, mn_rank_feature_names[i], json_real(round4((double)f[i])));
		if (r->w[i] != 0)
			json_object_set_new(contrib, mn_rank_feature_names[i],
					    json_real(round4(r->w[i] * (double)f[i])));
	}
	return json_pack("{s:s,s:f,s:o,s:o}", "version", r->version, "score",
			 mn_ranker_score(r, f), "features", feat, "contributions", contrib);
}

bool mn_ranker_item_features(float *f, const json_t *item, const json_t *names)
{
	const json_t *fa = json_object_get(item, "features"), *v;
	size_t i;

	memset(f, 0, MN_RANK_NF * sizeof(*f));
	if (!json_is_array(fa) || json_array_size(fa) == 0)
		return false;
	json_array_foreach(fa, i, v) {
		int k = (int)i;

		if (names) {
			const json_t *nm = json_array_get(names, i);

			k = json_is_string(nm) ? feature_index(json_string_value(nm)) : -1;
		}
		if (k < 0 || k >= MN_RANK_NF || !json_is_number(v))
			continue;
		f[k] = (float)json_number_value(v);
	}
	return true;
}

struct scored {
	double score, base;
	int gain;
	int rank; /* the logged rank: the last tie-break */
};

static int by_model(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->base != y->base)
		return x->base < y->base ? 1 : -1;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

static int gain_of(const json_t *item)
{
	const char *rating = mn_json_str(item, "rating", "");

	return strcmp(rating, "helpful") == 0 ? 2 : strcmp(rating, "partial") == 0 ? 1 : 0;
}

static int by_gain(const void *a, const void *b)
{
	return ((const struct scored *)b)->gain - ((const struct scored *)a)->gain;
}

int mn_ranker_eval(const struct mn_ranker *r, const json_t *queries, const char *split,
		   double *ndcg10, double *mrr, size_t *n)
{
	const json_t *q;
	size_t qi;
	double sum_ndcg = 0, sum_rr = 0;

	*n = 0;
	*ndcg10 = *mrr = 0;
	json_array_foreach(queries, qi, q) {
		const json_t *items = json_object_get(q, "items"), *it;
		size_t m = json_array_size(items), i;
		struct scored *s;
		double dcg = 0, ideal = 0, rr = 0;
		bool relevant = false;

		if (split && strcmp(mn_json_str(q, "split", ""), split) != 0)
			continue;
		if (!m)
			continue;
		s = mn_xcalloc(m, sizeof(*s));
		json_array_foreach(items, i, it) {
			float f[MN_RANK_NF];

			mn_ranker_item_features(f, it, NULL);
			s[i].score = mn_ranker_score(r, f);
			s[i].base = (double)f[MN_RANK_BASE];
			s[i].gain = gain_of(it);
			s[i].rank = (int)json_integer_value(json_object_get(it, "rank"));
			relevant |= s[i].gain > 0;
		}
		if (!relevant) {
			free(s);
			continue;
		}
		qsort(s, m, sizeof(*s), by_model);
		for (i = 0; i < m && i < 10; i++)
			dcg += (pow(2.0, s[i].gain) - 1.0) / log2((double)i + 2.0);
		for (i = 0; i < m; i++)
			if (s[i].gain == 2) {
				rr = 1.0 / ((double)i + 1.0);
				break;
			}
		qsort(s, m, sizeof(*s), by_gain);
		for (i = 0; i < m && i < 10; i++)
			ideal += (pow(2.0, s[i].gain) - 1.0) / log2((double)i + 2.0);
		sum_ndcg += ideal > 0 ? dcg / ideal : 0;
		sum_rr += rr;
		(*n)++;
		free(s);
	}
	if (*n) {
		*ndcg10 = sum_ndcg / (double)*n;
		*mrr = sum_rr / (double)*n;
	}
	return 0;
}
