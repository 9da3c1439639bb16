/*
 * ranker.h - the learned ranker (docs/ranker.md): a linear model over the
 * recall features the store computes (store.h, MN_RANK_*). One scoring
 * function serves recall, training and evaluation.
 *
 * File ranker.json: {"format":"mnemo.ranker/1","features":[names],
 * "weights":[numbers],"trained_on":{...},"created_at":"..."}. Weights are
 * matched to features by name: an unknown name is ignored with a warning,
 * a feature the file does not name weighs 0.
 */
#ifndef MN_RANKER_H
#define MN_RANKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "store/store.h"
#include "store/store_rank.h" /* the stable split: mn_rank_is_holdout */

#define MN_RANKER_FORMAT "mnemo.ranker/1"
#define MN_RANKER_EXAMPLES_FORMAT "mnemo.ranker-examples/1"
#define MN_RANKER_HAND "hand"       /* no model file: order by the base score */
#define MN_RANKER_DEFAULT "default" /* the shipped default ranker */

struct mn_ranker {
	char version[16]; /* "hand", "default", "v0003" */
	double w[MN_RANK_NF];
};

/* The hand-tuned order: base weighs 1, the rest 0. */
void mn_ranker_hand(struct mn_ranker *r);
/* Read a ranker.json; r->version is left as it was (the caller names it).
 * MN_ENOTFOUND when missing, MN_EINVAL when not a ranker file. */
int mn_ranker_load(struct mn_ranker *r, const char *path, struct mn_err *err);
/* Write r as ranker.json (atomically), with trained_on (may be NULL). */
int mn_ranker_save(const struct mn_ranker *r, const char *path, const json_t *trained_on,
		   struct mn_err *err);
/* JSON object {"format","features","weights"} (new reference). */
json_t *mn_ranker_to_json(const struct mn_ranker *r);

double mn_ranker_score(const struct mn_ranker *r, const float *f);
/* mn_rank_fn for struct mn_recall_opts: ctx is a struct mn_ranker. */
double mn_ranker_score_cb(void *ranker, const float *f);
/* {"version","score","features":{name:value},"contributions":{name:w*x}}
 * for recall --explain (new reference). */
json_t *mn_ranker_explain(const struct mn_ranker *r, const float *f);

/* Metrics of r re-ranking the logged items of each query object
 * ({"split","items":[{"rating","features"}]}, docs/ranker.md) whose split
 * is `split` (NULL = all): mean NDCG@10 (gain 2 helpful, 1 partial, 0
 * otherwise) and mean reciprocal rank of the first helpful item. Queries
 * with no helpful or partial item are skipped; *n = queries scored. */
int mn_ranker_eval(const struct mn_ranker *r, const json_t *queries, const char *split,
		   double *ndcg10, double *mrr, size_t *n);
/* The features of an item object into f (MN_RANK_NF floats, by position in
 * the examples' own feature order `names`, NULL = ours). false when the
 * item has no usable features. */
bool mn_ranker_item_features(float *f, const json_t *item, const json_t *names);

#endif
