/*
 * store_recall.c - the recall index and its ranking (docs/recall.md).
 *
 * One FTS5 table, recall_fts, holds a document per raw memory from the
 * moment it is stored (its text and the dates it mentions or happened
 * on); the encoding's gist, summary, concepts and key terms join the same
 * document once it is encoded. The Porter stemmer joins inflections.
 *
 * A query becomes term groups: each content word (function words
 * dropped) with its other forms and synonyms at lower weight, and each
 * date it names as a date key. The FTS5 query is the OR of every phrase;
 * the auxiliary function mn_score ranks each match by BM25F over the
 * fields, per group the best of its phrases, normalised by the query's
 * total weight, so that a score is the share of the query a memory
 * matches (0..1) and memories matching more of the query rank first.
 * Salience, feedback and recency then move a score by a bounded factor.
 */
#include "store/store_recall.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "store/lexicon.h"
#include "store/store_internal.h"
#include "store/store_vec.h"

/* ---- ranking ---- */

enum { COL_CONTENT, COL_GIST, COL_SUMMARY, COL_CONCEPTS, COL_KEYTERMS, COL_DATES, N_COLS };

static const char *const col_names[N_COLS] = {
	"content", "gist", "summary", "concepts", "keyterms", "dates",
};

const char *const mn_rank_feature_names[MN_RANK_NF] = {
	"base", "lexical", "coverage", "content", "gist", "summary", "concepts",
	"keyterms", "dates", "exact", "recency", "salience", "feedback", "encoded",
	"repeats", "type_decision", "type_error", "type_fix", "type_preference",
	"type_insight", "type_note", "type_conversation", "type_config", "type_incident",
};

/* BM25F parameters, chosen on bench/recall (docs/recall.md). The raw
 * text carries the evidence; the encoding's short fields add to it at a
 * lower weight, so an encoded memory and a queued one score alike. */
struct rank_params {
	double w[N_COLS], b[N_COLS], k1;
};

static struct rank_params params = {
	.w = {1.0, 0.2, 0.1, 0.4, 0.4, 2.0},
	.b = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0},
	.k1 = 1.2,
};

/* MNEMO_RECALL_PARAMS="w0,..,w5;b0,..,b5;k1" overrides, for benchmarks. */
static void load_params(void)
{
	const char *e = getenv("MNEMO_RECALL_PARAMS");
	struct rank_params p = params;

	if (!e || !*e)
		return;
	if (sscanf(e, "%lf,%lf,%lf,%lf,%lf,%lf;%lf,%lf,%lf,%lf,%lf,%lf;%lf", &p.w[0], &p.w[1],
		   &p.w[2], &p.w[3], &p.w[4], &p.w[5], &p.b[0], &p.b[1], &p.b[2], &p.b[3], &p.b[4],
		   &p.b[5], &p.k1) == 13)
		params = p;
	else
		mn_warn("store", "MNEMO_RECALL_PARAMS ignored: want 'w*6;b*6;k1'");
}

#define MAX_PHRASES 96
#define MAX_GROUPS 32

/* Per-row detail, for the score and for --explain. */
struct rank_row {
	double tf[MAX_PHRASES][N_COLS];
	int best_phrase[MAX_GROUPS];
	double group_score[MAX_GROUPS];
	double lexical;
};

/* Per-query data of the auxiliary function, computed at its first row. */
struct rank_query {
	int n_phrases, n_groups;
	int group[MAX_PHRASES];
	double weight[MAX_PHRASES];
	double idf[MAX_PHRASES];
	double norm; /* sum over groups of the group's best weight x idf */
	double gbest[MAX_GROUPS]; /* each group's best weight x idf */
	double gmaxw[MAX_GROUPS]; /* each group's highest phrase weight */
	double avglen[N_COLS];
	struct rank_row row; /* scratch of the row being scored */
};

static int count_rows(const Fts5ExtensionApi *api, Fts5Context *ctx, void *payload)
{
	(*(sqlite3_int64 *)payload)++;
	return SQLITE_OK;
}

/* The idf of the last query's phrases on this thread: explain passes
 * them back in its spec instead of counting every phrase again. */
static _Thread_local double last_idf[MAX_PHRASES];

/* spec: "g:w[:idf] ..." - group and weight of each phrase in order. */
static struct rank_query *rank_query_new(const Fts5ExtensionApi *api, Fts5Context *ctx,
					 const char *spec)
{
	struct rank_query *q = mn_xcalloc(1, sizeof(*q));
	double best[MAX_GROUPS] = {0};
	sqlite3_int64 rows = 0;
	const char *p = spec;

	q->n_phrases = api->xPhraseCount(ctx);
	if (q->n_phrases > MAX_PHRASES)
		q->n_phrases = MAX_PHRASES;
	for (int i = 0; i < q->n_phrases; i++) {
		int g = 0, used = 0;
		double w = 1.0, idf = -1.0;

		if (p && sscanf(p, "%d:%lf%n", &g, &w, &used) == 2) {
			p += used;
			if (*p == ':' && sscanf(p, ":%lf%n", &idf, &used) == 1)
				p += used;
		} else {
			g = i;
			w = 1.0;
		}
		q->idf[i] = idf;
		if (g < 0 || g >= MAX_GROUPS)
			g = 0;
		q->group[i] = g;
		q->weight[i] = w;
		if (g + 1 > q->n_groups)
			q->n_groups = g + 1;
	}
	api->xRowCount(ctx, &rows);
	for (int c = 0; c < N_COLS && c < api->xColumnCount(ctx); c++) {
		sqlite3_int64 tot = 0;

		api->xColumnTotalSize(ctx, c, &tot);
		q->avglen[c] = rows > 0 && tot > 0 ? (double)tot / (double)rows : 1.0;
	}
	for (int i = 0; i < q->n_phrases; i++) {
		sqlite3_int64 df = 0;
		double x;

		if (q->idf[i] < 0) {
			api->xQueryPhrase(ctx, i, &df, count_rows);
			/* BM25's idf, floored so a word in most memories still
			 * counts a little (common words keep an order). */
			x = log(1.0 + ((double)rows - (double)df + 0.5) / ((double)df + 0.5));
			q->idf[i] = df > 0 ? fmax(x, 0.05) : 0.0;
		}
		last_idf[i] = q->idf[i];
		if (q->weight[i] * q->idf[i] > best[q->group[i]])
			best[q->group[i]] = q->weight[i] * q->idf[i];
		if (q->weight[i] > q->gmaxw[q->group[i]])
			q->gmaxw[q->group[i]] = q->weight[i];
	}
	for (int g = 0; g < q->n_groups; g++) {
		q->norm += best[g];
		q->gbest[g] = best[g];
	}
	return q;
}

