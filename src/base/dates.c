/*
 * dates.c - dates in English text, resolved against a reference time.
 *
 * The text is cut into words (ASCII letters and digits; an ISO date is one
 * word), then a few patterns are tried at each word, longest first. Days
 * are counted from 1970-01-01 in the proleptic Gregorian calendar.
 */
#include "base/dates.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000LL
#define MAX_WORDS 512

struct word {
	size_t start, end;
	char s[24]; /* lower case, cut */
	int num;    /* value of a number or ordinal ("5", "5th", "two"), else -1 */
	bool digits;
};

static const char *const months[12][2] = {
	{"january", "jan"}, {"february", "feb"}, {"march", "mar"},  {"april", "apr"},
	{"may", "may"},     {"june", "jun"},     {"july", "jul"},   {"august", "aug"},
	{"september", "sep"}, {"october", "oct"}, {"november", "nov"}, {"december", "dec"},
};

static const char *const weekdays[7][2] = {
	{"monday", "mon"}, {"tuesday", "tue"}, {"wednesday", "wed"}, {"thursday", "thu"},
	{"friday", "fri"}, {"saturday", "sat"}, {"sunday", "sun"},
};

static const char *const number_words[] = {
	"zero", "one", "two", "three", "four", "five", "six",
	"seven", "eight", "nine", "ten", "eleven", "twelve",
};

/* Days since 1970-01-01 of a civil date (any month/day overflow is
 * normalised by the caller never producing it). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : n[m - 1];
}

/* Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday). */
static int weekday_of(int64_t days)
{
	int64_t w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static void set_days(struct mn_date *dt, int64_t days)
{
	civil_from_days(days, &dt->y, &dt->m, &dt->d);
}

void mn_dates_day(struct mn_date *out, int64_t ms)
{
	int64_t days = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);

	memset(out, 0, sizeof(*out));
	out->kind = MN_DATE_DAY;
	out->year_given = true;
	set_days(out, days);
}

static int month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!strcmp(s, months[i][0]) || !strcmp(s, months[i][1]) ||
		    (i == 8 && !strcmp(s, "sept")))
			return i + 1;
	return 0;
}

static int weekday_index(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (!strcmp(s, weekdays[i][0]) || !strcmp(s, weekdays[i][1]))
			return i;
	return -1;
}

/* "5", "5th", "21st", "two" -> value; otherwise -1. */
static int word_number(const char *s, bool *digits)
{
	size_t n = 0;
	int v = 0;

	*digits = false;
	while (n < 6 && isdigit((unsigned char)s[n]))
		v = v * 10 + (s[n++] - '0');
	if (n && !s[n]) {
		*digits = true;
		return v;
	}
	if (n && n <= 2 && (!strcmp(s + n, "st") || !strcmp(s + n, "nd") ||
			    !strcmp(s + n, "rd") || !strcmp(s + n, "th")))
		return v;
	for (size_t i = 0; i < sizeof(number_words) / sizeof(number_words[0]); i++)
		if (!strcmp(s, number_words[i]))
			return (int)i;
	return -1;
}

/* yyyy-mm-dd or yyyy/mm/dd (one or two digit month and day). */
static bool parse_iso(const char *s, int *y, int *m, int *d)
{
	int n = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", y, m, d, &n) != 3 || (size_t)n != strlen(s)) {
		n = 0;
		if (sscanf(s, "%4d/%2d/%2d%n", y, m, d, &n) != 3 || (size_t)n != strlen(s))
			return false;
	}
	return *y >= 1900 && *y <= 2200 && *m >= 1 && *m <= 12 && *d >= 1 &&
	       *d <= days_in_month(*y, *m);
}

static size_t split_words(struct word *w, size_t max, const char *text, size_t len)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		size_t start, k = 0;

		while (i < len && !isalnum((unsigned char)text[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && (isalnum((unsigned char)text[i]) ||
				   ((text[i] == '-' || text[i] == '/') && i + 1 < len &&
				    isdigit((unsigned char)text[i + 1]) && i > start &&
				    isdigit((unsigned char)text[i - 1])))) {
			if (k < sizeof(w[n].s) - 1)
				w[n].s[k++] = (char)tolower((unsigned char)text[i]);
			i++;
		}
		w[n].s[k] = '\0';
		w[n].start = start;
		w[n].end = i;
		w[n].num = word_number(w[n].s, &w[n].digits);
		n++;
	}
	return n;
}

