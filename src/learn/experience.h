/*
 * experience.h - classification of experience-buffer rows (DESIGN §6).
 *
 * Categories are recomputed from scratch at each reclassification, so rows
 * are promoted and demoted as ratings and corrections arrive.
 */
#ifndef MN_EXPERIENCE_H
#define MN_EXPERIENCE_H

#include <stdbool.h>

#include "base/err.h"
#include "core/config.h"
#include "store/store_learn.h"

struct mn_exp_signals {
	double epr;
	bool ted, sc, fallback;
	bool has_flags;
	double confidence;
	int recall_count;
	double recall_score; /* ignored when recall_count == 0 */
	int correction_attempts;
	bool corrected;
};

/* gold | needs_improvement | ambiguous | excluded (static strings). */
const char *mn_experience_classify(const struct mn_exp_signals *s, double min_confidence,
				   int max_correction_attempts);
/* Reclassify every buffer row; *out_changed = rows whose category moved. */
int mn_experience_reclassify(struct mn_store *st, const struct mn_config *cfg,
			     int *out_changed, struct mn_err *err);

#endif
