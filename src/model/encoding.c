/*
 * encoding.c - the encoding object of DESIGN §4: lenient extraction from
 * model text, the strict SC check of §5, normalisation and the JSON schema
 * for response_format.
 *
 * Extraction, in order:
 *  1. <think>...</think> blocks are removed. A lone "</think>" (the opening
 *     tag was in the chat template) drops everything before it; an
 *     unclosed "<think>" drops everything after it.
 *  2. The first '{' starts a candidate; a scan that knows JSON strings and
 *     escapes finds its balancing '}'. Code fences and prose around the
 *     object are thereby skipped without being parsed.
 *  3. A candidate that balances but does not parse ("{like this}" in prose,
 *     or an encoding with a duplicate key, a number out of range, a lone
 *     surrogate, nesting too deep) is skipped whole: the scan goes on after
 *     its closing '}', never inside it, because an inner object (say
 *     structured_concepts) is not the encoding. At most MAX_CANDIDATES are
 *     parsed; candidates never overlap, so a hostile text costs linear time.
 *     A candidate that never balances means the model stopped mid-object:
 *     "truncated JSON object", and nothing inside it is tried either.
 *
 * Normalisation keeps at most MN_LIMIT_ENCODING_CONCEPTS concepts and
 * MN_LIMIT_ENCODING_LIST_ITEMS entries per structured_concepts list, and
 * de-duplicates concepts through a hash table, so it is linear in the size
 * of the reply whatever the reply holds.
 */
#include "model/encoding.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/text.h"

#define MAX_CANDIDATES 16

const char *const mn_encoding_keys[] = {
	"gist", "summary", "content", "narrative", "concepts", "structured_concepts",
	"significance", "emotional_tone", "outcome", "salience", NULL,
};
const char *const mn_encoding_significance[] = {
	"routine", "notable", "important", "critical", NULL,
};
const char *const mn_encoding_tones[] = {
	"neutral", "satisfying", "frustrating", "exciting", "concerning", NULL,
};
const char *const mn_encoding_outcomes[] = {
	"success", "failure", "ongoing", "unknown", NULL,
};

/* structured_concepts: each array and the string fields of its items. */
struct sc_part {
	const char *name;
	const char *fields[4];
};

static const struct sc_part sc_parts[] = {
	{ "topics", { "label", "path", NULL } },
	{ "entities", { "name", "type", "context", NULL } },
	{ "actions", { "verb", "object", "details", NULL } },
	{ "causality", { "relation", "description", NULL } },
};

#define N_SC_PARTS (sizeof(sc_parts) / sizeof(sc_parts[0]))

static const char *const string_keys[] = { "gist", "summary", "content", "narrative", NULL };

static const struct {
	const char *key;
	const char *const *values;
} enums[] = {
	{ "significance", mn_encoding_significance },
	{ "emotional_tone", mn_encoding_tones },
	{ "outcome", mn_encoding_outcomes },
};

#define N_ENUMS (sizeof(enums) / sizeof(enums[0]))

int mn_encoding_enum_index(const char *const *list, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return i;
	return -1;
}

/* ---- extraction ---- */

/* Copy text into out without its <think> blocks (see the top comment). */
static void strip_think(struct mn_buf *out, const char *text, size_t len)
{
	static const char open[] = "<think>", close[] = "</think>";
	const size_t olen = sizeof(open) - 1, clen = sizeof(close) - 1;
	const char *p = text, *end = text + len;
	const char *o = memmem(p, len, open, olen);
	const char *c = memmem(p, len, close, clen);

	if (c && (!o || c < o))
		p = c + clen;
	while (p < end) {
		const char *s = memmem(p, (size_t)(end - p), open, olen);

		if (!s) {
			mn_buf_add(out, p, (size_t)(end - p));
			break;
		}
		mn_buf_add(out, p, (size_t)(s - p));
		c = memmem(s + olen, (size_t)(end - s - olen), close, clen);
		if (!c)
			break;
		p = c + clen;
	}
}

/* Offset one past the '}' balancing the '{' at s[0], or 0 when the text
 * ends first. Braces inside JSON strings do not count. */
