/*
 * student_internal.h - private to the builtin student: the model's layout
 * (docs/model-format.md) as student.c (format and inference) and
 * train/student_train.c (the trainer) share it. Nothing else includes it.
 */
#ifndef MN_STUDENT_INTERNAL_H
#define MN_STUDENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "model/features.h"
#include "model/student.h"


#define MODEL_MAGIC          "MNSTUDNT"
#define MODEL_MAGIC_LEN      8
#define MODEL_FORMAT_VERSION 2u /* 2 added the calibration section */
#define MODEL_FORMAT_V1      1u /* still read: uncalibrated */
#define MODEL_DIM_BITS       18u
#define MODEL_HASH_SEED      0x6d6e656d6f2d7331ULL /* "mnemo-s1" */
#define MODEL_STR_MAX        128
#define MODEL_MAX_OUT        64
#define MODEL_HEADER_MIN     (MODEL_MAGIC_LEN + 4)
#define ROW_NONE             UINT32_MAX
#define ABSENT_BIAS          (-10.0) /* score of a class the training data never had */
#define CONSTANT_BIAS        10.0    /* score of the only class the training data had */

enum { SPACE_DOC, SPACE_SENT, SPACE_CONC, N_SPACES };
enum { HEAD_SIG, HEAD_TONE, HEAD_OUTCOME, HEAD_SAL, HEAD_SENT, HEAD_CONC, N_HEADS };
enum { KIND_MULTICLASS, KIND_BINARY, KIND_REGRESSION };

struct head_def {
	const char *name;
	unsigned space, kind;
	const char *const *labels; /* NULL-terminated; NULL for regression */
	unsigned n_out, out_off;   /* outputs of this head inside its space */
	double c, p, eps;          /* LIBLINEAR: cost, SVR epsilon, tolerance */
};

/* The heads (defined in student.c). The doc space has 14 outputs:
 * significance 0-3, tone 4-8, outcome 9-12, salience 13. Binary heads have
 * one output: the score of "selected". */
extern const struct head_def mn_student_heads[N_HEADS];

#define DOC_OUTPUTS 14
extern const unsigned mn_student_space_outputs[N_SPACES];

/* Calibration (Platt scaling): P(a teacher agrees) = sigmoid(a * logit(raw)
 * + b), with raw the head's top-1 probability for the three judgment heads
 * and the product of their calibrated probabilities for CAL_ALL. Fitted by
 * the trainer on held-out (cross-fitted) predictions; a = 1, b = 0 is the
 * identity (an uncalibrated model). */
enum { CAL_SIG, CAL_TONE, CAL_OUTCOME, CAL_ALL, N_CAL };

struct calibration {
	float a, b;
};

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
	struct calibration cal[N_CAL];
	uint32_t n_calib; /* held-out predictions behind cal; 0 = identity */
	/* training metadata */
	uint64_t train_seed;
	uint32_t n_train, n_valid, n_skipped, warm_start;
	char parent[MODEL_STR_MAX + 1];
	char sha256[65];
	char version[32];
	/* A loaded model's weight rows live in its file image (compacted in
	 * place, not copied): rows_in_image says so, image is freed with it. */
	unsigned char *image;
	bool rows_in_image;
};

static inline unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* Row of hashed index d, or ROW_NONE. */
static inline uint32_t space_row(const struct space_weights *w, uint32_t d)
{
	uint64_t word = w->present[d >> 6], bit = 1ULL << (d & 63);

	if (!(word & bit))
		return ROW_NONE;
	return w->rank[d >> 6] + (uint32_t)popcount64(word & (bit - 1));
}

/* The helpers student.c shares with the trainer. */
/* A model with the default header and empty spaces. */
struct mn_student *mn_student_new(void);
/* Build the rank index from idx (ascending, inside the dimensions). */
void mn_student_space_index(struct space_weights *w, unsigned dim_bits);
/* out[k] = bias[k] + sum_i val[i] * w[idx[i]][k] */
void mn_student_space_score(const struct space_weights *w, const uint32_t *idx, const float *val,
			    size_t n, float *out);
/* One-vs-rest probabilities, normalised as LIBLINEAR does. */
void mn_student_head_probs(const float *score, unsigned n, double *p);
unsigned mn_student_argmax(const double *p, unsigned n);
double mn_student_round_to(double x, double unit);
/* sigmoid(c->a * logit(p) + c->b), p clamped away from 0 and 1. */
double mn_student_calibrate(const struct calibration *c, double p);
/* The model file's bytes (docs/model-format.md), checksum included. */
void mn_student_serialize(struct mn_buf *b, const struct mn_student *s);
/* sha256 and version string of the model file's bytes. */
void mn_student_set_version(struct mn_student *s, const unsigned char *data, size_t len);

#endif