static void rank_row(const Fts5ExtensionApi *api, Fts5Context *ctx, const struct rank_query *q,
		     struct rank_row *r)
{
	int len[N_COLS], ninst = 0;
	double total = 0;

	/* only what this query uses is cleared: the row runs once per match */
	memset(r->tf, 0, (size_t)q->n_phrases * sizeof(r->tf[0]));
	memset(r->group_score, 0, sizeof(r->group_score));
	for (int c = 0; c < N_COLS; c++)
		len[c] = -1; /* read when a field matched */
	api->xInstCount(ctx, &ninst);
	for (int i = 0; i < ninst; i++) {
		int ph = 0, col = 0, off = 0;

		if (api->xInst(ctx, i, &ph, &col, &off) != SQLITE_OK)
			continue;
		if (ph >= 0 && ph < q->n_phrases && col >= 0 && col < N_COLS)
			r->tf[ph][col] += 1.0;
	}
	for (int g = 0; g < MAX_GROUPS; g++)
		r->best_phrase[g] = -1;
	for (int ph = 0; ph < q->n_phrases; ph++) {
		double x = 0, s;
		int g = q->group[ph];

		for (int c = 0; c < N_COLS; c++) {
			double norm;

			if (!r->tf[ph][c])
				continue;
			if (params.b[c] <= 0) {
				norm = 1.0; /* no length normalisation: no length read */
			} else {
				if (len[c] < 0 && api->xColumnSize(ctx, c, &len[c]) != SQLITE_OK)
					len[c] = 0;
				norm = 1.0 - params.b[c] +
				       params.b[c] * (double)len[c] / q->avglen[c];
			}
			x += params.w[c] * r->tf[ph][c] / (norm > 0.05 ? norm : 0.05);
		}
		s = x > 0 ? q->weight[ph] * q->idf[ph] * x * (params.k1 + 1.0) / (params.k1 + x)
			  : 0.0;
		if (s > r->group_score[g]) {
			r->group_score[g] = s;
			r->best_phrase[g] = ph;
		}
	}
	for (int g = 0; g < q->n_groups; g++)
		total += r->group_score[g];
	r->lexical = q->norm > 0 ? total / ((params.k1 + 1.0) * q->norm) : 0.0;
}

/* The detail of the best rows of the last search on this thread, kept as
 * they are scored, so that explaining a result needs no second query. */
#define XCACHE 128

struct xrow {
	int64_t rowid;
	double lexical;
	short best[MAX_GROUPS];            /* phrase position, -1: none */
	unsigned char fields[MAX_GROUPS];  /* bit c: matched in column c */
	double score[MAX_GROUPS];          /* the group's share of the score */
};

static _Thread_local struct {
	struct xrow rows[XCACHE];
	int n, n_groups;
	double idf[MAX_PHRASES], weight[MAX_PHRASES];
	double norm, gbest[MAX_GROUPS], gmaxw[MAX_GROUPS];
} xc;

static void xcache_reset(const struct rank_query *q)
{
	xc.n = 0;
	xc.n_groups = q->n_groups;
	xc.norm = q->norm;
	memcpy(xc.idf, q->idf, sizeof(xc.idf));
	memcpy(xc.weight, q->weight, sizeof(xc.weight));
	memcpy(xc.gbest, q->gbest, sizeof(xc.gbest));
	memcpy(xc.gmaxw, q->gmaxw, sizeof(xc.gmaxw));
}

/* The ranker's match features of a cached row (docs/ranker.md): the
 * shares of the query matched at all, in each field, and by the query's
 * own words. false when the row is not cached (beyond the XCACHE best). */
static bool xcache_features(int64_t rowid, float *f)
{
	for (int i = 0; i < xc.n; i++) {
		const struct xrow *x = &xc.rows[i];
		double cover = 0, exact = 0, field[N_COLS] = {0};

		if (x->rowid != rowid)
			continue;
		for (int g = 0; g < xc.n_groups; g++) {
			int ph = x->best[g];
			double wi;

			if (ph < 0)
				continue;
			wi = xc.weight[ph] * xc.idf[ph];
			cover += xc.gbest[g];
			if (xc.weight[ph] >= xc.gmaxw[g] - 1e-9)
				exact += wi;
			for (int c = 0; c < N_COLS; c++)
				if (x->fields[g] & (1u << c))
					field[c] += wi;
		}
		if (xc.norm <= 0)
			return true;
		f[MN_RANK_COVERAGE] = (float)(cover / xc.norm);
		f[MN_RANK_EXACT] = (float)(exact / xc.norm);
		for (int c = 0; c < N_COLS; c++)
			f[MN_RANK_CONTENT + c] = (float)(field[c] / xc.norm);
		return true;
	}
	return false;
}

static void xcache_add(const struct rank_query *q, const struct rank_row *r, int64_t rowid)
{
	struct xrow *x;
	int slot = xc.n;

	if (r->lexical <= 0)
		return;
	if (xc.n == XCACHE) {
		slot = 0;
		for (int i = 1; i < XCACHE; i++)
			if (xc.rows[i].lexical < xc.rows[slot].lexical)
				slot = i;
		if (xc.rows[slot].lexical >= r->lexical)
			return;
	} else {
		xc.n++;
	}
	x = &xc.rows[slot];
	x->rowid = rowid;
	x->lexical = r->lexical;
	for (int g = 0; g < q->n_groups; g++) {
		int ph = r->best_phrase[g];

		x->best[g] = (short)ph;
		x->fields[g] = 0;
		for (int c = 0; ph >= 0 && c < N_COLS; c++)
			if (r->tf[ph][c])
				x->fields[g] |= (unsigned char)(1u << c);
		x->score[g] = q->norm > 0 ? r->group_score[g] / ((params.k1 + 1.0) * q->norm) : 0;
	}
}

/* The detail mn_explain gives, from a cached row; NULL when the row is
 * not among them. */
