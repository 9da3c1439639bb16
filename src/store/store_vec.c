/*
 * store_vec.c - vectors in the store and their exact search
 * (store_vec.h, docs/vectors.md).
 */
#include "store/store_vec.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "store/store_internal.h"
#include "store/vec_index.h"

void mn_vec_todos_free(struct mn_vec_todo *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		free(t[i].text);
	free(t);
}

int mn_store_vec_put(struct mn_store *st, const int64_t *rowids, const float *vecs, size_t n,
		     int dim, const char *model, struct mn_err *err)
{
	static const char *const sql_del = "DELETE FROM memory_vectors WHERE raw_rowid = ?1";
	static const char *const sql_seq =
		"UPDATE vector_state SET seq = seq + 1 WHERE id = 1 RETURNING seq";
	static const char *const sql_ins =
		"INSERT INTO memory_vectors(raw_rowid, model, dim, vec, seq, created_at)"
		" SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS"
		" (SELECT 1 FROM raw_memories WHERE rowid = ?1)";
	char now[MN_TIME_LEN];
	int ret;

	if (dim <= 0)
		return mn_err_set(err, MN_EINVAL, "vector dimensions must be positive");
	mn_time_now_str(now);
	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = mn_store_stmt(st, sql_del, err);
		sqlite3_int64 seq;

		if (!s) {
			ret = MN_EIO;
			goto out;
		}
		sqlite3_bind_int64(s, 1, rowids[i]);
		ret = mn_store_step_done(st, s, err, "replace vector");
		if (ret)
			goto out;
		s = mn_store_stmt(st, sql_seq, err);
		if (!s) {
			ret = MN_EIO;
			goto out;
		}
		if (sqlite3_step(s) != SQLITE_ROW) {
			ret = mn_store_fail(st, err, "count vectors");
			sqlite3_reset(s);
			goto out;
		}
		seq = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		s = mn_store_stmt(st, sql_ins, err);
		if (!s) {
			ret = MN_EIO;
			goto out;
		}
		sqlite3_bind_int64(s, 1, rowids[i]);
		sqlite3_bind_text(s, 2, model, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, dim);
		sqlite3_bind_blob(s, 4, vecs + i * (size_t)dim, (int)(sizeof(float) * (size_t)dim),
				  SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, seq);
		sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
		ret = mn_store_step_done(st, s, err, "store vector");
		if (ret)
			goto out;
	}
	ret = mn_store_commit(st, err);
out:
	if (ret && mn_store_in_transaction(st))
		mn_store_rollback(st);
	return ret;
}

int mn_store_vec_get(struct mn_store *st, float **out, int *out_dim, char **model_out,
		     int64_t rowid, struct mn_err *err)
{
	static const char *const sql =
		"SELECT model, dim, vec FROM memory_vectors WHERE raw_rowid = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc, ret = 0;

	*out = NULL;
	*out_dim = 0;
	if (model_out)
		*model_out = NULL;
	if (!s)
		return MN_EIO;
	sqlite3_bind_int64(s, 1, rowid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int dim = sqlite3_column_int(s, 1);
		size_t bytes = (size_t)sqlite3_column_bytes(s, 2);

		if (dim <= 0 || bytes != sizeof(float) * (size_t)dim) {
			ret = mn_err_set(err, MN_EPARSE, "vector of row %lld is damaged",
					 (long long)rowid);
		} else {
			*out = mn_xmalloc(bytes);
			memcpy(*out, sqlite3_column_blob(s, 2), bytes);
			*out_dim = dim;
			if (model_out)
				*model_out = mn_store_col_dup(s, 0);
		}
	} else if (rc == SQLITE_DONE) {
		ret = mn_err_set(err, MN_ENOTFOUND, "row %lld has no vector", (long long)rowid);
	} else {
		ret = mn_store_fail(st, err, "read vector");
	}
	sqlite3_reset(s);
	return ret;
}

