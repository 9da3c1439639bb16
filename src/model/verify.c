/*
 * verify.c - the one verifier (DESIGN §5).
 *
 * The definitions follow the reference evaluator of the original system
 * (its Python `re` semantics), read literally. Where §5 leaves room, this
 * is what we decided:
 *
 * Entities
 *  - Each kind is one scan of the whole text from left to right, taking
 *    non-overlapping leftmost matches (Python's findall). Kinds are
 *    independent: "v2.4.0" is the version "v2.4.0" and also the numbers
 *    "2.4" and "0"; a path may also contain a CamelCase word.
 *  - Numbers are ONE pattern whose alternatives are the seven forms of §5
 *    in the order given. At each position the first alternative that
 *    matches wins and its span is consumed, so "1,234.5" is only "1234.5"
 *    and "12.5%" only "12.5%". An earlier form does not win over a later
 *    form that matches further left: in "1234,567" the integer "1234" is
 *    taken at offset 0 and then "567"; "234,567" is never tried.
 *  - The percent sign is part of the entity: "12.5%" and "40%" are stored
 *    with their '%', so "40 percent" or "40" alone in the output does not
 *    preserve "40%". Scientific numbers are stored as written ("1.5E-3")
 *    and matched case-insensitively. A fraction "3/4" is one entity. There
 *    are no word boundaries: "abc123" yields "123", "-5" yields "-5".
 *  - Commas are removed from stored numbers; no other entity kind can
 *    contain a comma.
 *  - Paths are one pattern with two alternatives, the extension form first:
 *    "/home/u/a.py" is one entity, found by the extension form; the
 *    absolute form takes what the extension form does not match
 *    ("/etc/nginx/nginx.conf"). '<' right before '/' rules out the
 *    absolute form ("</static/x>" in HTML).
 *  - Proper nouns are four scans (multi-word, single word after
 *    "[a-z,;]\s", @mention without the '@', CamelCase); every match of the
 *    four is kept when it has at least 3 characters (code points) and does
 *    not start with "The " (exactly that, with one ASCII space). The filter
 *    applies to proper nouns only, not to numbers, paths or versions.
 *  - \d \w \s and \b have their Unicode meaning (PCRE2_UCP), as in Python 3
 *    str patterns; [A-Z] and [a-z] are ASCII. (PCRE2 and Python disagree on
 *    a few exotic characters, e.g. Python's \s takes U+001C..U+001F.)
 *  - The set is de-duplicated by exact spelling (after comma removal), as a
 *    set of strings is in the reference: "Redis" and "redis" are two
 *    entities. Both are found or both missing, since matching folds case.
 *    mn_entities holds the normalised forms (see below), so two of its
 *    items may be equal.
 *  - Invalid UTF-8 bytes in a text are read as U+FFFD.
 *
 * Matching
 *  - "Found in a text" means: the normalised entity is a substring of the
 *    normalised text. Normalised = lowercased and with every ',' deleted,
 *    on both sides. No word boundaries: "5" is found in "15".
 *  - Lowercasing is Unicode simple lowercase for every code point whose
 *    lowercase is one code point of the same UTF-8 length (table below,
 *    generated from Python's str.lower); the few others (U+0130, U+1E9E,
 *    U+2126...) are left as written, and a capital sigma is always σ
 *    (Python writes ς at the end of a word).
 *  - EPR looks in the compact serialisation of the whole output
 *    (mn_json_dumps): keys, enum values and salience included, as in the
 *    reference. NP uses the same matching over the input's numbers; it is
 *    case-insensitive like everything else in §5 (the original evaluator
 *    compared numbers case-sensitively; this only matters for "1.5E3"
 *    against "1.5e3").
 *  - FR takes the string values of gist, summary, content, narrative and
 *    outcome (in that order, non-strings skipped) joined with one space,
 *    extracts their entities and looks each up in the normalised input.
 *  - TED: a case-insensitive search of each mn_prompt_ted_phrases entry in
 *    the compact JSON (commas kept).
 *  - MIG: "non-space characters" are code points that are not whitespace in
 *    Python's str.split() sense; content length is in code points (0 when
 *    content is not a string). Strictly under 50 and strictly over 300.
 *  - Flags, in this order: template_echo, minimal_input_padded, low_epr
 *    (EPR < 0.7), high_fr (FR > 0.3), schema:<reason of
 *    mn_encoding_check>. TED's salience penalty is applied by the caller
 *    that owns the encoding; the verifier never changes it.
 *
 * Performance (bench_core: about 21,000 scores/s for 1 KB inputs on one
 * core of the 2.5 GHz development VM; linear in input and output size):
 * the patterns are compiled once (pthread_once), and JIT-compiled copies
 * are made once a process has extracted entities JIT_AFTER times (a second
 * pthread_once): JIT compilation costs about 0.9M instructions, a one-shot
 * CLI process scores one text for about 0.1M without it, and a daemon or a
 * batch import gets the JIT from its JIT_AFTER-th text on; a score
 * allocates one match data block; texts are checked as UTF-8 once, so
 * PCRE2 never re-checks them per match. PCRE2 is only called where a match
 * can start: the number alternation, which matches most often, is a
 * hand-written scanner (number_at); paths are searched only in runs of
 * path characters that hold a '/' or a '.' before a letter; the three name
 * patterns run anchored, at capitals that pass a cheap necessary test
 * (maybe_name_at). test_verify checks each shortcut against a plain PCRE2
 * findall of the §5 pattern on random text. Entity spellings share one
 * pool and a hash set, and all look-ups in one text are one pass
 * (find_needles).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "model/verify.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "model/encoding.h"
#include "model/prompt.h"

#define LOW_EPR 0.7
#define HIGH_FR 0.3
#define MIG_INPUT_MAX 50    /* input under this many non-space characters... */
#define MIG_CONTENT_MAX 300 /* ...and content over this many: padded */
#define TED_MAX 64
#define ONES 0x0101010101010101ull  /* 8-byte words, a byte at a time... */
#define HIGHS 0x8080808080808080ull /* ...and the high bit of each byte */

/* Entity kinds. The first N_RE are PCRE2 patterns (§5, verbatim); numbers
 * have a scanner of their own (number_at). */
enum re_kind { RE_PATH, RE_VERSION, RE_MULTI, RE_SINGLE, RE_MENTION, RE_CAMEL, N_RE, RE_NUMBER };

/* One pattern split over three lines (a file name, or an absolute path). */
static const char path_pattern[] =
	"[a-zA-Z_~/][\\w/~-]+\\.(?:go|py|js|ts|html|css|yaml|yml|json|jsonl|toml|md|sh"
	"|sql|gguf|db|txt|log|patch|cuh|cpp|c|h)\\b"
	"|(?<![<])/(?:home|usr|etc|var|tmp|opt|api|static)[\\w./~-]+";