static json_t *xcache_detail(int64_t rowid)
{
	json_t *out, *groups;

	for (int i = 0; i < xc.n; i++) {
		const struct xrow *x = &xc.rows[i];

		if (x->rowid != rowid)
			continue;
		out = json_object();
		groups = json_array();
		for (int g = 0; g < xc.n_groups; g++) {
			json_t *o = json_object(), *fields = json_array();
			int ph = x->best[g];

			json_object_set_new(o, "group", json_integer(g));
			json_object_set_new(o, "phrase", json_integer(ph));
			for (int c = 0; ph >= 0 && c < N_COLS; c++)
				if (x->fields[g] & (1u << c))
					json_array_append_new(fields, json_string(col_names[c]));
			if (ph >= 0) {
				json_object_set_new(o, "idf", json_real(xc.idf[ph]));
				json_object_set_new(o, "weight", json_real(xc.weight[ph]));
			}
			json_object_set_new(o, "fields", fields);
			json_object_set_new(o, "score", json_real(x->score[g]));
			json_array_append_new(groups, o);
		}
		json_object_set_new(out, "lexical", json_real(x->lexical));
		json_object_set_new(out, "groups", groups);
		return out;
	}
	return NULL;
}

static struct rank_query *rank_query_get(const Fts5ExtensionApi *api, Fts5Context *ctx,
					 sqlite3_value *spec)
{
	struct rank_query *q = api->xGetAuxdata(ctx, 0);

	if (q)
		return q;
	q = rank_query_new(api, ctx, spec ? (const char *)sqlite3_value_text(spec) : NULL);
	xcache_reset(q);
	api->xSetAuxdata(ctx, q, free);
	return q;
}

static void fts_score(const Fts5ExtensionApi *api, Fts5Context *ctx, sqlite3_context *sctx,
		      int n, sqlite3_value **v)
{
	struct rank_query *q = rank_query_get(api, ctx, n > 0 ? v[0] : NULL);

	rank_row(api, ctx, q, &q->row);
	xcache_add(q, &q->row, api->xRowid(ctx));
	sqlite3_result_double(sctx, q->row.lexical);
}

/* JSON detail of one row: {"lexical", "groups": [{"phrase", "field"...}]} */
static void fts_explain(const Fts5ExtensionApi *api, Fts5Context *ctx, sqlite3_context *sctx,
			int n, sqlite3_value **v)
{
	struct rank_query *q = rank_query_get(api, ctx, n > 0 ? v[0] : NULL);
	struct rank_row *r = mn_xmalloc(sizeof(*r));
	json_t *out = json_object(), *groups = json_array();
	char *text;

	rank_row(api, ctx, q, r);
	for (int g = 0; g < q->n_groups; g++) {
		json_t *o = json_object(), *fields = json_array();
		int ph = r->best_phrase[g];

		json_object_set_new(o, "group", json_integer(g));
		json_object_set_new(o, "phrase", json_integer(ph));
		if (ph >= 0) {
			for (int c = 0; c < N_COLS; c++)
				if (r->tf[ph][c])
					json_array_append_new(fields, json_string(col_names[c]));
			json_object_set_new(o, "idf", json_real(q->idf[ph]));
			json_object_set_new(o, "weight", json_real(q->weight[ph]));
		}
		json_object_set_new(o, "fields", fields);
		json_object_set_new(o, "score",
				    json_real(q->norm > 0 ? r->group_score[g] /
						   ((params.k1 + 1.0) * q->norm) : 0.0));
		json_array_append_new(groups, o);
	}
	json_object_set_new(out, "lexical", json_real(r->lexical));
	json_object_set_new(out, "groups", groups);
	text = mn_json_dumps(out);
	json_decref(out);
	sqlite3_result_text(sctx, text, -1, free);
	free(r);
}

static fts5_api *fts5_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	sqlite3_finalize(s);
	return api;
}

int mn_store_recall_setup(struct mn_store *st, struct mn_err *err)
{
	fts5_api *api = NULL;
	int rc;

	if (st->recall_ready)
		return 0;
	api = fts5_of(st->db);
	load_params();
	if (!api || api->iVersion < 2)
		return mn_err_set(err, MN_EIO, "this SQLite has no FTS5 (recall needs it)");
	rc = api->xCreateFunction(api, "mn_score", NULL, fts_score, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "mn_explain", NULL, fts_explain, NULL);
	if (rc != SQLITE_OK)
		return mn_store_fail(st, err, "register recall functions");
	st->recall_ready = true;
	return 0;
}

/* ---- queries ---- */

struct qphrase {
	char text[64];
	int group;
	double weight;
};

struct qgroup {
	char term[64];
	bool date;
};

struct query {
	struct qphrase p[MAX_PHRASES];
	size_t n;
	double scale; /* weight of the group being added */
	struct qgroup g[MAX_GROUPS];
	size_t n_groups;
};

static bool word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

static void add_phrase(struct query *q, const char *text, int group, double weight)
{
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->p[i].text, text))
			return; /* a phrase counts once, for its first group */
	if (q->n >= MAX_PHRASES)
		return;
	snprintf(q->p[q->n].text, sizeof(q->p[q->n].text), "%s", text);
	q->p[q->n].group = group;
	q->p[q->n].weight = weight * (q->scale > 0 ? q->scale : 1.0);
	q->n++;
}

static void add_expansion(void *payload, const char *other, double weight)
{
	struct query *q = payload;

	add_phrase(q, other, (int)q->n_groups - 1, weight);
}

static bool new_group(struct query *q, const char *term, bool date)
{
	for (size_t i = 0; i < q->n_groups; i++)
		if (!strcmp(q->g[i].term, term))
			return false;
	if (q->n_groups >= MAX_GROUPS || q->n >= MAX_PHRASES)
		return false;
	snprintf(q->g[q->n_groups].term, sizeof(q->g[0].term), "%s", term);
	q->g[q->n_groups].date = date;
	q->n_groups++;
	return true;
}

/* Words of the query outside date expressions (and outside an anchor's
 * offset); function words dropped unless nothing else is left. The
 * anchor's own words count at half weight; extra (may be NULL) is a date
 * term to add, shown as extra_term. */