static size_t balanced_end(const char *s, size_t len)
{
	size_t depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{') {
			depth++;
		} else if (c == '}') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

json_t *mn_encoding_extract(const char *text, size_t len, struct mn_err *err)
{
	struct mn_buf clean = MN_BUF_INIT;
	struct mn_err perr = MN_ERR_INIT;
	json_t *ret = NULL;
	const char *s, *end;
	bool parsed_any = false;

	if (!text)
		len = 0;
	strip_think(&clean, text ? text : "", len);
	s = mn_buf_str(&clean);
	end = s + clean.len;
	for (int tries = 0; tries < MAX_CANDIDATES; tries++) {
		const char *b = memchr(s, '{', (size_t)(end - s));
		size_t n;
		json_t *v;

		if (!b)
			break;
		n = balanced_end(b, (size_t)(end - b));
		if (!n) {
			mn_err_set(err, MN_EPARSE,
				   "truncated JSON object in model output (%zu bytes from '{' "
				   "without its closing '}')",
				   (size_t)(end - b));
			goto out;
		}
		v = mn_json_parse(b, n, &perr);
		parsed_any = true;
		if (json_is_object(v)) {
			ret = v;
			goto out;
		}
		json_decref(v);
		s = b + n; /* past the whole object: nothing inside it is the encoding */
	}
	if (parsed_any)
		mn_err_set(err, MN_EPARSE, "no valid JSON object in model output: %s", perr.msg);
	else
		mn_err_set(err, MN_EPARSE, "no JSON object in model output");
out:
	mn_buf_release(&clean);
	return ret;
}

/* ---- schema compliance ---- */

/* Write "kind:what" into why, cut at a character boundary (what may be a
 * key of the model's output), and return false. */
static bool fail(char *why, size_t why_len, const char *kind, const char *what)
{
	char *full;
	size_t n;

	if (!why || !why_len)
		return false;
	full = mn_xasprintf("%s:%s", kind, what);
	n = mn_text_utf8_cut(full, strlen(full), why_len - 1);
	memcpy(why, full, n);
	why[n] = '\0';
	free(full);
	return false;
}

static size_t str_chars(const json_t *s)
{
	return mn_text_utf8_chars(json_string_value(s), json_string_length(s));
}

static bool check_structured(const json_t *sc, char *why, size_t why_len)
{
	char what[64];

	if (!json_is_object(sc))
		return fail(why, why_len, "type", "structured_concepts");
	for (size_t i = 0; i < N_SC_PARTS; i++) {
		const json_t *arr = json_object_get(sc, sc_parts[i].name);
		size_t k;
		json_t *item;

		snprintf(what, sizeof(what), "structured_concepts.%s", sc_parts[i].name);
		if (!arr)
			return fail(why, why_len, "missing", what);
		if (!json_is_array(arr))
			return fail(why, why_len, "type", what);
		json_array_foreach(arr, k, item) {
			if (!json_is_object(item))
				return fail(why, why_len, "type", what);
			for (const char *const *f = sc_parts[i].fields; *f; f++) {
				const json_t *fv = json_object_get(item, *f);

				if (!json_is_string(fv)) {
					snprintf(what, sizeof(what), "structured_concepts.%s.%s",
						 sc_parts[i].name, *f);
					return fail(why, why_len, fv ? "type" : "missing", what);
				}
			}
		}
	}
	return true;
}

bool mn_encoding_check(const json_t *enc, char *why, size_t why_len)
{
	const char *key;
	const json_t *v;
	size_t i;
	double d;

	if (why && why_len)
		why[0] = '\0';
	if (!json_is_object(enc))
		return fail(why, why_len, "type", "object");
	for (i = 0; mn_encoding_keys[i]; i++)
		if (!json_object_get(enc, mn_encoding_keys[i]))
			return fail(why, why_len, "missing", mn_encoding_keys[i]);
	json_object_foreach((json_t *)enc, key, v) {
		if (mn_encoding_enum_index(mn_encoding_keys, key) < 0)
			return fail(why, why_len, "unknown", key);
	}

	for (i = 0; string_keys[i]; i++)
		if (!json_is_string(json_object_get(enc, string_keys[i])))
			return fail(why, why_len, "type", string_keys[i]);
	if (str_chars(json_object_get(enc, "gist")) > MN_ENCODING_GIST_MAX)
		return fail(why, why_len, "length", "gist");
	if (str_chars(json_object_get(enc, "summary")) > MN_ENCODING_SUMMARY_MAX)
		return fail(why, why_len, "length", "summary");

	v = json_object_get(enc, "concepts");
	if (!json_is_array(v))
		return fail(why, why_len, "type", "concepts");
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return fail(why, why_len, "type", "concepts");
	if (!check_structured(json_object_get(enc, "structured_concepts"), why, why_len))
		return false;

	for (i = 0; i < N_ENUMS; i++) {
		v = json_object_get(enc, enums[i].key);
		if (!json_is_string(v))
			return fail(why, why_len, "type", enums[i].key);
		/* an embedded NUL ("success\u0000x") is not the enum value */
		if (mn_encoding_enum_index(enums[i].values, json_string_value(v)) < 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return fail(why, why_len, "enum", enums[i].key);
	}

	v = json_object_get(enc, "salience");
	if (!json_is_number(v))
		return fail(why, why_len, "type", "salience");
	d = json_number_value(v);
	if (!(d >= 0.0 && d <= 1.0))
		return fail(why, why_len, "range", "salience");
	return true;
}

/* ---- normalisation ---- */

/* Trimmed, ASCII-lowercased copy of (s, len) as a new JSON string (ASCII
 * only, so the result does not depend on the locale). */
static json_t *lower_trim(const char *s, size_t len)
{
	char *t;
	size_t a = 0, b = len;
	json_t *r;

	while (a < b && mn_ascii_space(s[a]))
		a++;
	while (b > a && mn_ascii_space(s[b - 1]))
		b--;
	/* not strndup: the string may hold a NUL */
	t = mn_xmalloc(b - a + 1);
	memcpy(t, s + a, b - a);
	for (size_t i = 0; i < b - a; i++)
		if (t[i] >= 'A' && t[i] <= 'Z')
			t[i] = (char)(t[i] + ('a' - 'A'));
	r = json_stringn(t, b - a);
	free(t);
	return r;
}

/* Append the trimmed, lowercased (s, len) to arr unless it is empty or
 * already there. seen holds the concepts of arr as keys: a JSON object is
 * jansson's (randomly seeded) hash table, so a lookup costs O(1) and
 * de-duplication stays linear. */
static void add_concept(json_t *arr, json_t *seen, const char *s, size_t len)
{
	json_t *c = lower_trim(s, len);
	const char *k;
	size_t klen;

	if (!c || json_string_length(c) == 0)
		goto drop;
	k = json_string_value(c);
	klen = json_string_length(c);
	if (json_object_getn(seen, k, klen))
		goto drop;
	json_object_setn_new_nocheck(seen, k, klen, json_null());
	json_array_append_new(arr, c);
	return;
drop:
	json_decref(c);
}

static bool concepts_full(const json_t *arr)
{
	return json_array_size(arr) >= MN_LIMIT_ENCODING_CONCEPTS;
}

/* concepts: strings lowercased, trimmed, de-duplicated, empties dropped; a
 * single comma-separated string is split; non-strings are dropped; the
 * first MN_LIMIT_ENCODING_CONCEPTS distinct ones are kept. */
static json_t *normalize_concepts(const json_t *v)
{
	json_t *arr = json_array();
	json_t *seen = json_object();

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v), a = 0;

		for (size_t i = 0; i <= len && !concepts_full(arr); i++) {
			if (i == len || s[i] == ',') {
				add_concept(arr, seen, s + a, i - a);
				a = i + 1;
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *c;

		json_array_foreach(v, i, c) {
			if (concepts_full(arr))
				break;
			if (json_is_string(c))
				add_concept(arr, seen, json_string_value(c), json_string_length(c));
		}
	}
	json_decref(seen);
	return arr;
}

static bool is_sc_part(const char *key)
{
	for (size_t i = 0; i < N_SC_PARTS; i++)
		if (!strcmp(sc_parts[i].name, key))
			return true;
	return false;
}

/* The first MN_LIMIT_ENCODING_LIST_ITEMS items of arr, copied. */
static json_t *capped_list(const json_t *arr)
{
	json_t *out = json_array();
	size_t n = json_array_size(arr);

	if (n > MN_LIMIT_ENCODING_LIST_ITEMS)
		n = MN_LIMIT_ENCODING_LIST_ITEMS;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_deep_copy(json_array_get(arr, i)));
	return out;
}

/* structured_concepts: missing lists become [], each list keeps its first
 * MN_LIMIT_ENCODING_LIST_ITEMS entries; anything else is copied for SC to
 * judge. */
static json_t *normalize_structured(const json_t *v)
{
	json_t *sc;
	const char *key;
	json_t *item;

	if (!json_is_object(v) && v)
		return json_deep_copy(v); /* nothing safe to repair */
	sc = json_object();
	json_object_foreach((json_t *)v, key, item) {
		if (json_is_array(item) && is_sc_part(key))
			json_object_set_new(sc, key, capped_list(item));
		else
			json_object_set_new(sc, key, json_deep_copy(item));
	}
	for (size_t i = 0; i < N_SC_PARTS; i++)
		if (!json_object_get(sc, sc_parts[i].name))
			json_object_set_new(sc, sc_parts[i].name, json_array());
	return sc;
}

static json_t *normalize_salience(const json_t *v)
{
	double d;

	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v)) {
		char *t = mn_xstrdup(json_string_value(v));
		bool ok = mn_text_parse_double(&d, mn_text_trim(t));

		free(t);
		if (!ok)
			return json_deep_copy(v);
	} else {
		return json_deep_copy(v);
	}
	if (isnan(d))
		return json_deep_copy(v);
	if (d < 0.0)
		d = 0.0;
	if (d > 1.0)
		d = 1.0;
	return json_real(d);
}