static const char *const patterns[N_RE] = {
	[RE_PATH] = path_pattern,
	[RE_VERSION] = "v\\d+\\.\\d+(?:\\.\\d+)?",
	[RE_MULTI] = "\\b[A-Z][a-z]+(?:\\s+[A-Z][a-z]+)+\\b",
	[RE_SINGLE] = "(?<=[a-z,;]\\s)[A-Z][a-z]{2,}\\b",
	[RE_MENTION] = "@(\\w+)",
	[RE_CAMEL] = "\\b[A-Z][a-z]+[A-Z]\\w+\\b",
};

/* Non-ASCII decimal digits (Unicode Nd, which \d matches in Python and
 * under PCRE2_UCP), generated from Python's unicodedata. */
static const uint32_t nd_ranges[][2] = {
	{ 0x660, 0x669 }, { 0x6F0, 0x6F9 }, { 0x7C0, 0x7C9 }, { 0x966, 0x96F },
	{ 0x9E6, 0x9EF }, { 0xA66, 0xA6F }, { 0xAE6, 0xAEF }, { 0xB66, 0xB6F },
	{ 0xBE6, 0xBEF }, { 0xC66, 0xC6F }, { 0xCE6, 0xCEF }, { 0xD66, 0xD6F },
	{ 0xDE6, 0xDEF }, { 0xE50, 0xE59 }, { 0xED0, 0xED9 }, { 0xF20, 0xF29 },
	{ 0x1040, 0x1049 }, { 0x1090, 0x1099 }, { 0x17E0, 0x17E9 }, { 0x1810, 0x1819 },
	{ 0x1946, 0x194F }, { 0x19D0, 0x19D9 }, { 0x1A80, 0x1A89 }, { 0x1A90, 0x1A99 },
	{ 0x1B50, 0x1B59 }, { 0x1BB0, 0x1BB9 }, { 0x1C40, 0x1C49 }, { 0x1C50, 0x1C59 },
	{ 0xA620, 0xA629 }, { 0xA8D0, 0xA8D9 }, { 0xA900, 0xA909 }, { 0xA9D0, 0xA9D9 },
	{ 0xA9F0, 0xA9F9 }, { 0xAA50, 0xAA59 }, { 0xABF0, 0xABF9 }, { 0xFF10, 0xFF19 },
	{ 0x104A0, 0x104A9 }, { 0x10D30, 0x10D39 }, { 0x11066, 0x1106F }, { 0x110F0, 0x110F9 },
	{ 0x11136, 0x1113F }, { 0x111D0, 0x111D9 }, { 0x112F0, 0x112F9 }, { 0x11450, 0x11459 },
	{ 0x114D0, 0x114D9 }, { 0x11650, 0x11659 }, { 0x116C0, 0x116C9 }, { 0x11730, 0x11739 },
	{ 0x118E0, 0x118E9 }, { 0x11950, 0x11959 }, { 0x11C50, 0x11C59 }, { 0x11D50, 0x11D59 },
	{ 0x11DA0, 0x11DA9 }, { 0x16A60, 0x16A69 }, { 0x16AC0, 0x16AC9 }, { 0x16B50, 0x16B59 },
	{ 0x1D7CE, 0x1D7FF }, { 0x1E140, 0x1E149 }, { 0x1E2F0, 0x1E2F9 }, { 0x1E950, 0x1E959 },
	{ 0x1FBF0, 0x1FBF9 },
};

#define N_ND (sizeof(nd_ranges) / sizeof(nd_ranges[0]))

static pcre2_code *codes[N_RE];
/* The names that start with [A-Z] (multi-word, single word, CamelCase) are
 * also compiled anchored: they are tried only at capitals that pass a
 * cheap necessary test (maybe_name_at). */
static pcre2_code *anchored[N_RE];
/* JIT-compiled copies of codes and anchored (NULL where PCRE2 has no JIT),
 * read only by a thread that has itself passed jit_once (struct ents.jit). */
#define JIT_AFTER 16
static pcre2_code *jit_codes[N_RE], *jit_anchored[N_RE];
static _Atomic unsigned long n_extracts;
static pthread_once_t jit_once = PTHREAD_ONCE_INIT;
static bool path_bytes[256];   /* see path_byte() */
static bool number_bytes[256]; /* '-', ASCII digits, non-ASCII bytes */
static char *ted_lower[TED_MAX]; /* the phrases lowercased */
static char *ted_norm[TED_MAX];  /* ...and without commas */
static size_t ted_norm_len[TED_MAX];
static size_t ted_len[TED_MAX];
static size_t n_ted;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* ---- case folding ---- */

struct fold_range {
	uint32_t first, last;
	int32_t delta;
	uint32_t stride;
};

/* Code points whose Python str.lower() is a single code point of the same
 * UTF-8 length: lower = cp + delta for cp in [first, last] stepping by
 * stride. */