int mn_store_vec_missing(struct mn_store *st, struct mn_vec_todo **out, size_t *out_n,
			 const char *model, int dim, int64_t after, int limit, bool all,
			 struct mn_err *err)
{
	static const char *const sql =
		"SELECT r.rowid, r.content FROM raw_memories r"
		" LEFT JOIN memory_vectors v ON v.raw_rowid = r.rowid"
		" WHERE r.rowid > ?3"
		" AND (?5 OR v.raw_rowid IS NULL OR v.model IS NOT ?1 OR v.dim != ?2)"
		" ORDER BY r.rowid LIMIT ?4";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	struct mn_vec_todo *t = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, model, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, dim);
	sqlite3_bind_int64(s, 3, after);
	sqlite3_bind_int(s, 4, limit);
	sqlite3_bind_int(s, 5, all);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t = mn_xgrow(t, &alloc, n + 1, sizeof(*t));
		t[n].rowid = sqlite3_column_int64(s, 0);
		t[n].text = mn_store_col_dup(s, 1);
		if (!t[n].text)
			t[n].text = mn_xstrdup("");
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		mn_vec_todos_free(t, n);
		return mn_store_fail(st, err, "list memories without vectors");
	}
	*out = t;
	*out_n = n;
	return 0;
}

int mn_store_vec_count(struct mn_store *st, int64_t *out_have, int64_t *out_missing,
		       const char *model, int dim, struct mn_err *err)
{
	static const char *const sql = "SELECT (SELECT count(*) FROM raw_memories),"
				       " (SELECT count(*) FROM memory_vectors v JOIN raw_memories "
				       "r ON r.rowid = v.raw_rowid"
				       "  WHERE v.model = ?1 AND v.dim = ?2)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, model, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, dim);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int64_t all = sqlite3_column_int64(s, 0), have = sqlite3_column_int64(s, 1);

		if (out_have)
			*out_have = have;
		if (out_missing)
			*out_missing = all - have;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "count vectors");
	return 0;
}

int mn_store_vec_clear(struct mn_store *st, struct mn_err *err)
{
	static const char *const sql = "DELETE FROM memory_vectors";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);

	if (!s)
		return MN_EIO;
	return mn_store_step_done(st, s, err, "delete vectors");
}

/* ---- the in-memory copy ---- */

struct vec_cache {
	char *path;
	dev_t dev;
	ino_t ino;
	char *model;
	int dim;
	int64_t seq, deletions; /* of vector_state when last synced */
	size_t n, alloc;
	int64_t *rowid;
	int64_t *rseq; /* n: each row's seq, ascending (the load order) */
	float *vec;    /* n * dim */
	int8_t *q8;    /* n * dim: vec / scale, rounded (the bound pass) */
	float *scale;  /* n */
	float *l1;     /* n: sum of |vec[i]| */
	/* the approximate index (NULL: none) and its build */
	struct mn_vec_index *ann;
	unsigned gen;  /* bumped when the copy is cleared: an older build is dropped */
	bool building;
	int64_t searches, searches_exact, searches_index;
	double build_ms, build_cpu_ms;
	struct vec_cache *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t build_done = PTHREAD_COND_INITIALIZER;
static int builds_running; /* under cache_lock */
static struct vec_cache *caches;

/* The index's settings (mn_store_vec_index_config), under cache_lock. */
enum ix_mode { IX_AUTO, IX_EXACT, IX_HNSW };
static enum ix_mode ix_mode = IX_AUTO;
static int64_t ix_min = MN_VEC_INDEX_MIN_DEFAULT;
static bool ix_warned; /* that the plugin is missing, once */

/* The graph's shape and search width, measured in docs/vectors.md. */
#define IX_M 16
#define IX_EF_BUILD 100
#define IX_EF_SEARCH 160
/* New vectors inserted into a built graph by the search that finds them
 * (about 1 ms each at 100k x 384); a larger batch (reindex) drops the
 * graph and a build starts over, the searches exact meanwhile. */
#define IX_MAX_INSERTS 256
/* A graph whose nodes are more than this share deleted is rebuilt. */
#define IX_MAX_DELETED 0.25
/* A filtered search goes through the graph only when the filters keep
 * at least this share of the vectors (it asks the graph for 2 k / share
 * and keeps those that pass); otherwise it is exact. */
#define IX_MIN_SHARE 0.25

static void cache_clear(struct vec_cache *c)
{
	free(c->rowid);
	free(c->rseq);
	free(c->vec);
	free(c->q8);
	free(c->scale);
	free(c->l1);
	mn_vec_index_free(c->ann);
	c->ann = NULL;
	c->l1 = NULL;
	c->rowid = NULL;
	c->rseq = NULL;
	c->vec = NULL;
	c->q8 = NULL;
	c->scale = NULL;
	c->n = c->alloc = 0;
	c->seq = 0;
	c->deletions = -1;
	c->gen++;
	c->building = false;
	c->searches = c->searches_exact = c->searches_index = 0;
}

void mn_store_vec_cache_reset(void)
{
	pthread_mutex_lock(&cache_lock);
	/* a build refers to its copy */
	while (builds_running)
		pthread_cond_wait(&build_done, &cache_lock);
	while (caches) {
		struct vec_cache *c = caches;

		caches = c->next;
		cache_clear(c);
		free(c->path);
		free(c->model);
		free(c);
	}
	pthread_mutex_unlock(&cache_lock);
}

/* The copy for st's file (created empty). Under cache_lock. */
static struct vec_cache *cache_of(struct mn_store *st)
{
	struct stat sb;
	struct vec_cache *c;

