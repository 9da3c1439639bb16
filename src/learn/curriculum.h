/*
 * curriculum.h - the teacher corrects what the student did badly (DESIGN
 * §6). One curriculum run per dream cycle at most:
 *
 *   skipped   no teacher, learning disabled, cooldown since the last
 *             completed run, or fewer than min_needs_improvement rows wait;
 *   skipped   the teacher budget is spent: max_calls_per_day calls were
 *             made in the last 24 hours (every cycle's calls together);
 *   otherwise needs_improvement rows without a correction, those whose
 *             correction is expected to help most first (mn_curriculum_select:
 *             uncertainty, hardness, diversity), at most
 *             max_corrections_per_cycle and what is left of the day's budget,
 *             each sent to the teacher with the identical production prompt;
 *             a correction is stored only when the shared verifier says SC,
 *             no TED and EPR >= 0.9 against the input the encoder saw.
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
/* Candidates the selection looks at in one run (lowest quality first). */
#define MN_CURRICULUM_POOL 5000
/* Newest corrected rows the selection weighs the candidates against. */
#define MN_CURRICULUM_TAUGHT 1000

/* What the selection knows of a row the teacher could correct. */
struct mn_curriculum_cand {
	const char *text;     /* the input, for diversity (borrowed) */
	size_t len;
	double confidence;    /* the student's, [0, 1] */
	double epr;           /* of the student's encoding, [0, 1] */
	bool broken;          /* no schema compliance, or it echoed the prompt */
	bool flagged;         /* the verifier raised flags */
	int recall_count;
	double recall_score;  /* ignored when recall_count == 0 */
	int attempts;         /* teacher answers already rejected for it */
	bool labelled;        /* already corrected: never chosen, but the rows
			       * like it are worth less (the student has been
			       * taught that kind already) */
	double unlearned;     /* labelled only: the share of its judgment fields
			       * the current student still gets wrong after
			       * being taught it, [0, 1]; rows like it are worth
			       * less again (what it could not learn from this
			       * one, it will hardly learn from the next) */
};

/* The value of a teacher correction of c, before diversity: uncertainty
 * (1 - confidence) plus hardness (EPR short of 0.9, a broken encoding,
 * flags, a memory users rate badly), divided by 1 + attempts (a row the
 * teacher could not correct before is less likely to pay now). */
double mn_curriculum_value(const struct mn_curriculum_cand *c);
/* Choose at most k of the n candidates (labelled ones are never chosen)
 * for the teacher, best first, into out_idx (room for k): greedy on value
 * times (1 - the largest word overlap, Jaccard, with a row chosen in this
 * batch) times (1 - half the largest overlap with a labelled row) times
 * (1 - the largest overlap with a labelled row weighted by its
 * `unlearned`), so the budget is not spent on near-duplicates, on more of
 * what the student was already taught, nor on what it cannot learn.
 * Deterministic; ties keep the input order. Returns how many were
 * chosen. */
size_t mn_curriculum_select(size_t *out_idx, const struct mn_curriculum_cand *c, size_t n,
			    size_t k);

/* Run the curriculum phase. *out_phase (new reference, always set) is
 * {"name":"curriculum","status":"completed|skipped|interrupted|failed",
 *  "reason"?, "run_id"?, "teacher"?, "waiting", "budget"?: {"per_cycle",
 *  "per_day", "used_24h", "left"}, "attempted", "passed", "rejected",
 *  "errors", "moved_to_ambiguous", "human_kept"}.
 * Returns 0 unless the store failed (a failed teacher is status failed,
 * not an error return). */
int mn_curriculum_run(struct mn_ctx *a, volatile sig_atomic_t *stop, json_t **out_phase,
		      struct mn_err *err);

#endif