static const struct fold_range fold[] = {
	{ 0xC0, 0xD6, 32, 1 }, { 0xD8, 0xDE, 32, 1 }, { 0x100, 0x12E, 1, 2 },
	{ 0x132, 0x136, 1, 2 }, { 0x139, 0x147, 1, 2 }, { 0x14A, 0x176, 1, 2 },
	{ 0x178, 0x178, -121, 1 }, { 0x179, 0x17D, 1, 2 }, { 0x181, 0x181, 210, 1 },
	{ 0x182, 0x184, 1, 2 }, { 0x186, 0x186, 206, 1 }, { 0x187, 0x187, 1, 1 },
	{ 0x189, 0x18A, 205, 1 }, { 0x18B, 0x18B, 1, 1 }, { 0x18E, 0x18E, 79, 1 },
	{ 0x18F, 0x18F, 202, 1 }, { 0x190, 0x190, 203, 1 }, { 0x191, 0x191, 1, 1 },
	{ 0x193, 0x193, 205, 1 }, { 0x194, 0x194, 207, 1 }, { 0x196, 0x196, 211, 1 },
	{ 0x197, 0x197, 209, 1 }, { 0x198, 0x198, 1, 1 }, { 0x19C, 0x19C, 211, 1 },
	{ 0x19D, 0x19D, 213, 1 }, { 0x19F, 0x19F, 214, 1 }, { 0x1A0, 0x1A4, 1, 2 },
	{ 0x1A6, 0x1A6, 218, 1 }, { 0x1A7, 0x1A7, 1, 1 }, { 0x1A9, 0x1A9, 218, 1 },
	{ 0x1AC, 0x1AC, 1, 1 }, { 0x1AE, 0x1AE, 218, 1 }, { 0x1AF, 0x1AF, 1, 1 },
	{ 0x1B1, 0x1B2, 217, 1 }, { 0x1B3, 0x1B5, 1, 2 }, { 0x1B7, 0x1B7, 219, 1 },
	{ 0x1B8, 0x1B8, 1, 1 }, { 0x1BC, 0x1BC, 1, 1 }, { 0x1C4, 0x1C4, 2, 1 },
	{ 0x1C5, 0x1C5, 1, 1 }, { 0x1C7, 0x1C7, 2, 1 }, { 0x1C8, 0x1C8, 1, 1 },
	{ 0x1CA, 0x1CA, 2, 1 }, { 0x1CB, 0x1DB, 1, 2 }, { 0x1DE, 0x1EE, 1, 2 },
	{ 0x1F1, 0x1F1, 2, 1 }, { 0x1F2, 0x1F4, 1, 2 }, { 0x1F6, 0x1F6, -97, 1 },
	{ 0x1F7, 0x1F7, -56, 1 }, { 0x1F8, 0x21E, 1, 2 }, { 0x220, 0x220, -130, 1 },
	{ 0x222, 0x232, 1, 2 }, { 0x23B, 0x23B, 1, 1 }, { 0x23D, 0x23D, -163, 1 },
	{ 0x241, 0x241, 1, 1 }, { 0x243, 0x243, -195, 1 }, { 0x244, 0x244, 69, 1 },
	{ 0x245, 0x245, 71, 1 }, { 0x246, 0x24E, 1, 2 }, { 0x370, 0x372, 1, 2 },
	{ 0x376, 0x376, 1, 1 }, { 0x37F, 0x37F, 116, 1 }, { 0x386, 0x386, 38, 1 },
	{ 0x388, 0x38A, 37, 1 }, { 0x38C, 0x38C, 64, 1 }, { 0x38E, 0x38F, 63, 1 },
	{ 0x391, 0x3A1, 32, 1 }, { 0x3A3, 0x3AB, 32, 1 }, { 0x3CF, 0x3CF, 8, 1 },
	{ 0x3D8, 0x3EE, 1, 2 }, { 0x3F4, 0x3F4, -60, 1 }, { 0x3F7, 0x3F7, 1, 1 },
	{ 0x3F9, 0x3F9, -7, 1 }, { 0x3FA, 0x3FA, 1, 1 }, { 0x3FD, 0x3FF, -130, 1 },
	{ 0x400, 0x40F, 80, 1 }, { 0x410, 0x42F, 32, 1 }, { 0x460, 0x480, 1, 2 },
	{ 0x48A, 0x4BE, 1, 2 }, { 0x4C0, 0x4C0, 15, 1 }, { 0x4C1, 0x4CD, 1, 2 },
	{ 0x4D0, 0x52E, 1, 2 }, { 0x531, 0x556, 48, 1 }, { 0x10A0, 0x10C5, 7264, 1 },
	{ 0x10C7, 0x10C7, 7264, 1 }, { 0x10CD, 0x10CD, 7264, 1 }, { 0x13A0, 0x13EF, 38864, 1 },
	{ 0x13F0, 0x13F5, 8, 1 }, { 0x1C90, 0x1CBA, -3008, 1 }, { 0x1CBD, 0x1CBF, -3008, 1 },
	{ 0x1E00, 0x1E94, 1, 2 }, { 0x1EA0, 0x1EFE, 1, 2 }, { 0x1F08, 0x1F0F, -8, 1 },
	{ 0x1F18, 0x1F1D, -8, 1 }, { 0x1F28, 0x1F2F, -8, 1 }, { 0x1F38, 0x1F3F, -8, 1 },
	{ 0x1F48, 0x1F4D, -8, 1 }, { 0x1F59, 0x1F5F, -8, 2 }, { 0x1F68, 0x1F6F, -8, 1 },
	{ 0x1F88, 0x1F8F, -8, 1 }, { 0x1F98, 0x1F9F, -8, 1 }, { 0x1FA8, 0x1FAF, -8, 1 },
	{ 0x1FB8, 0x1FB9, -8, 1 }, { 0x1FBA, 0x1FBB, -74, 1 }, { 0x1FBC, 0x1FBC, -9, 1 },
	{ 0x1FC8, 0x1FCB, -86, 1 }, { 0x1FCC, 0x1FCC, -9, 1 }, { 0x1FD8, 0x1FD9, -8, 1 },
	{ 0x1FDA, 0x1FDB, -100, 1 }, { 0x1FE8, 0x1FE9, -8, 1 }, { 0x1FEA, 0x1FEB, -112, 1 },
	{ 0x1FEC, 0x1FEC, -7, 1 }, { 0x1FF8, 0x1FF9, -128, 1 }, { 0x1FFA, 0x1FFB, -126, 1 },
	{ 0x1FFC, 0x1FFC, -9, 1 }, { 0x2132, 0x2132, 28, 1 }, { 0x2160, 0x216F, 16, 1 },
	{ 0x2183, 0x2183, 1, 1 }, { 0x24B6, 0x24CF, 26, 1 }, { 0x2C00, 0x2C2F, 48, 1 },
	{ 0x2C60, 0x2C60, 1, 1 }, { 0x2C63, 0x2C63, -3814, 1 }, { 0x2C67, 0x2C6B, 1, 2 },
	{ 0x2C72, 0x2C72, 1, 1 }, { 0x2C75, 0x2C75, 1, 1 }, { 0x2C80, 0x2CE2, 1, 2 },
	{ 0x2CEB, 0x2CED, 1, 2 }, { 0x2CF2, 0x2CF2, 1, 1 }, { 0xA640, 0xA66C, 1, 2 },
	{ 0xA680, 0xA69A, 1, 2 }, { 0xA722, 0xA72E, 1, 2 }, { 0xA732, 0xA76E, 1, 2 },
	{ 0xA779, 0xA77B, 1, 2 }, { 0xA77D, 0xA77D, -35332, 1 }, { 0xA77E, 0xA786, 1, 2 },
	{ 0xA78B, 0xA78B, 1, 1 }, { 0xA790, 0xA792, 1, 2 }, { 0xA796, 0xA7A8, 1, 2 },
	{ 0xA7B3, 0xA7B3, 928, 1 }, { 0xA7B4, 0xA7C2, 1, 2 }, { 0xA7C4, 0xA7C4, -48, 1 },
	{ 0xA7C6, 0xA7C6, -35384, 1 }, { 0xA7C7, 0xA7C9, 1, 2 }, { 0xA7D0, 0xA7D0, 1, 1 },
	{ 0xA7D6, 0xA7D8, 1, 2 }, { 0xA7F5, 0xA7F5, 1, 1 }, { 0xFF21, 0xFF3A, 32, 1 },
	{ 0x10400, 0x10427, 40, 1 }, { 0x104B0, 0x104D3, 40, 1 }, { 0x10570, 0x1057A, 39, 1 },
	{ 0x1057C, 0x1058A, 39, 1 }, { 0x1058C, 0x10592, 39, 1 }, { 0x10594, 0x10595, 39, 1 },
	{ 0x10C80, 0x10CB2, 64, 1 }, { 0x118A0, 0x118BF, 32, 1 }, { 0x16E40, 0x16E5F, 32, 1 },
	{ 0x1E900, 0x1E921, 34, 1 },
};

#define N_FOLD (sizeof(fold) / sizeof(fold[0]))