	if (stat(st->path, &sb))
		memset(&sb, 0, sizeof(sb));
	for (c = caches; c; c = c->next)
		if (!strcmp(c->path, st->path))
			break;
	if (!c) {
		c = mn_xcalloc(1, sizeof(*c));
		c->path = mn_xstrdup(st->path);
		c->deletions = -1;
		c->next = caches;
		caches = c;
	}
	/* the same path, another file (deleted and made again) */
	if (c->dev != sb.st_dev || c->ino != sb.st_ino) {
		cache_clear(c);
		c->dev = sb.st_dev;
		c->ino = sb.st_ino;
	}
	return c;
}

/* v as int8 codes times one scale: |v[i] - scale * q[i]| <= scale / 2;
 * l1 = sum |v[i]|. */
static void quantize(int8_t *q, float *scale, float *l1, const float *v, int dim)
{
	float m = 0;

	*l1 = 0;
	for (int i = 0; i < dim; i++) {
		m = fabsf(v[i]) > m ? fabsf(v[i]) : m;
		*l1 += fabsf(v[i]);
	}
	*scale = m > 0 ? m / 127.0f : 1.0f;
	for (int i = 0; i < dim; i++) {
		long x = lrintf(v[i] / *scale);

		q[i] = (int8_t)(x > 127 ? 127 : x < -127 ? -127 : x);
	}
}

/* Row from of c moves to row to (to <= from). */
static void cache_move(struct vec_cache *c, size_t to, size_t from)
{
	size_t d = (size_t)c->dim;

	if (to == from)
		return;
	c->rowid[to] = c->rowid[from];
	c->rseq[to] = c->rseq[from];
	memcpy(c->vec + to * d, c->vec + from * d, d * sizeof(float));
	memcpy(c->q8 + to * d, c->q8 + from * d, d);
	c->scale[to] = c->scale[from];
	c->l1[to] = c->l1[from];
}

/* After deletions: drop the rows whose seq is no longer in the table
 * (the vector was deleted, or replaced by a newer one, which the load
 * that follows brings in), and mark them deleted in the graph. Reads
 * only the seq index. Under cache_lock. */
static int cache_prune(struct mn_store *st, struct vec_cache *c, struct mn_err *err)
{
	static const char *const sql =
		"SELECT seq FROM memory_vectors WHERE seq <= ?1 ORDER BY seq";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	size_t j = 0, kept = 0;
	int rc = SQLITE_DONE;

	if (!s)
		return MN_EIO;
	sqlite3_bind_int64(s, 1, c->seq);
	while (j < c->n && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);

		for (; j < c->n && c->rseq[j] < seq; j++)
			if (c->ann)
				mn_vec_index_remove(c->ann, c->rowid[j]);
		if (j < c->n && c->rseq[j] == seq)
			cache_move(c, kept++, j++);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		cache_clear(c);
		return mn_store_fail(st, err, "read vector seqs");
	}
	for (; j < c->n; j++)
		if (c->ann)
			mn_vec_index_remove(c->ann, c->rowid[j]);
	c->n = kept;
	return 0;
}

/* Bring c up to the database's vector_state for (model, dim). Under
 * cache_lock, inside the caller's read transaction. */
static int cache_sync(struct mn_store *st, struct vec_cache *c, const char *model, int dim,
		      struct mn_err *err)
{
	static const char *const sql_state = "SELECT seq, deletions FROM vector_state WHERE id = 1";
	static const char *const sql_load =
		"SELECT raw_rowid, vec, seq FROM memory_vectors"
		" WHERE seq > ?1 AND model = ?2 AND dim = ?3 ORDER BY seq";
	sqlite3_stmt *s = mn_store_stmt(st, sql_state, err);
	int64_t seq = 0, deletions = 0;
	size_t first_new;
	int rc, ret;

