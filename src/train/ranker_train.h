/*
 * ranker_train.h - the learned ranker's trainer (docs/ranker.md,
 * "Training"): pairwise L2-regularised logistic regression (LIBLINEAR,
 * loaded lazily through base/dynlib) on the feature differences of the
 * rated results of each train-split recall, and the examples file it
 * reads.
 *
 * Examples file (JSON lines): the header
 * {"format":"mnemo.ranker-examples/1","features":[names]} and then one
 * query object per line as mn_store_rank_examples returns them.
 */
#ifndef MN_RANKER_TRAIN_H
#define MN_RANKER_TRAIN_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"

/* Fewer (better, worse) pairs than this and the trainer declines
 * (MN_EDECLINED; `mnemo trainer ranker` exits 4). */
#define MN_RANKER_MIN_PAIRS 20
/* A run trains on the newest this many rated recalls: plenty for
 * MN_RANK_NF weights, and the pairs (2 rows of MN_RANK_NF + 2 nodes each)
 * stay within tens of MB. */
#define MN_RANKER_MAX_QUERIES 5000
/* LIBLINEAR's C: the cost of a misordered pair against the L2 norm. */
#define MN_RANKER_DEFAULT_C 1.0
/* Scale of the incumbent-score column (see mn_ranker_train_opts.prior). */
#define MN_RANKER_DEFAULT_PRIOR 10.0

/* Read an examples file into a new array of query objects whose items'
 * "features" are in our order (store.h MN_RANK_*), whatever order the
 * header names. MN_ENOTFOUND without the file, MN_EINVAL when the header
 * is not an examples header. Unparsable lines are skipped with a warning. */
int mn_ranker_examples_load(json_t **out, const char *path, struct mn_err *err);
/* Write queries (objects of mn_store_rank_examples) as an examples file. */
int mn_ranker_examples_write(const char *path, const json_t *queries, struct mn_err *err);

/* (better, worse) pairs the train split of queries gives; *out_queries
 * (may be NULL) = train-split queries that give at least one. */
size_t mn_ranker_count_pairs(const json_t *queries, size_t *out_queries);

struct mn_ranker_train_opts {
	const char *examples;  /* examples file */
	const char *out_dir;   /* writes ranker.json and metrics.json (created) */
	const char *incumbent; /* dir holding ranker.json, or a ranker.json; NULL/"" = hand */
	uint64_t seed;
	double c;              /* LIBLINEAR C; <= 0 = MN_RANKER_DEFAULT_C */
	/* The incumbent's own score enters as one more column, multiplied by
	 * `prior`: L2 makes one strong column cheaper than the same order
	 * spread over many weights, so a few ratings adjust the incumbent
	 * instead of replacing it. 0 = no such column; < 0 = the default. */
	double prior;
};

/* Train; *out_metrics (may be NULL) gets metrics.json's content:
 * {train_queries, pairs, train_ndcg10, train_mrr, incumbent_train_ndcg10,
 *  incumbent_train_mrr, c, prior, prior_weight}. MN_EDECLINED when the train
 * split holds fewer than MN_RANKER_MIN_PAIRS pairs. */
int mn_ranker_train(const struct mn_ranker_train_opts *o, json_t **out_metrics,
		    struct mn_err *err);

#endif