static uint32_t fold_cp(uint32_t cp)
{
	size_t lo = 0, hi = N_FOLD;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fold[mid].last < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < N_FOLD && cp >= fold[lo].first && (cp - fold[lo].first) % fold[lo].stride == 0)
		return (uint32_t)((int32_t)cp + fold[lo].delta);
	return cp;
}

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0
 * when s does not start one. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (n > len || mn_text_utf8_invalid_at((const char *)s, n) != n)
		return 0;
	*cp = s[0] & (0xFF >> (n + 1));
	for (size_t k = 1; k < n; k++)
		*cp = (*cp << 6) | (s[k] & 0x3F);
	return n;
}

static void utf8_encode(unsigned char *d, uint32_t cp, size_t n)
{
	switch (n) {
	case 2:
		d[0] = (unsigned char)(0xC0 | (cp >> 6));
		d[1] = (unsigned char)(0x80 | (cp & 0x3F));
		break;
	case 3:
		d[0] = (unsigned char)(0xE0 | (cp >> 12));
		d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		d[2] = (unsigned char)(0x80 | (cp & 0x3F));
		break;
	default:
		d[0] = (unsigned char)(0xF0 | (cp >> 18));
		d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		d[3] = (unsigned char)(0x80 | (cp & 0x3F));
	}
}

/* Lowercase (s, len) in place; the length never changes. */
static void fold_in_place(char *str, size_t len)
{
	unsigned char *s = (unsigned char *)str;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;
		uint64_t w;

		/* eight ASCII bytes at a time: add 0x20 to each of 'A'..'Z' */
		if (i + 8 <= len) {
			memcpy(&w, s + i, 8);
			if (!(w & HIGHS)) {
				uint64_t ge_a = w + 0x3f3f3f3f3f3f3f3full; /* high bit: >= 'A' */
				uint64_t gt_z = w + 0x2525252525252525ull; /* high bit: > 'Z' */

				w |= ((ge_a & ~gt_z) & HIGHS) >> 2;
				memcpy(s + i, &w, 8);
				i += 8;
				continue;
			}
		}
		if (s[i] < 0x80) {
			s[i] = (unsigned char)(s[i] | ((unsigned)(s[i] - 'A') < 26u) << 5);
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			i++;
			continue;
		}
		utf8_encode(s + i, fold_cp(cp), n);
		i += n;
	}
}

/* Shorten b to len bytes (len <= b->len). */
static void buf_truncate(struct mn_buf *b, size_t len)
{
	b->len = len;
	b->data[len] = '\0';
}

/* Append (s, len) to out without its commas. */
static void drop_commas(struct mn_buf *out, const char *s, size_t len)
{
	char *w, *r, *end;

	mn_buf_add(out, s, len);
	end = out->data + out->len;
	w = memchr(end - len, ',', len);
	if (!w)
		return;
	/* close up the gaps in place, one memmove per comma-free stretch */
	for (r = w + 1; r < end;) {
		char *c = memchr(r, ',', (size_t)(end - r));

		if (!c)
			c = end;
		memmove(w, r, (size_t)(c - r));
		w += c - r;
		r = c + 1;
	}
	buf_truncate(out, (size_t)(w - out->data));
}

/* Append the normalised form of (s, len) to out: lowercased, and without
 * commas when no_commas. */
static void add_normalised(struct mn_buf *out, const char *s, size_t len, bool no_commas)
{
	size_t start = out->len;

	if (no_commas)
		drop_commas(out, s, len);
	else
		mn_buf_add(out, s, len);
	if (out->data)
		fold_in_place(out->data + start, out->len - start);
}

/* ---- numbers ----
 *
 * The number alternation of §5 is a hand-written scanner: it matched 24
 * times per KB of ordinary text, and a PCRE2 call per match cost more than
 * the rest of the extraction. It follows the regex exactly (test_verify
 * compares the two on random text):
 *   -?\d{1,3}(?:,\d{3})+(?:\.\d+)? | -?\d+\.\d+[eE][+-]?\d+ | -?\d+\.\d+% |
 *   -?\d+% | -?\d+\.\d+ | -?\d+(?:/\d+) | \d+
 * Every \d+ is followed by a literal that is not a digit, so it never gives
 * back digits: each alternative is a fixed walk over digit runs.
 */

static bool is_digit_cp(uint32_t cp)
{
	size_t lo = 0, hi = N_ND;

	if (cp < 0x80)
		return cp >= '0' && cp <= '9';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (nd_ranges[mid][1] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < N_ND && cp >= nd_ranges[lo][0];
}

/* Byte length of the digit at s[i], 0 when there is none. */
static size_t digit_len(const unsigned char *s, size_t len, size_t i)
{
	uint32_t cp;
	size_t n;

	if (i >= len)
		return 0;
	if (s[i] < 0x80)
		return s[i] >= '0' && s[i] <= '9';
	n = utf8_decode(s + i, len - i, &cp);
	return n && is_digit_cp(cp) ? n : 0;
}

/* End of the run of digits at i, at most max of them (0: no limit); the
 * count goes to *count. */
static size_t digit_run(const unsigned char *s, size_t len, size_t i, size_t max,
			size_t *count)
{
	size_t k = 0;

	while (!max || k < max) {
		size_t n = digit_len(s, len, i);

		if (!n)
			break;
		i += n;
		k++;
	}
	*count = k;
	return i;
}

static bool byte_is(const unsigned char *s, size_t len, size_t i, char c)
{
	return i < len && s[i] == (unsigned char)c;
}

/* End of the number matched at p (the first alternative that matches), or
 * 0 when none does. */
static size_t number_at(const unsigned char *s, size_t len, size_t p)
{
	bool neg = s[p] == '-';
	size_t k, d, end = digit_run(s, len, neg ? p + 1 : p, 0, &k);

	if (!k)
		return 0;
	/* comma-grouped: the first group has 1-3 digits, then ",ddd"+ */
	if (k <= 3 && byte_is(s, len, end, ',')) {
		size_t g = end, groups = 0;

		while (byte_is(s, len, g, ',')) {
			size_t ge = digit_run(s, len, g + 1, 3, &d);

			if (d < 3)
				break;
			g = ge;
			groups++;
		}
		if (groups) {
			if (byte_is(s, len, g, '.')) {
				size_t fe = digit_run(s, len, g + 1, 0, &d);

				if (d)
					g = fe;
			}
			return g;
		}
	}
	if (byte_is(s, len, end, '.')) {
		size_t frac = digit_run(s, len, end + 1, 0, &d);

		if (d) {
			/* scientific */
			if (byte_is(s, len, frac, 'e') || byte_is(s, len, frac, 'E')) {
				size_t x = frac + 1, ee;

				if ((byte_is(s, len, x, '+') || byte_is(s, len, x, '-')) &&
				    digit_len(s, len, x + 1))
					x++;
				ee = digit_run(s, len, x, 0, &d);
				if (d)
					return ee;
			}
			/* decimal percent, else decimal (integer percent needs '%'
			 * right after the digits, and here a '.' is there) */
			return byte_is(s, len, frac, '%') ? frac + 1 : frac;
		}
	}
	/* integer percent */
	if (byte_is(s, len, end, '%'))
		return end + 1;
	/* fraction */
	if (byte_is(s, len, end, '/')) {
		size_t fe = digit_run(s, len, end + 1, 0, &d);

		if (d)
			return fe;
	}
	/* integer: the one alternative without the sign */
	return neg ? 0 : end;
}

/* ---- init ---- */

static pcre2_code *compile(int i, uint32_t options)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | options, &code, &off, NULL);

	if (!re) {
		PCRE2_UCHAR msg[256];

		/* our own constant pattern: a bug, not a runtime condition */
		pcre2_get_error_message(code, msg, sizeof(msg));
		mn_error("verify", "could not compile pattern %d at %zu: %s", i, (size_t)off,
			 (const char *)msg);
		abort();
	}
	return re;
}

