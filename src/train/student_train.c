/*
 * student_train.c - the builtin student's trainer (DESIGN §8): LIBLINEAR
 * heads over the batch's *.raw.jsonl rows, written as a model directory in
 * the format of model/student.c (docs/model-format.md).
 *
 * Design notes are in docs/builtin-student.md.
 */
#include "train/student_train.h"

#include <errno.h>
#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/sha256.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "core/datadir.h"
#include "model/encoding.h"
#include "model/evalset.h"
#include "model/features.h"
#include "model/prompt.h"
#include "model/verify.h"
#include "model/student.h"
#include "model/student_internal.h"

#define TRAIN_SENTENCES_PER_ROW 64

/* ======================================================================
 * 3. The trainer
 * ==================================================================== */

#define TRAIN_FILE   "train.raw.jsonl"
#define VALID_FILE   "valid.raw.jsonl"
#define METRICS_FILE "metrics.json"
#define WARN_LINES   5 /* skipped lines reported one by one */

struct pool {
	uint32_t *idx;
	float *val;
	size_t n, alloc;
};

struct span {
	size_t start, n;
};

/* The examples of one feature space, their vectors in one pool. */
struct exset {
	struct pool pool;
	struct span *ex;
	size_t n, alloc;
};

struct trainset {
	struct exset sp[N_SPACES];
	double *y[N_HEADS]; /* labels, aligned with sp[mn_student_heads[h].space].ex */
	size_t n_rows, n_skipped;
	size_t class_count[N_HEADS][8];
};

struct row_target {
	int label[N_HEADS]; /* significance, tone, outcome indices */
	double salience;
	const char *summary, *gist;
	const json_t *concepts;
};

struct train_scratch {
	struct mn_features_doc doc;
	struct mn_features_vec vec;
};

struct head_stats {
	double accuracy; /* classifiers */
	double mae;      /* salience */
	size_t positives;
};

static void silent_print(const char *s)
{
	(void)s;
}

static void progress(const struct mn_student_train_opts *o, int pct, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void progress(const struct mn_student_train_opts *o, int pct, const char *fmt, ...)
{
	char msg[200], line[256];
	va_list ap;
	int n;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (isatty(STDERR_FILENO))
		n = snprintf(line, sizeof(line), "\r[%3d%%] %s\033[K%s", pct, msg,
			     pct >= 100 ? "\n" : "");
	else
		n = snprintf(line, sizeof(line), "trainer: %s\n", msg);
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* progress is best effort */
	}
}

static void trainset_release(struct trainset *ts)
{
	for (size_t k = 0; k < N_SPACES; k++) {
		free(ts->sp[k].pool.idx);
		free(ts->sp[k].pool.val);
		free(ts->sp[k].ex);
	}
	for (size_t h = 0; h < N_HEADS; h++)
		free(ts->y[h]);
	memset(ts, 0, sizeof(*ts));
}

/* Append a (sorted) vector as one example of space k with its labels. */
static void add_example(struct trainset *ts, unsigned k, const struct mn_features_vec *v,
			const double *labels)
{
	struct exset *es = &ts->sp[k];
	struct pool *p = &es->pool;
	size_t old = es->alloc;

	if (p->n + v->n > p->alloc) {
		size_t n = p->alloc ? p->alloc : 4096;

		while (n < p->n + v->n)
			n *= 2;
		p->idx = mn_xrealloc(p->idx, n * sizeof(*p->idx));
		p->val = mn_xrealloc(p->val, n * sizeof(*p->val));
		p->alloc = n;
	}
	if (v->n) { /* an empty vector may have NULL arrays, which memcpy must not get */
		memcpy(p->idx + p->n, v->idx, v->n * sizeof(*p->idx));
		memcpy(p->val + p->n, v->val, v->n * sizeof(*p->val));
	}
	es->ex = mn_xgrow(es->ex, &es->alloc, es->n + 1, sizeof(*es->ex));
	if (es->alloc != old)
		for (size_t h = 0; h < N_HEADS; h++)
			if (mn_student_heads[h].space == k)
				ts->y[h] = mn_xrealloc(ts->y[h], es->alloc * sizeof(*ts->y[h]));
	es->ex[es->n].start = p->n;
	es->ex[es->n].n = v->n;
	for (size_t h = 0; h < N_HEADS; h++)
		if (mn_student_heads[h].space == k)
			ts->y[h][es->n] = labels[h];
	p->n += v->n;
	es->n++;
}

/* ---- a set of token hashes, for sentence labels ---- */

struct u64set {
	uint64_t *slots;
	size_t cap;
};

static void u64set_add(struct u64set *s, uint64_t h)
{
	size_t i;

	h |= 1;
	i = (size_t)(h & (s->cap - 1));
	while (s->slots[i] && s->slots[i] != h)
		i = (i + 1) & (s->cap - 1);
	s->slots[i] = h;
}

static bool u64set_has(const struct u64set *s, uint64_t h)
{
	size_t i;

	h |= 1;
	i = (size_t)(h & (s->cap - 1));
	while (s->slots[i]) {
		if (s->slots[i] == h)
			return true;
		i = (i + 1) & (s->cap - 1);
	}
	return false;
}

struct token_scan {
	const struct u64set *check; /* count tokens found here (may be NULL) */
	struct u64set *add;         /* add every token here (may be NULL) */
	size_t n, hits;
};

