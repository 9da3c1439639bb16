/*
 * json.h - jansson helpers: the one compact serialisation used for
 * storage, metrics and hashing, and strict loading of outside JSON.
 *
 * Compact form (DESIGN §5): no spaces, non-ASCII left unescaped, '/' not
 * escaped, object keys in insertion order, reals in their shortest
 * round-trip form (0.3, not 0.29999999999999999).
 */
#ifndef MN_JSON_H
#define MN_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"

/* Append the compact form of v to out. */
void mn_json_dump(struct mn_buf *out, const json_t *v);
/* Heap string of the compact form; caller frees with free(). */
char *mn_json_dumps(const json_t *v);
/* Heap string of v pretty-printed as jansson's JSON_INDENT(indent) lays it
 * out, but with the compact form's strings and shortest round-trip reals
 * (jansson prints 0.4 as 0.40000000000000002); indent 0 is the compact
 * form. Caller frees. */
char *mn_json_dumps_indent(const json_t *v, int indent);
/* Write a double in shortest round-trip form into out[32]. */
void mn_json_format_real(char out[32], double d);
/* Parse (s, len) strictly: duplicate keys rejected, one value only.
 * Returns a new reference or NULL with err set (MN_EPARSE). */
json_t *mn_json_parse(const char *s, size_t len, struct mn_err *err);
/* Load a JSON file strictly (size-limited). */
json_t *mn_json_load_file(const char *path, struct mn_err *err);
/* Write v pretty-printed (indent 2) atomically to path, mode 0600. */
int mn_json_write_file(const char *path, const json_t *v, struct mn_err *err);
/* Borrowed string member or def. */
const char *mn_json_str(const json_t *obj, const char *key, const char *def);
double mn_json_num(const json_t *obj, const char *key, double def);

/* A JSON string of (s, len), cut before the first invalid UTF-8 byte, so
 * text from messages, errors or truncated buffers never makes jansson
 * return NULL. New reference. _string: NUL-terminated s, NULL = "". */
json_t *mn_json_safe_stringn(const char *s, size_t len);
json_t *mn_json_safe_string(const char *s);
/* Does the JSON string v hold a NUL byte (JSON_ALLOW_NUL)? */
bool mn_json_has_nul(const json_t *v);
/* Is v a string of exactly the bytes of lit? A NUL inside v never cuts the
 * comparison short. */
bool mn_json_str_is(const json_t *v, const char *lit);
/* The JSON type of v for messages: "an object", "a string", ... */
const char *mn_json_kind(const json_t *v);

#endif