/* A JIT-compiled copy of re, or NULL (no JIT support: the interpreter). */
static pcre2_code *jit_copy(const pcre2_code *re)
{
	pcre2_code *c = re ? pcre2_code_copy(re) : NULL;

	if (c && pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0) {
		pcre2_code_free(c);
		c = NULL;
	}
	return c;
}

static void jit_init(void)
{
	for (int i = 0; i < N_RE; i++) {
		jit_codes[i] = jit_copy(codes[i]);
		jit_anchored[i] = jit_copy(anchored[i]);
	}
}

/* Whether this extraction runs on the JIT copies (made on the JIT_AFTER-th
 * call of the process). */
static bool use_jit(void)
{
	if (atomic_fetch_add(&n_extracts, 1ul) + 1 < JIT_AFTER)
		return false;
	pthread_once(&jit_once, jit_init);
	return true;
}

/* The code to match pattern kind with from set (codes or anchored), and
 * whether it is JIT-compiled. */
static const pcre2_code *pick(bool jit, pcre2_code *const *plain, pcre2_code *const *jitted,
			      int kind, bool *is_jit)
{
	*is_jit = jit && jitted[kind];
	return *is_jit ? jitted[kind] : plain[kind];
}

/* Process-wide tables, built once; they live as long as the process. */
static void init(void)
{
	for (int i = 0; i < N_RE; i++)
		codes[i] = compile(i, 0);
	for (int i = RE_MULTI; i <= RE_CAMEL; i++)
		if (i != RE_MENTION)
			anchored[i] = compile(i, PCRE2_ANCHORED);
	for (int c = 0; c < 256; c++) {
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		number_bytes[c] = c == '-' || (c >= '0' && c <= '9') || c >= 0x80;
		path_bytes[c] = alnum || c >= 0x80 || c == '_' || c == '.' || c == '/' ||
				c == '~' || c == '-';
	}
	for (n_ted = 0; n_ted < TED_MAX && mn_prompt_ted_phrases[n_ted]; n_ted++) {
		struct mn_buf b = MN_BUF_INIT;

		ted_len[n_ted] = strlen(mn_prompt_ted_phrases[n_ted]);
		ted_lower[n_ted] = mn_xstrdup(mn_prompt_ted_phrases[n_ted]);
		fold_in_place(ted_lower[n_ted], ted_len[n_ted]);
		drop_commas(&b, ted_lower[n_ted], ted_len[n_ted]);
		ted_norm[n_ted] = mn_buf_detach(&b, &ted_norm_len[n_ted]);
	}
}

/* ---- entities ---- */

void mn_entities_init(struct mn_entities *e)
{
	e->items = NULL;
	e->n = 0;
	e->alloc = 0;
	e->n_numbers = 0;
}

void mn_entities_release(struct mn_entities *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->items[i]);
	free(e->items);
	mn_entities_init(e);
}

/* The entities of one text while scoring: spellings NUL-separated in one
 * pool (one allocation instead of one per entity), de-duplicated with an
 * open-addressing hash set of item indexes (slot value = index + 1). */
struct ents {
	struct mn_buf pool;
	struct ent {
		size_t off, len;
		uint64_t hash;
	} *it;
	size_t n, alloc, n_numbers;
	size_t *slots;
	size_t nslots; /* power of two, at least twice n */
	bool jit;      /* match with the JIT copies (use_jit) */
};

static void ents_release(struct ents *e)
{
	mn_buf_release(&e->pool);
	free(e->it);
	free(e->slots);
	memset(e, 0, sizeof(*e));
}

static const char *ents_str(const struct ents *e, size_t i)
{
	return e->pool.data + e->it[i].off;
}

static void ents_rehash(struct ents *e)
{
	size_t n = e->nslots ? e->nslots * 2 : 64;

	free(e->slots);
	e->slots = mn_xcalloc(n, sizeof(*e->slots));
	e->nslots = n;
	for (size_t i = 0; i < e->n; i++) {
		size_t h = (size_t)e->it[i].hash & (n - 1);

		while (e->slots[h])
			h = (h + 1) & (n - 1);
		e->slots[h] = i + 1;
	}
}

/* Keep the spelling just appended to the pool from offset off (its NUL is
 * added here), unless the set holds it already. */
static void ents_commit(struct ents *e, size_t off)
{
	size_t len = e->pool.len - off, h;
	uint64_t hash;
	const char *s;

	if (2 * (e->n + 1) > e->nslots)
		ents_rehash(e);
	s = e->pool.data + off;
	hash = mn_text_hash64(s, len, 0);
	h = (size_t)hash & (e->nslots - 1);
	while (e->slots[h]) {
		size_t i = e->slots[h] - 1;

		if (e->it[i].hash == hash && e->it[i].len == len &&
		    !memcmp(ents_str(e, i), s, len)) {
			buf_truncate(&e->pool, off); /* a duplicate: drop it */
			return;
		}
		h = (h + 1) & (e->nslots - 1);
	}
	e->it = mn_xgrow(e->it, &e->alloc, e->n + 1, sizeof(*e->it));
	e->it[e->n].off = off;
	e->it[e->n].len = len;
	e->it[e->n].hash = hash;
	e->slots[h] = ++e->n;
	mn_buf_addc(&e->pool, '\0');
}

static void add_match(struct ents *e, enum re_kind kind, const char *s, size_t len)
{
	size_t off = e->pool.len;

	if (memchr(s, '\0', len))
		return; /* cannot happen with these patterns; items are C strings */
	if (kind == RE_NUMBER) {
		drop_commas(&e->pool, s, len);
	} else {
		if (kind != RE_PATH && kind != RE_VERSION) { /* proper nouns */
			if (mn_text_utf8_chars(s, len) < 3)
				return;
			if (len >= 4 && !memcmp(s, "The ", 4))
				return;
		}
		mn_buf_add(&e->pool, s, len);
	}
	ents_commit(e, off);
}

/* One match of re in s[0, end) from off. The text is valid UTF-8 (checked
 * by the caller), so PCRE2 need not re-check it on every call. */