static void scan_one(void *payload, uint64_t h)
{
	struct token_scan *ts = payload;

	ts->n++;
	if (ts->add)
		u64set_add(ts->add, h);
	if (ts->check && u64set_has(ts->check, h))
		ts->hits++;
}

/* A sentence is "selected" when the target summary or gist contains it
 * (case-insensitively), or when 60% of its (at least 3) tokens are in it. */
static bool sentence_selected(const char *s, size_t len, const char *target, size_t tlen,
			      const struct u64set *tset)
{
	char *low = mn_xmalloc(len + 1);
	bool found;
	struct token_scan sc = { tset, NULL, 0, 0 };

	for (size_t i = 0; i < len; i++)
		low[i] = mn_ascii_lower(s[i]);
	found = len && tlen && memmem(target, tlen, low, len);
	free(low);
	if (found)
		return true;
	mn_features_each_token(s, len, scan_one, &sc);
	return sc.n >= 3 && sc.hits * 5 >= sc.n * 3;
}

static bool concept_selected(const char *term, const json_t *concepts)
{
	size_t i;
	json_t *v;

	json_array_foreach(concepts, i, v)
	{
		const char *c = json_string_value(v);
		size_t a = 0, b, n = strlen(term);

		if (!c)
			continue;
		b = strlen(c);
		while (a < b && mn_ascii_space(c[a]))
			a++;
		while (b > a && mn_ascii_space(c[b - 1]))
			b--;
		if (b - a != n)
			continue;
		size_t k = 0;

		while (k < n && mn_ascii_lower(c[a + k]) == term[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

static void process_row(struct trainset *ts, struct train_scratch *sc,
			const struct mn_features_params *fp, const char *input, size_t len,
			const char *source, const char *type, const struct row_target *t)
{
	size_t cut = mn_text_utf8_prefix(input, len, MN_PROMPT_MAX_INPUT_DEFAULT), nlen;
	char *text = mn_features_normalize(input, cut, &nlen);
	double labels[N_HEADS] = { 0 };
	struct mn_buf target = MN_BUF_INIT;
	struct u64set tset = { NULL, 0 };

	mn_features_analyze(&sc->doc, text, nlen, source, type);

	/* document: the judgment heads */
	mn_features_doc_vector(&sc->vec, fp, &sc->doc);
	mn_features_vec_sort(&sc->vec);
	labels[HEAD_SIG] = t->label[HEAD_SIG];
	labels[HEAD_TONE] = t->label[HEAD_TONE];
	labels[HEAD_OUTCOME] = t->label[HEAD_OUTCOME];
	labels[HEAD_SAL] = t->salience;
	add_example(ts, SPACE_DOC, &sc->vec, labels);

	/* sentences: selected when the target summary or gist has them */
	mn_buf_adds(&target, t->summary ? t->summary : "");
	mn_buf_addc(&target, '\n');
	mn_buf_adds(&target, t->gist ? t->gist : "");
	for (size_t i = 0; i < target.len; i++)
		target.data[i] = mn_ascii_lower(target.data[i]);
	tset.cap = 16;
	while (tset.cap < target.len)
		tset.cap *= 2;
	tset.slots = mn_xcalloc(tset.cap, sizeof(*tset.slots));
	{
		struct token_scan scan = { NULL, &tset, 0, 0 };

		mn_features_each_token(target.data, target.len, scan_one, &scan);
	}
	for (size_t i = 0; i < sc->doc.n_sents && i < TRAIN_SENTENCES_PER_ROW; i++) {
		const struct mn_features_sentence *st = &sc->doc.sents[i];

		labels[HEAD_SENT] =
			sentence_selected(text + st->off, st->len, target.data, target.len, &tset);
		mn_features_sentence_vector(&sc->vec, fp, &sc->doc, i);
		mn_features_vec_sort(&sc->vec);
		add_example(ts, SPACE_SENT, &sc->vec, labels);
	}

	/* concept candidates: selected when the target lists the term */
	for (size_t i = 0; i < sc->doc.n_cands; i++) {
		labels[HEAD_CONC] =
			t->concepts && concept_selected(sc->doc.cands[i].term, t->concepts);
		mn_features_concept_vector(&sc->vec, fp, &sc->doc, i);
		mn_features_vec_sort(&sc->vec);
		add_example(ts, SPACE_CONC, &sc->vec, labels);
	}
	for (size_t h = 0; h < HEAD_SAL; h++)
		ts->class_count[h][t->label[h]]++;
	ts->n_rows++;
	free(tset.slots);
	mn_buf_release(&target);
	free(text);
}

static const char *opt_str(const json_t *obj, const char *key, bool *bad)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		*bad = true;
	return json_string_value(v);
}

/* Check one row of the raw format; NULL when usable, else why not. */
static const char *parse_row(const json_t *row, const char **input, size_t *len,
			     const char **source, const char **type, struct row_target *t)
{
	static const char *const enum_keys[] = { "significance", "emotional_tone", "outcome" };
	const char *const *enum_lists[] = { mn_encoding_significance, mn_encoding_tones,
					    mn_encoding_outcomes };
	const json_t *raw, *enc, *v;
	const char *task;
	bool bad = false;

	if (!json_is_object(row))
		return "not a JSON object";
	task = opt_str(row, "task_type", &bad);
	if (bad || (task && strcmp(task, "encoding")))
		return "task_type is not \"encoding\"";
	raw = json_object_get(row, "raw_input");
	if (!json_is_string(raw) ||
	    mn_text_is_blank(json_string_value(raw), json_string_length(raw)))
		return "raw_input is missing or blank";
	enc = json_object_get(row, "encoded");
	if (!json_is_object(enc))
		return "encoded is not an object";
	for (size_t i = 0; i < 3; i++) {
		const char *s = mn_json_str(enc, enum_keys[i], NULL);
		int k = s ? mn_encoding_enum_index(enum_lists[i], s) : -1;

		if (k < 0)
			return "encoded has a missing or invalid significance, emotional_tone or "
			       "outcome";
		t->label[HEAD_SIG + i] = k;
	}
	v = json_object_get(enc, "salience");
	if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1))
		return "encoded.salience is not a number in [0,1]";
	t->salience = json_number_value(v);
	t->summary = mn_json_str(enc, "summary", "");
	t->gist = mn_json_str(enc, "gist", "");
	t->concepts = json_is_array(json_object_get(enc, "concepts"))
			      ? json_object_get(enc, "concepts")
			      : NULL;
	*source = opt_str(row, "memory_source", &bad);
	*type = opt_str(row, "memory_type", &bad);
	if (bad)
		return "memory_source or memory_type is not a string";
	*input = json_string_value(raw);
	*len = json_string_length(raw);
	return NULL;
}

static int read_rows(struct trainset *ts, const char *path, const struct mn_features_params *fp,
		     struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	struct train_scratch sc;
	size_t line_no = 0;
	int ret;

	ret = mn_file_read(&b, path, MN_LIMIT_JSON_FILE_BYTES, err);
	if (ret == MN_ENOTFOUND)
		return mn_err_set(err, MN_ENOTFOUND, "no training rows: '%s' does not exist", path);
	if (ret)
		return ret;
	mn_features_doc_init(&sc.doc);
	mn_features_vec_init(&sc.vec, fp->dim_bits);
	for (size_t i = 0; i < b.len;) {
		const char *line = b.data + i, *nl = memchr(line, '\n', b.len - i);
		size_t n = nl ? (size_t)(nl - line) : b.len - i;
		struct mn_err perr = MN_ERR_INIT;
		struct row_target t;
		const char *why, *input = NULL, *source = NULL, *type = NULL;
		size_t len = 0;
		json_t *row;

		i += n + 1;
		line_no++;
		if (mn_text_is_blank(line, n))
			continue;
		memset(&t, 0, sizeof(t));
		row = mn_json_parse(line, n, &perr);
		why = row ? parse_row(row, &input, &len, &source, &type, &t) : perr.msg;
		if (why) {
			if (ts->n_skipped < WARN_LINES)
				mn_warn("trainer", "'%s' line %zu skipped: %s", path, line_no, why);
			ts->n_skipped++;
		} else {
			process_row(ts, &sc, fp, input, len, source, type, &t);
		}
		json_decref(row);
	}
	if (ts->n_skipped > WARN_LINES)
		mn_warn("trainer", "'%s': %zu lines skipped in all", path, ts->n_skipped);
	mn_features_doc_release(&sc.doc);
	mn_features_vec_release(&sc.vec);
	mn_buf_release(&b);
	if (!ts->n_rows)
		return mn_err_set(err, MN_EINVAL, "no usable training rows in '%s' (%zu skipped)",
				  path, ts->n_skipped);
	return 0;
}

/* ---- compact feature spaces and LIBLINEAR problems ---- */

/* The hashed indices a space's examples use, renumbered 1..n in ascending
 * order. Training over them gives the same optimum as over all 2^dim_bits
 * dimensions: L2 regularisation keeps unused weights at zero. */
struct compact {
	uint32_t *map;  /* hashed index -> compact index (1-based), 0 = unused */
	uint32_t *back; /* compact index - 1 -> hashed index */
	size_t n;
};

static void compact_build(struct compact *cm, const struct pool *p, unsigned dim_bits)
{
	size_t dims = (size_t)1 << dim_bits;

	cm->map = mn_xcalloc(dims, sizeof(*cm->map));
	cm->n = 0;
	for (size_t i = 0; i < p->n; i++)
		cm->map[p->idx[i]] = 1;
	for (size_t d = 0; d < dims; d++)
		if (cm->map[d])
			cm->n++;
	cm->back = mn_xmalloc((cm->n + 1) * sizeof(*cm->back));
	cm->n = 0;
	for (size_t d = 0; d < dims; d++)
		if (cm->map[d]) {
			cm->back[cm->n++] = (uint32_t)d;
			cm->map[d] = (uint32_t)cm->n;
		}
}

static void compact_release(struct compact *cm)
{
	free(cm->map);
	free(cm->back);
}

struct problem_buf {
	struct feature_node *nodes;
	struct feature_node **x;
	struct problem prob;
};

static void problem_build(struct problem_buf *pb, const struct exset *es, const struct compact *cm)
{
	size_t k = 0;

	pb->nodes = mn_xmalloc((es->pool.n + 2 * es->n + 1) * sizeof(*pb->nodes));
	pb->x = mn_xmalloc((es->n + 1) * sizeof(struct feature_node *));
	for (size_t i = 0; i < es->n; i++) {
		const struct span *sp = &es->ex[i];

		pb->x[i] = &pb->nodes[k];
		for (size_t e = 0; e < sp->n; e++) {
			pb->nodes[k].index = (int)cm->map[es->pool.idx[sp->start + e]];
			pb->nodes[k].value = es->pool.val[sp->start + e];
			k++;
		}
		pb->nodes[k].index = (int)cm->n + 1; /* the bias feature */
		pb->nodes[k].value = 1.0;
		k++;
		pb->nodes[k].index = -1;
		pb->nodes[k].value = 0;
		k++;
	}
	pb->prob.l = (int)es->n;
	pb->prob.n = (int)cm->n + 1;
	pb->prob.x = pb->x;
	pb->prob.y = NULL;
	pb->prob.bias = 1.0;
}

static void problem_release(struct problem_buf *pb)
{
	free(pb->nodes);
	free(pb->x);
}

/* Labels in order of first occurrence: the order LIBLINEAR gives classes
 * (our labels are never the -1/+1 pair it reorders). */
static int label_order(int *order, const double *y, size_t n, int max_labels)
{
	int nc = 0;

	for (size_t i = 0; i < n; i++) {
		int lab = (int)y[i], k;

		for (k = 0; k < nc && order[k] != lab; k++)
			;
		if (k == nc && nc < max_labels)
			order[nc++] = lab;
	}
	return nc;
}

/* The incumbent's weight of class `label` of head h at row r (ROW_NONE =
 * bias). For binary heads the one stored output is "selected" (label 1). */
static double incumbent_weight(const struct mn_student *inc, const struct head_def *h, uint32_t r,
			       int label)
{
	const struct space_weights *w = &inc->sp[h->space];
	unsigned o = h->kind == KIND_MULTICLASS ? h->out_off + (unsigned)label : h->out_off;
	double v = r == ROW_NONE ? w->bias[o] : w->rows[(size_t)r * w->n_out + o];

	if (h->kind == KIND_BINARY && label == 0)
		v = -v;
	return v;
}

/* LIBLINEAR's initial solution (warm start) from the incumbent, laid out as
 * train() reads it: w[j * ncols + c] for class order[c]. */
static double *init_solution(const struct mn_student *inc, const struct head_def *h,
			     const struct compact *cm, const int *order, int ncols)
{
	double *init = mn_xcalloc((cm->n + 1) * (size_t)ncols, sizeof(*init));
	const struct space_weights *w = &inc->sp[h->space];

	for (size_t j = 0; j <= cm->n; j++) {
		uint32_t r = j < cm->n ? space_row(w, cm->back[j]) : ROW_NONE;

		if (j < cm->n && r == ROW_NONE)
			continue;
		for (int c = 0; c < ncols; c++)
			init[j * (size_t)ncols + (size_t)c] = incumbent_weight(inc, h, r, order[c]);
	}
	return init;
}

/* Train head h over problem pb; write its columns of W (n x n_out) and B. */
static int train_head(double *W, double *B, const struct head_def *h, struct problem_buf *pb,
		      const double *y, const struct compact *cm, const struct mn_student *inc,
		      uint64_t seed, struct mn_err *err)
{
	unsigned n_out = mn_student_space_outputs[h->space];
	int order[8], nc;
	struct parameter param;
	struct model *m;
	double *init = NULL;
	const char *why;
	size_t n = cm->n;

	memset(&param, 0, sizeof(param));
	param.C = h->c;
	param.eps = h->eps;
	param.p = h->p;
	pb->prob.y = (double *)y;
	if (h->kind == KIND_REGRESSION) {
		param.solver_type = L2R_L2LOSS_SVR; /* no init_sol in LIBLINEAR 2.3: cold start */
	} else {
		int n_labels = h->kind == KIND_MULTICLASS ? (int)h->n_out : 2;

		param.solver_type = L2R_LR;
		nc = label_order(order, y, (size_t)pb->prob.l, n_labels);
		if (nc < 2) {
			/* one class only: a constant answer (none when there are no
			 * examples, which train_space never asks for) */
			int only = nc == 1 ? order[0] : -1;

			for (int k = 0; k < n_labels; k++) {
				double v = k == only ? CONSTANT_BIAS : ABSENT_BIAS;

				if (h->kind == KIND_MULTICLASS)
					B[h->out_off + (unsigned)k] = v;
				else if (k == 1)
					B[h->out_off] = v;
			}
			return 0;
		}
		if (inc)
			init = init_solution(inc, h, cm, order, nc == 2 ? 1 : nc);
		param.init_sol = init;
	}
	why = check_parameter(&pb->prob, &param);
	if (why) {
		free(init);
		return mn_err_set(err, MN_EFAIL, "could not train head '%s': %s", h->name, why);
	}
	srand((unsigned)seed);
	m = train(&pb->prob, &param);
	free(init);
	if (!m)
		return mn_err_set(err, MN_EFAIL, "could not train head '%s'", h->name);
	if (h->kind == KIND_REGRESSION) {
		for (size_t j = 0; j < n; j++)
			W[j * n_out + h->out_off] = m->w[j];
		B[h->out_off] = m->w[n];
	} else if (m->nr_class == 2) {
		/* one weight vector, positive for label[0] */
		int a = m->label[0], b = m->label[1];

		if (h->kind == KIND_MULTICLASS) {
			for (unsigned k = 0; k < h->n_out; k++)
				B[h->out_off + k] = ABSENT_BIAS;
			for (size_t j = 0; j <= n; j++) {
				double v = m->w[j];
				double *row = j < n ? W + j * n_out : B;

				row[h->out_off + (unsigned)a] = v;
				row[h->out_off + (unsigned)b] = -v;
			}
		} else {
			for (size_t j = 0; j <= n; j++) {
				double *row = j < n ? W + j * n_out : B;

				row[h->out_off] = a == 1 ? m->w[j] : -m->w[j];
			}
		}
	} else {
		int k_cls = m->nr_class;

		for (unsigned k = 0; k < h->n_out; k++)
			B[h->out_off + k] = ABSENT_BIAS;
		for (size_t j = 0; j <= n; j++) {
			double *row = j < n ? W + j * n_out : B;

			for (int c = 0; c < k_cls; c++)
				row[h->out_off + (unsigned)m->label[c]] =
					m->w[j * (size_t)k_cls + (size_t)c];
		}
	}
	free_and_destroy_model(&m);
	return 0;
}

/* Keep the rows of W that have a non-zero weight, as float32. */
static void space_from_matrix(struct space_weights *w, const double *W, const double *B,
			      const struct compact *cm, unsigned dim_bits)
{
	unsigned n_out = w->n_out;
	uint32_t r = 0;

	w->idx = mn_xmalloc((cm->n + 1) * sizeof(*w->idx));
	w->rows = mn_xmalloc((cm->n * n_out + 1) * sizeof(*w->rows));
	for (size_t j = 0; j < cm->n; j++) {
		bool any = false;

		for (unsigned o = 0; o < n_out; o++)
			any |= (float)W[j * n_out + o] != 0.0f;
		if (!any)
			continue;
		w->idx[r] = cm->back[j];
		for (unsigned o = 0; o < n_out; o++)
			w->rows[(size_t)r * n_out + o] = (float)W[j * n_out + o];
		r++;
	}
	w->n_rows = r;
	for (unsigned o = 0; o < n_out; o++)
		w->bias[o] = (float)B[o];
	mn_student_space_index(w, dim_bits);
}

static int train_space(struct mn_student *s, const struct trainset *ts, unsigned k,
		       const struct mn_student *inc, const struct mn_student_train_opts *o,
		       int *pct, struct mn_err *err)
{
	const struct exset *es = &ts->sp[k];
	unsigned n_out = mn_student_space_outputs[k];
	struct compact cm = { NULL, NULL, 0 };
	struct problem_buf pb = { NULL, NULL, { 0, 0, NULL, NULL, 0 } };
	double *W, B[MODEL_MAX_OUT] = { 0 };
	int ret = 0;

	compact_build(&cm, &es->pool, s->fp.dim_bits);
	W = mn_xcalloc(cm.n * n_out + 1, sizeof(*W));
	for (unsigned o = 0; o < n_out; o++)
		B[o] = k == SPACE_DOC ? 0 : ABSENT_BIAS;
	if (es->n) {
		problem_build(&pb, es, &cm);
		for (size_t h = 0; h < N_HEADS && !ret; h++) {
			if (mn_student_heads[h].space != k)
				continue;
			progress(o, *pct, "training head %s (%zu examples, %zu features)",
				 mn_student_heads[h].name, es->n, cm.n);
			ret = train_head(W, B, &mn_student_heads[h], &pb, ts->y[h], &cm, inc, o->seed, err);
			*pct += 10;
		}
	}
	if (!ret)
		space_from_matrix(&s->sp[k], W, B, &cm, s->fp.dim_bits);
	free(W);
	problem_release(&pb);
	compact_release(&cm);
	return ret;
}

/* ---- calibration (docs/student.md) ---- */

#define CAL_FOLDS    5  /* cross-fitting folds */
#define CAL_MIN_ROWS 20 /* fewer rows: the model stays uncalibrated */
#define CAL_EPS_FACTOR 10.0

/* Fit P(y) = sigmoid(a x + b) by Newton's method on the log loss with
 * Platt's smoothed targets (Platt 1999; Lin, Lin and Weng 2007), so a
 * perfectly separated sample does not give an infinite slope. */
static void platt_fit(struct calibration *c, const double *x, const bool *y, size_t n)
{
	double a = 1, b = 0, n_pos = 0, t_pos, t_neg, f_old = INFINITY;

	for (size_t i = 0; i < n; i++)
		n_pos += y[i];
	t_pos = (n_pos + 1) / (n_pos + 2);
	t_neg = 1 / ((double)n - n_pos + 2);
	for (int it = 0; it < 100; it++) {
		double g_a = 0, g_b = 0, h_aa = 1e-9, h_ab = 0, h_bb = 1e-9, f = 0, det, da, db;
		double step = 1;
		int halvings;

		for (size_t i = 0; i < n; i++) {
			double t = y[i] ? t_pos : t_neg, z = a * x[i] + b;
			double p = 1 / (1 + exp(-z)), w = p * (1 - p);

			/* log loss, stable for large |z| */
			f += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - t * z;
			g_a += (p - t) * x[i];
			g_b += p - t;
			h_aa += w * x[i] * x[i];
			h_ab += w * x[i];
			h_bb += w;
		}
		if (fabs(f_old - f) < 1e-10 * (1 + fabs(f)))
			break;
		f_old = f;
		det = h_aa * h_bb - h_ab * h_ab;
		if (!(det > 1e-12))
			break;
		da = (h_bb * g_a - h_ab * g_b) / det;
		db = (h_aa * g_b - h_ab * g_a) / det;
		/* backtracking: take the largest halving of the step that
		 * lowers the loss */
		for (halvings = 0; halvings < 20; halvings++, step /= 2) {
			double na = a - step * da, nb = b - step * db, nf = 0;

			for (size_t i = 0; i < n; i++) {
				double t = y[i] ? t_pos : t_neg, z = na * x[i] + nb;

				nf += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - t * z;
			}
			if (nf <= f) {
				a = na;
				b = nb;
				break;
			}
		}
		if (halvings == 20)
			break;
	}
	c->a = (float)a;
	c->b = (float)b;
}

static double logit_clamped(double p)
{
	const double lo = 1e-6;

	p = p < lo ? lo : p > 1 - lo ? 1 - lo : p;
	return log(p / (1 - p));
}

/* Cross-fitted calibration of the three judgment heads and of their
 * joint: the doc rows are split into CAL_FOLDS folds (row i in fold
 * i % CAL_FOLDS); the heads are trained on the other folds and their top-1
 * probability on each held-out row is compared with its label. Those
 * held-out pairs fit one Platt scaling per head, then one for "all three
 * agree" over the product of the calibrated heads. */
static int fit_calibration(struct mn_student *s, const struct trainset *ts, uint64_t seed,
			   struct mn_err *err)
{
	static const unsigned heads[3] = { HEAD_SIG, HEAD_TONE, HEAD_OUTCOME };
	const struct exset *es = &ts->sp[SPACE_DOC];
	size_t n = es->n, n_out = DOC_OUTPUTS;
	struct compact cm = { NULL, NULL, 0 };
	struct problem_buf pb = { NULL, NULL, { 0, 0, NULL, NULL, 0 } };
	struct problem_buf fold = { NULL, NULL, { 0, 0, NULL, NULL, 0 } };
	double *W = NULL, B[MODEL_MAX_OUT], *x[N_CAL], *y_sub[3];
	bool *ok[N_CAL];
	int ret = 0;

	for (size_t k = 0; k < N_CAL; k++) {
		s->cal[k].a = 1.0f;
		s->cal[k].b = 0.0f;
	}
	s->n_calib = 0;
	if (n < CAL_MIN_ROWS)
		return 0;
	compact_build(&cm, &es->pool, s->fp.dim_bits);
	problem_build(&pb, es, &cm);
	W = mn_xmalloc((cm.n * n_out + 1) * sizeof(*W));
	fold.x = mn_xmalloc((n + 1) * sizeof(struct feature_node *));
	for (size_t k = 0; k < N_CAL; k++) {
		x[k] = mn_xcalloc(n + 1, sizeof(*x[k]));
		ok[k] = mn_xcalloc(n + 1, sizeof(*ok[k]));
	}
	for (size_t f = 0; f < 3; f++)
		y_sub[f] = mn_xmalloc((n + 1) * sizeof(*y_sub[f]));
	for (size_t fo = 0; fo < CAL_FOLDS && !ret; fo++) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			if (i % CAL_FOLDS == fo)
				continue;
			fold.x[m] = pb.x[i];
			for (size_t f = 0; f < 3; f++)
				y_sub[f][m] = ts->y[heads[f]][i];
			m++;
		}
		fold.prob = pb.prob;
		fold.prob.l = (int)m;
		fold.prob.x = fold.x;
		memset(W, 0, (cm.n * n_out + 1) * sizeof(*W));
		memset(B, 0, sizeof(B));
		for (size_t f = 0; f < 3 && !ret; f++) {
			/* a looser stopping tolerance than the shipped heads': the
			 * fold models only estimate how often the heads are right */
			struct head_def hd = mn_student_heads[heads[f]];

			hd.eps *= CAL_EPS_FACTOR;
			ret = train_head(W, B, &hd, &fold, y_sub[f], &cm, NULL, seed, err);
		}
		for (size_t i = fo; i < n && !ret; i += CAL_FOLDS) {
			float score[MODEL_MAX_OUT];

			for (size_t k = 0; k < n_out; k++)
				score[k] = (float)B[k];
			for (const struct feature_node *nd = pb.x[i]; nd->index != -1; nd++) {
				size_t j = (size_t)nd->index - 1;

				if (j >= cm.n)
					continue; /* the bias feature, in B */
				for (size_t k = 0; k < n_out; k++)
					score[k] += (float)(nd->value * W[j * n_out + k]);
			}
			for (size_t f = 0; f < 3; f++) {
				const struct head_def *hd = &mn_student_heads[heads[f]];
				double p[8];
				unsigned top;

				mn_student_head_probs(score + hd->out_off, hd->n_out, p);
				top = mn_student_argmax(p, hd->n_out);
				x[f][i] = logit_clamped(p[top]);
				ok[f][i] = (double)top == ts->y[heads[f]][i];
			}
		}
	}
	if (!ret) {
		for (size_t f = 0; f < 3; f++)
			platt_fit(&s->cal[CAL_SIG + f], x[f], ok[f], n);
		for (size_t i = 0; i < n; i++) {
			double prod = 1;

			for (size_t f = 0; f < 3; f++) {
				double q = 1 / (1 + exp(-((double)s->cal[CAL_SIG + f].a * x[f][i] +
							   (double)s->cal[CAL_SIG + f].b)));

				prod *= q;
			}
			x[CAL_ALL][i] = logit_clamped(prod);
			ok[CAL_ALL][i] = ok[0][i] && ok[1][i] && ok[2][i];
		}
		platt_fit(&s->cal[CAL_ALL], x[CAL_ALL], ok[CAL_ALL], n);
		s->n_calib = (uint32_t)n;
	}
	for (size_t k = 0; k < N_CAL; k++) {
		free(x[k]);
		free(ok[k]);
	}
	for (size_t f = 0; f < 3; f++)
		free(y_sub[f]);
	free(fold.x);
	free(W);
	problem_release(&pb);
	compact_release(&cm);
	return ret;
}

