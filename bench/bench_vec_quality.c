/*
 * bench_vec_quality.c - does adding vectors help or hurt recall quality,
 * and which fusion: reciprocal rank fusion (what mn_store_recall does)
 * or vector similarity as one more score term (lexical score + w * cosine,
 * for w in 0.25, 0.5, 1)? On bench/recall's memories and questions
 * (R@1, R@5, R@10, MRR per category, hit = any evidence memory).
 *
 * The vectors come from the embedding server at $BENCH_EMBED_ENDPOINT
 * (model $BENCH_EMBED_MODEL, $BENCH_EMBED_DIM dimensions); bench/
 * bench_vec_quality.sh runs it against tests/support/fake_embed.py, whose
 * hashed-word vectors know word forms (trigrams) and a few made-up
 * synonyms only - so what it measures is the fusion's cost or benefit
 * with a weak vector signal, not what a real embedding model would bring.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "core/config.h"
#include "model/embed.h"
#include "store/store.h"
#include "store/store_vec.h"

#define MAXQ 2000
#define NSYS 10
#define DEPTH 100

/* 0 lexical, 1 the shipped fusion, 2-4 score + w * cosine, 5-9 weighted
 * RRF: 1/(k + lexical rank) + w/(k + vector rank) */
static const char *const sys_names[NSYS] = {
	"lexical",	"rrf (shipped)",  "feature w=0.25",  "feature w=0.5",  "feature w=1",
	"rrf k=60 w=1", "rrf k=60 w=0.5", "rrf k=60 w=0.25", "rrf k=10 w=0.5", "rrf k=10 w=0.25",
};
static const double feature_w[NSYS] = { 0, 0, 0.25, 0.5, 1.0, 1, 0.5, 0.25, 0.5, 0.25 };
static const double rrf_k[NSYS] = { 0, 0, 0, 0, 0, 60, 60, 60, 10, 10 };

struct score {
	double r1, r5, r10, mrr;
	int n;
};

static json_t **read_lines(const char *path, size_t *out_n)
{
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	json_t **rows = NULL;
	size_t n = 0, alloc = 0;
	char *p, *save = NULL;

	if (mn_file_read(&b, path, 64 << 20, &err)) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		exit(1);
	}
	for (p = strtok_r(b.data, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		rows = mn_xgrow(rows, &alloc, n + 1, sizeof(*rows));
		rows[n] = json_loads(p, 0, NULL);
		if (rows[n])
			n++;
	}
	mn_buf_release(&b);
	*out_n = n;
	return rows;
}

static void embed_all(struct mn_embed *e, float *out, const char **texts, size_t n)
{
	struct mn_err err = MN_ERR_INIT;
	int dim = mn_embed_dim(e);

	for (size_t i = 0; i < n; i += MN_EMBED_MAX_BATCH) {
		size_t m = n - i < MN_EMBED_MAX_BATCH ? n - i : MN_EMBED_MAX_BATCH;

		if (mn_embed_texts(e, out + i * (size_t)dim, texts + i, m, &err)) {
			fprintf(stderr, "embed: %s\n", err.msg);
			exit(1);
		}
	}
}

struct cand {
	int64_t rowid;
	double score;
};

static int by_score(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

/* Rank (1-based) of the first evidence row in rows[0..n), 0 = none. */
static int first_hit(const int64_t *rows, size_t n, const int64_t *ev, size_t nev)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < nev; j++)
			if (rows[i] == ev[j])
				return (int)i + 1;
	return 0;
}

static void add(struct score *s, int rank)
{
	s->n++;
	s->r1 += rank == 1;
	s->r5 += rank >= 1 && rank <= 5;
	s->r10 += rank >= 1 && rank <= 10;
	s->mrr += rank ? 1.0 / rank : 0;
}