static int match(const pcre2_code *re, bool jit, const char *s, size_t end, size_t off,
		 pcre2_match_data *md)
{
	int rc;

	/* pcre2_jit_match skips the per-call checks pcre2_match makes */
	if (jit)
		rc = pcre2_jit_match(re, (PCRE2_SPTR)s, end, off, 0, md, NULL);
	else
		rc = pcre2_match(re, (PCRE2_SPTR)s, end, off, PCRE2_NO_UTF_CHECK, md, NULL);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT) /* the interpreter keeps its frames on the heap */
		rc = pcre2_match(re, (PCRE2_SPTR)s, end, off, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
				 md, NULL);
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		mn_debug("verify", "pcre2 error %d at offset %zu", rc, off);
	return rc;
}

/* findall over s[start, end): every non-overlapping leftmost match of one
 * pattern. Lookbehinds still see s before start. */
static void scan_range(struct ents *c, enum re_kind kind, const char *s, size_t start,
		       size_t end, pcre2_match_data *md)
{
	PCRE2_SIZE off = start;
	int g = kind == RE_MENTION ? 1 : 0;

	while (off < end) {
		PCRE2_SIZE *ov;
		bool jit;
		const pcre2_code *re = pick(c->jit, codes, jit_codes, kind, &jit);

		if (match(re, jit, s, end, off, md) < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		add_match(c, kind, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
		if (ov[1] > off) {
			off = ov[1];
		} else { /* an empty match (none of ours can be one): step a character */
			off++;
			while (off < end && ((unsigned char)s[off] & 0xC0) == 0x80)
				off++;
		}
	}
}

/* ASCII classes as PCRE2 sees them under UCP; a non-ASCII byte is neither
 * (callers treat it as "cannot tell"). */
static bool ascii_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool ascii_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool ascii_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

/* Could the name pattern kind match at the capital s[p], whose run of
 * [a-z] after it ends at q (> p + 1)? A necessary test on ASCII only, so
 * it never rejects a match: where a non-ASCII character decides, the
 * answer is "maybe" and PCRE2 decides. It spares a PCRE2 call at most
 * capitals ("SQLITE_BUSY", sentence starts). */
static bool maybe_name_at(enum re_kind kind, const unsigned char *s, size_t len, size_t p,
			  size_t q)
{
	switch (kind) {
	case RE_MULTI: /* \b[A-Z][a-z]+ then \s */
		return (p == 0 || !ascii_word(s[p - 1])) && q < len &&
		       (s[q] >= 0x80 || mn_ascii_space(s[q]));
	case RE_SINGLE: /* (?<=[a-z,;]\s) then [A-Z][a-z]{2,}\b */
		if (q < p + 3 || p < 2 || (q < len && ascii_word(s[q])))
			return false;
		if (s[p - 1] >= 0x80)
			return true;
		return mn_ascii_space(s[p - 1]) &&
		       (ascii_lower(s[p - 2]) || s[p - 2] == ',' || s[p - 2] == ';');
	default: /* CamelCase: \b[A-Z][a-z]+[A-Z]\w */
		return (p == 0 || !ascii_word(s[p - 1])) && q + 1 < len && ascii_upper(s[q]) &&
		       (s[q + 1] >= 0x80 || ascii_word(s[q + 1]));
	}
}

/* Does the 8-byte word w hold an ASCII capital? */
static bool word_has_upper(uint64_t w)
{
	uint64_t x = w & ~HIGHS; /* no carries between bytes */

	return ((x + 0x3f3f3f3f3f3f3f3full) & ~(x + 0x2525252525252525ull) & ~w & HIGHS) != 0;
}

/* findall of the three name patterns (multi-word, single word, CamelCase).
 * Every match starts with an ASCII capital, so the leftmost match of a
 * pattern at or after its offset is the first capital, in order, where
 * the anchored pattern matches. One pass serves the three. */
static void scan_names(struct ents *c, const char *str, size_t len, pcre2_match_data *md)
{
	static const enum re_kind kinds[] = { RE_MULTI, RE_SINGLE, RE_CAMEL };
	const unsigned char *s = (const unsigned char *)str;
	size_t off[3] = { 0, 0, 0 };

	for (size_t p = 0; p < len; p++) {
		size_t q = p + 1;
		uint64_t w;

		if (p + 8 <= len) {
			memcpy(&w, s + p, 8);
			if (!word_has_upper(w)) {
				p += 7;
				continue;
			}
		}
		if (!ascii_upper(s[p]))
			continue;
		while (q < len && ascii_lower(s[q]))
			q++;
		if (q == p + 1)
			continue; /* all three need [a-z] after the capital */
		for (size_t k = 0; k < 3; k++) {
			PCRE2_SIZE *ov;
			const pcre2_code *re;
			bool jit;

			if (p < off[k] || !maybe_name_at(kinds[k], s, len, p, q))
				continue;
			re = pick(c->jit, anchored, jit_anchored, kinds[k], &jit);
			if (match(re, jit, str, len, p, md) < 0)
				continue;
			ov = pcre2_get_ovector_pointer(md);
			add_match(c, kinds[k], str + ov[0], ov[1] - ov[0]);
			off[k] = ov[1];
		}
	}
}

/* Does the 8-byte word w hold the byte c? */
static bool word_has_byte(uint64_t w, unsigned char c)
{
	uint64_t v = w ^ (ONES * c);

	return ((v - ONES) & ~v & HIGHS) != 0;
}

/* Offset of the first '.' or '/' at or after i, or len. */
static size_t next_dot_or_slash(const unsigned char *s, size_t i, size_t len)
{
	uint64_t w;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		if (word_has_byte(w, '.') || word_has_byte(w, '/'))
			break;
	}
	while (i < len && s[i] != '.' && s[i] != '/')
		i++;
	return i;
}

/* Could the 8-byte word w hold the start of a number: a byte in '-'..'9'
 * (a superset of '-' and the digits) or a non-ASCII byte? */
static bool word_maybe_number(uint64_t w)
{
	uint64_t x = w & ~HIGHS;                 /* no carries between bytes */
	uint64_t ge = x + 0x5353535353535353ull; /* high bit: >= '-' */
	uint64_t gt = x + 0x4646464646464646ull; /* high bit: > '9' */

	return (((ge & ~gt) | w) & HIGHS) != 0;
}

/* Can byte c be part of a path? [\w./~-], and every non-ASCII byte (a
 * superset of the non-ASCII \w, which is all that matters here). */
static inline bool path_byte(unsigned char c)
{
	return path_bytes[c];
}

static bool ascii_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Paths. Every character of a path match is a path_byte, so every match
 * lies inside one maximal run of them, and scanning run by run finds the
 * same matches as scanning the whole text: a run ends at a byte that is
 * not \w, where \b behaves as at the end of the subject, and the '<'
 * lookbehind still sees the byte before the run. A run without '/' and
 * without '.' before a letter cannot hold either alternative and is
 * skipped: this keeps ordinary words ("pool.") from costing a match
 * attempt per letter. */
static void scan_paths(struct ents *c, const char *str, size_t len, pcre2_match_data *md)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	/* find the '/' and '.x' first, then the run around them */
	for (i = next_dot_or_slash(s, 0, len); i < len; i = next_dot_or_slash(s, i, len)) {
		size_t start = i, end = i;

		if (s[i] == '.' && !(i + 1 < len && ascii_alpha(s[i + 1]))) {
			i++;
			continue;
		}
		while (start > 0 && path_byte(s[start - 1]))
			start--;
		while (end < len && path_byte(s[end]))
			end++;
		scan_range(c, RE_PATH, str, start, end, md);
		i = end; /* a non-path byte, or len: the next run starts later */
	}
}