static void parse_query(struct query *q, const char *text, int64_t now,
			const struct mn_date_offset *an,
			const struct mn_date *extra, const char *extra_term)
{
	struct mn_date dates[MN_DATES_MAX];
	size_t nd = mn_dates_find(dates, MN_DATES_MAX, text, strlen(text), now);
	char words[MAX_GROUPS][64];
	bool stop[MAX_GROUPS], in_anchor[MAX_GROUPS];
	size_t nw = 0, n_content = 0;
	const unsigned char *s = (const unsigned char *)text, *p = s;

	memset(q, 0, sizeof(*q));
	while (*p && nw < MAX_GROUPS) {
		const unsigned char *start;
		bool in_date = false;
		size_t k = 0, pos;

		while (*p && !word_byte(*p))
			p++;
		start = p;
		while (*p && word_byte(*p)) {
			if (k < sizeof(words[0]) - 1)
				words[nw][k++] = (char)tolower(*p);
			p++;
		}
		if (p == start)
			break;
		words[nw][k] = '\0';
		pos = (size_t)(start - s);
		for (size_t d = 0; d < nd; d++)
			if (pos >= dates[d].start && pos < dates[d].start + dates[d].len)
				in_date = true;
		if (in_date || (an && pos >= an->start && pos < an->anchor_start))
			continue;
		in_anchor[nw] = an && pos >= an->anchor_start && pos < an->anchor_end;
		stop[nw] = mn_lexicon_is_stopword(words[nw]);
		n_content += !stop[nw];
		nw++;
	}
	for (size_t i = 0; i < nw; i++) {
		if (stop[i] && (n_content || nd || extra))
			continue;
		if (!new_group(q, words[i], false))
			continue;
		q->scale = in_anchor[i] ? 0.5 : 1.0;
		add_phrase(q, words[i], (int)q->n_groups - 1, 1.0);
		mn_lexicon_expand(words[i], 8, add_expansion, q);
	}
	q->scale = 1.0;
	for (size_t d = 0; d < nd + (extra ? 1 : 0); d++) {
		const struct mn_date *dt = d < nd ? &dates[d] : extra;
		struct mn_buf b = MN_BUF_INIT;
		char span[64], *key;

		mn_dates_query_key(&b, dt);
		key = mn_buf_detach(&b, NULL);
		if (d < nd)
			snprintf(span, sizeof(span), "%.*s", (int)dt->len, text + dt->start);
		else
			snprintf(span, sizeof(span), "%s", extra_term);
		if (new_group(q, span, true))
			add_phrase(q, key, (int)q->n_groups - 1, 1.0);
		free(key);
	}
}

/* The FTS5 expression of a query and the query phrase at each of its
 * phrase positions (FTS5 numbers phrases as they appear). */
struct plan {
	int order[MAX_PHRASES];
	int n;
	int64_t floor; /* only rowids above it (0: all) */
	char *match;
};

static void plan_add(struct plan *pl, struct mn_buf *b, const struct query *q, int ph,
		     const char *sep)
{
	if (pl->n >= MAX_PHRASES)
		return;
	pl->order[pl->n++] = ph;
	mn_buf_addf(b, "%s\"%s\"", sep, q->p[ph].text);
}

/* All phrases, OR-ed. */
static void plan_all(struct plan *pl, const struct query *q)
{
	struct mn_buf b = MN_BUF_INIT;

	memset(pl, 0, sizeof(*pl));
	for (size_t i = 0; i < q->n; i++)
		plan_add(pl, &b, q, (int)i, i ? " OR " : "");
	pl->match = mn_buf_detach(&b, NULL);
}

/* A word in more than 2% of the memories selects thousands of them and
 * ranks little. When the query also has rarer phrases, those select and
 * the common ones only score the rows they select: (R) OR ((R) AND (C)).
 * When every phrase is common, the COMMON_WINDOW most recent memories are
 * ranked, and when that finds fewer than the results asked for, every
 * match is (rank). */
#define COMMON_WINDOW 5000

/* In how many memories the phrase occurs, counted up to cap (a bounded
 * search: cheaper than the index's term list, fts5vocab, which scans). */
static int64_t phrase_df(struct mn_store *st, const char *text, int64_t cap, struct mn_err *err)
{
	static const char *const sql =
		"SELECT count(*) FROM (SELECT 1 FROM recall_fts WHERE recall_fts MATCH ?1"
		" LIMIT ?2)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char phrase[80];
	int64_t df = 0;

	if (!s)
		return -1;
	snprintf(phrase, sizeof(phrase), "\"%s\"", text);
	sqlite3_bind_text(s, 1, phrase, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, cap);
	if (sqlite3_step(s) == SQLITE_ROW)
		df = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return df;
}

static int plan_query(struct mn_store *st, struct plan *pl, const struct query *q,
		      struct mn_err *err)
{
	static const char *const sql_n = "SELECT max(rowid) FROM raw_memories";
	sqlite3_stmt *s = mn_store_stmt(st, sql_n, err);
	bool common[MAX_PHRASES] = { false }, absent[MAX_PHRASES] = { false };
	size_t n_common = 0, n_absent = 0;
	int64_t rows = 0, bar;
	struct mn_buf b = MN_BUF_INIT;

	if (!s)
		return MN_EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		rows = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	bar = rows / 50;
	plan_all(pl, q);
	/* a small store is scanned whole: it is fast, and exact */
	if (rows <= 2 * COMMON_WINDOW || q->n < 1)
		return 0;
	for (size_t i = 0; i < q->n; i++) {
		int64_t df = phrase_df(st, q->p[i].text, bar + 1, err);

		if (df < 0)
			return MN_EIO;
		if (df > bar) {
			common[i] = true;
			n_common++;
		} else if (!df) {
			absent[i] = true; /* matches nothing: in neither part */
			n_absent++;
		}
	}
	if (!n_common)
		return 0;
	if (n_common + n_absent == q->n) {
		if (rows > COMMON_WINDOW)
			pl->floor = rows - COMMON_WINDOW;
		return 0;
	}
	free(pl->match);
	memset(pl, 0, sizeof(*pl));
	for (int pass = 0; pass < 2; pass++) {
		mn_buf_adds(&b, pass ? " OR ((" : "(");
		for (size_t i = 0, k = 0; i < q->n; i++)
			if (!common[i] && !absent[i])
				plan_add(pl, &b, q, (int)i, k++ ? " OR " : "");
		mn_buf_adds(&b, ")");
	}
	mn_buf_adds(&b, " AND (");
	for (size_t i = 0, k = 0; i < q->n; i++)
		if (common[i])
			plan_add(pl, &b, q, (int)i, k++ ? " OR " : "");
	mn_buf_adds(&b, "))");
	pl->match = mn_buf_detach(&b, NULL);
	return 0;
}