static json_t *normalize_text(const json_t *v, size_t max_chars)
{
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return json_deep_copy(v);
	s = json_string_value(v);
	len = json_string_length(v);
	return json_stringn(s, mn_text_utf8_prefix(s, len, max_chars));
}

json_t *mn_encoding_normalize(const json_t *enc)
{
	json_t *out;
	const char *key;
	json_t *v;

	if (!json_is_object(enc))
		return enc ? json_deep_copy(enc) : json_null();
	out = json_object();
	/* canonical key order first, unknown keys (left for SC to report) after */
	for (size_t i = 0; mn_encoding_keys[i]; i++) {
		const char *k = mn_encoding_keys[i];
		const json_t *src = json_object_get(enc, k);
		json_t *nv = NULL;

		if (!strcmp(k, "concepts"))
			nv = (src && !json_is_array(src) && !json_is_string(src))
				     ? json_deep_copy(src)
				     : normalize_concepts(src);
		else if (!strcmp(k, "structured_concepts"))
			nv = normalize_structured(src);
		else if (!src)
			continue;
		else if (!strcmp(k, "significance") || !strcmp(k, "emotional_tone") ||
			 !strcmp(k, "outcome"))
			nv = json_is_string(src) ? lower_trim(json_string_value(src),
							      json_string_length(src))
						 : json_deep_copy(src);
		else if (!strcmp(k, "salience"))
			nv = normalize_salience(src);
		else if (!strcmp(k, "gist"))
			nv = normalize_text(src, MN_ENCODING_GIST_MAX);
		else if (!strcmp(k, "summary"))
			nv = normalize_text(src, MN_ENCODING_SUMMARY_MAX);
		else
			nv = json_deep_copy(src);
		if (nv)
			json_object_set_new(out, k, nv);
	}
	json_object_foreach((json_t *)enc, key, v) {
		if (mn_encoding_enum_index(mn_encoding_keys, key) < 0)
			json_object_set_new(out, key, json_deep_copy(v));
	}
	return out;
}