/* ---- statistics and metrics ---- */

static void head_statistics(struct head_stats *st, const struct mn_student *s,
			    const struct trainset *ts)
{
	float score[MODEL_MAX_OUT];

	memset(st, 0, N_HEADS * sizeof(*st));
	for (unsigned k = 0; k < N_SPACES; k++) {
		const struct exset *es = &ts->sp[k];

		for (size_t i = 0; i < es->n; i++) {
			mn_student_space_score(&s->sp[k], es->pool.idx + es->ex[i].start,
				    es->pool.val + es->ex[i].start, es->ex[i].n, score);
			for (size_t h = 0; h < N_HEADS; h++) {
				const struct head_def *hd = &mn_student_heads[h];
				double y, p[8];

				if (hd->space != k)
					continue;
				y = ts->y[h][i];
				if (hd->kind == KIND_MULTICLASS) {
					mn_student_head_probs(score + hd->out_off, hd->n_out, p);
					st[h].accuracy += (double)mn_student_argmax(p, hd->n_out) == y;
				} else if (hd->kind == KIND_BINARY) {
					st[h].accuracy += (score[hd->out_off] >= 0) == (y > 0.5);
					st[h].positives += y > 0.5;
				} else {
					double v = score[hd->out_off];

					v = v < 0 ? 0 : v > 1 ? 1 : v;
					st[h].mae += fabs(v - y);
				}
			}
		}
		for (size_t h = 0; h < N_HEADS; h++)
			if (mn_student_heads[h].space == k && es->n) {
				st[h].accuracy /= (double)es->n;
				st[h].mae /= (double)es->n;
			}
	}
}