int main(int argc, char **argv)
{
	const char *data = argc > 1 ? argv[1] : "bench/recall/data";
	const char *endpoint = getenv("BENCH_EMBED_ENDPOINT");
	char dir[] = "/tmp/mnemo-bench-vq-XXXXXX", *path, *p1, *p2;
	struct mn_config cfg;
	struct mn_embed *e = NULL;
	struct mn_store *st = NULL;
	struct mn_err err = MN_ERR_INIT;
	json_t **mems, **qs;
	size_t nm, nq;
	int dim;
	const char **texts;
	float *mv, *qv;
	int64_t *rowid;
	char **ids;
	char cats[16][32];
	int ncat = 0;
	struct score sc[16 + 1][NSYS];

	if (!endpoint || !mkdtemp(dir))
		return fprintf(stderr, "set BENCH_EMBED_ENDPOINT\n"), 1;
	memset(sc, 0, sizeof(sc));
	mn_config_init(&cfg);
	free(cfg.embedding.provider);
	cfg.embedding.provider = mn_xstrdup("openai");
	cfg.embedding.endpoint = mn_xstrdup(endpoint);
	cfg.embedding.model = mn_xstrdup(getenv("BENCH_EMBED_MODEL") ? getenv("BENCH_EMBED_MODEL")
								     : "fake-embed");
	cfg.embedding_dimensions =
		getenv("BENCH_EMBED_DIM") ? atoi(getenv("BENCH_EMBED_DIM")) : 256;
	dim = cfg.embedding_dimensions;
	if (getenv("BENCH_VEC_WEIGHT")) /* the shipped fusion's embedding.weight */
		cfg.embedding_weight = atof(getenv("BENCH_VEC_WEIGHT"));
	if (mn_embed_open(&e, &cfg, dir, 0, 0, &err))
		return fprintf(stderr, "embed: %s\n", err.msg), 1;
	p1 = mn_xasprintf("%s/memories.jsonl", data);
	p2 = mn_xasprintf("%s/questions.jsonl", data);
	mems = read_lines(p1, &nm);
	qs = read_lines(p2, &nq);
	path = mn_xasprintf("%s/mnemo.db", dir);
	if (mn_store_open(&st, path, &err))
		return fprintf(stderr, "open: %s\n", err.msg), 1;

	/* memories, in order: raw row i+1 is memory i */
	texts = mn_xcalloc(nm > nq ? nm : nq, sizeof(*texts));
	ids = mn_xcalloc(nm, sizeof(*ids));
	rowid = mn_xcalloc(nm, sizeof(*rowid));
	mn_store_begin(st, &err);
	for (size_t i = 0; i < nm; i++) {
		struct mn_raw r = { 0 };
		const char *t = json_string_value(json_object_get(mems[i], "text"));

		r.content = (char *)t;
		r.content_len = strlen(t);
		r.project = (char *)json_string_value(json_object_get(mems[i], "project"));
		r.type = (char *)json_string_value(json_object_get(mems[i], "type"));
		r.session = (char *)json_string_value(json_object_get(mems[i], "session"));
		r.source = "bench";
		snprintf(r.occurred_at, sizeof(r.occurred_at), "%s",
			 json_string_value(json_object_get(mems[i], "occurred_at")));
		if (mn_store_put_raw(st, &r, &err))
			return fprintf(stderr, "put: %s\n", err.msg), 1;
		texts[i] = t;
		ids[i] = (char *)json_string_value(json_object_get(mems[i], "id"));
	}
	mn_store_commit(st, &err);
	{
		struct mn_vec_todo *t = NULL;
		size_t n = 0;

		mn_store_vec_missing(st, &t, &n, "none", 1, 0, (int)nm + 1, true, &err);
		if (n != nm)
			return fprintf(stderr, "%zu rows for %zu memories\n", n, nm), 1;
		for (size_t i = 0; i < n; i++)
			rowid[i] = t[i].rowid;
		mn_vec_todos_free(t, n);
	}
	mv = mn_xmalloc(sizeof(float) * nm * (size_t)dim);
	embed_all(e, mv, texts, nm);
	if (mn_store_vec_put(st, rowid, mv, nm, dim, cfg.embedding.model, &err))
		return fprintf(stderr, "vec: %s\n", err.msg), 1;
	for (size_t i = 0; i < nq; i++)
		texts[i] = json_string_value(json_object_get(qs[i], "query"));
	qv = mn_xmalloc(sizeof(float) * nq * (size_t)dim);
	embed_all(e, qv, texts, nq);

	for (size_t qi = 0; qi < nq; qi++) {
		const json_t *q = qs[qi], *v;
		const char *cat = json_string_value(json_object_get(q, "category"));
		int64_t ev[8], rows[NSYS][DEPTH];
		size_t nev = 0, nrows[NSYS] = { 0 }, i;
		struct mn_recall_opts o = { .query = texts[qi], .limit = DEPTH };
		struct mn_recall_result r;
		struct mn_vec_hit *h = NULL;
		size_t nh = 0;
		int c;

		o.project = json_string_value(json_object_get(q, "project"));
		json_array_foreach(json_object_get(q, "evidence"), i,
				   v) for (size_t m = 0; m < nm && nev < 8;
					   m++) if (!strcmp(ids[m], json_string_value(v)))
			ev[nev++] = rowid[m];
		for (c = 0; c < ncat && strcmp(cats[c], cat); c++) {
		}
		if (c == ncat && ncat < 16)
			snprintf(cats[ncat++], sizeof(cats[0]), "%s", cat);
		/* lexical, deep enough for the feature fusion */
		if (mn_store_recall(st, &r, &o, &err))
			return fprintf(stderr, "recall: %s\n", err.msg), 1;
		o.query_vec = qv + qi * (size_t)dim;
		o.query_dim = dim;
		o.vec_model = cfg.embedding.model;
		o.vec_weight = cfg.embedding_weight;
		mn_store_vec_search(st, &h, &nh, &o, DEPTH, &err);
		for (i = 0; i < r.n && i < 10; i++)
			rows[0][nrows[0]++] = r.items[i].rowid;
		for (int s = 2; s < NSYS; s++) {
			struct cand cd[2 * DEPTH];
			size_t n = 0;

			for (i = 0; i < r.n; i++)
				cd[n++] = (struct cand){ r.items[i].rowid,
							 rrf_k[s] > 0
								 ? 1.0 / (rrf_k[s] + (double)i + 1)
								 : r.items[i].score };
			for (size_t j = 0; j < nh; j++) {
				size_t k;

				for (k = 0; k < n && cd[k].rowid != h[j].rowid; k++) {
				}
				if (k == n)
					cd[n++] = (struct cand){ h[j].rowid, 0 };
				cd[k].score += rrf_k[s] > 0
						       ? feature_w[s] / (rrf_k[s] + (double)j + 1)
						       : feature_w[s] * h[j].sim;
			}
			qsort(cd, n, sizeof(*cd), by_score);
			for (i = 0; i < n && i < 10; i++)
				rows[s][nrows[s]++] = cd[i].rowid;
		}
		mn_recall_result_release(&r);
		free(h);
		/* the shipped fusion */
		o.limit = 10;
		if (mn_store_recall(st, &r, &o, &err))
			return fprintf(stderr, "recall: %s\n", err.msg), 1;
		for (i = 0; i < r.n; i++)
			rows[1][nrows[1]++] = r.items[i].rowid;
		mn_recall_result_release(&r);
		for (int s = 0; s < NSYS; s++) {
			int rank = first_hit(rows[s], nrows[s], ev, nev);

			add(&sc[c][s], rank);
			add(&sc[16][s], rank);
		}
	}
	printf("== recall quality with vectors (%s, %d dims; %zu memories, %zu questions)\n",
	       cfg.embedding.model, dim, nm, nq);
	for (int c = 0; c <= ncat; c++) {
		int ci = c == ncat ? 16 : c;

		for (int s = 0; s < NSYS; s++) {
			struct score *x = &sc[ci][s];

			if (!x->n)
				continue;
			printf("%-18s %-15s R@1 %.3f  R@5 %.3f  R@10 %.3f  MRR %.3f\n",
			       c == ncat ? "overall" : cats[c], sys_names[s], x->r1 / x->n,
			       x->r5 / x->n, x->r10 / x->n, x->mrr / x->n);
		}
	}
	mn_store_close(st);
	mn_embed_free(e);
	mn_file_remove_tree(dir, &err);
	return 0;
}
