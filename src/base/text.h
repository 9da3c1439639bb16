/*
 * text.h - bounded parsing of outside text: UTF-8 checks, numbers,
 * durations, time windows, identifiers.
 */
#ifndef MN_TEXT_H
#define MN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct mn_buf;

/* Check text handed in by a user: not empty (after whitespace), at most
 * max_bytes, valid UTF-8 (error names the byte offset), no NUL bytes. */
int mn_text_check_input(const char *s, size_t len, size_t max_bytes, struct mn_err *err);
/* Append s to out with what a terminal would obey escaped: C0 controls
 * (ESC, CR, BEL, ...) except newline and tab, and DEL as \xNN; C1
 * controls (U+0080..U+009F) as \uNNNN; bytes that are not UTF-8 as \xNN.
 * For text shown to a person, never for JSON. */
void mn_text_escape_controls(struct mn_buf *out, const char *s, size_t len);
/* Offset of the first invalid UTF-8 byte, or len when valid. */
size_t mn_text_utf8_invalid_at(const char *s, size_t len);
/* Largest prefix length <= max that does not split a UTF-8 sequence. */
size_t mn_text_utf8_cut(const char *s, size_t len, size_t max);
/* Count of UTF-8 code points. */
size_t mn_text_utf8_chars(const char *s, size_t len);
/* Byte length of the first max_chars code points of s. */
size_t mn_text_utf8_prefix(const char *s, size_t len, size_t max_chars);
/* Strict integer parse of the whole string within [min, max]. */
bool mn_text_parse_i64(int64_t *out, const char *s, int64_t min, int64_t max);
bool mn_text_parse_double(double *out, const char *s);
/* "90s", "15m", "3h", "2d", "500ms" or plain seconds -> milliseconds. */
bool mn_text_parse_duration_ms(int64_t *out, const char *s);
/* "HH:MM-HH:MM" -> minutes since midnight; may wrap midnight. */
bool mn_text_parse_window(int *start_min, int *end_min, const char *s);
/* Is minute-of-day m inside [start, end) (wrapping when end <= start)? */
bool mn_text_window_contains(int start_min, int end_min, int m);
/* Fresh UUIDv4 text into out[37]. */
void mn_text_uuid4(char out[37]);
/* Random lowercase hex, n bytes of randomness -> 2n chars + NUL. */
void mn_text_random_hex(char *out, size_t nbytes);
/* FNV-1a 64-bit hash (stable across runs, used for holdout choice and features). */
uint64_t mn_text_hash64(const void *data, size_t len, uint64_t seed);
/* Trim ASCII whitespace in place; returns s. */
char *mn_text_trim(char *s);
bool mn_text_is_blank(const char *s, size_t len);

/* ASCII character classes that do not depend on the locale. */
/* ' ', \t, \n, \v, \f, \r (C isspace in the "C" locale) */
static inline bool mn_ascii_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* A-Z to a-z; every other byte as is. */
static inline char mn_ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

#endif
