/*
 * curriculum.h - the teacher corrects what the student did badly (DESIGN
 * §6). One curriculum run per dream cycle at most:
 *
 *   skipped   no teacher, learning disabled, cooldown since the last
 *             completed run, or fewer than min_needs_improvement rows wait;
 *   otherwise needs_improvement rows without a correction, lowest quality
 *             first, up to max_corrections_per_cycle, each sent to the
 *             teacher with the identical production prompt; a correction
 *             is stored only when the shared verifier says SC, no TED and
 *             EPR >= 0.9 against the input the encoder saw.
 *
 * Every teacher answer counts as an attempt (correction_attempts, with the
 * rejection reason in correction_error); after max_correction_attempts
 * without an accepted correction the row moves to `ambiguous`. Transport
 * failures (HTTP errors, timeouts) are recorded in correction_error but do
 * not count: a teacher outage must not push rows out of the queue. Two
 * transport failures in a row end the run as `failed`. A human correction
 * is never overwritten. A stop request ends the run as `interrupted`.
 */
#ifndef MN_CURRICULUM_H
#define MN_CURRICULUM_H

#include <jansson.h>
#include <signal.h>

#include "learn/ctx.h"
#include "base/err.h"

/* Accepted corrections must reach at least this EPR. */
#define MN_CURRICULUM_MIN_EPR 0.9

/* Run the curriculum phase. *out_phase (new reference, always set) is
 * {"name":"curriculum","status":"completed|skipped|interrupted|failed",
 *  "reason"?, "run_id"?, "teacher"?, "waiting", "attempted", "passed",
 *  "rejected", "errors", "moved_to_ambiguous", "human_kept"}.
 * Returns 0 unless the store failed (a failed teacher is status failed,
 * not an error return). */
int mn_curriculum_run(struct mn_ctx *a, volatile sig_atomic_t *stop, json_t **out_phase,
		      struct mn_err *err);

#endif