/* with_idf: the idf the search computed (last_idf), for explain. */
static char *spec_of(const struct query *q, const struct plan *pl, bool with_idf)
{
	struct mn_buf b = MN_BUF_INIT;

	for (int i = 0; i < pl->n; i++) {
		const struct qphrase *p = &q->p[pl->order[i]];

		mn_buf_addf(&b, "%s%d:%.3f", i ? " " : "", p->group, p->weight);
		if (with_idf)
			mn_buf_addf(&b, ":%.17g", last_idf[i]);
	}
	return mn_buf_detach(&b, NULL);
}

/* ---- search ---- */

struct cand {
	int64_t rowid;
	double lexical, score;
	char occurred_at[MN_TIME_LEN];
	bool vec;  /* a vector candidate too (fuse) */
	float sim; /* its cosine similarity */
	bool has_f;
	float f[MN_RANK_NF]; /* the ranker's features (rescore) */
};

/* Bounded priors: salience moves a score by at most +-10%, helpful
 * ratings add at most 25%, recency at most 5%. An 'irrelevant' rating
 * says the memory did not answer that one question: counted here it
 * demoted the memory for every later question, and in a real store what
 * one question finds irrelevant is often the answer to the next, similar
 * one (bench/ranker: the hand order's MRR on questions nobody rated fell
 * 0.705 -> 0.615 after an agent rated the other half). The feedback
 * feature keeps both signs, for a learned ranker to weigh. */
static double prior(double salience, double feedback, double recency)
{
	return 1.0 + 0.2 * (salience - 0.5) + 0.25 * fmax(feedback, 0.0) + 0.05 * recency;
}

/* exp(-days/90) in whole days: the same recall gives the same scores all
 * day. */
static double recency_of(int64_t age_ms)
{
	double days = age_ms > 0 ? floor((double)age_ms / 86400000.0) : 0.0;

	return exp(-days / 90.0);
}

static int by_score(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(y->occurred_at, x->occurred_at);
}

static int by_lexical(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->lexical != y->lexical)
		return x->lexical < y->lexical ? 1 : -1;
	return x->rowid < y->rowid ? 1 : x->rowid > y->rowid ? -1 : 0;
}

/* The priors can move a score by a factor between these two. */
#define PRIOR_MIN 0.65
#define PRIOR_MAX 1.40
/* At most this many of the best lexical matches get their priors (at
 * least 5 per result asked for): beyond them only near-ties could move. */
#define RESCORE_MIN 50

/* The features of a candidate whose priors row s holds (docs/ranker.md),
 * and its score: the ranker's, or base without one. */
static void features_of(struct cand *c, sqlite3_stmt *s, int64_t now,
			const struct mn_recall_opts *o)
{
	bool encoded = sqlite3_column_type(s, 1) != SQLITE_NULL;
	double sal = encoded ? sqlite3_column_double(s, 1) : 0.5;
	double fb = encoded ? sqlite3_column_double(s, 2) : 0.0;
	int64_t reps = sqlite3_column_int64(s, 3), t = 0;
	const char *type = (const char *)sqlite3_column_text(s, 4);
	double rec;

	mn_time_parse(&t, c->occurred_at);
	rec = recency_of(now - t);
	memset(c->f, 0, sizeof(c->f));
	c->has_f = true;
	xcache_features(c->rowid, c->f);
	c->f[MN_RANK_BASE] = (float)(c->lexical * prior(sal, fb, rec));
	c->f[MN_RANK_LEXICAL] = (float)c->lexical;
	c->f[MN_RANK_RECENCY] = (float)rec;
	c->f[MN_RANK_SALIENCE] = (float)sal;
	c->f[MN_RANK_FEEDBACK] = (float)fb;
	c->f[MN_RANK_ENCODED] = encoded ? 1.0f : 0.0f;
	c->f[MN_RANK_REPEATS] = reps > 1 ? (float)fmin(1.0, log2((double)reps) / 4.0) : 0.0f;
	if (type) {
		/* "type_decision" -> "decision": case-insensitive, whole name */
		for (int k = MN_RANK_TYPE_DECISION; k < MN_RANK_NF; k++)
			if (!strcasecmp(type, mn_rank_feature_names[k] + 5))
				c->f[k] = 1.0f;
	}
	c->score = o && o->rank_fn ? o->rank_fn(o->rank_ctx, c->f) : (double)c->f[MN_RANK_BASE];
}

/* Stage two: the priors and features of the best lexical matches. A
 * match whose lexical score times PRIOR_MAX is below the limit-th best
 * times PRIOR_MIN cannot enter the hand-tuned results, so only the others
 * are read; a learned ranker gets the best lexical matches whatever their
 * score. */
static int rescore(struct mn_store *st, struct cand *c, size_t *n, int limit,
		   const struct mn_recall_opts *o, struct mn_err *err)
{
	static const char *const sql =
		"SELECT r.occurred_at, m.salience, m.feedback_score, r.repeat_count, r.type"
		" FROM raw_memories r LEFT JOIN memories m ON m.raw_id = r.id WHERE r.rowid = ?1";
	int64_t now = mn_time_now_ms();
	size_t keep = *n;
	double bar;

	if (*n > 1)
		qsort(c, *n, sizeof(*c), by_lexical);
	bar = *n ? c[(size_t)limit < *n ? (size_t)limit - 1 : *n - 1].lexical * PRIOR_MIN / PRIOR_MAX
		 : 0;
	while (!o->rank_fn && keep > 0 && c[keep - 1].lexical < bar)
		keep--;
	if (keep > RESCORE_MIN && keep > (size_t)limit * 5)
		keep = (size_t)limit * 5 > RESCORE_MIN ? (size_t)limit * 5 : RESCORE_MIN;
	for (size_t i = 0; i < keep; i++) {
		sqlite3_stmt *s = mn_store_stmt(st, sql, err);
		int rc;

		if (!s)
			return MN_EIO;
		sqlite3_bind_int64(s, 1, c[i].rowid);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			mn_store_col_copy(c[i].occurred_at, sizeof(c[i].occurred_at), s, 0);
			features_of(&c[i], s, now, o);
		} else {
			c[i].score = c[i].lexical; /* forgotten meanwhile: load_doc skips it */
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return mn_store_fail(st, err, "read priors");
	}
	*n = keep;
	return 0;
}