/* ---- response_format schema ---- */

static json_t *string_schema(void)
{
	return json_pack("{s:s}", "type", "string");
}

static json_t *enum_schema(const char *const *values)
{
	json_t *e = json_array();

	for (size_t i = 0; values[i]; i++)
		json_array_append_new(e, json_string(values[i]));
	return json_pack("{s:s,s:o}", "type", "string", "enum", e);
}

static json_t *names_array(const char *const *names)
{
	json_t *a = json_array();

	for (size_t i = 0; names[i]; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *object_schema(json_t *props, json_t *required)
{
	return json_pack("{s:s,s:o,s:o,s:b}", "type", "object", "properties", props, "required",
			 required, "additionalProperties", 0);
}

json_t *mn_encoding_json_schema(void)
{
	json_t *props = json_object();
	json_t *sc_props = json_object();
	static const char *const part_names[] = { "topics", "entities", "actions", "causality",
						  NULL };

	for (size_t i = 0; i < N_SC_PARTS; i++) {
		json_t *item_props = json_object();

		for (const char *const *f = sc_parts[i].fields; *f; f++)
			json_object_set_new(item_props, *f, string_schema());
		json_object_set_new(sc_props, sc_parts[i].name,
				    json_pack("{s:s,s:o}", "type", "array", "items",
					      object_schema(item_props,
							    names_array(sc_parts[i].fields))));
	}
	json_object_set_new(props, "gist", string_schema());
	json_object_set_new(props, "summary", string_schema());
	json_object_set_new(props, "content", string_schema());
	json_object_set_new(props, "narrative", string_schema());
	json_object_set_new(props, "concepts",
			    json_pack("{s:s,s:o}", "type", "array", "items", string_schema()));
	json_object_set_new(props, "structured_concepts",
			    object_schema(sc_props, names_array(part_names)));
	json_object_set_new(props, "significance", enum_schema(mn_encoding_significance));
	json_object_set_new(props, "emotional_tone", enum_schema(mn_encoding_tones));
	json_object_set_new(props, "outcome", enum_schema(mn_encoding_outcomes));
	json_object_set_new(props, "salience", json_pack("{s:s,s:i,s:i}", "type", "number",
							 "minimum", 0, "maximum", 1));
	return object_schema(props, names_array(mn_encoding_keys));
}
