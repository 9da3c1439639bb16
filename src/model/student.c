/*
 * student.c - the builtin student (DESIGN §8).
 *
 * Two parts, in this order (the features are in features.c):
 *   1. the model file (docs/model-format.md): load, save, checksum;
 *   2. the encoder: extractive fields from the input, judgment fields from
 *      the learned heads.
 * The trainer is train/student_train.c; the layout both share is
 * student_internal.h.
 *
 * Design notes are in docs/builtin-student.md.
 */
#include "model/student.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
#include "model/student_internal.h"
#include "model/verify.h"

/* ---- small helpers ---- */

/* ======================================================================
 * 1. The model
 * ==================================================================== */

/* Encoder settings stored in the header (defaults for new models). */
#define CONCEPT_THRESHOLD     0.5f
#define SENTENCE_THRESHOLD    0.5f
#define MAX_CONCEPTS          5u
#define MAX_SUMMARY_SENTENCES 3u

static const char *const binary_labels[] = { "other", "selected", NULL };

/* The doc space has 14 outputs: significance 0-3, tone 4-8, outcome 9-12,
 * salience 13. Binary heads have one output: the score of "selected". */
const struct head_def mn_student_heads[N_HEADS] = {
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

const unsigned mn_student_space_outputs[N_SPACES] = { DOC_OUTPUTS, 1, 1 };

/* Encoder output limits that are not in the model. */
#define MAX_ENTITIES            12
#define MIN_CONCEPTS            2 /* when the text has candidates */
#define MAX_NUMBER_ENTITIES     4 /* of those, numbers */
#define MAX_ACTIONS             4
#define MAX_CAUSALITY           3
#define CONTEXT_CHARS           60
#define OBJECT_CHARS            60
#define CAUSE_CHARS             200

struct mn_student *mn_student_new(void)
{
	struct mn_student *s = mn_xcalloc(1, sizeof(*s));

	s->fp.dim_bits = MODEL_DIM_BITS;
	s->fp.seed = MODEL_HASH_SEED;
	s->concept_threshold = CONCEPT_THRESHOLD;
	s->sentence_threshold = SENTENCE_THRESHOLD;
	s->max_concepts = MAX_CONCEPTS;
	s->max_summary_sentences = MAX_SUMMARY_SENTENCES;
	for (size_t h = 0; h < N_HEADS; h++) {
		s->head_c[h] = (float)mn_student_heads[h].c;
		s->head_p[h] = (float)mn_student_heads[h].p;
	}
	for (size_t k = 0; k < N_SPACES; k++)
		s->sp[k].n_out = mn_student_space_outputs[k];
	for (size_t k = 0; k < N_CAL; k++)
		s->cal[k].a = 1.0f;
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
		if (!s->rows_in_image)
			free(s->sp[k].rows);
	}
	free(s->image);
	free(s);
}

const char *mn_student_version(const struct mn_student *s)
{
	return s->version;
}

/* Build the rank index from idx (ascending, inside the dimensions). */
void mn_student_space_index(struct space_weights *w, unsigned dim_bits)
{
	size_t words = ((size_t)1 << dim_bits) / 64 + 1;
	uint32_t n = 0;

	free(w->rank);
	free(w->present);
	w->present = mn_xcalloc(words, sizeof(*w->present));
	w->rank = mn_xmalloc(words * sizeof(*w->rank));
	/* idx ascends, so the rows before word i are counted as the rows pass
	 * (no population counts over every word: this ran on each load) */
	for (size_t i = 0; n < w->n_rows || i < words; n++) {
		size_t word = n < w->n_rows ? w->idx[n] >> 6 : words;

		while (i <= word && i < words)
			w->rank[i++] = n;
		if (n < w->n_rows)
			w->present[word] |= 1ULL << (w->idx[n] & 63);
	}
}

