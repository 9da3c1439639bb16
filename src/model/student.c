/*
 * student.c - the builtin student (DESIGN §8).
 *
 * Three parts, in this order (the features are in features.c):
 *   1. the model file (docs/model-format.md): load, save, checksum;
 *   2. the encoder: extractive fields from the input, judgment fields from
 *      the learned heads;
 *   3. the trainer: LIBLINEAR heads over the batch's *.raw.jsonl rows.
 *
 * Design notes are in docs/builtin-student.md.
 */
#include "model/student.h"

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

/* ---- small helpers ---- */

/* ======================================================================
 * 1. The model
 * ==================================================================== */

#define MODEL_MAGIC          "MNSTUDNT"
#define MODEL_MAGIC_LEN      8
#define MODEL_FORMAT_VERSION 1u
#define MODEL_DIM_BITS       18u
#define MODEL_HASH_SEED      0x6d6e656d6f2d7331ULL /* "mnemo-s1" */
#define MODEL_STR_MAX        128
#define MODEL_MAX_OUT        64
#define MODEL_HEADER_MIN     (MODEL_MAGIC_LEN + 4)
#define ROW_NONE             UINT32_MAX
#define ABSENT_BIAS          (-10.0) /* score of a class the training data never had */
#define CONSTANT_BIAS        10.0    /* score of the only class the training data had */

/* Encoder settings stored in the header (defaults for new models). */
#define CONCEPT_THRESHOLD     0.5f
#define SENTENCE_THRESHOLD    0.5f
#define MAX_CONCEPTS          5u
#define MAX_SUMMARY_SENTENCES 3u

/* Encoder output limits that are not in the model. */
#define MAX_ENTITIES            12
#define MAX_NUMBER_ENTITIES     4 /* of those, numbers */
#define MAX_ACTIONS             4
#define MAX_CAUSALITY           3
#define CONTEXT_CHARS           60
#define OBJECT_CHARS            60
#define CAUSE_CHARS             200
#define TRAIN_SENTENCES_PER_ROW 64

enum { SPACE_DOC, SPACE_SENT, SPACE_CONC, N_SPACES };
enum { HEAD_SIG, HEAD_TONE, HEAD_OUTCOME, HEAD_SAL, HEAD_SENT, HEAD_CONC, N_HEADS };
enum { KIND_MULTICLASS, KIND_BINARY, KIND_REGRESSION };

static const char *const binary_labels[] = { "other", "selected", NULL };

struct head_def {
	const char *name;
	unsigned space, kind;
	const char *const *labels; /* NULL-terminated; NULL for regression */
	unsigned n_out, out_off;   /* outputs of this head inside its space */
	double c, p, eps;          /* LIBLINEAR: cost, SVR epsilon, tolerance */
};

/* The doc space has 14 outputs: significance 0-3, tone 4-8, outcome 9-12,
 * salience 13. Binary heads have one output: the score of "selected". */
static const struct head_def heads[N_HEADS] = {
	[HEAD_SIG] = { "significance", SPACE_DOC, KIND_MULTICLASS, mn_encoding_significance, 4, 0,
		       8.0, 0, 0.01 },
	[HEAD_TONE] = { "emotional_tone", SPACE_DOC, KIND_MULTICLASS, mn_encoding_tones, 5, 4, 8.0,
			0, 0.01 },
	[HEAD_OUTCOME] = { "outcome", SPACE_DOC, KIND_MULTICLASS, mn_encoding_outcomes, 4, 9, 8.0,
			   0, 0.01 },
	[HEAD_SAL] = { "salience", SPACE_DOC, KIND_REGRESSION, NULL, 1, 13, 2.0, 0.05, 0.001 },
	[HEAD_SENT] = { "sentence", SPACE_SENT, KIND_BINARY, binary_labels, 1, 0, 4.0, 0, 0.01 },
	[HEAD_CONC] = { "concept", SPACE_CONC, KIND_BINARY, binary_labels, 1, 0, 4.0, 0, 0.01 },
};

#define DOC_OUTPUTS 14
static const unsigned space_outputs[N_SPACES] = { DOC_OUTPUTS, 1, 1 };

struct space_weights {
	/* Row look-up by rank: a bit per dimension (set when it has a row) and
	 * the number of rows before each 64-bit word; 48 KiB for 2^18
	 * dimensions, so it stays in cache where a table of row numbers would
	 * not. */
	uint64_t *present;
	uint32_t *rank;
	uint32_t *idx; /* hashed index of each row, ascending */
	float *rows;   /* n_rows * n_out */
	float bias[MODEL_MAX_OUT];
	uint32_t n_rows, n_out;
};

struct mn_student {
	struct space_weights sp[N_SPACES];
	struct mn_features_params fp;
	float concept_threshold, sentence_threshold;
	uint32_t max_concepts, max_summary_sentences;
	float head_c[N_HEADS], head_p[N_HEADS];
	/* training metadata */
	uint64_t train_seed;
	uint32_t n_train, n_valid, n_skipped, warm_start;
	char parent[MODEL_STR_MAX + 1];
	char sha256[65];
	char version[32];
};

static inline unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

static struct mn_student *student_new(void)
{
	struct mn_student *s = mn_xcalloc(1, sizeof(*s));

