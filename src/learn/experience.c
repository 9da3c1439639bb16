#include "learn/experience.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

const char *mn_experience_classify(const struct mn_exp_signals *s, double min_confidence,
				   int max_correction_attempts)
{
	bool rated = s->recall_count > 0;
	bool needs;

	if (s->fallback)
		return "excluded";
	needs = s->epr < 0.7 || s->ted || !s->sc || s->confidence < min_confidence ||
		(s->recall_count >= 3 && s->recall_score < 0.3);
	if (needs) {
		/* The teacher gave up: the input is probably ambiguous, stop blocking. */
		if (!s->corrected && s->correction_attempts >= max_correction_attempts)
			return "ambiguous";
		return "needs_improvement";
	}
	if (s->epr > 0.9 && !s->has_flags && s->sc && (!rated || s->recall_score > 0.8))
		return "gold";
	return "ambiguous";
}

int mn_experience_reclassify(struct mn_store *st, const struct mn_config *cfg,
			     int *out_changed, struct mn_err *err)
{
	struct mn_exp_row *rows = NULL;
	size_t n = 0;
	int changed = 0, ret;

	*out_changed = 0;
	ret = mn_store_exp_list(st, &rows, &n, NULL, 0, err);
	if (ret)
		return ret;
	ret = mn_store_begin(st, err);
	if (ret)
		goto out;
	for (size_t i = 0; i < n && !ret; i++) {
		struct mn_exp_signals s = {
			.epr = rows[i].epr,
			.ted = rows[i].ted,
			.sc = rows[i].sc,
			.fallback = rows[i].fallback,
			.has_flags = json_array_size(rows[i].flags) > 0,
			.confidence = rows[i].confidence,
			.recall_count = rows[i].recall_count,
			.recall_score = rows[i].recall_score,
			.correction_attempts = rows[i].correction_attempts,
			.corrected = rows[i].corrected_output != NULL,
		};
		const char *cat = mn_experience_classify(
			&s, cfg->learning.min_confidence,
			cfg->learning.curriculum.max_correction_attempts);

		if (strcmp(cat, rows[i].category)) {
			ret = mn_store_exp_set_category(st, rows[i].id, cat, err);
			changed++;
		}
	}
	if (!ret)
		ret = mn_store_commit(st, err);
	if (ret)
		mn_store_rollback(st);
	else
		*out_changed = changed;
out:
	mn_exp_rows_free(rows, n);
	return ret;
}