/* Every match that passes the filters is scored (the filters are part of
 * the search, so no match is lost to a candidate window); stage one reads
 * the index alone, stage two (rescore) the priors of the best. */
static int search(struct mn_store *st, struct cand **out, size_t *out_n, const struct plan *pl,
		  const char *spec, const struct mn_recall_opts *o, int limit, struct mn_err *err)
{
	static const char *const sql_all =
		"SELECT rowid, mn_score(recall_fts, ?2) FROM recall_fts WHERE recall_fts MATCH ?1"
		" AND rowid > ?8";
	static const char *const sql_filtered =
		"SELECT recall_fts.rowid, mn_score(recall_fts, ?2) FROM recall_fts"
		" JOIN raw_memories r ON r.rowid = recall_fts.rowid"
		" WHERE recall_fts MATCH ?1 AND recall_fts.rowid > ?8"
		" AND (?3 IS NULL OR r.project = ?3) AND (?4 IS NULL OR r.type = ?4)"
		" AND (?5 IS NULL OR r.source = ?5) AND (?6 IS NULL OR r.occurred_at >= ?6)"
		" AND (?7 IS NULL OR r.occurred_at < ?7)";
	bool filtered = o->project || o->type || o->source || o->since || o->until;
	sqlite3_stmt *s = mn_store_stmt(st, filtered ? sql_filtered : sql_all, err);
	struct cand *c = NULL;
	size_t n = 0, alloc = 0;
	int rc, ret;

	*out = NULL;
	*out_n = 0;
	xc.n = 0; /* a search that scores nothing leaves no stale detail behind */
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, pl->match, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, spec, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, pl->floor);
	if (filtered) {
		mn_store_bind_text(s, 3, o->project);
		mn_store_bind_text(s, 4, o->type);
		mn_store_bind_text(s, 5, o->source);
		mn_store_bind_text(s, 6, o->since);
		mn_store_bind_text(s, 7, o->until);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c = mn_xgrow(c, &alloc, n + 1, sizeof(*c));
		memset(&c[n], 0, sizeof(c[n]));
		c[n].rowid = sqlite3_column_int64(s, 0);
		c[n].lexical = sqlite3_column_double(s, 1);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(c);
		return mn_store_fail(st, err, "search memories");
	}
	ret = rescore(st, c, &n, limit > 0 ? limit : 10, o, err);
	if (ret) {
		free(c);
		return ret;
	}
	*out = c;
	*out_n = n;
	return 0;
}

/* The full row of a ranked document: the memory when encoded, else the
 * raw row. MN_ENOTFOUND when it was forgotten since it was ranked. */