static json_t *jreal(double x)
{
	return json_real(mn_student_round_to(x, 1e-4));
}

static json_t *metrics_json(const struct mn_student *s, const struct trainset *ts,
			    const struct head_stats *st, json_t *valid)
{
	json_t *m = json_object(), *hj = json_object(), *train_j;

	json_object_set_new(m, "student", json_string(MN_STUDENT_NAME));
	json_object_set_new(m, "version", json_string(s->version));
	json_object_set_new(m, "sha256", json_string(s->sha256));
	json_object_set_new(m, "format_version", json_integer(MODEL_FORMAT_VERSION));
	json_object_set_new(m, "features_version", json_integer(MN_FEATURES_VERSION));
	json_object_set_new(m, "seed", json_integer((json_int_t)s->train_seed));
	json_object_set_new(m, "warm_start", json_boolean(s->warm_start));
	json_object_set_new(m, "parent", s->parent[0] ? json_string(s->parent) : json_null());
	train_j =
		json_pack("{s:I,s:I,s:I,s:I}", "rows", (json_int_t)ts->n_rows, "skipped",
			  (json_int_t)ts->n_skipped, "sentences", (json_int_t)ts->sp[SPACE_SENT].n,
			  "concept_candidates", (json_int_t)ts->sp[SPACE_CONC].n);
	json_object_set_new(m, "train", train_j);
	for (size_t h = 0; h < N_HEADS; h++) {
		const struct head_def *hd = &mn_student_heads[h];
		json_t *o = json_object();

		json_object_set_new(o, "c", jreal(hd->c));
		if (hd->kind == KIND_MULTICLASS) {
			json_t *cls = json_object();

			for (unsigned k = 0; k < hd->n_out; k++)
				json_object_set_new(
					cls, hd->labels[k],
					json_integer((json_int_t)ts->class_count[h][k]));
			json_object_set_new(o, "train_accuracy", jreal(st[h].accuracy));
			json_object_set_new(o, "classes", cls);
		} else if (hd->kind == KIND_BINARY) {
			json_object_set_new(o, "train_accuracy", jreal(st[h].accuracy));
			json_object_set_new(o, "positives",
					    json_integer((json_int_t)st[h].positives));
		} else {
			json_object_set_new(o, "p", jreal(hd->p));
			json_object_set_new(o, "train_mae", jreal(st[h].mae));
		}
		json_object_set_new(o, "rows", json_integer((json_int_t)s->sp[hd->space].n_rows));
		json_object_set_new(hj, hd->name, o);
	}
	json_object_set_new(m, "heads", hj);
	{
		static const char *const names[N_CAL] = { "significance", "emotional_tone",
							  "outcome", "all" };
		json_t *cal = json_object();

		json_object_set_new(cal, "method", json_string("platt"));
		json_object_set_new(cal, "folds", json_integer(CAL_FOLDS));
		json_object_set_new(cal, "rows", json_integer((json_int_t)s->n_calib));
		for (size_t k = 0; k < N_CAL; k++)
			json_object_set_new(cal, names[k],
					    json_pack("{s:o,s:o}", "a", jreal(s->cal[k].a), "b",
						      jreal(s->cal[k].b)));
		json_object_set_new(m, "calibration", cal);
	}
	json_object_set_new(m, "valid", valid ? valid : json_null());
	return m;
}