	s->fp.dim_bits = MODEL_DIM_BITS;
	s->fp.seed = MODEL_HASH_SEED;
	s->concept_threshold = CONCEPT_THRESHOLD;
	s->sentence_threshold = SENTENCE_THRESHOLD;
	s->max_concepts = MAX_CONCEPTS;
	s->max_summary_sentences = MAX_SUMMARY_SENTENCES;
	for (size_t h = 0; h < N_HEADS; h++) {
		s->head_c[h] = (float)heads[h].c;
		s->head_p[h] = (float)heads[h].p;
	}
	for (size_t k = 0; k < N_SPACES; k++)
		s->sp[k].n_out = space_outputs[k];
	return s;
}

void mn_student_free(struct mn_student *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < N_SPACES; k++) {
		free(s->sp[k].rank);
		free(s->sp[k].present);
		free(s->sp[k].idx);
		free(s->sp[k].rows);
	}
	free(s);
}

const char *mn_student_version(const struct mn_student *s)
{
	return s->version;
}

/* Build the rank index from idx (ascending, inside the dimensions). */
static void space_index(struct space_weights *w, unsigned dim_bits)
{
	size_t words = ((size_t)1 << dim_bits) / 64 + 1;
	uint32_t n = 0;

	free(w->rank);
	free(w->present);
	w->present = mn_xcalloc(words, sizeof(*w->present));
	w->rank = mn_xcalloc(words, sizeof(*w->rank));
	for (uint32_t r = 0; r < w->n_rows; r++)
		w->present[w->idx[r] >> 6] |= 1ULL << (w->idx[r] & 63);
	for (size_t i = 0; i < words; i++) {
		w->rank[i] = n;
		n += (uint32_t)popcount64(w->present[i]);
	}
}

/* Row of hashed index d, or ROW_NONE. */
static inline uint32_t space_row(const struct space_weights *w, uint32_t d)
{
	uint64_t word = w->present[d >> 6], bit = 1ULL << (d & 63);

	if (!(word & bit))
		return ROW_NONE;
	return w->rank[d >> 6] + (uint32_t)popcount64(word & (bit - 1));
}

/* out[k] = bias[k] + sum_i val[i] * w[idx[i]][k] */
static void space_score(const struct space_weights *w, const uint32_t *idx, const float *val,
			size_t n, float *out)
{
	unsigned n_out = w->n_out;
	float acc[MODEL_MAX_OUT];

	memcpy(acc, w->bias, n_out * sizeof(*acc));
	for (size_t i = 0; i < n; i++) {
		uint32_t r = space_row(w, idx[i]);

		if (r == ROW_NONE)
			continue;
		const float *row = w->rows + (size_t)r * n_out;
		float x = val[i];

		if (n_out == DOC_OUTPUTS) {
			/* the hot case, with a trip count the compiler can unroll */
			for (unsigned k = 0; k < DOC_OUTPUTS; k++)
				acc[k] += x * row[k];
		} else {
			for (unsigned k = 0; k < n_out; k++)
				acc[k] += x * row[k];
		}
	}
	memcpy(out, acc, n_out * sizeof(*out));
}

