#include "base/text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/buf.h"

size_t mn_text_utf8_invalid_at(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

/* Length of the valid UTF-8 sequence at s (1..4) and its code point in
 * *cp, or 0 when the bytes there are not valid UTF-8. */
static size_t utf8_decode(uint32_t *cp, const unsigned char *s, size_t len)
{
	size_t n = mn_text_utf8_invalid_at((const char *)s, len < 4 ? len : 4);
	size_t want = s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;

	/* invalid_at stops at the first bad byte; a good lead byte is good
	 * for its whole sequence. */
	if (n == 0 || n < want)
		return 0;
	*cp = want == 1 ? s[0] : s[0] & (0x7F >> want);
	for (size_t k = 1; k < want; k++)
		*cp = *cp << 6 | (s[k] & 0x3F);
	return want;
}

void mn_text_escape_controls(struct mn_buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, plain = 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_decode(&cp, s + i, len - i);

		if (n && ((cp >= 0x20 && cp != 0x7F && (cp < 0x80 || cp > 0x9F)) || cp == '\n' ||
			  cp == '\t')) {
			i += n;
			continue;
		}
		mn_buf_add(out, s + plain, i - plain);
		if (!n)
			mn_buf_addf(out, "\\x%02x", s[i]); /* not UTF-8 */
		else if (cp < 0x80)
			mn_buf_addf(out, "\\x%02x", (unsigned)cp); /* C0, DEL */
		else
			mn_buf_addf(out, "\\u%04x", (unsigned)cp); /* C1 */
		i += n ? n : 1;
		plain = i;
	}
	mn_buf_add(out, s + plain, len - plain);
}

int mn_text_check_input(const char *s, size_t len, size_t max_bytes, struct mn_err *err)
{
	size_t bad;
	const char *nul;

	if (len > max_bytes)
		return mn_err_set(err, MN_EINVAL,
				  "text is %zu bytes, over the limit of %zu (encoding.max_text_bytes)",
				  len, max_bytes);
	if (mn_text_is_blank(s, len))
		return mn_err_set(err, MN_EINVAL, "text is empty");
	nul = memchr(s, '\0', len);
	if (nul)
		return mn_err_set(err, MN_EINVAL, "text contains a NUL byte at offset %zu",
				  (size_t)(nul - s));
	bad = mn_text_utf8_invalid_at(s, len);
	if (bad != len)
		return mn_err_set(err, MN_EINVAL, "text is not valid UTF-8 at byte offset %zu",
				  bad);
	return 0;
}

size_t mn_text_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

size_t mn_text_utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t mn_text_utf8_prefix(const char *s, size_t len, size_t max_chars)
{
	size_t chars = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max_chars)
				return i;
			chars++;
		}
	}
	return len;
}

bool mn_text_parse_i64(int64_t *out, const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	/* strtoll would skip leading blanks: " 5" is not a number here. */
	if (!s || !((*s >= '0' && *s <= '9') || *s == '-' || *s == '+'))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool mn_text_parse_double(double *out, const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool mn_text_parse_duration_ms(int64_t *out, const char *s)
{
	char *end;
	double v;
	double mult = 1000;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return false;
	if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s") || !*end)
		mult = 1000;
	else if (!strcmp(end, "m"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else if (!strcmp(end, "d"))
		mult = 86400000;
	else
		return false;
	if (v * mult > 9e15)
		return false;
	*out = (int64_t)(v * mult);
	return true;
}

static bool parse_hhmm(int *out, const char *s)
{
	if (s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' || s[2] != ':' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return false;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');

	if (h > 24 || (h == 24 && m != 0))
		return false;
	*out = h * 60 + m;
	return true;
}

bool mn_text_parse_window(int *start_min, int *end_min, const char *s)
{
	if (!s || strlen(s) != 11 || s[5] != '-')
		return false;
	return parse_hhmm(start_min, s) && parse_hhmm(end_min, s + 6);
}

bool mn_text_window_contains(int start_min, int end_min, int m)
{
	if (start_min == end_min)
		return true; /* "00:00-00:00" / "02:00-02:00": always */
	if (start_min < end_min)
		return m >= start_min && m < end_min;
	return m >= start_min || m < end_min;
}

static void fill_random(unsigned char *p, size_t n)
{
	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* getrandom cannot fail on Linux >= 3.17 for small sizes */
			for (size_t i = 0; i < n; i++)
				p[i] = (unsigned char)rand();
			return;
		}
		p += got;
		n -= (size_t)got;
	}
}

void mn_text_uuid4(char out[37])
{
	unsigned char b[16];

	fill_random(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void mn_text_random_hex(char *out, size_t nbytes)
{
	unsigned char b[64];

	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	fill_random(b, nbytes);
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

uint64_t mn_text_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

char *mn_text_trim(char *s)
{
	size_t len;
	char *start = s;

	while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
		start++;
	len = strlen(start);
	while (len && (start[len - 1] == ' ' || start[len - 1] == '\t' ||
		       start[len - 1] == '\n' || start[len - 1] == '\r'))
		len--;
	memmove(s, start, len);
	s[len] = '\0';
	return s;
}

bool mn_text_is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}
