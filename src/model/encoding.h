/*
 * encoding.h - the encoding task's output object (DESIGN §4): lenient
 * extraction from model text, strict schema check, normalisation, and the
 * JSON schema sent as response_format.
 *
 * An encoding is a jansson object with exactly the ten keys of §4.
 */
#ifndef MN_ENCODING_H
#define MN_ENCODING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define MN_ENCODING_GIST_MAX 60     /* characters */
#define MN_ENCODING_SUMMARY_MAX 400 /* characters */

extern const char *const mn_encoding_keys[];          /* the ten keys, NULL-terminated */
extern const char *const mn_encoding_significance[];  /* routine notable important critical */
extern const char *const mn_encoding_tones[];         /* neutral satisfying frustrating exciting concerning */
extern const char *const mn_encoding_outcomes[];      /* success failure ongoing unknown */

/* Find one balanced JSON object in model text: strips <think>...</think>,
 * code fences and prose around it. An object that balances but does not
 * parse is skipped whole (nothing inside it is the encoding). Returns a new
 * reference, or NULL with err (MN_EPARSE) naming what was wrong ("no JSON
 * object", "truncated JSON object", "no valid JSON object: ..."). Linear
 * in len. */
json_t *mn_encoding_extract(const char *text, size_t len, struct mn_err *err);
/* Schema compliance (SC) of DESIGN §5: all ten keys present (no others),
 * enums valid, salience a number in [0,1], gist <= 60 and summary <= 400
 * characters, arrays typed as §4 says. On failure writes a short reason
 * ("missing:gist", "enum:outcome", "length:gist", "type:concepts", ...) into
 * why (may be NULL) and returns false. */
bool mn_encoding_check(const json_t *enc, char *why, size_t why_len);
/* Repair what can be repaired without inventing content: lowercase enum
 * strings and concepts, clamp salience, coerce numeric strings, trim
 * over-long gist/summary at a character boundary, fill missing arrays and
 * structured_concepts sub-arrays with []; keep the first
 * MN_LIMIT_ENCODING_CONCEPTS distinct concepts and the first
 * MN_LIMIT_ENCODING_LIST_ITEMS entries of each structured_concepts list
 * (base/limits.h). Linear in the size of enc. Returns a new object; the
 * input is untouched. */
json_t *mn_encoding_normalize(const json_t *enc);
/* The JSON schema (enums, ranges, required keys) for response_format.
 * New reference. */
json_t *mn_encoding_json_schema(void);
/* Index of s in a NULL-terminated list, or -1. */
int mn_encoding_enum_index(const char *const *list, const char *s);

#endif