	if (!s)
		return MN_EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		deletions = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return mn_store_fail(st, err, "read vector state");
	if (!c->model || strcmp(c->model, model) || c->dim != dim || seq < c->seq) {
		cache_clear(c);
		free(c->model);
		c->model = mn_xstrdup(model);
		c->dim = dim;
		c->deletions = deletions;
	} else if (c->deletions != deletions) {
		ret = cache_prune(st, c, err);
		if (ret)
			return ret;
		c->deletions = deletions;
	}
	if (seq == c->seq)
		return 0;
	s = mn_store_stmt(st, sql_load, err);
	if (!s)
		return MN_EIO;
	first_new = c->n;
	sqlite3_bind_int64(s, 1, c->seq);
	sqlite3_bind_text(s, 2, model, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, dim);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t old = c->alloc;

		if ((size_t)sqlite3_column_bytes(s, 1) != sizeof(float) * (size_t)dim)
			continue; /* damaged: never matched */
		c->rowid = mn_xgrow(c->rowid, &c->alloc, c->n + 1, sizeof(*c->rowid));
		if (c->alloc != old) {
			c->rseq = mn_xrealloc(c->rseq, c->alloc * sizeof(*c->rseq));
			c->vec = mn_xrealloc(c->vec, c->alloc * (size_t)dim * sizeof(float));
			c->q8 = mn_xrealloc(c->q8, c->alloc * (size_t)dim);
			c->scale = mn_xrealloc(c->scale, c->alloc * sizeof(float));
			c->l1 = mn_xrealloc(c->l1, c->alloc * sizeof(float));
		}
		c->rowid[c->n] = sqlite3_column_int64(s, 0);
		c->rseq[c->n] = sqlite3_column_int64(s, 2);
		memcpy(c->vec + c->n * (size_t)dim, sqlite3_column_blob(s, 1),
		       sizeof(float) * (size_t)dim);
		quantize(c->q8 + c->n * (size_t)dim, &c->scale[c->n], &c->l1[c->n],
			 c->vec + c->n * (size_t)dim, dim);
		c->n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		cache_clear(c);
		return mn_store_fail(st, err, "load vectors");
	}
	c->seq = seq;
	/* the graph follows: a few new vectors are inserted, many make it
	 * start over */
	if (c->ann && c->n - first_new > IX_MAX_INSERTS) {
		mn_vec_index_free(c->ann);
		c->ann = NULL;
	}
	for (size_t i = first_new; c->ann && i < c->n; i++)
		if (mn_vec_index_add(c->ann, c->rowid[i], c->vec + i * (size_t)dim)) {
			mn_vec_index_free(c->ann);
			c->ann = NULL;
		}
	return 0;
}

/* ---- the approximate index's build ---- */

struct build_job {
	struct vec_cache *c;
	unsigned gen;
	int dim;
	int64_t seq; /* the copy's seq at the snapshot */
	size_t n;
	int64_t *rowid, *rseq;
	float *vec;
};

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Build a graph of the snapshot, then, under the lock, bring it up to
 * the copy as it is now (rows dropped or added meanwhile) and hand it
 * over, unless the copy was cleared meanwhile. */