/* out[k] = bias[k] + sum_i val[i] * w[idx[i]][k] */
void mn_student_space_score(const struct space_weights *w, const uint32_t *idx, const float *val,
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
void mn_student_head_probs(const float *score, unsigned n, double *p)
{
	double sum = 0;

	for (unsigned k = 0; k < n; k++) {
		p[k] = sigmoid(score[k]);
		sum += p[k];
	}
	for (unsigned k = 0; k < n; k++)
		p[k] /= sum;
}

unsigned mn_student_argmax(const double *p, unsigned n)
{
	unsigned best = 0;

	for (unsigned k = 1; k < n; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

double mn_student_calibrate(const struct calibration *c, double p)
{
	const double lo = 1e-6;

	p = p < lo ? lo : p > 1 - lo ? 1 - lo : p;
	return sigmoid((double)c->a * log(p / (1 - p)) + (double)c->b);
}

/* The confidence of the three judgment fields (calibrated probabilities
 * that a teacher gives the same value) and of all three together. */
static void confidence_of(const struct mn_student *s, const double *const p[3],
			  struct mn_student_confidence *out)
{
	static const unsigned n_out[3] = { 4, 5, 4 };
	double prod = 1;

	for (unsigned f = 0; f < 3; f++) {
		double top = p[f][mn_student_argmax(p[f], n_out[f])];

		out->field[f] = mn_student_calibrate(&s->cal[CAL_SIG + f], top);
		prod *= out->field[f];
	}
	out->all = mn_student_calibrate(&s->cal[CAL_ALL], prod);
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

void mn_student_serialize(struct mn_buf *b, const struct mn_student *s)
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
	put_u32(b, s->n_calib);
	for (size_t k = 0; k < N_CAL; k++) {
		put_f32(b, s->cal[k].a);
		put_f32(b, s->cal[k].b);
	}
	for (size_t h = 0; h < N_HEADS; h++) {
		size_t n_labels = 0;

		put_str(b, mn_student_heads[h].name);
		put_u32(b, mn_student_heads[h].kind);
		put_u32(b, mn_student_heads[h].space);
		put_f32(b, s->head_c[h]);
		put_f32(b, s->head_p[h]);
		while (mn_student_heads[h].labels && mn_student_heads[h].labels[n_labels])
			n_labels++;
		put_u32(b, (uint32_t)n_labels);
		for (size_t k = 0; k < n_labels; k++)
			put_str(b, mn_student_heads[h].labels[k]);
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
	unsigned char *image; /* p, writable: weight rows are compacted in it */
};

static bool rd_need(struct reader *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return false;
	}
	return true;
}

static inline uint32_t le32(const unsigned char *c)
{
	return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
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
		while (mn_student_heads[h].labels && mn_student_heads[h].labels[expect])
			expect++;
		if (strcmp(name, mn_student_heads[h].name) || kind != mn_student_heads[h].kind ||
		    space != mn_student_heads[h].space || n_labels != expect) {
			snprintf(msg, sizeof(msg),
				 "head %zu is '%.40s' (kind %u, %u labels), expected '%s'", h, name,
				 kind, n_labels, mn_student_heads[h].name);
			return load_fail(err, MN_EINVAL, path, msg);
		}
		for (size_t k = 0; k < n_labels; k++) {
			get_str(r, label, MODEL_STR_MAX);
			if (r->bad || strcmp(label, mn_student_heads[h].labels[k])) {
				snprintf(msg, sizeof(msg),
					 "head '%s' label %zu is '%.40s', expected '%s'",
					 mn_student_heads[h].name, k, label, mn_student_heads[h].labels[k]);
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
		if (id != k || n_out != mn_student_space_outputs[k] || bias_value != 1.0f) {
			snprintf(msg, sizeof(msg),
				 "weight section %u: id %u with %u outputs, expected %u with %u", k,
				 id, n_out, k, mn_student_space_outputs[k]);
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
		if (r->image) {
			/* Row i's weights move down to a 4-aligned spot at or after
			 * the section's first byte: always below the bytes still to
			 * be read (row i's index and weights start 4 * (i + 1) bytes
			 * further on), so the file image holds the rows and nothing
			 * is copied to a new allocation (its pages were the cost). */
			uintptr_t at = (uintptr_t)(r->image + r->off);

			w->rows = (float *)(void *)(r->image + r->off + ((4 - at % 4) % 4));
			s->rows_in_image = true;
		} else {
			w->rows = mn_xmalloc(((size_t)n_rows * n_out + 1) * sizeof(*w->rows));
		}
		/* The rows' bytes are inside the file (checked above), so they
		 * are read without per-value bounds checks: this loop is most of
		 * a load once the file is not hashed. */
		{
			const unsigned char *p = r->p + r->off;
			uint32_t nonfinite = 0;

			for (uint32_t i = 0; i < n_rows; i++) {
				uint32_t idx = le32(p);

				p += 4;
				if (idx >= dims || (i && idx <= w->idx[i - 1])) {
					snprintf(msg, sizeof(msg),
						 "weight section %u: row %u has index %u (out of "
						 "order or outside %zu dimensions)",
						 k, i, idx, dims);
					return load_fail(err, MN_EINVAL, path, msg);
				}
				w->idx[i] = idx;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				memmove(w->rows + (size_t)i * n_out, p, 4 * (size_t)n_out);
				p += 4 * (size_t)n_out;
#else
				for (unsigned o = 0; o < n_out; o++, p += 4) {
					uint32_t v = le32(p);

					memcpy(w->rows + (size_t)i * n_out + o, &v, 4);
				}
#endif
			}
			r->off = (size_t)(p - r->p);
			/* An infinity or a NaN has all exponent bits set, and then
			 * adding one to the exponent carries into bit 31: an OR of
			 * those sums over all values finds one in a branchless pass. */
			{
				size_t nv = (size_t)n_rows * n_out, j = 0;
				uint32_t a[4] = { 0 }, u[4];

				for (; j + 4 <= nv; j += 4) {
					memcpy(u, w->rows + j, sizeof(u));
					for (int q = 0; q < 4; q++)
						a[q] |= (u[q] & 0x7f800000u) + 0x00800000u;
				}
				for (; j < nv; j++) {
					memcpy(u, w->rows + j, 4);
					a[0] |= (u[0] & 0x7f800000u) + 0x00800000u;
				}
				nonfinite = (a[0] | a[1] | a[2] | a[3]) >> 31;
			}
			if (nonfinite)
				r->bad = true;
		}
		if (r->bad)
			return load_fail(err, MN_EINVAL, path,
					 "bad weights (truncated or not finite)");
		mn_student_space_index(w, s->fp.dim_bits);
	}
	return 0;
}

void mn_student_set_version(struct mn_student *s, const unsigned char *data, size_t len)
{
	mn_sha256_hex_of(s->sha256, data, len);
	snprintf(s->version, sizeof(s->version), MN_STUDENT_NAME "-%.12s", s->sha256);
}

/* Parse a whole model file image (path only for messages). With image (the
 * same bytes as data, heap, writable) the weight rows stay in it and the
 * model owns it on success. */
static int model_parse(struct mn_student **out, const unsigned char *data, size_t len,
		       const char *path, const char *known_sha256, unsigned char *image,
		       struct mn_err *err)
{
	struct mn_student *s = NULL;
	struct reader r = { data, 0, 0, false, image };
	struct mn_sha256 whole;
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
	if (version != MODEL_FORMAT_VERSION && version != MODEL_FORMAT_V1) {
		snprintf(msg, sizeof(msg), "model format version %u; this mnemo reads version %u",
			 version, MODEL_FORMAT_VERSION);
		return load_fail(err, MN_EVERSION, path, msg);
	}
	if (len < MODEL_HEADER_MIN + 32)
		return load_fail(err, MN_EINVAL, path, "truncated (no checksum)");
	/* One pass over the file for both digests: the checksum covers all
	 * but the last 32 bytes, the version the whole file, so the state
	 * after the body is finished twice (hashing dominated remember's
	 * start-up when it was done twice). Skipped when the caller has the
	 * digests of these very bytes from the verified-digest cache. */
	if (!known_sha256) {
		mn_sha256_init(&whole);
		mn_sha256_update(&whole, data, len - 32);
		{
			struct mn_sha256 body = whole;

			mn_sha256_final(&body, digest);
		}
		if (memcmp(digest, data + len - 32, 32))
			return load_fail(err, MN_EINVAL, path,
					 "checksum mismatch (the file is corrupt or truncated)");
	}
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
	s = mn_student_new();
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
	if (version >= 2) {
		s->n_calib = get_u32(&r);
		for (size_t k = 0; k < N_CAL; k++) {
			s->cal[k].a = get_f32(&r);
			s->cal[k].b = get_f32(&r);
			if (fabsf(s->cal[k].a) > 1e3f || fabsf(s->cal[k].b) > 1e3f)
				r.bad = true;
		}
	}
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
		if (known_sha256) {
			memcpy(s->sha256, known_sha256, 64);
			s->sha256[64] = '\0';
		} else {
			mn_sha256_update(&whole, data + len - 32, 32);
			mn_sha256_hex(&whole, s->sha256);
		}
		snprintf(s->version, sizeof(s->version), MN_STUDENT_NAME "-%.12s", s->sha256);
		if (s->rows_in_image)
			s->image = image;
		*out = s;
		s = NULL;
	}
out:
	mn_student_free(s);
	return ret;
}

/* ---- the verified-digest cache (docs/model-format.md, "Checksum") ----
 *
 * Hashing model.bin was most of a CLI process's work (28M of remember's 37M
 * instructions for 443 KB), so a full verification leaves a small file in
 * <home>/cache/student-digest/ naming the file's identity (device, inode,
 * size, mtime and ctime to the nanosecond) and both digests. A process that
 * finds the same identity before and after reading the file takes the
 * digests from there and still parses everything, bounds-checked; any
 * difference - a deploy (new inode), a copy, a write in place (new mtime
 * and ctime, even when the mtime is set back: ctime cannot be) - means
 * hashing again. An entry is written only for a file unchanged for
 * DIGEST_SETTLE_NS before it was read, so a write in the same timestamp
 * tick as the verification (or on a file system with 2 s timestamps)
 * cannot hide behind the entry. */

#define DIGEST_MAGIC      "mnemo-student-digest 1"
#define DIGEST_DIR        "cache/student-digest"
#define DIGEST_SETTLE_NS  (3LL * 1000000000LL)
#define DIGEST_ENTRY_MAX  (PATH_MAX + 512)

static _Atomic unsigned long digest_hashed, digest_cached;

void mn_student_digest_counts(unsigned long *hashed, unsigned long *cached)
{
	if (hashed)
		*hashed = atomic_load(&digest_hashed);
	if (cached)
		*cached = atomic_load(&digest_cached);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* <home>/cache/student-digest/<first 24 hex digits of sha256(path)>: one
 * entry per model path, so a deploy replaces its entry instead of adding. */
static char *digest_entry_path(const char *home, const char *path)
{
	char h[65];

	mn_sha256_hex_of(h, path, strlen(path));
	return mn_xasprintf("%s/" DIGEST_DIR "/%.24s", home, h);
}

/* The entry's text up to the digests: what must match byte for byte. */
static void digest_key(struct mn_buf *b, const char *path, const struct stat *st)
{
	mn_buf_addf(b,
		    DIGEST_MAGIC "\npath %s\nid %ju %ju %jd %jd.%09ld %jd.%09ld\n", path,
		    (uintmax_t)st->st_dev, (uintmax_t)st->st_ino, (intmax_t)st->st_size,
		    (intmax_t)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
		    (intmax_t)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static unsigned hexval(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* The whole file's sha256 (hex) from a matching entry whose checksum is
 * the one the file carries; false for no entry, another identity or a
 * damaged entry. */
static bool digest_lookup(char sha256[65], const char *home, const char *path,
			  const struct stat *st, const unsigned char *data, size_t len)
{
	struct mn_buf key = MN_BUF_INIT, entry = MN_BUF_INIT;
	struct mn_err lerr = MN_ERR_INIT;
	char *epath = digest_entry_path(home, path);
	bool hit = false;

	digest_key(&key, path, st);
	if (mn_file_read(&entry, epath, DIGEST_ENTRY_MAX, &lerr))
		goto out;
	/* key, "checksum " 64 hex "\n", "sha256 " 64 hex "\n" */
	if (entry.len != key.len + 9 + 65 + 7 + 65 || memcmp(entry.data, key.data, key.len))
		goto out;
	{
		const char *c = entry.data + key.len, *w = c + 9 + 65;

		if (memcmp(c, "checksum ", 9) || !is_hex64(c + 9) || c[73] != '\n' ||
		    memcmp(w, "sha256 ", 7) || !is_hex64(w + 7) || w[71] != '\n')
			goto out;
		/* the checksum the file carries must be the verified one */
		for (size_t i = 0; i < 32; i++)
			if (data[len - 32 + i] !=
			    (unsigned char)(hexval(c[9 + 2 * i]) << 4 | hexval(c[10 + 2 * i])))
				goto out;
		memcpy(sha256, w + 7, 64);
		sha256[64] = '\0';
		hit = true;
	}
out:
	if (!hit)
		mn_debug("student", "%s: no verified digest cached (%s)", path,
			 lerr.code ? lerr.msg : "identity or entry differs");
	mn_err_clear(&lerr);
	mn_buf_release(&entry);
	mn_buf_release(&key);
	free(epath);
	return hit;
}

/* After a full verification: record it, unless the file changed less than
 * DIGEST_SETTLE_NS before it was read (or has a time in the future). Best
 * effort: a failure only means hashing next time. */
static void digest_store(const char *home, const char *path, const struct stat *st,
			 const struct timespec *read_at, const unsigned char *data, size_t len,
			 const char *sha256)
{
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err werr = MN_ERR_INIT;
	char *dir, *epath;
	long long now = (long long)read_at->tv_sec * 1000000000LL + read_at->tv_nsec;
	long long m = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	long long c = (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;

	if (now - (m > c ? m : c) < DIGEST_SETTLE_NS) {
		mn_debug("student", "%s: changed less than %llds ago, digest not cached", path,
			 DIGEST_SETTLE_NS / 1000000000LL);
		return;
	}
	if (!mn_file_is_dir(home))
		return; /* no data home yet: a model load does not create one */
	dir = mn_xasprintf("%s/" DIGEST_DIR, home);
	epath = digest_entry_path(home, path);
	digest_key(&b, path, st);
	mn_buf_adds(&b, "checksum ");
	for (size_t i = 0; i < 32; i++)
		mn_buf_addf(&b, "%02x", data[len - 32 + i]);
	mn_buf_addf(&b, "\nsha256 %s\n", sha256);
	if (mn_file_mkdir_p(dir, 0700, &werr) ||
	    mn_file_write_atomic(epath, b.data, b.len, 0600, &werr))
		mn_debug("student", "could not cache the digest of %s: %s", path, werr.msg);
	else
		mn_debug("student", "%s: verified digest cached in %s", path, epath);
	mn_err_clear(&werr);
	mn_buf_release(&b);
	free(dir);
	free(epath);
}

/* Read path whole into a heap buffer (*data, *len), with the identity of
 * the file read (*st, from the descriptor) and whether it was the same
 * after the read (*stable): one copy of the bytes, no growth. */
static int read_model(unsigned char **data, size_t *len, struct stat *st, bool *stable,
		      const char *path, struct mn_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *buf = NULL;
	size_t cap, n = 0;
	struct stat after;
	int ret = 0;

	*data = NULL;
	*len = 0;
	*stable = false;
	if (fd < 0)
		return errno == ENOENT
			       ? mn_err_set(err, MN_ENOTFOUND, "student model '%s' not found", path)
			       : mn_err_set(err, MN_EIO, "could not open student model '%s': %s",
					    path, strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		ret = mn_err_set(err, MN_EIO, "student model '%s' is not a readable file", path);
		goto out;
	}
	cap = (size_t)st->st_size + 1; /* + 1: a file that grew is seen growing */
	if (cap > (size_t)MN_LIMIT_MODEL_FILE_BYTES + 1)
		goto too_big;
	buf = mn_xmalloc(cap);
	for (;;) {
		ssize_t got;

		if (n == cap) {
			if (cap > (size_t)MN_LIMIT_MODEL_FILE_BYTES)
				goto too_big;
			cap *= 2;
			buf = mn_xrealloc(buf, cap);
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = mn_err_set(err, MN_EIO, "could not read student model '%s': %s", path,
					 strerror(errno));
			goto out;
		}
		if (!got)
			break;
		n += (size_t)got;
	}
	if (n > MN_LIMIT_MODEL_FILE_BYTES)
		goto too_big;
	*stable = fstat(fd, &after) == 0 && same_file(st, &after) && n == (size_t)st->st_size;
	*data = buf;
	*len = n;
	buf = NULL;
	goto out;
too_big:
	ret = mn_err_set(err, MN_EINVAL, "student model '%s' is over the %d byte limit", path,
			 MN_LIMIT_MODEL_FILE_BYTES);
out:
	free(buf);
	close(fd);
	return ret;
}

int mn_student_load_cached(struct mn_student **out, const char *dir, const char *home,
			   struct mn_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	struct timespec read_at;
	char known[65];
	bool stable, hit;
	char *path;
	int ret;

	*out = NULL;
	if (!dir || !*dir)
		return mn_err_set(err, MN_EINVAL, "no student model directory given");
	path = mn_xasprintf("%s/%s", dir, MN_STUDENT_MODEL_FILE);
	clock_gettime(CLOCK_REALTIME, &read_at);
	/* a file written while it was read is never taken from (or put
	 * into) the cache: its identity differs on the two sides */
	ret = read_model(&data, &len, &st, &stable, path, err);
	if (ret)
		goto out;
	stable = stable && home;
	hit = stable && len >= MODEL_HEADER_MIN + 32 &&
	      digest_lookup(known, home, path, &st, data, len);
	ret = model_parse(out, data, len, path, hit ? known : NULL, data, err);
	atomic_fetch_add(hit ? &digest_cached : &digest_hashed, 1ul);
	if (hit && !ret)
		mn_debug("student", "%s: digest from the cache (not hashed)", path);
	if (!ret && !hit && stable)
		digest_store(home, path, &st, &read_at, data, len, (*out)->sha256);
out:
	if (!(*out && (*out)->image == data))
		free(data); /* else the rows live in it */
	free(path);
	return ret;
}

int mn_student_load(struct mn_student **out, const char *dir, struct mn_err *err)
{
	return mn_student_load_cached(out, dir, NULL, err);
}

int mn_student_load_default_cached(struct mn_student **out, const char *home,
				   struct mn_err *err)
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
	ret = mn_student_load_cached(out, dir, home, err);
	free(dir);
	free(path);
	return ret;
}

int mn_student_load_default(struct mn_student **out, struct mn_err *err)
{
	return mn_student_load_default_cached(out, NULL, err);
}

/* ======================================================================
 * 2. The encoder
 * ==================================================================== */

/* Per-call working state; everything the encoder allocates lives here. */
struct encode_ctx {
	const struct mn_student *s;
	char *text; /* normalised content */
	size_t len;
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

/* ---- the student's own entities and phrase cuts ----
 *
 * Richer than the verifier's definitions (model/verify.c, which stay those
 * of the reference evaluator): one entity per date, time, amount of money,
 * quantity with its unit, version, path or name, as a careful person would
 * list them. Everything is a span of the input. */

struct espan {
	size_t off, len;
	const char *type;
};

struct word {
	size_t off, len; /* stripped of surrounding punctuation */
	size_t raw_end;  /* end of the whitespace-separated run */
	bool initial;    /* first word of a sentence */
	unsigned lx;     /* LX_* bits: the word lists it is in */
};

static bool is_dig(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_up(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_alpha_c(char c)
{
	return (c >= 'a' && c <= 'z') || is_up(c);
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_dig(s[i]))
			return false;
	return true;
}

static const char *const month_names[] = {
	"jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun",
	"june", "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october",
	"nov", "november", "dec", "december", NULL,
};

static const char *const weekday_names[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", NULL,
};

static const char *const unit_words[] = {
	"ms", "us", "ns", "s", "sec", "secs", "second", "seconds", "min", "mins", "minute",
	"minutes", "h", "hr", "hrs", "hour", "hours", "day", "days", "week", "weeks", "month",
	"months", "year", "years", "b", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib",
	"bytes", "%", "percent", "rps", "qps", "req/s", "requests", "rows", "users", "files",
	"lines", "tests", "cores", "cpus", "nodes", "pods", "replicas", "x", "times", "items",
	"records", "connections", "retries", "attempts", "errors", "messages", "k", "m",
	"ghz", "mhz", "kbps", "mbps", "gbps", "ops", "px", "pt", "usd", "eur", "dollars",
	"euros", "points", "tokens", "workers", "threads", "instances", "servers", "machines",
	NULL,
};

static const char *const money_units[] = { "usd", "eur", "gbp", "dollars", "euros", NULL };
static const char *const scale_words[] = { "thousand", "million", "billion", "k", "m", NULL };

/* Capitalised words that start sentences without being names. */
static const char *const common_caps[] = {
	"the", "a", "an", "this", "that", "these", "those", "we", "i", "it", "he", "she", "they",
	"you", "our", "my", "your", "their", "its", "his", "her", "there", "here", "today",
	"yesterday", "tomorrow", "tonight", "now", "then", "also", "after", "before", "when",
	"while", "if", "but", "and", "or", "so", "because", "since", "as", "at", "on", "in",
	"for", "from", "to", "with", "without", "by", "of", "no", "not", "yes", "ok", "okay",
	"all", "some", "most", "every", "each", "both", "everything", "nothing", "someone",
	"nobody", "everyone", "something", "maybe", "still", "just", "again", "next", "last",
	"first", "finally", "meanwhile", "note", "todo", "fixme", "update", "status", "got",
	"found", "saw", "made", "ran", "went", "had", "did", "was", "were", "is", "are", "will",
	"can", "could", "should", "would", "need", "needs", "please", "thanks", "great", "good",
	"bad", "new", "old", "one", "two", "three", "several", "many", "few", "more", "less",
	"api", "url", "http", "https", "json", "yaml", "sql", "cpu", "ram", "utc", "eof", "tl",
	"what", "why", "how", "where", "who", "which", "let", "lets", "once", "over", "under",
	"fyi", "re", "per", "via", "any", "other", "another", "such", "only", "even", "well",
	"however", "although", "though", "otherwise", "instead", "overall", "apparently",
	"turns", "looks", "seems", "spent", "tried", "still", "never", "always", "sometimes",
	NULL,
};

/* Verbs that follow a subject: a capitalised first word before one of
 * these (or before a word in -ed) is a name ("Bob restarted...", "Redis ran
 * out of memory"). */
static const char *const subject_verbs[] = {
	"is", "was", "are", "were", "has", "had", "have", "will", "would", "can", "could",
	"should", "said", "says", "thinks", "wants", "asked", "asks", "told", "wrote",
	"ran", "runs", "went", "got", "gets", "took", "takes", "made", "makes", "sent",
	"built", "broke", "found", "left", "keeps", "kept", "uses", "needs", "seems",
	"looks", "knows", "owns", "leads", "joined", "agreed", "and", "from", NULL,
};

static const char *const dangling_words[] = {
	"a", "an", "the", "of", "to", "in", "on", "at", "for", "from", "with", "by", "and", "or",
	"but", "as", "into", "onto", "than", "that", "which", "who", "whose", "because", "so",
	"after", "before", "while", "when", "is", "are", "was", "were", "be", "been", "being",
	"has", "have", "had", "will", "would", "can", "could", "should", "our", "my", "its",
	"their", "his", "her", "your", "this", "these", "those", "via", "per", "about", "over",
	"under", "not", "no", "then", "if", "also", "since", "until", "between", "across",
	"around", "through", "during", "without", "within", "against", "some", "any", "all",
	"each", "every", "very", "too", "more", "most", "less", "just", "only", "still", "we",
	"i", "it", "they", "he", "she", "you", NULL,
};

static const char *const clause_words[] = {
	"and", "but", "because", "which", "so", "while", "when", "after", "since", "although",
	"though", "whereas", "then", "until", "before", "unless", "where", NULL,
};

static const char *const ordinal_suffixes[] = { "st", "nd", "rd", "th", NULL };
static const char *const time_suffixes[] = { "am", "pm", "utc", "gmt", NULL };
static const char *const file_exts[] = {
	"c",   "h",   "go",  "py",  "js",   "ts",   "md",  "rs",   "java", "rb",  "sh",  "sql",
	"json", "yaml", "yml", "toml", "conf", "cfg", "ini", "log",  "txt",  "csv", "html", "css",
	"cpp", "hpp", "tsx", "jsx", "lock", "xml", "env", "proto", NULL,
};

/* The word lists above as one hash table of lowercase words, each with a
 * bit per list it is in, built once per process. */
static const char *const *const lx_lists[] = {
	month_names,   weekday_names,  unit_words,       money_units,   scale_words,
	common_caps,   subject_verbs,  dangling_words,   clause_words,  ordinal_suffixes,
	time_suffixes, file_exts,      NULL,
};

enum {
	LX_MONTH = 1u << 0,
	LX_WEEKDAY = 1u << 1,
	LX_UNIT = 1u << 2,
	LX_MONEY = 1u << 3,
	LX_SCALE = 1u << 4,
	LX_COMMON = 1u << 5,
	LX_SUBJ = 1u << 6,
};

#define LX_SLOTS   2048
#define LX_WORDMAX 15

struct lx_slot {
	char w[LX_WORDMAX + 1];
	uint16_t bits;
};

static struct lx_slot lx_table[LX_SLOTS];
static pthread_once_t lx_once = PTHREAD_ONCE_INIT;

static size_t lx_slot_of(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)mn_ascii_lower(s[i])) * 16777619u;
	return h & (LX_SLOTS - 1);
}

static void lx_build(void)
{
	for (size_t l = 0; lx_lists[l]; l++)
		for (size_t i = 0; lx_lists[l][i]; i++) {
			const char *w = lx_lists[l][i];
			size_t n = strlen(w), k = lx_slot_of(w, n);

			while (lx_table[k].bits && strcmp(lx_table[k].w, w))
				k = (k + 1) & (LX_SLOTS - 1);
			memcpy(lx_table[k].w, w, n + 1);
			lx_table[k].bits |= (uint16_t)(1u << l);
		}
}

/* Is (s, n) one of the lowercase words of list (one of lx_lists), ignoring
 * ASCII case? */
static unsigned lx_bits(const char *s, size_t n)
{
	if (!n || n > LX_WORDMAX)
		return 0;
	pthread_once(&lx_once, lx_build);
	for (size_t k = lx_slot_of(s, n); lx_table[k].bits; k = (k + 1) & (LX_SLOTS - 1))
		if (!strncasecmp(lx_table[k].w, s, n) && !lx_table[k].w[n])
			return lx_table[k].bits;
	return 0;
}

static bool ci_in(const char *s, size_t n, const char *const *list)
{
	size_t l = 0;

	while (lx_lists[l] && lx_lists[l] != list)
		l++;
	return (lx_bits(s, n) >> l) & 1u;
}

/* Split s into words: whitespace-separated runs without the punctuation
 * around them. */
static size_t split_words(struct word *w, size_t cap, const char *s, size_t n)
{
	size_t k = 0, i = 0;
	bool initial = true;

	while (i < n && k < cap) {
		size_t a, b, e;

		while (i < n && (mn_ascii_space(s[i]) || s[i] == '\n')) {
			if (s[i] == '\n')
				initial = true;
			i++;
		}
		if (i >= n)
			break;
		a = i;
		while (i < n && !mn_ascii_space(s[i]) && s[i] != '\n')
			i++;
		e = i;
		b = e;
		while (a < b && s[a] && strchr("([{\"'`<*", s[a]))
			a++;
		while (b > a && s[b - 1] && strchr(")]}\"'`>.,;:!?*", s[b - 1]))
			b--;
		if (b > a) {
			w[k].off = a;
			w[k].len = b - a;
			w[k].raw_end = e;
			w[k].initial = initial;
			w[k].lx = lx_bits(s + a, b - a);
			k++;
		}
		/* the next word starts a sentence after . ! ? (not after "v1." inside) */
		initial = e > a && s[e - 1] && strchr(".!?", s[e - 1]) && !(e - a >= 2 && is_dig(s[e - 2]) && e < n &&
								  is_dig(s[e]));
	}
	return k;
}

/* Nothing but punctuation other than ',' between word i and word j? */
static bool adjacent(const char *s, const struct word *w, size_t i)
{
	for (size_t p = w[i].off + w[i].len; p < w[i].raw_end; p++)
		if (s[p] != ',')
			return false;
	return true;
}

static bool is_time_word(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && i < 2 && is_dig(s[i]))
		i++;
	if (!i || i >= n || s[i] != ':' || n < i + 3 || !is_dig(s[i + 1]) || !is_dig(s[i + 2]))
		return false;
	i += 3;
	if (i + 3 <= n && s[i] == ':' && is_dig(s[i + 1]) && is_dig(s[i + 2]))
		i += 3;
	if (i + 2 == n && (!strncasecmp(s + i, "am", 2) || !strncasecmp(s + i, "pm", 2)))
		i += 2;
	return i == n;
}

static bool is_iso_date(const char *s, size_t n)
{
	return n >= 10 && all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) &&
	       s[7] == '-' && all_digits(s + 8, 2) && (n == 10 || s[10] == 'T' || s[10] == 't');
}

static bool is_day_word(const char *s, size_t n)
{
	size_t d = 0;

	while (d < n && is_dig(s[d]))
		d++;
	if (d < 1 || d > 2)
		return false;
	return d == n || (n - d == 2 && ci_in(s + d, 2, ordinal_suffixes));
}

static bool is_year_word(const char *s, size_t n)
{
	return n == 4 && all_digits(s, 4) && (s[0] == '1' || s[0] == '2');
}

/* A number: digits with , and . inside, a leading sign or currency
 * excluded. *unit: the bytes after the number ("512MB" -> "MB"). */
static bool number_prefix(const char *s, size_t n, size_t *num_len)
{
	size_t i = 0;

	if (!n || !is_dig(s[0]))
		return false;
	while (i < n && (is_dig(s[i]) ||
			 ((s[i] == '.' || s[i] == ',') && i + 1 < n && is_dig(s[i + 1]))))
		i++;
	*num_len = i;
	return true;
}

static bool is_version_word(const char *s, size_t n)
{
	size_t i = 0, dots = 0;

	if (n >= 2 && (s[0] == 'v' || s[0] == 'V') && is_dig(s[1]))
		i = 1;
	else if (!n || !is_dig(s[0]))
		return false;
	for (; i < n; i++) {
		if (s[i] == '.' && i + 1 < n && is_dig(s[i + 1]))
			dots++;
		else if (!is_dig(s[i]) && !(dots && (s[i] == '-' || is_alpha_c(s[i]))))
			return false;
	}
	return dots >= 1 && (s[0] == 'v' || s[0] == 'V' || dots >= 2);
}

static bool has_file_ext(const char *s, size_t n)
{
	const char *dot = memrchr(s, '.', n);

	return dot && dot > s && is_alpha_c(s[0]) &&
	       ci_in(dot + 1, n - (size_t)(dot + 1 - s), file_exts);
}

static bool is_path_word(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	bool alpha = false;

	for (size_t i = 0; i < n; i++)
		alpha |= is_alpha_c(s[i]);
	if (!alpha)
		return false;
	if (slash && ci_in(s, n, unit_words))
		return false; /* req/s */
	if (slash && n >= 3 && (slash == s || slash[1] != '\0'))
		return slash + 1 < s + n || slash == s;
	return has_file_ext(s, n);
}

static bool is_capitalised(const char *s, size_t n)
{
	return n >= 2 && is_up(s[0]);
}

/* Is the word (s, n) written capitalised somewhere in text other than at
 * the start of a sentence, and never in lowercase? */
static bool capitalised_elsewhere(const char *text, size_t len, const char *s, size_t n)
{
	bool caps_inside = false;

	if (n < 2 || len < 2)
		return false;
	/* p: a match of the word without its first letter, at w = p - 1 */
	for (const char *p = text + 1;
	     p < text + len && (p = memmem(p, len - (size_t)(p - text), s + 1, n - 1)); p++) {
		const char *w = p - 1;
		size_t at = (size_t)(w - text);

		if ((at && (is_alpha_c(text[at - 1]) || is_dig(text[at - 1]))) ||
		    (at + n < len && (is_alpha_c(text[at + n]) || is_dig(text[at + n]))))
			continue;
		if (*w == mn_ascii_lower(s[0]))
			return false;
		if (*w != s[0])
			continue;
		{
			size_t q = at;

			while (q && mn_ascii_space(text[q - 1]))
				q--;
			if (q && !strchr(".!?\n", text[q - 1]))
				caps_inside = true;
		}
	}
	return caps_inside;
}

static size_t add_span(struct espan *out, size_t n, size_t cap, size_t off, size_t len,
		       const char *type)
{
	if (n < cap && len) {
		out[n].off = off;
		out[n].len = len;
		out[n].type = type;
		n++;
	}
	return n;
}

#define SCAN_WORDS 256

/* Entities of (s, n) in text order, at most cap; text is the whole input
 * (for capitalisation statistics). */
static size_t scan_entities(struct espan *out, size_t cap, const char *s, size_t n,
			    const char *text, size_t text_len)
{
	struct word w[SCAN_WORDS];
	size_t nw = split_words(w, SCAN_WORDS, s, n), k = 0;

	for (size_t i = 0; i < nw && k < cap;) {
		const char *ws = s + w[i].off;
		size_t wl = w[i].len, j = i + 1, num;
		const struct word *nx = i + 1 < nw ? &w[i + 1] : NULL;
		bool nx_adj = nx && adjacent(s, w, i);

#define NXT(fn) (nx && nx_adj && fn(s + nx->off, nx->len))
#define SPAN_TO(last, type)                                                              \
	do {                                                                             \
		k = add_span(out, k, cap, w[i].off, w[last].off + w[last].len - w[i].off, \
			     type);                                                      \
		j = (last) + 1;                                                          \
	} while (0)
		if (is_iso_date(ws, wl)) {
			SPAN_TO(NXT(is_time_word) ? i + 1 : i, "date");
		} else if (is_time_word(ws, wl)) {
			SPAN_TO(nx && nx_adj && ci_in(s + nx->off, nx->len, time_suffixes)
					? i + 1
					: i,
				"time");
		} else if ((w[i].lx & LX_MONTH) && is_up(ws[0])) {
			size_t last = i;

			if (NXT(is_day_word)) {
				last = i + 1;
				if (last + 1 < nw && adjacent(s, w, last) &&
				    is_year_word(s + w[last + 1].off, w[last + 1].len))
					last++;
			} else if (NXT(is_year_word)) {
				last = i + 1;
			}
			/* "May" alone is a verb as often as a month */
			if (last > i || wl > 3 || strncasecmp(ws, "may", 3))
				SPAN_TO(last, "date");
		} else if ((w[i].lx & LX_WEEKDAY) && is_up(ws[0])) {
			SPAN_TO(i, "date");
		} else if (is_day_word(ws, wl) && nx && nx_adj &&
			   (nx->lx & LX_MONTH) && is_up(s[nx->off])) {
			size_t last = i + 1;

			if (last + 1 < nw && adjacent(s, w, last) &&
			    is_year_word(s + w[last + 1].off, w[last + 1].len))
				last++;
			SPAN_TO(last, "date");
		} else if ((ws[0] == '$' || !strncmp(ws, "\xE2\x82\xAC", 3) ||
			    !strncmp(ws, "\xC2\xA3", 2)) &&
			   wl > 1) {
			size_t skip = ws[0] == '$' ? 1 : ws[0] == '\xC2' ? 2 : 3;

			if (skip < wl && is_dig(ws[skip]))
				SPAN_TO(nx && nx_adj && (nx->lx & LX_SCALE) ? i + 1 : i, "money");
		} else if (is_version_word(ws, wl)) {
			SPAN_TO(i, "version");
		} else if (number_prefix(ws, wl, &num)) {
			if (num < wl) {
				/* "512MB", "30s", "99.9%", "3x" */
				bool unit = ci_in(ws + num, wl - num, unit_words);

				if (unit)
					SPAN_TO(i, "quantity");
				else if (is_path_word(ws, wl))
					SPAN_TO(i, "file");
			} else if (nx && nx_adj && (nx->lx & LX_MONEY)) {
				SPAN_TO(i + 1, "money");
			} else if (nx && nx_adj && (nx->lx & LX_UNIT)) {
				SPAN_TO(i + 1, "quantity");
			} else {
				SPAN_TO(i, "number");
			}
		} else if (is_path_word(ws, wl)) {
			SPAN_TO(i, "file");
		} else if (is_capitalised(ws, wl) &&
			   !(w[i].lx & (LX_COMMON | LX_MONTH | LX_WEEKDAY))) {
			/* a run of capitalised words, or one with a version after it */
			size_t last = i;
			bool name = true;

			while (last + 1 < nw && last - i < 3 && adjacent(s, w, last) &&
			       s[w[last].raw_end - 1] != ',' &&
			       is_capitalised(s + w[last + 1].off, w[last + 1].len) &&
			       !(w[last + 1].lx & LX_COMMON))
				last++;
			if (w[i].initial && last == i) {
				const char *v = nx ? s + nx->off : "";
				size_t vl = nx ? nx->len : 0;
				bool ed = wl > 3 && (!strncasecmp(ws + wl - 2, "ed", 2) ||
						     !strncasecmp(ws + wl - 3, "ing", 3) ||
						     !strncasecmp(ws + wl - 2, "ly", 2));
				bool verb_next = vl > 3 && !strncasecmp(v + vl - 2, "ed", 2);

				verb_next |= nx && (nx->lx & LX_SUBJ);
				name = !ed && (verb_next ||
					       capitalised_elsewhere(text, text_len, ws, wl));
			}
			if (name && last + 1 < nw && adjacent(s, w, last) &&
			    is_version_word(s + w[last + 1].off, w[last + 1].len) == false &&
			    number_prefix(s + w[last + 1].off, w[last + 1].len, &num) &&
			    num == w[last + 1].len && memchr(s + w[last + 1].off, '.', num)) {
				SPAN_TO(last + 1, "version"); /* "Python 3.11" */
			} else if (name) {
				bool acronym = true;

				for (size_t q = 0; q < wl; q++)
					acronym &= !(ws[q] >= 'a' && ws[q] <= 'z');
				if (!(acronym && last == i && wl < 3))
					SPAN_TO(last, "name");
				else
					j = last + 1;
			} else {
				j = last + 1;
			}
		} else if (memchr(ws, '_', wl) && is_alpha_c(ws[0]) && wl >= 4) {
			SPAN_TO(i, "name"); /* pg_dump, user_id */
		}
#undef NXT
#undef SPAN_TO
		i = j;
	}
	return k;
}

/* A span strictly around byte pos, or NULL. */
static const struct espan *span_around(const struct espan *sp, size_t n, size_t pos)
{
	for (size_t i = 0; i < n; i++)
		if (sp[i].off < pos && pos < sp[i].off + sp[i].len)
			return &sp[i];
	return NULL;
}

/* Byte length of s cut to a complete phrase of at most max_chars
 * characters: the whole of s when it fits; else at the last clause break
 * (",;:" or a conjunction) that keeps a third of the limit, else at a word
 * boundary; never inside a date, amount or name; without a dangling
 * article, preposition or conjunction at the end. */
static size_t cut_phrase(const char *s, size_t len, size_t max_chars, const char *text,
			 size_t text_len)
{
	struct espan sp[32];
	size_t q, nsp, min_keep, best = 0, scan_len;

	if (mn_text_utf8_chars(s, len) <= max_chars)
		return len;
	q = mn_features_cut_words(s, len, max_chars);
	scan_len = q + 64 < len ? mn_text_utf8_cut(s, len, q + 64) : len;
	nsp = scan_entities(sp, 32, s, scan_len, text, text_len);
	for (int guard = 0; guard < 4; guard++) {
		const struct espan *e = span_around(sp, nsp, q);

		if (!e)
			break;
		q = e->off;
	}
	min_keep = mn_text_utf8_prefix(s, len, max_chars / 3);
	for (size_t i = min_keep + 1; i < q; i++) {
		if (span_around(sp, nsp, i))
			continue;
		if (s[i - 1] && strchr(",;:", s[i - 1]) && mn_ascii_space(s[i]))
			best = i - 1;
		else if (s[i] == '(' && mn_ascii_space(s[i - 1]))
			best = i;
		else if (mn_ascii_space(s[i - 1]) && is_alpha_c(s[i])) {
			size_t e = i;

			while (e < q && is_alpha_c(s[e]))
				e++;
			if (e < q && mn_ascii_space(s[e]) && ci_in(s + i, e - i, clause_words))
				best = i - 1;
		}
	}
	if (best)
		q = best;
	for (int guard = 0; guard < 16; guard++) {
		size_t a;

		while (q && (mn_ascii_space(s[q - 1]) || (s[q - 1] && strchr(",;:-(", s[q - 1]))))
			q--;
		a = q;
		while (a && !mn_ascii_space(s[a - 1]))
			a--;
		if (!a || !ci_in(s + a, q - a, dangling_words))
			break;
		q = a;
	}
	return q ? q : mn_features_cut_words(s, len, max_chars);
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
		mn_student_space_score(w, c->vec.idx, c->vec.val, c->vec.n, &sc);
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
		mn_student_space_score(w, c->vec.idx, c->vec.val, c->vec.n, &sc);
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

		mn_buf_add(gist, s, cut_phrase(s, best->len, MN_ENCODING_GIST_MAX, c->text, c->len));
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

		/* under the threshold only to keep the list from being empty */
		if (c->cand_p[order[k]] < c->s->concept_threshold &&
		    (k >= MIN_CONCEPTS || k >= n))
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

/* The student's entities of the summary (the key sentences; the gist is
 * cut from the best of them), so the cost does not grow with the input;
 * the content keeps every entity of the input. Each with its sentence of
 * the input as context. */
static json_t *build_entities(struct encode_ctx *c, const struct mn_buf *summary)
{
	struct espan sp[MAX_ENTITIES * 3];
	size_t n = scan_entities(sp, MAX_ENTITIES * 3, summary->data, summary->len, c->text, c->len);
	size_t n_taken = 0, n_numbers = 0, last_off = SIZE_MAX, last_len = 0;
	json_t *arr = json_array();

	for (size_t i = 0; i < n && n_taken < MAX_ENTITIES; i++) {
		const char *name = summary->data + sp[i].off, *hit, *ctx = "";
		size_t ctx_len = 0;
		bool dup = false;
		json_t *o;

		if (!strcmp(sp[i].type, "number") && n_numbers >= MAX_NUMBER_ENTITIES)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = sp[k].len == sp[i].len &&
			      !strncasecmp(summary->data + sp[k].off, name, sp[i].len);
		if (dup)
			continue;
		hit = memmem(c->text, c->len, name, sp[i].len);
		if (hit) {
			const struct mn_features_sentence *st =
				sentence_at(&c->doc, (size_t)(hit - c->text));

			if (st) {
				/* entities share sentences: cut each one once */
				ctx = c->text + st->off;
				if (st->off != last_off) {
					last_off = st->off;
					last_len = cut_phrase(ctx, st->len, CONTEXT_CHARS, c->text,
							      c->len);
				}
				ctx_len = last_len;
			}
		}
		o = json_object();
		json_object_set_new_nocheck(o, "name", jstrn(name, sp[i].len));
		json_object_set_new_nocheck(o, "type", json_string_nocheck(sp[i].type));
		json_object_set_new_nocheck(o, "context",
					    ctx_len ? jstrn(ctx, ctx_len) : json_incref(c->empty));
		json_array_append_new(arr, o);
		n_taken++;
		n_numbers += !strcmp(sp[i].type, "number");
	}
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
	free(c->sent_p);
	free(c->cand_p);
	mn_features_doc_release(&c->doc);
	mn_features_vec_release(&c->vec);
	json_decref(c->empty);
}

double mn_student_round_to(double x, double unit)
{
	return round(x / unit) * unit;
}

int mn_student_encode(const struct mn_student *s, json_t **out_enc, double *out_confidence,
		      const char *content, size_t len, const char *source, const char *type)
{
	struct mn_student_confidence conf;
	int ret = mn_student_encode_detail(s, out_enc, &conf, content, len, source, type);

	if (out_confidence)
		*out_confidence = ret ? 0 : conf.all;
	return ret;
}

int mn_student_encode_detail(const struct mn_student *s, json_t **out_enc,
			     struct mn_student_confidence *out_conf, const char *content,
			     size_t len, const char *source, const char *type)
{
	struct encode_ctx c;
	struct mn_buf summary = MN_BUF_INIT, gist = MN_BUF_INIT;
	double p_sig[4], p_tone[5], p_out[4], sal;
	const double *const probs[3] = { p_sig, p_tone, p_out };
	struct mn_student_confidence conf;
	json_t *enc, *sc, *topics, *concepts;

	if (out_enc)
		*out_enc = NULL;
	if (out_conf)
		memset(out_conf, 0, sizeof(*out_conf));
	if (!s || !out_enc || (!content && len))
		return MN_EINVAL;
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.empty = json_string_nocheck("");
	c.text = mn_features_normalize(content ? content : "", len, &c.len);
	mn_features_vec_init(&c.vec, s->fp.dim_bits);
	mn_features_doc_init(&c.doc);
	mn_features_analyze(&c.doc, c.text, c.len, source, type);

	mn_features_doc_vector(&c.vec, &s->fp, &c.doc);
	mn_student_space_score(&s->sp[SPACE_DOC], c.vec.idx, c.vec.val, c.vec.n, c.doc_score);
	mn_student_head_probs(c.doc_score + mn_student_heads[HEAD_SIG].out_off, 4, p_sig);
	mn_student_head_probs(c.doc_score + mn_student_heads[HEAD_TONE].out_off, 5, p_tone);
	mn_student_head_probs(c.doc_score + mn_student_heads[HEAD_OUTCOME].out_off, 4, p_out);
	sal = c.doc_score[mn_student_heads[HEAD_SAL].out_off];
	sal = mn_student_round_to(sal < 0 ? 0 : sal > 1 ? 1 : sal, 0.01);
	confidence_of(s, probs, &conf);

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
				    json_string(mn_encoding_significance[mn_student_argmax(p_sig, 4)]));
	json_object_set_new_nocheck(enc, "emotional_tone",
				    json_string(mn_encoding_tones[mn_student_argmax(p_tone, 5)]));
	json_object_set_new_nocheck(enc, "outcome",
				    json_string(mn_encoding_outcomes[mn_student_argmax(p_out, 4)]));
	json_object_set_new_nocheck(enc, "salience", json_real(sal));

	*out_enc = enc;
	if (out_conf)
		*out_conf = conf;
	mn_buf_release(&summary);
	mn_buf_release(&gist);
	encode_release(&c);
	return 0;
}

int mn_student_encode_fn(void *payload, json_t **out_enc, const char *input, size_t len,
			  const char *source, const char *type, struct mn_err *err)
{
	int ret = mn_student_encode(payload, out_enc, NULL, input, len, source, type);

	if (ret)
		return mn_err_set(err, ret, "the builtin student could not encode the input");
	return 0;
}