static bool is(const struct word *w, size_t n, size_t i, const char *s)
{
	return i < n && !strcmp(w[i].s, s);
}

static bool is_day_number(const struct word *w, size_t n, size_t i)
{
	return i < n && w[i].num >= 1 && w[i].num <= 31 && strlen(w[i].s) <= 4 &&
	       isdigit((unsigned char)w[i].s[0]);
}

static bool is_year(const struct word *w, size_t n, size_t i)
{
	return i < n && w[i].digits && w[i].num >= 1900 && w[i].num <= 2200;
}

/* The year that puts month/day closest to the reference day. */
static int nearest_year(int m, int d, int64_t ref_days)
{
	int ry, rm, rd;
	int64_t c;

	civil_from_days(ref_days, &ry, &rm, &rd);
	if (d > days_in_month(ry, m))
		d = days_in_month(ry, m);
	c = days_from_civil(ry, m, d);
	if (c > ref_days + 183)
		return ry - 1;
	if (c < ref_days - 183)
		return ry + 1;
	return ry;
}

static int unit_of(const char *s)
{
	if (!strcmp(s, "day") || !strcmp(s, "days"))
		return 1;
	if (!strcmp(s, "week") || !strcmp(s, "weeks"))
		return 7;
	if (!strcmp(s, "month") || !strcmp(s, "months"))
		return 30;
	if (!strcmp(s, "year") || !strcmp(s, "years"))
		return 365;
	return 0;
}

/* A count before a unit: "3", "three", "a", "an", "a couple of", "a few",
 * "several". Returns the count and sets *first to the count's first word;
 * 0 when word i-1 (before the unit) is not a count. */
static int count_before(const struct word *w, size_t n, size_t unit, size_t *first)
{
	if (unit == 0)
		return 0;
	if (unit >= 2 && is(w, n, unit - 1, "of") && is(w, n, unit - 2, "couple")) {
		*first = unit >= 3 && is(w, n, unit - 3, "a") ? unit - 3 : unit - 2;
		return 2;
	}
	if (is(w, n, unit - 1, "few") || is(w, n, unit - 1, "several")) {
		*first = unit >= 2 && is(w, n, unit - 2, "a") ? unit - 2 : unit - 1;
		return 3;
	}
	if (is(w, n, unit - 1, "a") || is(w, n, unit - 1, "an")) {
		*first = unit - 1;
		return 1;
	}
	if (w[unit - 1].num >= 1 && w[unit - 1].num <= 400 &&
	    (w[unit - 1].digits || !isdigit((unsigned char)w[unit - 1].s[0]))) {
		*first = unit - 1;
		return w[unit - 1].num;
	}
	return 0;
}

static void shift_months(struct mn_date *dt, int64_t ref_days, int delta)
{
	int y, m, d, total;

	civil_from_days(ref_days, &y, &m, &d);
	total = y * 12 + (m - 1) + delta;
	dt->y = total / 12;
	dt->m = total % 12 + 1;
	dt->d = 1;
}

/* Try the patterns at word i; on a match fill dt and return the index of
 * the first word after the expression, else return i. */