/* findall of the number alternation (see number_at). */
static void scan_numbers(struct ents *c, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		size_t step = 1, end = 0;

		for (; i + 8 <= len; i += 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (word_maybe_number(w))
				break;
		}
		while (i < len && !number_bytes[s[i]])
			i++;
		if (i == len)
			break;
		if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			end = number_at(s, len, i);
		} else if (s[i] >= 0x80) {
			uint32_t cp;
			size_t n = utf8_decode(s + i, len - i, &cp);

			step = n ? n : 1;
			if (n && is_digit_cp(cp))
				end = number_at(s, len, i);
		}
		if (end) {
			add_match(c, RE_NUMBER, str + i, end - i);
			i = end;
		} else {
			i += step;
		}
	}
}

/* (s, len) as valid UTF-8: s itself, or a copy in tmp with every invalid
 * byte replaced by U+FFFD. */
static const char *as_utf8(struct mn_buf *tmp, const char *s, size_t *len)
{
	size_t n = *len, at = mn_text_utf8_invalid_at(s, n);

	if (at == n)
		return s;
	while (at < n) {
		mn_buf_add(tmp, s, at);
		mn_buf_add(tmp, "\xEF\xBF\xBD", 3);
		s += at + 1;
		n -= at + 1;
		at = mn_text_utf8_invalid_at(s, n);
	}
	mn_buf_add(tmp, s, n);
	*len = tmp->len;
	return mn_buf_str(tmp);
}

/* Entities of valid UTF-8 text into e (initialised here), normalised. */
static void extract(struct ents *e, const char *s, size_t len, pcre2_match_data *md)
{
	memset(e, 0, sizeof(*e));
	e->jit = use_jit();
	mn_buf_add(&e->pool, "", 0);
	scan_numbers(e, s, len);
	e->n_numbers = e->n;
	scan_paths(e, s, len, md);
	scan_range(e, RE_VERSION, s, 0, len, md);
	scan_names(e, s, len, md);
	scan_range(e, RE_MENTION, s, 0, len, md);
	/* lowercasing keeps lengths, so the pool folds as a whole */
	fold_in_place(e->pool.data, e->pool.len);
}

void mn_verify_entities(struct mn_entities *out, const char *text, size_t len)
{
	struct mn_buf tmp = MN_BUF_INIT;
	struct ents e;
	pcre2_match_data *md;

	pthread_once(&init_once, init);
	md = pcre2_match_data_create(4, NULL);
	if (!md)
		abort(); /* out of memory, as mn_xmalloc would */
	if (!text)
		len = 0;
	text = as_utf8(&tmp, text ? text : "", &len);
	extract(&e, text, len, md);
	mn_entities_init(out);
	out->alloc = e.n ? e.n : 1;
	out->items = mn_xmalloc(out->alloc * sizeof(*out->items));
	for (size_t i = 0; i < e.n; i++)
		out->items[i] = mn_xstrndup(ents_str(&e, i), e.it[i].len);
	out->n = e.n;
	out->n_numbers = e.n_numbers;
	ents_release(&e);
	pcre2_match_data_free(md);
	mn_buf_release(&tmp);
}

/* ---- metrics ---- */

/* Which of many short needles occur in one text. The needles are hashed by
 * their first two bytes, and one pass over the text looks up each
 * position: O(text) plus the few comparisons that the hash lets through,
 * where a memmem per needle would read the whole text once per needle. A
 * needle sharing its bucket with more than BUCKET_MAX others is searched
 * with memmem instead, so a hostile text cannot make one position cost a
 * comparison with every needle. */
#define BUCKET_MAX 16

static unsigned pair_hash(const void *p, unsigned bits)
{
	uint16_t pair;

	memcpy(&pair, p, 2);
	return (pair * 2654435761u) >> (32 - bits);
}

static void find_needles(bool *found, const char *const *nd, const size_t *nl, size_t n,
			 const char *hay, size_t hlen)
{
	const unsigned char *h = (const unsigned char *)hay;
	unsigned bits = 8;
	size_t nb, left = 0;
	int32_t *head, *next;
	uint8_t *count;

	/* sparse (16 buckets a needle), so most positions find an empty one */
	while (((size_t)1 << bits) < 16 * n && bits < 16)
		bits++;
	nb = (size_t)1 << bits;
	/* one block: next[n], head[nb], count[nb] */
	next = mn_xmalloc((n + nb) * sizeof(*next) + nb * sizeof(*count));
	head = next + n;
	count = (uint8_t *)(head + nb);
	memset(head, 0xff, nb * sizeof(*head)); /* -1: empty */
	memset(count, 0, nb);
	for (size_t i = 0; i < n; i++) {
		unsigned b;

		found[i] = false;
		if (nl[i] < 2 || nl[i] > hlen) {
			found[i] = nl[i] == 0 ||
				   (nl[i] == 1 && hlen && memchr(hay, nd[i][0], hlen) != NULL);
			continue;
		}
		b = pair_hash(nd[i], bits);
		if (count[b] == BUCKET_MAX) {
			found[i] = memmem(hay, hlen, nd[i], nl[i]) != NULL;
			continue;
		}
		count[b]++;
		next[i] = head[b];
		head[b] = (int32_t)i;
		left++;
	}
	for (size_t p = 0; left && p + 1 < hlen; p++) {
		int32_t j = head[pair_hash(h + p, bits)];

		for (; j >= 0; j = next[j]) {
			if (found[j] || nl[j] > hlen - p || memcmp(h + p, nd[j], nl[j]))
				continue;
			found[j] = true;
			left--;
		}
	}
	free(next);
}

/* The TED phrases among needles [first, first + n_ted) of found were
 * searched in the text without commas (ted_norm); confirm a hit in the
 * lowered text with its commas (rare, so a memmem is fine). */
static bool confirm_echo(const bool *found, const struct mn_buf *lower)
{
	for (size_t i = 0; i < n_ted; i++)
		if (found[i] && memmem(lower->data, lower->len, ted_lower[i], ted_len[i]))
			return true;
	return false;
}

bool mn_verify_has_template_echo(const char *text, size_t len)
{
	struct mn_buf lower = MN_BUF_INIT, norm = MN_BUF_INIT;
	bool found[TED_MAX], ret;

	pthread_once(&init_once, init);
	add_normalised(&lower, text ? text : "", text ? len : 0, false);
	drop_commas(&norm, lower.data, lower.len);
	find_needles(found, (const char *const *)ted_norm, ted_norm_len, n_ted, norm.data,
		     norm.len);
	ret = confirm_echo(found, &lower);
	mn_buf_release(&lower);
	mn_buf_release(&norm);
	return ret;
}