static bool vs_exists_but_empty(const struct mn_evalset *vs, const char *path)
{
	return !vs->n && mn_file_exists(path);
}

/* Agreement with the holdout, when the batch has one. */
static int validate(json_t **out, struct mn_student *s, const struct mn_evalset *set,
		    const struct mn_student_train_opts *o, struct mn_err *err)
{
	struct mn_eval_report r;
	int ret;

	*out = NULL;
	if (!set->n)
		return 0;
	progress(o, 90, "validating on %zu holdout rows", set->n);
	ret = mn_evalset_run(&r, set, mn_student_encode_fn, s, err);
	if (!ret)
		*out = mn_eval_report_to_json(&r);
	return ret;
}

int mn_student_train(const struct mn_student_train_opts *o, struct mn_err *err)
{
	struct trainset ts;
	struct mn_evalset vs;
	struct mn_student *s = NULL, *inc = NULL;
	struct head_stats st[N_HEADS];
	struct mn_buf model = MN_BUF_INIT;
	json_t *metrics = NULL, *valid = NULL;
	char *train_path = NULL, *valid_path = NULL, *model_path = NULL, *metrics_path = NULL;
	int64_t t0 = mn_time_mono_ms();
	int ret, pct = 20;

	memset(&ts, 0, sizeof(ts));
	mn_evalset_init(&vs);
	if (!o || !o->batch_dir || !*o->batch_dir || !o->out_dir || !*o->out_dir)
		return mn_err_set(err, MN_EINVAL,
				  "trainer needs a batch directory and an output "
				  "directory");
	set_print_string_function(silent_print);
	s = mn_student_new();
	s->train_seed = o->seed;
	train_path = mn_xasprintf("%s/%s", o->batch_dir, TRAIN_FILE);
	valid_path = mn_xasprintf("%s/%s", o->batch_dir, VALID_FILE);
	model_path = mn_xasprintf("%s/%s", o->out_dir, MN_STUDENT_MODEL_FILE);
	metrics_path = mn_xasprintf("%s/%s", o->out_dir, METRICS_FILE);

	if (o->incumbent && *o->incumbent) {
		struct mn_err ierr = MN_ERR_INIT;

		if (mn_student_load(&inc, o->incumbent, &ierr)) {
			mn_warn("trainer", "no warm start: %s", ierr.msg);
		} else if (inc->fp.dim_bits != s->fp.dim_bits || inc->fp.seed != s->fp.seed) {
			mn_warn("trainer",
				"no warm start: incumbent '%s' hashes features differently",
				o->incumbent);
			mn_student_free(inc);
			inc = NULL;
		} else {
			s->warm_start = 1;
			snprintf(s->parent, sizeof(s->parent), "%s", inc->version);
		}
	}

	progress(o, 0, "reading %s", train_path);
	ret = read_rows(&ts, train_path, &s->fp, err);
	if (ret)
		goto out;
	s->n_train = (uint32_t)ts.n_rows;
	s->n_skipped = (uint32_t)ts.n_skipped;
	progress(o, 20, "%zu rows (%zu skipped): %zu sentences, %zu concept candidates", ts.n_rows,
		 ts.n_skipped, ts.sp[SPACE_SENT].n, ts.sp[SPACE_CONC].n);
	for (unsigned k = 0; k < N_SPACES && !ret; k++)
		ret = train_space(s, &ts, k, inc, o, &pct, err);
	if (!ret) {
		progress(o, pct, "calibrating confidence (%d-fold, %zu rows)", CAL_FOLDS, ts.n_rows);
		ret = fit_calibration(s, &ts, o->seed, err);
	}
	if (ret)
		goto out;
	head_statistics(st, s, &ts);

	/* the file records the holdout size, so load the holdout first */
	ret = mn_evalset_load(&vs, valid_path, err);
	if (ret == MN_ENOTFOUND) {
		mn_err_clear(err);
		ret = 0;
	}
	if (ret)
		goto out;
	if (vs_exists_but_empty(&vs, valid_path))
		mn_warn("trainer", "'%s' has no usable rows; no validation", valid_path);
	s->n_valid = (uint32_t)vs.n;
	mn_student_serialize(&model, s);
	mn_student_set_version(s, (const unsigned char *)model.data, model.len);
	ret = validate(&valid, s, &vs, o, err);
	if (ret)
		goto out;
	metrics = metrics_json(s, &ts, st, valid);
	valid = NULL;

	progress(o, 95, "writing %s", model_path);
	ret = mn_file_mkdir_p(o->out_dir, 0700, err);
	if (!ret)
		ret = mn_file_write_atomic(model_path, model.data, model.len, 0600, err);
	if (!ret)
		ret = mn_json_write_file(metrics_path, metrics, err);
	if (!ret)
		progress(o, 100, "trained %s on %zu rows in %.2f s", s->version, ts.n_rows,
			 (double)(mn_time_mono_ms() - t0) / 1000.0);
out:
	json_decref(metrics);
	json_decref(valid);
	mn_buf_release(&model);
	trainset_release(&ts);
	mn_evalset_release(&vs);
	mn_student_free(s);
	mn_student_free(inc);
	free(train_path);
	free(valid_path);
	free(model_path);
	free(metrics_path);
	return ret;
}

