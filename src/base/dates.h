/*
 * dates.h - finds the dates an English text mentions and resolves them
 * against a reference time: ISO dates ("2025-10-27"), written dates
 * ("March 5", "5th of March 2024", "Dec 24"), relative days ("yesterday",
 * "two days ago", "last Friday", "on Tuesday", "in 3 days"), weeks ("last
 * week", "a few weeks ago"), months ("in March", "last month", "next
 * month") and years ("last year").
 *
 * Everything is in UTC calendar days. A written date without a year takes
 * the year that puts it closest to the reference time (within six months).
 *
 * Each date also has search keys, words a full-text index can hold:
 *   d20251027  the day          md1027   the day of the year (no year)
 *   w2025w44   the ISO week     m202510  the month          y2025 the year
 */
#ifndef MN_DATES_H
#define MN_DATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum mn_date_kind {
	MN_DATE_DAY,
	MN_DATE_WEEK,  /* the ISO week containing y-m-d */
	MN_DATE_MONTH, /* y-m, d = 1 */
	MN_DATE_YEAR,  /* y, m = d = 1 */
};

struct mn_date {
	size_t start, len;      /* byte span of the expression in the text */
	enum mn_date_kind kind;
	int y, m, d;
	bool year_given;        /* the text names the year, or the date is relative */
};

/* At most this many dates are reported per text. */
#define MN_DATES_MAX 16

/* Dates mentioned in text[0..len), resolved against ref_ms (epoch ms);
 * writes at most max into out and returns how many. Never fails. */
size_t mn_dates_find(struct mn_date *out, size_t max, const char *text, size_t len,
		     int64_t ref_ms);
/* "the day after X", "two days before X", "a week after X": an offset
 * from an event the text names by its words (the anchor). */
struct mn_date_offset {
	size_t start;                  /* where the offset ("the day after") starts */
	size_t anchor_start, anchor_end; /* the anchor: up to , ? ; ! or a full stop */
	int days;                      /* signed: after > 0, before < 0 */
};

/* The first such offset in text[0..len); false when there is none. */
bool mn_dates_find_offset(struct mn_date_offset *out, const char *text, size_t len);
/* The calendar day (UTC) of epoch ms. */
void mn_dates_day(struct mn_date *out, int64_t ms);
/* Append the index keys of a date, space separated: for a day all five
 * keys (d, md, w, m, y), for a week its w key, for a month its m key,
 * for a year its y key. */
void mn_dates_index_keys(struct mn_buf *b, const struct mn_date *dt);
/* Append the one key a question about the date should match: d (or md
 * when the year was not given), w, m or y. */
void mn_dates_query_key(struct mn_buf *b, const struct mn_date *dt);

#endif