static void *build_main(void *arg)
{
	struct build_job *j = arg;
	struct mn_vec_index_params p = { IX_M, IX_EF_BUILD };
	struct mn_vec_index *x = mn_vec_index_new(j->dim, j->n + j->n / 8 + 64, &p);
	int64_t t0 = mn_time_mono_ms();
	double cpu0 = thread_cpu_ms();
	struct vec_cache *c = j->c;

	for (size_t i = 0; x && i < j->n; i++)
		if (mn_vec_index_add(x, j->rowid[i], j->vec + i * (size_t)j->dim)) {
			mn_vec_index_free(x);
			x = NULL;
		}
	pthread_mutex_lock(&cache_lock);
	if (c->gen == j->gen) {
		c->building = false;
		if (!x)
			mn_warn("vectors", "could not build the vector index (out of memory); "
					   "searches stay exact");
	}
	if (x && c->gen == j->gen) {
		size_t newer = 0;

		for (size_t i = c->n; i-- > 0 && c->rseq[i] > j->seq;)
			newer++;
		/* more arrived during the build than a search would insert
		 * (a reindex): inserting them here would hold every search up;
		 * the next search starts over */
		if (newer > IX_MAX_INSERTS) {
			mn_vec_index_free(x);
			x = NULL;
		}
	}
	if (x && c->gen == j->gen) {
		size_t b = 0;

		/* rows of the snapshot gone from the copy, then rows newer
		 * than the snapshot (a replaced vector comes back by both) */
		for (size_t a = 0; a < j->n; a++) {
			while (b < c->n && c->rseq[b] < j->rseq[a])
				b++;
			if (b == c->n || c->rseq[b] != j->rseq[a])
				mn_vec_index_remove(x, j->rowid[a]);
		}
		for (b = 0; x && b < c->n; b++)
			if (c->rseq[b] > j->seq &&
			    mn_vec_index_add(x, c->rowid[b], c->vec + b * (size_t)c->dim)) {
				mn_vec_index_free(x);
				x = NULL;
			}
		if (x) {
			mn_vec_index_free(c->ann);
			c->ann = x;
			x = NULL;
			c->build_ms = (double)(mn_time_mono_ms() - t0);
			c->build_cpu_ms = thread_cpu_ms() - cpu0;
			mn_info("vectors",
				"vector index built: %zu vectors of %d dimensions in %.0f ms "
				"(%.0f ms CPU)",
				mn_vec_index_size(c->ann), c->dim, c->build_ms, c->build_cpu_ms);
		}
	}
	builds_running--;
	pthread_cond_broadcast(&build_done);
	pthread_mutex_unlock(&cache_lock);
	mn_vec_index_free(x);
	free(j->rowid);
	free(j->rseq);
	free(j->vec);
	free(j);
	return NULL;
}

/* Start a build of c's graph on a thread of its own. Under cache_lock. */
static void build_start(struct vec_cache *c)
{
	struct build_job *j = mn_xcalloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;

	j->c = c;
	j->gen = c->gen;
	j->dim = c->dim;
	j->seq = c->seq;
	j->n = c->n;
	j->rowid = mn_xmalloc(c->n * sizeof(*j->rowid));
	j->rseq = mn_xmalloc(c->n * sizeof(*j->rseq));
	j->vec = mn_xmalloc(c->n * (size_t)c->dim * sizeof(float));
	memcpy(j->rowid, c->rowid, c->n * sizeof(*j->rowid));
	memcpy(j->rseq, c->rseq, c->n * sizeof(*j->rseq));
	memcpy(j->vec, c->vec, c->n * (size_t)c->dim * sizeof(float));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, build_main, j)) {
		mn_warn("vectors", "could not start the vector index build; searches stay exact");
		free(j->rowid);
		free(j->rseq);
		free(j->vec);
		free(j);
	} else {
		c->building = true;
		builds_running++;
	}
	pthread_attr_destroy(&attr);
}

/* Whether c's searches want the graph; starts its build when it is
 * missing (from the copy's second search: a one-shot command would not
 * live to use it), drops it when it is not wanted or worn by deletions.
 * Under cache_lock. */
static bool ix_wanted(struct vec_cache *c)
{
	bool want = c->n > 0 && (ix_mode == IX_HNSW || (ix_mode == IX_AUTO && (int64_t)c->n >= ix_min));

	if (c->ann && (!want || (double)mn_vec_index_deleted(c->ann) >
					 IX_MAX_DELETED * (double)mn_vec_index_size(c->ann))) {
		mn_vec_index_free(c->ann);
		c->ann = NULL;
	}
	if (want && !c->ann && !c->building && c->searches >= 2) {
		const char *no = mn_vec_index_unavailable();

		if (!no)
			build_start(c);
		else if (!ix_warned)
			mn_warn("vectors", "%s; vector searches stay exact", no);
		ix_warned = ix_warned || no;
	}
	return want && c->ann;
}

void mn_store_vec_index_config(const char *mode, int64_t min_vectors)
{
	pthread_mutex_lock(&cache_lock);
	ix_mode = mode && !strcmp(mode, "exact")  ? IX_EXACT
		  : mode && !strcmp(mode, "hnsw") ? IX_HNSW
						  : IX_AUTO;
	ix_min = min_vectors > 0 ? min_vectors : MN_VEC_INDEX_MIN_DEFAULT;
	pthread_mutex_unlock(&cache_lock);
}

