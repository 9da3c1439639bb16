#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/text.h"

void mn_json_format_real(char out[32], double d)
{
	if (!isfinite(d)) {
		snprintf(out, 32, "null");
		return;
	}
	/* Any decimal of at most 15 significant digits survives a round trip
	 * (DBL_DIG), and %g drops trailing zeros, so %.15g is the shortest form
	 * whenever one that short exists; otherwise 16 or 17 digits are needed. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	/* keep it a JSON real: 1 -> 1.0 */
	if (!strpbrk(out, ".eEn")) {
		size_t n = strlen(out);

		if (n + 2 < 32) {
			out[n] = '.';
			out[n + 1] = '0';
			out[n + 2] = '\0';
		}
	}
}

static void dump_string(struct mn_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0; /* start of the pending run of bytes copied as they are */

	mn_buf_addc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		default:
			u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
			u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
			esc = u;
		}
		mn_buf_add(out, s + run, i - run);
		mn_buf_adds(out, esc);
		run = i + 1;
	}
	mn_buf_add(out, s + run, len - run);
	mn_buf_addc(out, '"');
}

/* Newline and depth * indent spaces; nothing in the compact form. */
static void dump_newline(struct mn_buf *out, int indent, int depth)
{
	if (!indent)
		return;
	mn_buf_addc(out, '\n');
	for (int i = 0; i < indent * depth; i++)
		mn_buf_addc(out, ' ');
}

/* indent 0: the compact form; otherwise jansson's JSON_INDENT layout. */
static void dump_value(struct mn_buf *out, const json_t *v, int indent, int depth)
{
	char num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *val;
		bool first = true;

		mn_buf_addc(out, '{');
		json_object_foreach((json_t *)v, k, val) {
			if (!first)
				mn_buf_addc(out, ',');
			first = false;
			dump_newline(out, indent, depth + 1);
			dump_string(out, k, strlen(k));
			mn_buf_adds(out, indent ? ": " : ":");
			dump_value(out, val, indent, depth + 1);
		}
		if (!first)
			dump_newline(out, indent, depth);
		mn_buf_addc(out, '}');
		break;
	}
	case JSON_ARRAY:
		mn_buf_addc(out, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				mn_buf_addc(out, ',');
			dump_newline(out, indent, depth + 1);
			dump_value(out, json_array_get(v, i), indent, depth + 1);
		}
		if (json_array_size(v))
			dump_newline(out, indent, depth);
		mn_buf_addc(out, ']');
		break;
	case JSON_STRING:
		dump_string(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		mn_buf_addf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		mn_json_format_real(num, json_real_value(v));
		mn_buf_adds(out, num);
		break;
	case JSON_TRUE:
		mn_buf_adds(out, "true");
		break;
	case JSON_FALSE:
		mn_buf_adds(out, "false");
		break;
	default:
		mn_buf_adds(out, "null");
	}
}

void mn_json_dump(struct mn_buf *out, const json_t *v)
{
	dump_value(out, v, 0, 0);
}

char *mn_json_dumps_indent(const json_t *v, int indent)
{
	struct mn_buf b = MN_BUF_INIT;

	dump_value(&b, v, indent < 0 ? 0 : indent, 0);
	return mn_buf_detach(&b, NULL);
}

char *mn_json_dumps(const json_t *v)
{
	struct mn_buf b = MN_BUF_INIT;

	mn_json_dump(&b, v);
	return mn_buf_detach(&b, NULL);
}

json_t *mn_json_parse(const char *s, size_t len, struct mn_err *err)
{
	json_error_t je;
	json_t *v = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);

	if (!v)
		mn_err_set(err, MN_EPARSE, "invalid JSON at line %d column %d: %s", je.line,
			   je.column, je.text);
	return v;
}

json_t *mn_json_load_file(const char *path, struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	json_t *v = NULL;

	if (mn_file_read(&b, path, MN_LIMIT_JSON_FILE_BYTES, err) == 0) {
		struct mn_err e = MN_ERR_INIT;

		v = mn_json_parse(b.data, b.len, &e);
		if (!v)
			mn_err_set(err, MN_EPARSE, "'%s': %s", path, e.msg);
	}
	mn_buf_release(&b);
	return v;
}

int mn_json_write_file(const char *path, const json_t *v, struct mn_err *err)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	int ret;

	if (!s)
		return mn_err_set(err, MN_EFAIL, "could not serialise JSON for '%s'", path);
	{
		size_t n = strlen(s);
		char *t = mn_xmalloc(n + 2);

		memcpy(t, s, n);
		t[n] = '\n';
		t[n + 1] = '\0';
		ret = mn_file_write_atomic(path, t, n + 1, 0600, err);
		free(t);
	}
	free(s);
	return ret;
}

const char *mn_json_str(const json_t *obj, const char *key, const char *def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

double mn_json_num(const json_t *obj, const char *key, double def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

json_t *mn_json_safe_stringn(const char *s, size_t len)
{
	size_t ok = mn_text_utf8_invalid_at(s, len);
	json_t *v = json_stringn(s, ok);

	return v ? v : json_string("");
}

json_t *mn_json_safe_string(const char *s)
{
	return mn_json_safe_stringn(s ? s : "", s ? strlen(s) : 0);
}

bool mn_json_has_nul(const json_t *v)
{
	return memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
}

bool mn_json_str_is(const json_t *v, const char *lit)
{
	size_t n = strlen(lit);

	return json_is_string(v) && json_string_length(v) == n &&
	       !memcmp(json_string_value(v), lit, n);
}

const char *mn_json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}