static double sigmoid(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

/* One-vs-rest probabilities, normalised as LIBLINEAR does. */
static void head_probs(const float *score, unsigned n, double *p)
{
	double sum = 0;

	for (unsigned k = 0; k < n; k++) {
		p[k] = sigmoid(score[k]);
		sum += p[k];
	}
	for (unsigned k = 0; k < n; k++)
		p[k] /= sum;
}

static unsigned argmax(const double *p, unsigned n)
{
	unsigned best = 0;

	for (unsigned k = 1; k < n; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

/* Top-1 minus top-2 probability. */
static double margin(const double *p, unsigned n)
{
	double a = 0, b = 0;

	for (unsigned k = 0; k < n; k++) {
		if (p[k] > a) {
			b = a;
			a = p[k];
		} else if (p[k] > b) {
			b = p[k];
		}
	}
	return a - b;
}

/* Confidence of an encoding (DESIGN §8): the smallest top-1 minus top-2
 * probability margin over the three classifiers, so one uncertain field
 * makes the whole encoding uncertain. */
static double confidence_of(const double *sig, const double *tone, const double *out)
{
	double m = margin(sig, 4);
	double t = margin(tone, 5);
	double o = margin(out, 4);

	m = t < m ? t : m;
	m = o < m ? o : m;
	return m < 0 ? 0 : m > 1 ? 1 : m;
}

/* ---- serialisation (little-endian, see docs/model-format.md) ---- */

static void put_u32(struct mn_buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };

	mn_buf_add(b, c, 4);
}

static void put_u64(struct mn_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(struct mn_buf *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, sizeof(v));
	put_u32(b, v);
}

static void put_str(struct mn_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > MODEL_STR_MAX)
		n = MODEL_STR_MAX;
	unsigned char c[2] = { (unsigned char)n, (unsigned char)(n >> 8) };

	mn_buf_add(b, c, 2);
	mn_buf_add(b, s, n);
}

static void model_serialize(struct mn_buf *b, const struct mn_student *s)
{
	unsigned char digest[32];
	struct mn_sha256 ctx;

	mn_buf_add(b, MODEL_MAGIC, MODEL_MAGIC_LEN);
	put_u32(b, MODEL_FORMAT_VERSION);
	put_u32(b, MN_FEATURES_VERSION);
	put_u32(b, s->fp.dim_bits);
	put_u32(b, N_HEADS);
	put_u64(b, s->fp.seed);
	put_f32(b, s->concept_threshold);
	put_f32(b, s->sentence_threshold);
	put_u32(b, s->max_concepts);
	put_u32(b, s->max_summary_sentences);
	put_u64(b, s->train_seed);
	put_u32(b, s->n_train);
	put_u32(b, s->n_valid);
	put_u32(b, s->n_skipped);
	put_u32(b, s->warm_start);
	put_str(b, s->parent);
	for (size_t h = 0; h < N_HEADS; h++) {
		size_t n_labels = 0;

		put_str(b, heads[h].name);
		put_u32(b, heads[h].kind);
		put_u32(b, heads[h].space);
		put_f32(b, s->head_c[h]);
		put_f32(b, s->head_p[h]);
		while (heads[h].labels && heads[h].labels[n_labels])
			n_labels++;
		put_u32(b, (uint32_t)n_labels);
		for (size_t k = 0; k < n_labels; k++)
			put_str(b, heads[h].labels[k]);
	}
	for (uint32_t k = 0; k < N_SPACES; k++) {
		const struct space_weights *w = &s->sp[k];

		put_u32(b, k);
		put_u32(b, w->n_out);
		put_f32(b, 1.0f); /* the bias feature's value */
		for (unsigned o = 0; o < w->n_out; o++)
			put_f32(b, w->bias[o]);
		put_u32(b, w->n_rows);
		for (uint32_t r = 0; r < w->n_rows; r++) {
			put_u32(b, w->idx[r]);
			for (unsigned o = 0; o < w->n_out; o++)
				put_f32(b, w->rows[(size_t)r * w->n_out + o]);
		}
	}
	mn_sha256_init(&ctx);
	mn_sha256_update(&ctx, b->data, b->len);
	mn_sha256_final(&ctx, digest);
	mn_buf_add(b, digest, sizeof(digest));
}

/* Bounds-checked reader: every get fails softly (bad = true) past the end. */
struct reader {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static bool rd_need(struct reader *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return false;
	}
	return true;
}

static uint32_t get_u32(struct reader *r)
{
	const unsigned char *c;

	if (!rd_need(r, 4))
		return 0;
	c = r->p + r->off;
	r->off += 4;
	return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

static uint64_t get_u64(struct reader *r)
{
	uint64_t lo = get_u32(r);

	return lo | (uint64_t)get_u32(r) << 32;
}

static float get_f32(struct reader *r)
{
	uint32_t v = get_u32(r);
	float f;

	memcpy(&f, &v, sizeof(f));
	if (!isfinite(f))
		r->bad = true;
	return f;
}

/* A string of at most max bytes into out[max + 1]. */
static void get_str(struct reader *r, char *out, size_t max)
{
	size_t n;

	out[0] = '\0';
	if (!rd_need(r, 2))
		return;
	n = (size_t)r->p[r->off] | (size_t)r->p[r->off + 1] << 8;
	r->off += 2;
	if (n > max || !rd_need(r, n)) {
		r->bad = true;
		return;
	}
	memcpy(out, r->p + r->off, n);
	out[n] = '\0';
	r->off += n;
	if (memchr(out, '\0', n))
		r->bad = true;
}

static int load_fail(struct mn_err *err, int code, const char *path, const char *what)
{
	mn_err_set(err, code, "could not load student model '%s': %s", path, what);
	return code; /* not mn_err_set's result, so the analyzer sees the failure */
}

static int parse_heads(struct reader *r, struct mn_student *s, const char *path, struct mn_err *err)
{
	char name[MODEL_STR_MAX + 1], label[MODEL_STR_MAX + 1], msg[200];

	for (size_t h = 0; h < N_HEADS; h++) {
		uint32_t kind, space, n_labels;
		size_t expect = 0;

		get_str(r, name, MODEL_STR_MAX);
		kind = get_u32(r);
		space = get_u32(r);
		s->head_c[h] = get_f32(r);
		s->head_p[h] = get_f32(r);
		n_labels = get_u32(r);
		if (r->bad)
			return load_fail(err, MN_EINVAL, path, "truncated head table");
		while (heads[h].labels && heads[h].labels[expect])
			expect++;
		if (strcmp(name, heads[h].name) || kind != heads[h].kind ||
		    space != heads[h].space || n_labels != expect) {
			snprintf(msg, sizeof(msg),
				 "head %zu is '%.40s' (kind %u, %u labels), expected '%s'", h, name,
				 kind, n_labels, heads[h].name);
			return load_fail(err, MN_EINVAL, path, msg);
		}
		for (size_t k = 0; k < n_labels; k++) {
			get_str(r, label, MODEL_STR_MAX);
			if (r->bad || strcmp(label, heads[h].labels[k])) {
				snprintf(msg, sizeof(msg),
					 "head '%s' label %zu is '%.40s', expected '%s'",
					 heads[h].name, k, label, heads[h].labels[k]);
				return load_fail(err, MN_EINVAL, path, msg);
			}
		}
	}
	return 0;
}

static int parse_spaces(struct reader *r, struct mn_student *s, const char *path,
			struct mn_err *err)
{
	size_t dims = (size_t)1 << s->fp.dim_bits;
	char msg[200];

	for (uint32_t k = 0; k < N_SPACES; k++) {
		struct space_weights *w = &s->sp[k];
		uint32_t id = get_u32(r), n_out = get_u32(r), n_rows;
		float bias_value = get_f32(r);

		if (r->bad)
			return load_fail(err, MN_EINVAL, path, "truncated weight section");
		if (id != k || n_out != space_outputs[k] || bias_value != 1.0f) {
			snprintf(msg, sizeof(msg),
				 "weight section %u: id %u with %u outputs, expected %u with %u", k,
				 id, n_out, k, space_outputs[k]);
			return load_fail(err, MN_EINVAL, path, msg);
		}
		for (unsigned o = 0; o < n_out; o++)
			w->bias[o] = get_f32(r);
		n_rows = get_u32(r);
		if (r->bad || n_rows > dims ||
		    (size_t)n_rows * (4 + 4 * (size_t)n_out) > r->len - r->off) {
			snprintf(msg, sizeof(msg), "weight section %u: bad row count %u", k,
				 n_rows);
			return load_fail(err, MN_EINVAL, path, msg);
		}
		w->n_rows = n_rows;
		w->idx = mn_xmalloc(((size_t)n_rows + 1) * sizeof(*w->idx));
		w->rows = mn_xmalloc(((size_t)n_rows * n_out + 1) * sizeof(*w->rows));
		for (uint32_t i = 0; i < n_rows; i++) {
			uint32_t idx = get_u32(r);

			if (idx >= dims || (i && idx <= w->idx[i - 1])) {
				snprintf(msg, sizeof(msg),
					 "weight section %u: row %u has index %u (out of order or "
					 "outside %zu dimensions)",
					 k, i, idx, dims);
				return load_fail(err, MN_EINVAL, path, msg);
			}
			w->idx[i] = idx;
			for (unsigned o = 0; o < n_out; o++)
				w->rows[(size_t)i * n_out + o] = get_f32(r);
		}
		if (r->bad)
			return load_fail(err, MN_EINVAL, path,
					 "bad weights (truncated or not finite)");
		space_index(w, s->fp.dim_bits);
	}
	return 0;
}

static void set_version(struct mn_student *s, const unsigned char *data, size_t len)
{
	mn_sha256_hex_of(s->sha256, data, len);
	snprintf(s->version, sizeof(s->version), MN_STUDENT_NAME "-%.12s", s->sha256);
}

/* Parse a whole model file image (path only for messages). */
static int model_parse(struct mn_student **out, const unsigned char *data, size_t len,
		       const char *path, struct mn_err *err)
{
	struct mn_student *s = NULL;
	struct reader r = { data, 0, 0, false };
	unsigned char digest[32];
	uint32_t version, mn_features_version, dim_bits, n_heads;
	char msg[200];
	int ret;

	*out = NULL;
	if (len < MODEL_HEADER_MIN || memcmp(data, MODEL_MAGIC, MODEL_MAGIC_LEN)) {
		snprintf(msg, sizeof(msg), "not a mnemo student model (%zu bytes, bad magic)", len);
		return load_fail(err, MN_EINVAL, path, msg);
	}
	r.len = len;
	r.off = MODEL_MAGIC_LEN;
	version = get_u32(&r);
	if (version != MODEL_FORMAT_VERSION) {
		snprintf(msg, sizeof(msg), "model format version %u; this mnemo reads version %u",
			 version, MODEL_FORMAT_VERSION);
		return load_fail(err, MN_EVERSION, path, msg);
	}
	if (len < MODEL_HEADER_MIN + 32)
		return load_fail(err, MN_EINVAL, path, "truncated (no checksum)");
	{
		struct mn_sha256 ctx;

		mn_sha256_init(&ctx);
		mn_sha256_update(&ctx, data, len - 32);
		mn_sha256_final(&ctx, digest);
	}
	if (memcmp(digest, data + len - 32, 32))
		return load_fail(err, MN_EINVAL, path,
				 "checksum mismatch (the file is corrupt or truncated)");
	r.len = len - 32;
	mn_features_version = get_u32(&r);
	dim_bits = get_u32(&r);
	n_heads = get_u32(&r);
	if (r.bad)
		return load_fail(err, MN_EINVAL, path, "truncated header");
	if (mn_features_version != MN_FEATURES_VERSION) {
		snprintf(msg, sizeof(msg),
			 "feature extractor version %u; this mnemo has version %u",
			 mn_features_version, (unsigned)MN_FEATURES_VERSION);
		return load_fail(err, MN_EVERSION, path, msg);
	}
	if (dim_bits < MN_FEATURES_DIM_BITS_MIN || dim_bits > MN_FEATURES_DIM_BITS_MAX ||
	    n_heads != N_HEADS) {
		snprintf(msg, sizeof(msg), "bad header (dim_bits %u, %u heads)", dim_bits, n_heads);
		return load_fail(err, MN_EINVAL, path, msg);
	}
	s = student_new();
	s->fp.dim_bits = dim_bits;
	s->fp.seed = get_u64(&r);
	s->concept_threshold = get_f32(&r);
	s->sentence_threshold = get_f32(&r);
	s->max_concepts = get_u32(&r);
	s->max_summary_sentences = get_u32(&r);
	s->train_seed = get_u64(&r);
	s->n_train = get_u32(&r);
	s->n_valid = get_u32(&r);
	s->n_skipped = get_u32(&r);
	s->warm_start = get_u32(&r);
	get_str(&r, s->parent, MODEL_STR_MAX);
	if (r.bad || s->max_concepts > 64 || s->max_summary_sentences > 64) {
		ret = load_fail(err, MN_EINVAL, path, "bad header fields");
		goto out;
	}
	ret = parse_heads(&r, s, path, err);
	if (!ret)
		ret = parse_spaces(&r, s, path, err);
	if (!ret && r.off != r.len) {
		snprintf(msg, sizeof(msg), "%zu unexpected bytes before the checksum",
			 r.len - r.off);
		ret = load_fail(err, MN_EINVAL, path, msg);
	}
	if (!ret) {
		set_version(s, data, len);
		*out = s;
		s = NULL;
	}
out:
	mn_student_free(s);
	return ret;
}

int mn_student_load(struct mn_student **out, const char *dir, struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	char *path;
	int ret;

	*out = NULL;
	if (!dir || !*dir)
		return mn_err_set(err, MN_EINVAL, "no student model directory given");
	path = mn_xasprintf("%s/%s", dir, MN_STUDENT_MODEL_FILE);
	ret = mn_file_read(&b, path, MN_LIMIT_MODEL_FILE_BYTES, err);
	if (ret == MN_ENOTFOUND)
		ret = mn_err_set(err, MN_ENOTFOUND, "student model '%s' not found", path);
	else if (ret == MN_EINVAL)
		ret = mn_err_set(err, MN_EINVAL, "student model '%s' is over the %d byte limit",
				 path, MN_LIMIT_MODEL_FILE_BYTES);
	if (!ret)
		ret = model_parse(out, (const unsigned char *)b.data, b.len, path, err);
	mn_buf_release(&b);
	free(path);
	return ret;
}

int mn_student_load_default(struct mn_student **out, struct mn_err *err)
{
	char *path = mn_datadir_find("default-model/" MN_STUDENT_MODEL_FILE);
	char *dir;
	int ret;

	*out = NULL;
	if (!path)
		return mn_err_set(
			err, MN_ENOTFOUND,
			"default student weights not found: no default-model/" MN_STUDENT_MODEL_FILE
			" in the data directories (set MNEMO_DATADIR or reinstall)");
	dir = mn_file_dirname(path);
	ret = mn_student_load(out, dir, err);
	free(dir);
	free(path);
	return ret;
}

/* ======================================================================
 * 2. The encoder
 * ==================================================================== */

/* Per-call working state; everything the encoder allocates lives here. */
struct encode_ctx {
	const struct mn_student *s;
	char *text; /* normalised content */
	size_t len;
	char *lower; /* ASCII-lowercased copy, for entity look-up */
	struct mn_features_doc doc;
	struct mn_features_vec vec;
	double *sent_p;
	double *cand_p;
	float doc_score[MODEL_MAX_OUT];
	json_t *empty; /* "", shared by every empty field */
};

/* A JSON string of text the encoder made: the content is repaired UTF-8
 * (mn_features_normalize) and every cut lands on a character boundary, so the
 * UTF-8 check jansson would repeat is skipped. */
static json_t *jstrn(const char *s, size_t len)
{
	json_t *j = json_stringn_nocheck(s, len);

	return j ? j : json_string("");
}

/* Field separator inside a summary: a space after closing punctuation,
 * "; " otherwise, so sentences never run into each other. */
static void summary_append(struct mn_buf *b, const char *s, size_t len)
{
	if (b->len) {
		char last = b->data[b->len - 1];

		mn_buf_adds(b, (last && strchr(".!?;:", last)) ? " " : "; ");
	}
	mn_buf_add(b, s, len);
}

/* A gist or summary that ends in a title-case word gets a full stop (an
 * ellipsis after a path), or loses that word when there is no room: FR joins gist, summary and content
 * with spaces, and "...to Prod" + "Deployed..." would otherwise read as the
 * multi-word proper noun "Prod Deployed", which the input does not have. */
static void fix_tail(struct mn_buf *b, size_t max_chars)
{
	for (int guard = 0; guard < 8 && b->len && mn_features_ends_title_word(b->data, b->len);
	     guard++) {
		size_t q = b->len;

		while (q && !mn_ascii_space(b->data[q - 1]))
			q--;
		if (mn_text_utf8_chars(b->data, b->len) < max_chars) {
			/* a full stop would extend an absolute path ending in the
			 * word; an ellipsis is neither a path nor a word character */
			if (memchr(b->data + q, '/', b->len - q))
				mn_buf_adds(b, "\xE2\x80\xA6");
			else
				mn_buf_addc(b, '.');
			return;
		}
		q = b->len;
		while (q && !mn_ascii_space(b->data[q - 1]))
			q--;
		while (q && (mn_ascii_space(b->data[q - 1]) || strchr(",;:-(", b->data[q - 1])))
			q--;
		if (!q) {
			/* one long word: end it with an ellipsis instead */
			q = mn_text_utf8_prefix(b->data, b->len, max_chars ? max_chars - 1 : 0);
			b->len = q;
			b->data[q] = '\0';
			mn_buf_adds(b, "\xE2\x80\xA6");
			return;
		}
		b->len = q;
		b->data[q] = '\0';
	}
}

struct ranked {
	double p;
	size_t i;
};

/* p descending, ties by index: a total order, so qsort is deterministic */
static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Indices 0..n-1 ordered by p descending, ties by index. */
static void order_desc(size_t *order, const double *p, size_t n)
{
	struct ranked *r = mn_xmalloc((n + 1) * sizeof(*r));

	for (size_t i = 0; i < n; i++) {
		r[i].p = p[i];
		r[i].i = i;
	}
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < n; i++)
		order[i] = r[i].i;
	free(r);
}

static void score_sentences(struct encode_ctx *c)
{
	const struct space_weights *w = &c->s->sp[SPACE_SENT];

	c->sent_p = mn_xmalloc((c->doc.n_sents + 1) * sizeof(*c->sent_p));
	if (c->doc.n_sents == 1) {
		c->sent_p[0] = 1.0; /* the only sentence is the summary */
		return;
	}
	for (size_t i = 0; i < c->doc.n_sents; i++) {
		float sc;

		mn_features_sentence_vector(&c->vec, &c->s->fp, &c->doc, i);
		space_score(w, c->vec.idx, c->vec.val, c->vec.n, &sc);
		c->sent_p[i] = sigmoid(sc);
	}
}

static void score_candidates(struct encode_ctx *c)
{
	const struct space_weights *w = &c->s->sp[SPACE_CONC];

	c->cand_p = mn_xmalloc((c->doc.n_cands + 1) * sizeof(*c->cand_p));
	for (size_t i = 0; i < c->doc.n_cands; i++) {
		float sc;

		mn_features_concept_vector(&c->vec, &c->s->fp, &c->doc, i);
		space_score(w, c->vec.idx, c->vec.val, c->vec.n, &sc);
		c->cand_p[i] = sigmoid(sc);
	}
}

/* Summary (best sentences in input order) and gist (best sentence). */
static void build_summary(struct encode_ctx *c, struct mn_buf *summary, struct mn_buf *gist)
{
	const struct mn_features_doc *d = &c->doc;
	size_t n = d->n_sents, *order, used = 0, taken = 0;
	bool *pick;

	if (!n) {
		mn_buf_adds(summary, "");
		mn_buf_adds(gist, "");
		return;
	}
	order = mn_xmalloc(n * sizeof(*order));
	pick = mn_xcalloc(n, sizeof(*pick));
	order_desc(order, c->sent_p, n);
	for (size_t k = 0; k < n && taken < c->s->max_summary_sentences; k++) {
		const struct mn_features_sentence *st = &d->sents[order[k]];
		size_t chars = st->chars;

		if (k > 0 && c->sent_p[order[k]] < c->s->sentence_threshold)
			break;
		if (k == 0 || used + 2 + chars <= MN_ENCODING_SUMMARY_MAX) {
			pick[order[k]] = true;
			used += chars + (k ? 2 : 0);
			taken++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!pick[i])
			continue;
		const char *s = c->text + d->sents[i].off;
		size_t len = d->sents[i].len;

		if (taken == 1)
			len = mn_features_cut_words(s, len, MN_ENCODING_SUMMARY_MAX);
		summary_append(summary, s, len);
	}
	if (!summary->data)
		mn_buf_adds(summary, "");
	fix_tail(summary, MN_ENCODING_SUMMARY_MAX);
	{
		const struct mn_features_sentence *best = &d->sents[order[0]];
		const char *s = c->text + best->off;

		mn_buf_add(gist, s, mn_features_cut_words(s, best->len, MN_ENCODING_GIST_MAX));
		fix_tail(gist, MN_ENCODING_GIST_MAX);
	}
	free(order);
	free(pick);
}

static json_t *build_concepts(struct encode_ctx *c, json_t **topics)
{
	const struct mn_features_doc *d = &c->doc;
	size_t n = d->n_cands, *order;
	json_t *arr = json_array();

	*topics = json_array();
	if (!n)
		return arr;
	order = mn_xmalloc(n * sizeof(*order));
	order_desc(order, c->cand_p, n);
	for (size_t k = 0; k < n && k < c->s->max_concepts; k++) {
		const struct mn_features_candidate *cd = &d->cands[order[k]];

		if (c->cand_p[order[k]] < c->s->concept_threshold)
			break;
		json_t *topic = json_object(), *term = json_string_nocheck(cd->term);

		/* one immutable string, referenced three times */
		json_object_set_nocheck(topic, "label", term);
		json_object_set_nocheck(topic, "path", term);
		json_array_append_new(arr, term);
		json_array_append_new(*topics, topic);
	}
	free(order);
	return arr;
}

static const struct mn_features_sentence *sentence_at(const struct mn_features_doc *d, size_t pos)
{
	size_t lo = 0, hi = d->n_sents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((size_t)d->sents[mid].off + d->sents[mid].len <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n_sents && d->sents[lo].off <= pos ? &d->sents[lo] : NULL;
}

static const char *entity_type(const struct mn_entities *e, size_t i)
{
	const char *s = e->items[i];
	const char *dot;

	if (i < e->n_numbers)
		return "number";
	if (s[0] == 'v' && s[1] >= '0' && s[1] <= '9' && !strchr(s, '/'))
		return "version";
	dot = strrchr(s, '.');
	if (strchr(s, '/') || (dot && dot != s && dot[1]))
		return "file";
	return "name";
}

/* One structured entity: the input's own spelling when the (folded) entity
 * is found in the ASCII-lowercased text, with its sentence as context. */
static json_t *entity_json(struct encode_ctx *c, const struct mn_entities *e, size_t i)
{
	const char *item = e->items[i];
	size_t n = strlen(item);
	const char *hit = n ? memmem(c->lower, c->len, item, n) : NULL;
	const char *name = item, *ctx = "";
	size_t ctx_len = 0;
	json_t *o = json_object();

	if (hit) {
		size_t pos = (size_t)(hit - c->lower);
		const struct mn_features_sentence *st = sentence_at(&c->doc, pos);

		name = c->text + pos;
		if (st) {
			ctx = c->text + st->off;
			ctx_len = mn_features_cut_words(ctx, st->len, CONTEXT_CHARS);
		}
	}
	json_object_set_new_nocheck(o, "name", jstrn(name, n));
	json_object_set_new_nocheck(o, "type", json_string_nocheck(entity_type(e, i)));
	json_object_set_new_nocheck(o, "context",
				    ctx_len ? jstrn(ctx, ctx_len) : json_incref(c->empty));
	return o;
}

/* The verifier's entities of the summary (the key sentences; the gist is
 * cut from the best of them), so the cost does not grow with the input;
 * the content keeps every entity of the input for EPR. */
static json_t *build_entities(struct encode_ctx *c, const struct mn_buf *summary)
{
	struct mn_entities e;
	json_t *arr = json_array();
	const char *taken[MAX_ENTITIES];
	size_t n_taken = 0;

	mn_verify_entities(&e, summary->data, summary->len);
	/* names, paths and versions first, then numbers; the verifier keeps
	 * "Redis" and "redis" apart, their folded forms are one entity here */
	for (size_t pass = 0; pass < 2; pass++) {
		size_t from = pass ? 0 : e.n_numbers, to = pass ? e.n_numbers : e.n;

		size_t cap = pass ? n_taken + MAX_NUMBER_ENTITIES : MAX_ENTITIES;

		if (cap > MAX_ENTITIES)
			cap = MAX_ENTITIES;
		for (size_t i = from; i < to && n_taken < cap; i++) {
			bool dup = false;

			for (size_t k = 0; k < n_taken && !dup; k++)
				dup = !strcmp(taken[k], e.items[i]);
			if (dup)
				continue;
			taken[n_taken++] = e.items[i];
			json_array_append_new(arr, entity_json(c, &e, i));
		}
	}
	mn_entities_release(&e);
	return arr;
}

static void lower_token(char *out, size_t cap, const char *s, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = mn_ascii_lower(s[i]);
	out[n] = '\0';
}

/* Past-tense work verbs with the words that follow them in their sentence,
 * up to a clause break. */
static json_t *build_actions(struct encode_ctx *c)
{
	const struct mn_features_doc *d = &c->doc;
	json_t *arr = json_array();

	for (size_t i = 0; i < d->n_toks && json_array_size(arr) < MAX_ACTIONS; i++) {
		const struct mn_features_token *t = &d->toks[i];
		const struct mn_features_sentence *st = &d->sents[t->sent];
		size_t end = (size_t)st->off + st->len, a = (size_t)t->off + t->len, b;
		char verb[MN_FEATURES_TERM_MAX + 1];
		bool dup = false;

		if (!(t->cls & MN_FEATURES_VERB))
			continue;
		while (a < end && mn_ascii_space(c->text[a]))
			a++;
		b = a;
		while (b < end) {
			char ch = c->text[b];

			if (ch == ',' || ch == ';' || ch == '!' || ch == '?' || ch == '(')
				break;
			if ((ch == '.' || ch == ':') &&
			    (b + 1 == end || mn_ascii_space(c->text[b + 1])))
				break;
			b++;
		}
		while (b > a && mn_ascii_space(c->text[b - 1]))
			b--;
		if (b == a)
			continue;
		b = a + mn_features_cut_words(c->text + a, b - a, OBJECT_CHARS);
		lower_token(verb, sizeof(verb), c->text + t->off, t->len);
		for (size_t k = 0; k < json_array_size(arr); k++) {
			const json_t *o = json_array_get(arr, k);

			if (!strcmp(json_string_value(json_object_get(o, "verb")), verb))
				dup = true;
		}
		if (dup)
			continue;
		json_t *act = json_object();

		json_object_set_new_nocheck(act, "verb", json_string_nocheck(verb));
		json_object_set_new_nocheck(act, "object", jstrn(c->text + a, b - a));
		json_object_set_nocheck(act, "details", c->empty);
		json_array_append_new(arr, act);
	}
	return arr;
}

/* Causal cue words (because, caused, due, so, therefore...) and their
 * sentence. */
static json_t *build_causality(struct encode_ctx *c)
{
	const struct mn_features_doc *d = &c->doc;
	json_t *arr = json_array();

	for (size_t i = 0; i < d->n_sents && json_array_size(arr) < MAX_CAUSALITY; i++) {
		const struct mn_features_sentence *st = &d->sents[i];

		if (!(st->cls & MN_FEATURES_CAUSE))
			continue;
		for (size_t k = st->tok_begin; k < st->tok_end; k++) {
			const struct mn_features_token *t = &d->toks[k];
			char rel[MN_FEATURES_TERM_MAX + 1];

			if (!(t->cls & MN_FEATURES_CAUSE))
				continue;
			lower_token(rel, sizeof(rel), c->text + t->off, t->len);
			json_t *cause = json_object();

			json_object_set_new_nocheck(cause, "relation", json_string_nocheck(rel));
			json_object_set_new_nocheck(
				cause, "description",
				jstrn(c->text + st->off,
				      mn_features_cut_words(c->text + st->off, st->len,
							    CAUSE_CHARS)));
			json_array_append_new(arr, cause);
			break;
		}
	}
	return arr;
}

static void encode_release(struct encode_ctx *c)
{
	free(c->text);
	free(c->lower);
	free(c->sent_p);
	free(c->cand_p);
	mn_features_doc_release(&c->doc);
	mn_features_vec_release(&c->vec);
	json_decref(c->empty);
}

static double round_to(double x, double unit)
{
	return round(x / unit) * unit;
}

int mn_student_encode(const struct mn_student *s, json_t **out_enc, double *out_confidence,
		      const char *content, size_t len, const char *source, const char *type)
{
	struct encode_ctx c;
	struct mn_buf summary = MN_BUF_INIT, gist = MN_BUF_INIT;
	double p_sig[4], p_tone[5], p_out[4], sal, conf;
	json_t *enc, *sc, *topics, *concepts;

	if (out_enc)
		*out_enc = NULL;
	if (out_confidence)
		*out_confidence = 0;
	if (!s || !out_enc || (!content && len))
		return MN_EINVAL;
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.empty = json_string_nocheck("");
	c.text = mn_features_normalize(content ? content : "", len, &c.len);
	c.lower = mn_xmalloc(c.len + 1);
	for (size_t i = 0; i <= c.len; i++)
		c.lower[i] = mn_ascii_lower(c.text[i]);
	mn_features_vec_init(&c.vec, s->fp.dim_bits);
	mn_features_doc_init(&c.doc);
	mn_features_analyze(&c.doc, c.text, c.len, source, type);

	mn_features_doc_vector(&c.vec, &s->fp, &c.doc);
	space_score(&s->sp[SPACE_DOC], c.vec.idx, c.vec.val, c.vec.n, c.doc_score);
	head_probs(c.doc_score + heads[HEAD_SIG].out_off, 4, p_sig);
	head_probs(c.doc_score + heads[HEAD_TONE].out_off, 5, p_tone);
	head_probs(c.doc_score + heads[HEAD_OUTCOME].out_off, 4, p_out);
	sal = c.doc_score[heads[HEAD_SAL].out_off];
	sal = round_to(sal < 0 ? 0 : sal > 1 ? 1 : sal, 0.01);
	conf = confidence_of(p_sig, p_tone, p_out);

	score_sentences(&c);
	score_candidates(&c);
	build_summary(&c, &summary, &gist);
	concepts = build_concepts(&c, &topics);

	sc = json_object();
	json_object_set_new_nocheck(sc, "topics", topics);
	json_object_set_new_nocheck(sc, "entities", build_entities(&c, &summary));
	json_object_set_new_nocheck(sc, "actions", build_actions(&c));
	json_object_set_new_nocheck(sc, "causality", build_causality(&c));

	enc = json_object();
	json_object_set_new_nocheck(enc, "gist", jstrn(gist.data, gist.len));
	json_object_set_new_nocheck(enc, "summary", jstrn(summary.data, summary.len));
	json_object_set_new_nocheck(enc, "content", jstrn(c.text, c.len));
	json_object_set_nocheck(enc, "narrative", c.empty);
	json_object_set_new_nocheck(enc, "concepts", concepts);
	json_object_set_new_nocheck(enc, "structured_concepts", sc);
	json_object_set_new_nocheck(enc, "significance",
				    json_string(mn_encoding_significance[argmax(p_sig, 4)]));
	json_object_set_new_nocheck(enc, "emotional_tone",
				    json_string(mn_encoding_tones[argmax(p_tone, 5)]));
	json_object_set_new_nocheck(enc, "outcome",
				    json_string(mn_encoding_outcomes[argmax(p_out, 4)]));
	json_object_set_new_nocheck(enc, "salience", json_real(sal));

	*out_enc = enc;
	if (out_confidence)
		*out_confidence = conf;
	mn_buf_release(&summary);
	mn_buf_release(&gist);
	encode_release(&c);
	return 0;
}

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
	double *y[N_HEADS]; /* labels, aligned with sp[heads[h].space].ex */
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

int mn_student_encode_fn(void *payload, json_t **out_enc, const char *input, size_t len,
			  const char *source, const char *type, struct mn_err *err)
{
	int ret = mn_student_encode(payload, out_enc, NULL, input, len, source, type);

	if (ret)
		return mn_err_set(err, ret, "the builtin student could not encode the input");
	return 0;
}

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
			if (heads[h].space == k)
				ts->y[h] = mn_xrealloc(ts->y[h], es->alloc * sizeof(*ts->y[h]));
	es->ex[es->n].start = p->n;
	es->ex[es->n].n = v->n;
	for (size_t h = 0; h < N_HEADS; h++)
		if (heads[h].space == k)
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
	unsigned n_out = space_outputs[h->space];
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
	space_index(w, dim_bits);
}

static int train_space(struct mn_student *s, const struct trainset *ts, unsigned k,
		       const struct mn_student *inc, const struct mn_student_train_opts *o,
		       int *pct, struct mn_err *err)
{
	const struct exset *es = &ts->sp[k];
	unsigned n_out = space_outputs[k];
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
			if (heads[h].space != k)
				continue;
			progress(o, *pct, "training head %s (%zu examples, %zu features)",
				 heads[h].name, es->n, cm.n);
			ret = train_head(W, B, &heads[h], &pb, ts->y[h], &cm, inc, o->seed, err);
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

/* ---- statistics and metrics ---- */

static void head_statistics(struct head_stats *st, const struct mn_student *s,
			    const struct trainset *ts)
{
	float score[MODEL_MAX_OUT];

	memset(st, 0, N_HEADS * sizeof(*st));
	for (unsigned k = 0; k < N_SPACES; k++) {
		const struct exset *es = &ts->sp[k];

		for (size_t i = 0; i < es->n; i++) {
			space_score(&s->sp[k], es->pool.idx + es->ex[i].start,
				    es->pool.val + es->ex[i].start, es->ex[i].n, score);
			for (size_t h = 0; h < N_HEADS; h++) {
				const struct head_def *hd = &heads[h];
				double y, p[8];

				if (hd->space != k)
					continue;
				y = ts->y[h][i];
				if (hd->kind == KIND_MULTICLASS) {
					head_probs(score + hd->out_off, hd->n_out, p);
					st[h].accuracy += (double)argmax(p, hd->n_out) == y;
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
			if (heads[h].space == k && es->n) {
				st[h].accuracy /= (double)es->n;
				st[h].mae /= (double)es->n;
			}
	}
}

static json_t *jreal(double x)
{
	return json_real(round_to(x, 1e-4));
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
		const struct head_def *hd = &heads[h];
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
	s = student_new();
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
	model_serialize(&model, s);
	set_version(s, (const unsigned char *)model.data, model.len);
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