static size_t match_at(struct mn_date *dt, size_t *first_word, const struct word *w, size_t n,
		       size_t i, int64_t ref)
{
	int y, m, d, wd;
	size_t j;

	memset(dt, 0, sizeof(*dt));
	dt->kind = MN_DATE_DAY;
	dt->year_given = true;
	*first_word = i;
	if (parse_iso(w[i].s, &y, &m, &d)) {
		dt->y = y, dt->m = m, dt->d = d;
		return i + 1;
	}
	if (is(w, n, i, "today") || is(w, n, i, "tonight")) {
		set_days(dt, ref);
		return i + 1;
	}
	if (is(w, n, i, "yesterday")) {
		set_days(dt, ref - 1);
		return i + 1;
	}
	if (is(w, n, i, "tomorrow")) {
		set_days(dt, ref + 1);
		return i + 1;
	}
	if (is(w, n, i, "day") && (is(w, n, i + 1, "before") || is(w, n, i + 1, "after")) &&
	    (is(w, n, i + 2, "yesterday") || is(w, n, i + 2, "tomorrow"))) {
		set_days(dt, is(w, n, i + 2, "yesterday") ? ref - 2 : ref + 2);
		return i + 3;
	}
	m = month_of(w[i].s);
	if (m) {
		/* "March 5", "March 5th, 2024", "March 2024"; "may" only so. */
		if (is_day_number(w, n, i + 1) && w[i + 1].num <= 31) {
			d = w[i + 1].num;
			j = i + 2;
			if (is_year(w, n, j)) {
				y = w[j++].num;
			} else {
				y = nearest_year(m, d, ref);
				dt->year_given = false;
			}
			if (d > days_in_month(y, m))
				return i;
			dt->y = y, dt->m = m, dt->d = d;
			return j;
		}
		if (is_year(w, n, i + 1)) {
			dt->kind = MN_DATE_MONTH;
			dt->y = w[i + 1].num, dt->m = m, dt->d = 1;
			return i + 2;
		}
		if (i > 0 && (is(w, n, i - 1, "in") || is(w, n, i - 1, "during") ||
			      is(w, n, i - 1, "since") || is(w, n, i - 1, "until") ||
			      is(w, n, i - 1, "early") || is(w, n, i - 1, "late") ||
			      is(w, n, i - 1, "mid")) &&
		    (m != 5 || is(w, n, i - 1, "in"))) {
			dt->kind = MN_DATE_MONTH;
			dt->y = nearest_year(m, 1, ref), dt->m = m, dt->d = 1;
			return i + 1;
		}
		return i;
	}
	/* "5 March", "5th of March 2024" */
	if (is_day_number(w, n, i)) {
		j = i + 1;
		if (is(w, n, j, "of"))
			j++;
		m = j < n ? month_of(w[j].s) : 0;
		if (m) {
			d = w[i].num;
			j++;
			if (is_year(w, n, j)) {
				y = w[j++].num;
			} else {
				y = nearest_year(m, d, ref);
				dt->year_given = false;
			}
			if (d > days_in_month(y, m))
				return i;
			dt->y = y, dt->m = m, dt->d = d;
			return j;
		}
	}
	/* "last/this/next week|month|year", "last/this/next/on <weekday>" */
	if (is(w, n, i, "last") || is(w, n, i, "this") || is(w, n, i, "next") ||
	    is(w, n, i, "past") || is(w, n, i, "on")) {
		int dir = is(w, n, i, "next") ? 1 : is(w, n, i, "this") ? 0 : -1;

		if (i + 1 >= n)
			return i;
		wd = weekday_index(w[i + 1].s);
		if (wd >= 0) {
			int64_t day = ref - weekday_of(ref) + wd; /* this week's */

			if (dir < 0 && day >= ref)
				day -= 7;
			else if (dir > 0 && day <= ref)
				day += 7;
			set_days(dt, day);
			return i + 2;
		}
		if (is(w, n, i, "on"))
			return i;
		if (is(w, n, i + 1, "week")) {
			dt->kind = MN_DATE_WEEK;
			set_days(dt, ref + 7 * dir);
			return i + 2;
		}
		if (is(w, n, i + 1, "month")) {
			dt->kind = MN_DATE_MONTH;
			shift_months(dt, ref, dir);
			return i + 2;
		}
		if (is(w, n, i + 1, "year")) {
			dt->kind = MN_DATE_YEAR;
			set_days(dt, ref);
			dt->y += dir, dt->m = 1, dt->d = 1;
			return i + 2;
		}
		return i;
	}
	/* "<count> days|weeks|months|years ago", "in <count> days" */
	if (unit_of(w[i].s) && i > 0) {
		int unit = unit_of(w[i].s), sign = 0, count;
		size_t first = i;

		count = count_before(w, n, i, &first);
		if (!count)
			return i;
		if (is(w, n, i + 1, "ago"))
			sign = -1;
		else if (first > 0 && is(w, n, first - 1, "in"))
			sign = 1;
		if (!sign)
			return i;
		if (unit == 30) {
			dt->kind = MN_DATE_MONTH;
			shift_months(dt, ref, sign * count);
		} else if (unit == 365) {
			dt->kind = MN_DATE_YEAR;
			set_days(dt, ref);
			dt->y += sign * count, dt->m = 1, dt->d = 1;
		} else {
			/* "a few weeks ago" is a week, not a day */
			dt->kind = unit == 7 ? MN_DATE_WEEK : MN_DATE_DAY;
			set_days(dt, ref + (int64_t)sign * count * unit);
		}
		*first_word = first;
		return sign < 0 ? i + 2 : i + 1;
	}
	return i;
}

