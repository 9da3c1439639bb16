/*
 * student.h - the builtin student (DESIGN §8): an extractive, faithful
 * encoder whose judgment fields come from small linear models over hashed
 * text features (LIBLINEAR heads): the model format and inference.
 *
 * Calling sequence: mn_student_load(&s, dir, &err) or
 * mn_student_load_default(&s, &err); mn_student_encode(...) any number of
 * times (read-only, thread-safe); mn_student_free(s).
 * The trainer is train/student_train.h. The file format is docs/model-format.md, the
 * design docs/builtin-student.md; the features live in features.c.
 */
#ifndef MN_STUDENT_H
#define MN_STUDENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define MN_STUDENT_NAME "builtin"
#define MN_STUDENT_MODEL_FILE "model.bin"

struct mn_student;

/* Load <dir>/model.bin (checksummed, versioned). A corrupt, truncated or
 * wrong-version file is MN_EINVAL/MN_EVERSION with a clear message; a
 * missing one MN_ENOTFOUND. *out is NULL on failure. */
int mn_student_load(struct mn_student **out, const char *dir, struct mn_err *err);
/* The shipped default weights: default-model/model.bin found with
 * mn_datadir_find (MNEMO_DATADIR, the install's share dir, the build
 * tree, the source tree). MN_ENOTFOUND, saying where it looked, when no
 * data directory has it; there is no compiled-in copy. */
int mn_student_load_default(struct mn_student **out, struct mn_err *err);
/* The same, with the verified-digest cache of the data home `home`
 * (<home>/cache/student-digest/, docs/model-format.md "Checksum"): a
 * model.bin whose identity (device, inode, size, mtime, ctime) matches the
 * entry of an earlier full verification is not hashed again; any other
 * file is hashed and, once verified, recorded. home NULL: always hash
 * (what mn_student_load does). For processes that load a model to serve
 * (the encoder); training and evaluation verify in full. */
int mn_student_load_cached(struct mn_student **out, const char *dir, const char *home,
			   struct mn_err *err);
int mn_student_load_default_cached(struct mn_student **out, const char *home,
				   struct mn_err *err);
/* Loads of this process that hashed the model file, and those that took
 * its digest from the cache (for tests and diagnostics). */
void mn_student_digest_counts(unsigned long *hashed, unsigned long *cached);
void mn_student_free(struct mn_student *s);
/* "builtin-<first 12 hex digits of model.bin's sha256>"; borrowed for the
 * student's lifetime. */
const char *mn_student_version(const struct mn_student *s);
/* Encode (content, len) as the model sees it (the caller has already cut
 * it with mn_prompt_input_len). *out_enc: new reference, the ten keys of
 * §4, schema-compliant for any input bytes (invalid UTF-8 is repaired).
 * *out_confidence (may be NULL): the calibrated probability that a teacher
 * agrees with all three judgment fields (mn_student_confidence.all).
 * source and type may be NULL. MN_EINVAL only for NULL arguments (content
 * may be NULL when len is 0). */
int mn_student_encode(const struct mn_student *s, json_t **out_enc, double *out_confidence,
		      const char *content, size_t len, const char *source, const char *type);

/* The student's confidence in its judgment fields, as probabilities that a
 * teacher gives the same value, calibrated at training time on held-out
 * predictions (docs/builtin-student.md, "Calibration"). A model of format 1 is uncalibrated: its
 * probabilities are the classifiers' own. */
struct mn_student_confidence {
	double field[3]; /* significance, emotional_tone, outcome */
	double all;      /* all three agree: the encoding's confidence */
};

/* mn_student_encode with the confidence of each field (out_conf may be
 * NULL). */
int mn_student_encode_detail(const struct mn_student *s, json_t **out_enc,
			     struct mn_student_confidence *out_conf, const char *content,
			     size_t len, const char *source, const char *type);

/* mn_eval_encode_fn (evalset.h) for a loaded builtin student (payload =
 * the struct mn_student). */
int mn_student_encode_fn(void *payload, json_t **out_enc, const char *input, size_t len,
			 const char *source, const char *type, struct mn_err *err);

#endif