/* Is the code point at s Python-str.split() whitespace? */
static bool is_space_cp(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 ||
	       cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Non-whitespace code points of valid UTF-8 text, counting stops at limit. */
static size_t count_nonspace(const char *str, size_t len, size_t limit)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0;

	for (size_t i = 0; i < len && n < limit;) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, len - i, &cp);

		if (!k) {
			k = 1;
			cp = 0xFFFD;
		}
		if (!is_space_cp(cp))
			n++;
		i += k;
	}
	return n;
}

static size_t json_chars(const json_t *v)
{
	return json_is_string(v) ? mn_text_utf8_chars(json_string_value(v), json_string_length(v))
				 : 0;
}

/* gist, summary, content, narrative and outcome joined with spaces. */
static void content_text(struct mn_buf *out, const json_t *enc)
{
	static const char *const fields[] = { "gist", "summary", "content", "narrative", "outcome",
					      NULL };
	bool first = true;

	mn_buf_add(out, "", 0);
	if (!json_is_object(enc))
		return;
	for (size_t i = 0; fields[i]; i++) {
		const json_t *v = json_object_get(enc, fields[i]);

		if (!json_is_string(v))
			continue;
		if (!first)
			mn_buf_addc(out, ' ');
		first = false;
		mn_buf_add(out, json_string_value(v), json_string_length(v));
	}
}

/* EPR, NP and TED: the input's entities and the TED phrases looked up in
 * the whole output JSON. */
static void score_preservation(struct mn_metrics *out, const struct ents *in,
			       const json_t *enc)
{
	char *json = mn_json_dumps(enc);
	struct mn_buf lower = MN_BUF_INIT, norm = MN_BUF_INIT;
	size_t n = n_ted + in->n, found = 0, numbers = 0;
	const char **nd = mn_xmalloc((n + 1) * sizeof(*nd));
	size_t *nl = mn_xmalloc((n + 1) * sizeof(*nl));
	bool *hit = mn_xmalloc((n + 1) * sizeof(*hit));

	add_normalised(&lower, json, strlen(json), false);
	drop_commas(&norm, lower.data, lower.len);
	for (size_t i = 0; i < n_ted; i++) {
		nd[i] = ted_norm[i];
		nl[i] = ted_norm_len[i];
	}
	for (size_t i = 0; i < in->n; i++) {
		nd[n_ted + i] = ents_str(in, i);
		nl[n_ted + i] = in->it[i].len;
	}
	find_needles(hit, nd, nl, n, norm.data, norm.len);
	for (size_t i = 0; i < in->n; i++) {
		if (!hit[n_ted + i])
			continue;
		found++;
		numbers += i < in->n_numbers;
	}
	out->n_entities = in->n;
	out->n_numbers = in->n_numbers;
	out->epr = in->n ? (double)found / (double)in->n : 1.0;
	out->np = in->n_numbers ? (double)numbers / (double)in->n_numbers : 1.0;
	out->ted = confirm_echo(hit, &lower);
	free(json);
	free(nd);
	free(nl);
	free(hit);
	mn_buf_release(&lower);
	mn_buf_release(&norm);
}

/* FR: the share of the content fields' entities not found in the input. */
static double score_fabrication(const char *input, size_t len, const json_t *enc,
				pcre2_match_data *md)
{
	struct mn_buf fields = MN_BUF_INIT, norm = MN_BUF_INIT;
	struct ents e;
	const char **nd = NULL;
	size_t *nl = NULL, fabricated = 0;
	bool *hit = NULL;
	double fr = 0.0;

	content_text(&fields, enc);
	extract(&e, fields.data, fields.len, md);
	if (!e.n)
		goto out;
	nd = mn_xmalloc(e.n * sizeof(*nd));
	nl = mn_xmalloc(e.n * sizeof(*nl));
	hit = mn_xmalloc(e.n * sizeof(*hit));
	for (size_t i = 0; i < e.n; i++) {
		nd[i] = ents_str(&e, i);
		nl[i] = e.it[i].len;
	}
	add_normalised(&norm, input, len, true);
	find_needles(hit, nd, nl, e.n, norm.data, norm.len);
	for (size_t i = 0; i < e.n; i++)
		fabricated += !hit[i];
	fr = (double)fabricated / (double)e.n;
out:
	free(nd);
	free(nl);
	free(hit);
	ents_release(&e);
	mn_buf_release(&fields);
	mn_buf_release(&norm);
	return fr;
}

static void add_flag(json_t *flags, const char *flag)
{
	json_array_append_new(flags, json_string(flag));
}

void mn_verify_score(struct mn_metrics *out, const char *input, size_t len, const json_t *enc)
{
	struct mn_buf in_tmp = MN_BUF_INIT;
	struct ents in;
	pcre2_match_data *md;

	pthread_once(&init_once, init);
	memset(out, 0, sizeof(*out));
	out->flags = json_array();
	md = pcre2_match_data_create(4, NULL);
	if (!md)
		abort(); /* out of memory, as mn_xmalloc would */
	if (!input)
		len = 0;
	input = as_utf8(&in_tmp, input ? input : "", &len);
	if (!enc)
		enc = json_null();

	extract(&in, input, len, md);
	score_preservation(out, &in, enc);
	out->fr = score_fabrication(input, len, enc, md);
	out->mig = count_nonspace(input, len, MIG_INPUT_MAX) < MIG_INPUT_MAX &&
		   json_chars(json_object_get(enc, "content")) > MIG_CONTENT_MAX;
	out->sc = mn_encoding_check(enc, out->sc_reason, sizeof(out->sc_reason));

	if (out->ted)
		add_flag(out->flags, "template_echo");
	if (out->mig)
		add_flag(out->flags, "minimal_input_padded");
	if (out->epr < LOW_EPR)
		add_flag(out->flags, "low_epr");
	if (out->fr > HIGH_FR)
		add_flag(out->flags, "high_fr");
	if (!out->sc) {
		char flag[sizeof(out->sc_reason) + 8];

		snprintf(flag, sizeof(flag), "schema:%s", out->sc_reason);
		add_flag(out->flags, flag);
	}

	ents_release(&in);
	mn_buf_release(&in_tmp);
	pcre2_match_data_free(md);
}

void mn_metrics_release(struct mn_metrics *m)
{
	if (!m)
		return;
	json_decref(m->flags);
	m->flags = NULL;
}

json_t *mn_metrics_to_json(const struct mn_metrics *m)
{
	json_t *flags = m->flags ? json_deep_copy(m->flags) : json_array();

	return json_pack("{s:f,s:f,s:f,s:b,s:b,s:b,s:o}", "epr", m->epr, "fr", m->fr, "np",
			 m->np, "ted", m->ted, "mig", m->mig, "sc", m->sc, "flags", flags);
}