size_t mn_dates_find(struct mn_date *out, size_t max, const char *text, size_t len,
		     int64_t ref_ms)
{
	static _Thread_local struct word w[MAX_WORDS];
	struct mn_date ref_day;
	int64_t ref;
	size_t n, found = 0;

	if (!text || !max)
		return 0;
	mn_dates_day(&ref_day, ref_ms);
	ref = days_from_civil(ref_day.y, ref_day.m, ref_day.d);
	n = split_words(w, MAX_WORDS, text, len);
	for (size_t i = 0; i < n && found < max;) {
		struct mn_date dt;
		size_t first = i;
		size_t next = match_at(&dt, &first, w, n, i, ref);

		if (next == i) {
			i++;
			continue;
		}
		dt.start = w[first].start;
		dt.len = w[next - 1].end - dt.start;
		/* A count before the unit ("two days ago") started earlier
		 * than i: drop a date already reported inside the span. */
		while (found && out[found - 1].start >= dt.start)
			found--;
		out[found++] = dt;
		i = next;
	}
	return found;
}

bool mn_dates_find_offset(struct mn_date_offset *out, const char *text, size_t len)
{
	static _Thread_local struct word w[MAX_WORDS];
	size_t n = text ? split_words(w, MAX_WORDS, text, len) : 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 1; i + 1 < n; i++) {
		size_t first = i - 1;
		int unit, count = 1;

		if (!is(w, n, i, "after") && !is(w, n, i, "before"))
			continue;
		if (is(w, n, i - 1, "day") || is(w, n, i - 1, "days"))
			unit = 1;
		else if (is(w, n, i - 1, "week") || is(w, n, i - 1, "weeks"))
			unit = 7;
		else
			continue;
		if (i >= 2 && (is(w, n, i - 2, "a") || is(w, n, i - 2, "the"))) {
			first = i - 2;
		} else if (i >= 2 && w[i - 2].num > 0 && w[i - 2].num <= 31) {
			count = w[i - 2].num;
			first = i - 2;
		}
		out->start = w[first].start;
		out->anchor_start = w[i + 1].start;
		out->anchor_end = len;
		for (size_t k = out->anchor_start; k < len; k++)
			if (strchr(",?;!", text[k]) ||
			    (text[k] == '.' && (k + 1 == len || isspace((unsigned char)text[k + 1])))) {
				out->anchor_end = k;
				break;
			}
		out->days = (is(w, n, i, "after") ? 1 : -1) * count * unit;
		return true;
	}
	return false;
}

static void iso_week(const struct mn_date *dt, int *wy, int *wn)
{
	int64_t days = days_from_civil(dt->y, dt->m, dt->d);
	int64_t thursday = days - weekday_of(days) + 3;
	int ty, tm, td;

	civil_from_days(thursday, &ty, &tm, &td);
	*wy = ty;
	*wn = (int)((thursday - days_from_civil(ty, 1, 1)) / 7 + 1);
}

void mn_dates_index_keys(struct mn_buf *b, const struct mn_date *dt)
{
	int wy, wn;

	iso_week(dt, &wy, &wn);
	switch (dt->kind) {
	case MN_DATE_DAY:
		mn_buf_addf(b, "d%04d%02d%02d md%02d%02d w%04dw%02d m%04d%02d y%04d ", dt->y, dt->m,
			    dt->d, dt->m, dt->d, wy, wn, dt->y, dt->m, dt->y);
		break;
	case MN_DATE_WEEK:
		mn_buf_addf(b, "w%04dw%02d ", wy, wn);
		break;
	case MN_DATE_MONTH:
		mn_buf_addf(b, "m%04d%02d ", dt->y, dt->m);
		break;
	case MN_DATE_YEAR:
		mn_buf_addf(b, "y%04d ", dt->y);
		break;
	}
}

void mn_dates_query_key(struct mn_buf *b, const struct mn_date *dt)
{
	int wy, wn;

	switch (dt->kind) {
	case MN_DATE_DAY:
		if (dt->year_given)
			mn_buf_addf(b, "d%04d%02d%02d", dt->y, dt->m, dt->d);
		else
			mn_buf_addf(b, "md%02d%02d", dt->m, dt->d);
		break;
	case MN_DATE_WEEK:
		iso_week(dt, &wy, &wn);
		mn_buf_addf(b, "w%04dw%02d", wy, wn);
		break;
	case MN_DATE_MONTH:
		mn_buf_addf(b, "m%04d%02d", dt->y, dt->m);
		break;
	case MN_DATE_YEAR:
		mn_buf_addf(b, "y%04d", dt->y);
		break;
	}
}