static int load_doc(struct mn_store *st, struct mn_memory *m, int64_t rowid, struct mn_err *err)
{
	static const char *const sql_mem =
		"SELECT " MN_STORE_MEM_COLS " FROM memories m"
		" WHERE m.raw_id = (SELECT id FROM raw_memories WHERE rowid = ?1)";
	static const char *const sql_raw =
		"SELECT id, content, source, type, project, state, created_at, occurred_at"
		" FROM raw_memories WHERE rowid = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql_mem, err);
	int rc;

	if (!s)
		return MN_EIO;
	sqlite3_bind_int64(s, 1, rowid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mn_store_read_memory(m, s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return mn_store_fail(st, err, "load memory");
	s = mn_store_stmt(st, sql_raw, err);
	if (!s)
		return MN_EIO;
	sqlite3_bind_int64(s, 1, rowid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(m, 0, sizeof(*m));
		mn_store_col_copy(m->raw_id, sizeof(m->raw_id), s, 0);
		m->raw_content = mn_store_col_dup(s, 1);
		m->source = mn_store_col_dup(s, 2);
		m->type = mn_store_col_dup(s, 3);
		m->project = mn_store_col_dup(s, 4);
		mn_store_col_copy(m->state, sizeof(m->state), s, 5);
		mn_store_col_copy(m->created_at, sizeof(m->created_at), s, 6);
		mn_store_col_copy(m->occurred_at, sizeof(m->occurred_at), s, 7);
		m->flags = json_array();
		m->salience = 0.5;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return MN_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "load raw memory");
	return 0;
}

/* Which query terms matched and where, from mn_explain. */
static json_t *explain_doc(struct mn_store *st, const struct query *q, const struct plan *pl,
			   const char *spec, int64_t rowid, double score, struct mn_err *err)
{
	static const char *const sql =
		"SELECT mn_explain(recall_fts, ?2) FROM recall_fts"
		" WHERE recall_fts MATCH ?1 AND rowid = ?3";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *detail = xcache_detail(rowid), *out = json_object(), *terms = json_array();
	json_t *matched = json_array();
	const json_t *g;
	size_t i;

	if (detail)
		goto build;
	if (!s) {
		json_decref(terms);
		json_decref(matched);
		return out;
	}
	sqlite3_bind_text(s, 1, pl->match, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, spec, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, rowid);
	if (sqlite3_step(s) == SQLITE_ROW)
		detail = mn_store_col_json(s, 0);
	sqlite3_reset(s);
build:
	json_array_foreach(json_object_get(detail, "groups"), i, g) {
		json_int_t gi = json_integer_value(json_object_get(g, "group"));
		json_int_t pos = json_integer_value(json_object_get(g, "phrase"));
		json_int_t ph = pos >= 0 && pos < pl->n ? pl->order[pos] : -1;
		json_t *t = json_object();

		if (gi < 0 || (size_t)gi >= q->n_groups)
			continue;
		json_object_set_new(t, "term", json_string(q->g[gi].term));
		json_object_set_new(t, "kind", json_string(q->g[gi].date ? "date" : "word"));
		if (ph >= 0 && (size_t)ph < q->n) {
			json_object_set_new(t, "matched", json_string(q->p[ph].text));
			json_object_set(t, "fields", json_object_get(g, "fields"));
			json_object_set(t, "idf", json_object_get(g, "idf"));
			json_object_set(t, "weight", json_object_get(g, "weight"));
			json_array_append_new(matched, json_string(q->g[gi].date ? q->g[gi].term
										: q->p[ph].text));
		} else {
			json_object_set_new(t, "matched", json_null());
		}
		json_object_set(t, "score", json_object_get(g, "score"));
		json_array_append_new(terms, t);
	}
	json_object_set_new(out, "matched", matched);
	json_object_set_new(out, "terms", terms);
	json_object_set(out, "lexical", json_object_get(detail, "lexical"));
	json_object_set_new(out, "score", json_real(score));
	json_decref(detail);
	return out;
}

void mn_recall_result_release(struct mn_recall_result *r)
{
	if (!r)
		return;
	mn_memories_free(r->items, r->n);
	r->items = NULL;
	r->n = 0;
}

/* How long the recall log waits for another writer: the log is
 * best-effort, a recall never waits the full busy_timeout for it. */
#define RECALL_LOG_BUSY_MS 250

static int log_recall(struct mn_store *st, const struct mn_recall_result *r,
		      const struct mn_recall_opts *o, struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO recall_log(query_id, query, project, session, results, created_at,"
		" ranker) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *results = json_array();
	char *text;
	char now[MN_TIME_LEN];
	int ret;

	if (!s) {
		json_decref(results);
		return MN_EIO;
	}
	for (size_t i = 0; i < r->n; i++) {
		json_t *row = json_object();

		json_object_set_new(row, "memory_id",
				    json_string(r->items[i].id[0] ? r->items[i].id : ""));
		json_object_set_new(row, "raw_id", json_string(r->items[i].raw_id));
		json_object_set_new(row, "rank", json_integer((json_int_t)i + 1));
		json_object_set_new(row, "score", json_real(r->items[i].score));
		if (r->items[i].has_rank_features) {
			json_t *f = json_array();

			/* four decimals: what a ranker trained later needs */
			for (int k = 0; k < MN_RANK_NF; k++)
				json_array_append_new(
					f, json_real(round((double)r->items[i].rank_features[k] * 1e4) /
						     1e4));
			json_object_set_new(row, "features", f);
		}
		json_array_append_new(results, row);
	}
	text = mn_json_dumps(results);
	json_decref(results);
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, r->query_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, o->query, -1, SQLITE_STATIC);
	mn_store_bind_text(s, 3, o->project);
	mn_store_bind_text(s, 4, o->session);
	sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
	mn_store_bind_text(s, 7, o->ranker_version ? o->ranker_version : "hand");
	sqlite3_busy_timeout(st->db, RECALL_LOG_BUSY_MS);
	ret = mn_store_step_done(st, s, err, "log recall");
	sqlite3_busy_timeout(st->db, MN_STORE_BUSY_MS);
	free(text);
	return ret;
}

/* One read transaction around the search, so that a memory encoded (or
 * forgotten) while the recall runs is seen in exactly one state. Inside a
 * caller's transaction that one already does it. */
static int read_begin(struct mn_store *st, bool *out_own, struct mn_err *err)
{
	static const char *const sql = "BEGIN DEFERRED";
	sqlite3_stmt *s;

	*out_own = false;
	if (st->txn_depth > 0 || !sqlite3_get_autocommit(st->db))
		return 0;
	s = mn_store_stmt(st, sql, err);
	if (!s || mn_store_step_done(st, s, err, "begin read transaction"))
		return err && err->code ? err->code : MN_EIO;
	*out_own = true;
	return 0;
}

static void read_end(struct mn_store *st, bool own)
{
	/* Ending a transaction that only read cannot lose anything. */
	if (own && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Weighted reciprocal rank fusion of the lexical ranking in c (sorted)
 * with the vector candidates (docs/vectors.md): the lexical list adds
 * 1 / (60 + rank), the vector list o->vec_weight / (60 + rank), scaled so
 * that first in both lists scores 1. A memory without a vector keeps its
 * lexical rank's share; one found only by meaning joins. */
#define RRF_K 60.0
#define VEC_CANDIDATES 100

static int cmp_rowid(const void *a, const void *b)
{
	int64_t x = ((const struct cand *)a)->rowid, y = ((const struct cand *)b)->rowid;

	return x < y ? -1 : x > y;
}

static int fuse(struct mn_store *st, struct cand **cp, size_t *np, const struct mn_recall_opts *o,
		int limit, struct mn_err *err)
{
	struct mn_vec_hit *h = NULL;
	struct cand *c = *cp, *byrow = NULL;
	size_t nh = 0, n = *np, alloc = n, k = (size_t)limit * 5;
	int ret = mn_store_vec_search(st, &h, &nh, o, k > VEC_CANDIDATES ? k : VEC_CANDIDATES, err);

	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		c[i].vec = false;
		c[i].score = 1.0 / (RRF_K + (double)i + 1.0);
	}
	/* sorted by rowid, the lexical candidates' positions in c */
	byrow = mn_xmalloc((n ? n : 1) * sizeof(*byrow));
	for (size_t i = 0; i < n; i++) {
		byrow[i].rowid = c[i].rowid;
		byrow[i].score = (double)i;
	}
	qsort(byrow, n, sizeof(*byrow), cmp_rowid);
	for (size_t j = 0; j < nh; j++) {
		struct cand key = { .rowid = h[j].rowid };
		const struct cand *f = n ? bsearch(&key, byrow, n, sizeof(*byrow), cmp_rowid) : NULL;
		struct cand *x;

		if (f) {
			x = &c[(size_t)f->score];
		} else {
			c = mn_xgrow(c, &alloc, n + 1, sizeof(*c));
			x = &c[n++];
			memset(x, 0, sizeof(*x));
			x->rowid = h[j].rowid;
		}
		x->vec = true;
		x->sim = h[j].sim;
		x->score += o->vec_weight / (RRF_K + (double)j + 1.0);
	}
	for (size_t i = 0; i < n; i++)
		c[i].score *= (RRF_K + 1.0) / (1.0 + o->vec_weight);
	if (n > 1)
		qsort(c, n, sizeof(*c), by_score);
	free(byrow);
	free(h);
	*cp = c;
	*np = n;
	return 0;
}

static int rank(struct mn_store *st, struct mn_recall_result *out, const struct query *q,
		const struct mn_recall_opts *o, int limit, struct mn_err *err)
{
	struct plan pl = { .match = NULL };
	char *spec = NULL, *spec_idf = NULL;
	struct cand *c = NULL;
	size_t n = 0, alloc = 0;
	int ret = 0;

	if (q->n) {
		ret = plan_query(st, &pl, q, err);
		spec = spec_of(q, &pl, false);
		if (!ret)
			ret = search(st, &c, &n, &pl, spec, o, limit, err);
		if (!ret && n < (size_t)limit && pl.floor) {
			/* the recent window found too little: every match then */
			free(c);
			free(pl.match);
			free(spec);
			c = NULL;
			plan_all(&pl, q);
			spec = spec_of(q, &pl, false);
			ret = search(st, &c, &n, &pl, spec, o, limit, err);
		}
	}
	if (ret)
		goto out;
	if (n > 1)
		qsort(c, n, sizeof(*c), by_score);
	if (o->query_vec) {
		ret = fuse(st, &c, &n, o, limit, err);
		if (ret)
			goto out;
	}
	spec_idf = q->n ? spec_of(q, &pl, true) : NULL;
	for (size_t i = 0; i < n && out->n < (size_t)limit; i++) {
		struct mn_memory *m;

		out->items = mn_xgrow(out->items, &alloc, out->n + 1, sizeof(*out->items));
		m = &out->items[out->n];
		ret = load_doc(st, m, c[i].rowid, err);
		if (ret == MN_ENOTFOUND) {
			ret = 0;
			continue; /* forgotten since it was ranked */
		}
		if (ret)
			goto out;
		out->n++;
		m->rowid = c[i].rowid;
		m->score = c[i].score;
		m->has_rank_features = c[i].has_f;
		memcpy(m->rank_features, c[i].f, sizeof(m->rank_features));
		m->explain = q->n ? explain_doc(st, q, &pl, spec_idf, c[i].rowid, c[i].score, err)
				  : json_pack("{s:o,s:o,s:f}", "matched", json_array(), "terms",
					      json_array(), "score", c[i].score);
		if (o->query_vec)
			json_object_set_new(m->explain, "vector",
					    c[i].vec ? json_real(c[i].sim) : json_null());
	}
out:
	free(c);
	free(pl.match);
	free(spec);
	free(spec_idf);
	return ret;
}

/* The day an anchor happened: of its best matches (at most 5, within 70%
 * of the best score), the earliest - a follow-up or a postmortem comes
 * after the event it names. */
static int anchor_day(struct mn_store *st, struct mn_date *out, bool *found, const char *text,
		      const struct mn_date_offset *an, const struct mn_recall_opts *o, int64_t now,
		      struct mn_err *err)
{
	char *anchor_text = mn_xstrndup(text + an->anchor_start, an->anchor_end - an->anchor_start);
	struct query *aq = mn_xmalloc(sizeof(*aq));
	struct mn_recall_opts ao = *o;
	struct cand *c = NULL;
	size_t n = 0;
	int ret = 0;

	*found = false;
	parse_query(aq, anchor_text, now, NULL, NULL, NULL);
	if (aq->n) {
		struct plan pl;
		char *spec;

		plan_all(&pl, aq);
		spec = spec_of(aq, &pl, false);
		ao.rank_fn = NULL; /* the day of the best match by the words alone */
		ret = search(st, &c, &n, &pl, spec, &ao, 5, err);
		free(pl.match);
		free(spec);
	}
	if (!ret && n) {
		const char *earliest;
		int64_t t = 0;

		qsort(c, n, sizeof(*c), by_score);
		earliest = c[0].occurred_at;
		for (size_t i = 1; i < n && i < 5; i++)
			if (c[i].score >= 0.7 * c[0].score && strcmp(c[i].occurred_at, earliest) < 0)
				earliest = c[i].occurred_at;
		if (mn_time_parse(&t, earliest)) {
			mn_dates_day(out, t + (int64_t)an->days * 86400000LL);
			*found = true;
		}
	}
	free(c);
	free(aq);
	free(anchor_text);
	return ret;
}

int mn_store_recall(struct mn_store *st, struct mn_recall_result *out,
		    const struct mn_recall_opts *o, struct mn_err *err)
{
	struct query *q = NULL;
	struct mn_date_offset an;
	bool have_an;
	struct mn_date day;
	char term[64] = "";
	bool have_day = false;
	int64_t now = mn_time_now_ms();
	int limit = o->limit > 0 ? o->limit : 10;
	int ret = 0;
	bool own_read = false;

	memset(out, 0, sizeof(*out));
	if (limit > MN_LIMIT_RECALL_MAX)
		limit = MN_LIMIT_RECALL_MAX;
	if (!o->query || strlen(o->query) > MN_LIMIT_QUERY_BYTES)
		return mn_err_set(err, MN_EINVAL, "query must be 1 to %d bytes",
				  MN_LIMIT_QUERY_BYTES);
	mn_text_uuid4(out->query_id);
	ret = mn_store_recall_setup(st, err);
	if (ret)
		return ret;
	q = mn_xmalloc(sizeof(*q));
	ret = read_begin(st, &own_read, err);
	if (ret)
		goto out;
	have_an = mn_dates_find_offset(&an, o->query, strlen(o->query));
	if (have_an) {
		ret = anchor_day(st, &day, &have_day, o->query, &an, o, now, err);
		if (ret)
			goto out;
		snprintf(term, sizeof(term), "%.*s", (int)(an.anchor_end - an.start),
			 o->query + an.start);
	}
	parse_query(q, o->query, now, have_an ? &an : NULL, have_day ? &day : NULL, term);
	if (q->n || o->query_vec) {
		ret = rank(st, out, q, o, limit, err);
		if (ret)
			goto out;
	}
	read_end(st, own_read);
	own_read = false;
	if (st->readonly) {
		mn_debug("store", "read-only database: recall %s not logged", out->query_id);
	} else {
		struct mn_err lerr = MN_ERR_INIT;

		/* Best-effort: the answer matters more than the log (feedback
		 * on an unlogged query id reports it unknown). */
		if (log_recall(st, out, o, &lerr))
			mn_warn("store", "recall %s not logged: %s", out->query_id, lerr.msg);
	}
out:
	read_end(st, own_read);
	if (ret)
		mn_recall_result_release(out);
	free(q);
	return ret;
}
