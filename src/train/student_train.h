/*
 * student_train.h - the builtin student's deterministic trainer (DESIGN §8).
 *
 * mn_student_train(&opts, &err) reads a batch directory and writes a model
 * directory that model/student.h loads. The file format is
 * docs/model-format.md, the design docs/builtin-student.md.
 */
#ifndef MN_STUDENT_TRAIN_H
#define MN_STUDENT_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct mn_student_train_opts {
	const char *batch_dir;   /* reads train.raw.jsonl, valid.raw.jsonl if present */
	const char *out_dir;     /* writes model.bin + metrics.json */
	const char *incumbent;   /* model dir to warm-start from, may be NULL */
	uint64_t seed;
	bool progress;           /* progress lines on stderr */
};

/* Train on <batch_dir>/train.raw.jsonl (DESIGN §7.1 raw rows; invalid
 * lines are skipped with a warning, MN_EINVAL when none is usable,
 * MN_ENOTFOUND without the file) and write <out_dir>/model.bin (atomically)
 * and <out_dir>/metrics.json. Deterministic: the same rows, incumbent and
 * seed give byte-identical files. An incumbent that cannot be loaded or
 * hashes features differently means a cold start with a warning. */
int mn_student_train(const struct mn_student_train_opts *o, struct mn_err *err);

#endif