void mn_store_vec_index_wait(void)
{
	pthread_mutex_lock(&cache_lock);
	while (builds_running)
		pthread_cond_wait(&build_done, &cache_lock);
	pthread_mutex_unlock(&cache_lock);
}

void mn_store_vec_index_stats(struct mn_store *st, struct mn_vec_index_stats *out)
{
	struct vec_cache *c;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&cache_lock);
	for (c = caches; c; c = c->next)
		if (!strcmp(c->path, st->path))
			break;
	if (c) {
		out->vectors = (int64_t)c->n;
		out->ready = c->ann != NULL;
		out->building = c->building;
		out->indexed = c->ann ? (int64_t)mn_vec_index_size(c->ann) : 0;
		out->deleted = c->ann ? (int64_t)mn_vec_index_deleted(c->ann) : 0;
		out->bytes = c->ann ? mn_vec_index_bytes(c->ann) : 0;
		out->searches_exact = c->searches_exact;
		out->searches_index = c->searches_index;
		out->build_ms = c->build_ms;
		out->build_cpu_ms = c->build_cpu_ms;
	}
	pthread_mutex_unlock(&cache_lock);
}

/* Sixteen partial sums: the compiler keeps them in vector registers
 * without reordering a single sum (no -ffast-math needed), two
 * independent chains to hide the adds' latency. Built twice on x86-64,
 * with AVX2 and without; the loader picks what the CPU has. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static float
dot(const float *a, const float *b, int n)
{
	float acc[16] = { 0 }, s = 0;
	int i = 0;

	for (; i + 16 <= n; i += 16)
		for (int j = 0; j < 16; j++)
			acc[j] += a[i + j] * b[i + j];
	for (; i < n; i++)
		s += a[i] * b[i];
	for (int j = 0; j < 16; j++)
		s += acc[j];
	return s;
}

/* The int8 dot product, exact in int32 (384 * 127 * 127 < 2^31 / 300). */
static int32_t dot_i8_plain(const int8_t *a, const int8_t *b, int n)
{
	int32_t s = 0;

	for (int i = 0; i < n; i++)
		s += (int32_t)a[i] * b[i];
	return s;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* 16 products per step (vpmaddwd); the compiler does not find this one */
__attribute__((target("avx2"))) static int32_t dot_i8_avx2(const int8_t *a, const int8_t *b, int n)
{
	__m256i acc = _mm256_setzero_si256();
	__m128i s;
	int32_t r;
	int i = 0;

	for (; i + 16 <= n; i += 16) {
		const void *pa = a + i, *pb = b + i;
		__m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)pa));
		__m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)pb));

		acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
	}
	s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
	r = _mm_cvtsi128_si32(s);
	return r + dot_i8_plain(a + i, b + i, n - i);
}

static int32_t dot_i8(const int8_t *a, const int8_t *b, int n)
{
	static int avx2 = -1;

	if (avx2 < 0) {
		__builtin_cpu_init();
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	}
	return avx2 ? dot_i8_avx2(a, b, n) : dot_i8_plain(a, b, n);
}
#else
static int32_t dot_i8(const int8_t *a, const int8_t *b, int n)
{
	return dot_i8_plain(a, b, n);
}
#endif

/* A min-heap of the k best hits so far. */
static void heap_push(struct mn_vec_hit *h, size_t *n, size_t k, int64_t rowid, float sim)
{
	size_t i;

	if (*n == k) {
		if (sim <= h[0].sim)
			return;
		/* replace the root, sift down */
		i = 0;
		for (;;) {
			size_t l = 2 * i + 1, r = l + 1, m = i;
			float cur = sim;

			if (l < *n && h[l].sim < cur) {
				m = l;
				cur = h[l].sim;
			}
			if (r < *n && h[r].sim < cur)
				m = r;
			if (m == i)
				break;
			h[i] = h[m];
			i = m;
		}
		h[i].rowid = rowid;
		h[i].sim = sim;
		return;
	}
	i = (*n)++;
	while (i > 0 && h[(i - 1) / 2].sim > sim) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i].rowid = rowid;
	h[i].sim = sim;
}

static int by_sim(const void *a, const void *b)
{
	const struct mn_vec_hit *x = a, *y = b;

	if (x->sim != y->sim)
		return x->sim < y->sim ? 1 : -1;
	return x->rowid < y->rowid ? 1 : x->rowid > y->rowid ? -1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The rowids that pass o's filters, sorted; NULL (n 0) when o has none. */
static int filtered_rows(struct mn_store *st, int64_t **out, size_t *out_n, bool *out_any,
			 const struct mn_recall_opts *o, struct mn_err *err)
{
	static const char *const sql =
		"SELECT r.rowid FROM raw_memories r"
		" WHERE (?1 IS NULL OR r.project = ?1) AND (?2 IS NULL OR r.type = ?2)"
		" AND (?3 IS NULL OR r.source = ?3) AND (?4 IS NULL OR r.occurred_at >= ?4)"
		" AND (?5 IS NULL OR r.occurred_at < ?5) ORDER BY r.rowid";
	sqlite3_stmt *s;
	int64_t *r = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	*out_any = o->project || o->type || o->source || o->since || o->until;
	if (!*out_any)
		return 0;
	s = mn_store_stmt(st, sql, err);
	if (!s)
		return MN_EIO;
	mn_store_bind_text(s, 1, o->project);
	mn_store_bind_text(s, 2, o->type);
	mn_store_bind_text(s, 3, o->source);
	mn_store_bind_text(s, 4, o->since);
	mn_store_bind_text(s, 5, o->until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = mn_xgrow(r, &alloc, n + 1, sizeof(*r));
		r[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(r);
		return mn_store_fail(st, err, "filter memories");
	}
	*out = r;
	*out_n = n;
	return 0;
}

static bool row_allowed(int64_t rowid, bool filtered, const int64_t *allowed, size_t n_allowed)
{
	return !filtered ||
	       (n_allowed && bsearch(&rowid, allowed, n_allowed, sizeof(*allowed), cmp_i64));
}

/* The mean and variance of the similarities of the candidates, for the
 * floor below. */
struct sim_stats {
	double sum, sumsq;
	size_t seen;
};

/* Exact top k of c into h (k slots), in two passes. The first reads int8
 * codes of the vectors and the query (a quarter of the bytes: the scan is
 * bound by memory bandwidth) and estimates each similarity within a
 * bound: with v = sv*cv + ev and q = sq*cq + eq (|ev| <= sv/2,
 * |eq| <= sq/2), |q.v - sv*sq*(cq.cv)| <= sq/2 * (|v|_1 + sv*dim/2) +
 * sv/2 * |q|_1. The k best lower bounds give a threshold t that the true
 * k-th best similarity reaches; the second pass computes the float
 * similarity of every row whose upper bound reaches t - every row that
 * can be in the top k. The statistics are those of every candidate's
 * estimate. Under cache_lock. */
static size_t search_exact(const struct vec_cache *c, const float *q, size_t k, bool filtered,
			   const int64_t *allowed, size_t n_allowed, struct mn_vec_hit *h,
			   struct sim_stats *ss)
{
	float *est = mn_xmalloc(c->n * sizeof(*est));
	float *bound = mn_xmalloc(c->n * sizeof(*bound));
	int8_t *cq = mn_xmalloc((size_t)c->dim);
	struct mn_vec_hit *lo = mn_xcalloc(k, sizeof(*lo));
	float sq, q1, t;
	size_t nlo = 0, n = 0;

	quantize(cq, &sq, &q1, q, c->dim);
	for (size_t i = 0; i < c->n; i++) {
		float sv = c->scale[i];

		if (!row_allowed(c->rowid[i], filtered, allowed, n_allowed)) {
			est[i] = NAN;
			continue;
		}
		est[i] = sv * sq * (float)dot_i8(cq, c->q8 + i * (size_t)c->dim, c->dim);
		bound[i] = sq * 0.5f * (c->l1[i] + sv * (float)c->dim * 0.5f) + sv * 0.5f * q1 +
			   1e-4f;
		ss->sum += est[i];
		ss->sumsq += (double)est[i] * est[i];
		ss->seen++;
		heap_push(lo, &nlo, k, c->rowid[i], est[i] - bound[i]);
	}
	t = nlo == k ? lo[0].sim : -INFINITY;
	for (size_t i = 0; i < c->n; i++)
		if (!isnan(est[i]) && est[i] + bound[i] >= t)
			heap_push(h, &n, k, c->rowid[i], dot(q, c->vec + i * (size_t)c->dim, c->dim));
	free(lo);
	free(cq);
	free(bound);
	free(est);
	return n;
}

/* Top k of c through its graph, into h (k slots): asks for 2 k / share
 * of the filters and keeps those that pass. The statistics come from a
 * sample of at most 1024 rows of the copy. Returns how many were
 * found, or SIZE_MAX when the graph cannot answer (filters too narrow,
 * fewer than k passed): the caller searches exactly. Under cache_lock. */
static size_t search_index(struct vec_cache *c, const float *q, size_t k, bool filtered,
			   const int64_t *allowed, size_t n_allowed, struct mn_vec_hit *h,
			   struct sim_stats *ss)
{
	size_t avail = filtered ? n_allowed : c->n, want = k, got, n = 0;
	size_t samples = c->n > 1024 ? 1024 : c->n;
	int64_t *labels;
	float *sims;

	if (filtered) {
		double share = (double)n_allowed / (double)c->n;

		if (share < IX_MIN_SHARE || n_allowed < 4 * k)
			return SIZE_MAX;
		want = (size_t)ceil((double)k / share * 2);
	}
	if (want > c->n)
		want = c->n;
	labels = mn_xmalloc(want * sizeof(*labels));
	sims = mn_xmalloc(want * sizeof(*sims));
	got = mn_vec_index_search(c->ann, q, want, want > IX_EF_SEARCH ? want : IX_EF_SEARCH,
				  labels, sims);
	for (size_t i = 0; i < got && n < k; i++)
		if (row_allowed(labels[i], filtered, allowed, n_allowed)) {
			h[n].rowid = labels[i];
			h[n].sim = sims[i];
			n++;
		}
	free(labels);
	free(sims);
	if (n < k && n < avail)
		return SIZE_MAX;
	for (size_t j = 0; j < samples; j++) {
		/* spread by a multiplicative hash, not a stride: a stride can
		 * fall in step with a filter (every other row, say) */
		size_t i = samples == c->n ? j : (size_t)((uint64_t)j * 2654435761u % c->n);
		float s;

		if (!row_allowed(c->rowid[i], filtered, allowed, n_allowed))
			continue;
		s = dot(q, c->vec + i * (size_t)c->dim, c->dim);
		ss->sum += s;
		ss->sumsq += (double)s * s;
		ss->seen++;
	}
	return n;
}

int mn_store_vec_search(struct mn_store *st, struct mn_vec_hit **out, size_t *out_n,
			const struct mn_recall_opts *o, size_t k, struct mn_err *err)
{
	struct mn_vec_hit *h = NULL;
	int64_t *allowed = NULL;
	size_t n = 0, n_allowed = 0;
	bool filtered = false;
	struct vec_cache *c;
	struct sim_stats ss = { 0, 0, 0 };
	double floor_sim;
	size_t kept = 0;
	int ret;

	*out = NULL;
	*out_n = 0;
	if (!o->query_vec || o->query_dim <= 0 || !o->vec_model || k == 0)
		return 0;
	ret = filtered_rows(st, &allowed, &n_allowed, &filtered, o, err);
	if (ret)
		return ret;
	h = mn_xcalloc(k, sizeof(*h));
	pthread_mutex_lock(&cache_lock);
	c = cache_of(st);
	ret = cache_sync(st, c, o->vec_model, o->query_dim, err);
	if (!ret && c->n) {
		c->searches++;
		n = SIZE_MAX;
		if (ix_wanted(c))
			n = search_index(c, o->query_vec, k, filtered, allowed, n_allowed, h, &ss);
		if (n == SIZE_MAX) {
			memset(&ss, 0, sizeof(ss));
			n = search_exact(c, o->query_vec, k, filtered, allowed, n_allowed, h, &ss);
			c->searches_exact++;
		} else {
			c->searches_index++;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	free(allowed);
	if (ret || !n || !ss.seen) {
		free(h);
		return ret;
	}
	qsort(h, n, sizeof(*h), by_sim);
	/* Nearest is not the same as near: a hit must stand out from the
	 * similarities of every candidate (one standard deviation above their
	 * mean) and be positive. Whatever the model's usual level of cosine,
	 * unrelated memories then stay out of small stores' answers. */
	{
		double mean = ss.sum / (double)ss.seen, var = ss.sumsq / (double)ss.seen - mean * mean;

		floor_sim = mean + sqrt(var > 0 ? var : 0);
	}
	while (kept < n && h[kept].sim > 0 && h[kept].sim >= floor_sim)
		kept++;
	if (!kept) {
		free(h);
		return 0;
	}
	*out = h;
	*out_n = kept;
	return 0;
}
