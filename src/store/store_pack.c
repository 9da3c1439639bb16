/*
 * store_pack.c - how a memory's encoding is kept (schema 7,
 * docs/architecture.md "Schema"): once, packed. memories.encoder_output
 * holds the encoder's exact output; memories.encoding the normalised
 * encoding only when it is not that output byte for byte (an amendment,
 * an LLM's output with other spacing); NULL otherwise. Both are packed:
 * DEFLATE with a fixed dictionary of the encoding's keys (a 1 KB builtin
 * encoding of a 170-byte observation packs to about 250 bytes). The
 * recall index reads its fields of the encoding through mn_doc(), and
 * nothing else stores them.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "store/store_internal.h"

/* Format byte of a packed value. A packed value is never changed in
 * place: a new format gets a new byte, and every reader keeps the old. */
enum { PACK_STORED = 0, PACK_DEFLATE_V1 = 1 };

/* The preset dictionary of PACK_DEFLATE_V1. Never change it: every value
 * packed with it needs it byte for byte to unpack. */
static const char dict_v1[] =
	"{\"gist\":\"\",\"summary\":\"\",\"content\":\"\",\"narrative\":\"\",\"concepts\":[],"
	"\"structured_concepts\":{\"topics\":[{\"label\":\"\",\"path\":\"\"}],"
	"\"entities\":[{\"name\":\"\",\"type\":\"name\",\"context\":\"\"},{\"name\":\"\","
	"\"type\":\"quantity\",\"context\":\"\"},{\"name\":\"\",\"type\":\"version\","
	"\"context\":\"\"},{\"name\":\"\",\"type\":\"date\",\"context\":\"\"}],"
	"\"actions\":[{\"verb\":\"\",\"object\":\"\",\"details\":\"\"}],"
	"\"causality\":[{\"cause\":\"\",\"effect\":\"\"}]},\"significance\":\"routine\","
	"\"emotional_tone\":\"neutral\",\"outcome\":\"unknown\",\"salience\":0.";

/* Header: format byte, then the unpacked length (4 bytes, little endian). */
#define PACK_HDR 5

/* A 4 KB window and small hash tables: an encoding is a few KB, and
 * setting up zlib's default 256 KB of state cost more than compressing.
 * Any inflater reads the stream (it takes every window size). */
#define PACK_WBITS 12
#define PACK_MEMLEVEL 5

/* One deflater per thread, reset for each value. */
static pthread_key_t deflater_key;
static pthread_once_t deflater_once = PTHREAD_ONCE_INIT;

static void deflater_free(void *p)
{
	deflateEnd(p);
	free(p);
}

static void deflater_key_init(void)
{
	if (pthread_key_create(&deflater_key, deflater_free))
		abort();
}

static z_stream *deflater(void)
{
	z_stream *z;

	pthread_once(&deflater_once, deflater_key_init);
	z = pthread_getspecific(deflater_key);
	if (z)
		return deflateReset(z) == Z_OK ? z : NULL;
	z = mn_xcalloc(1, sizeof(*z));
	if (deflateInit2(z, 9, Z_DEFLATED, -PACK_WBITS, PACK_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		return NULL;
	}
	if (pthread_setspecific(deflater_key, z)) {
		deflater_free(z);
		return NULL;
	}
	return z;
}

void *mn_store_pack(const char *text, size_t len, size_t *out_len)
{
	unsigned char *out;
	z_stream *z;
	size_t cap;
	int rc;

	cap = PACK_HDR + deflateBound(NULL, (uLong)len) + 16;
	out = mn_xmalloc(cap > PACK_HDR + len ? cap : PACK_HDR + len);
	if (len > 0xffffffffu || !(z = deflater()))
		goto stored;
	if (deflateSetDictionary(z, (const Bytef *)dict_v1, sizeof(dict_v1) - 1) != Z_OK)
		goto stored;
	z->next_in = (Bytef *)(uintptr_t)text;
	z->avail_in = (uInt)len;
	z->next_out = out + PACK_HDR;
	z->avail_out = (uInt)(cap - PACK_HDR);
	rc = deflate(z, Z_FINISH);
	if (rc != Z_STREAM_END || z->total_out >= len)
		goto stored;
	out[0] = PACK_DEFLATE_V1;
	for (int i = 0; i < 4; i++)
		out[1 + i] = (unsigned char)(len >> (8 * i));
	*out_len = PACK_HDR + z->total_out;
	return out;
stored:
	/* incompressible (or too short to gain): the text after one byte */
	out[0] = PACK_STORED;
	memcpy(out + 1, text, len);
	*out_len = 1 + len;
	return out;
}

char *mn_store_unpack(const void *blob, size_t n, size_t *out_len)
{
	const unsigned char *p = blob;
	char *out = NULL;
	size_t len = 0;
	z_stream z;

	if (!p || n < 1)
		return NULL;
	if (p[0] == PACK_STORED) {
		len = n - 1;
		out = mn_xmalloc(len + 1);
		memcpy(out, p + 1, len);
		goto done;
	}
	if (p[0] != PACK_DEFLATE_V1 || n < PACK_HDR)
		return NULL;
	for (int i = 0; i < 4; i++)
		len |= (size_t)p[1 + i] << (8 * i);
	if (len > 64u * 1024 * 1024)
		return NULL;
	out = mn_xmalloc(len + 1);
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK) {
		free(out);
		return NULL;
	}
	if (inflateSetDictionary(&z, (const Bytef *)dict_v1, sizeof(dict_v1) - 1) != Z_OK)
		goto bad;
	z.next_in = (Bytef *)(uintptr_t)(p + PACK_HDR);
	z.avail_in = (uInt)(n - PACK_HDR);
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)len;
	if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out != len)
		goto bad;
	inflateEnd(&z);
done:
	out[len] = '\0';
	if (out_len)
		*out_len = len;
	return out;
bad:
	inflateEnd(&z);
	free(out);
	return NULL;
}

char *mn_store_unpack_col(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return NULL;
	case SQLITE_BLOB:
		return mn_store_unpack(sqlite3_column_blob(s, i),
				       (size_t)sqlite3_column_bytes(s, i), NULL);
	default: /* text as it is */
		return mn_store_col_dup(s, i);
	}
}

/* ---- the normalised encoding ---- */

json_t *mn_store_enc_canonical(const json_t *e)
{
	static const char *const text_keys[] = { "gist", "summary", "content", "narrative" };
	static const char *const enum_keys[] = { "significance", "emotional_tone", "outcome" };
	json_t *c = json_object(), *v;
	const char *t;

	for (int i = 0; i < 4; i++)
		json_object_set_new(c, text_keys[i], json_string(mn_json_str(e, text_keys[i], "")));
	v = json_object_get(e, "concepts");
	json_object_set_new(c, "concepts", v ? json_deep_copy(v) : json_array());
	v = json_object_get(e, "structured_concepts");
	json_object_set_new(c, "structured_concepts", v ? json_deep_copy(v) : json_object());
	for (int i = 0; i < 3; i++) {
		t = mn_json_str(e, enum_keys[i], NULL);
		json_object_set_new(c, enum_keys[i], t ? json_string(t) : json_null());
	}
	json_object_set_new(c, "salience", json_real(mn_json_num(e, "salience", 0.5)));
	return c;
}

void mn_store_bind_encoding(sqlite3_stmt *s, int i_output, int i_encoding, const char *output,
			    const json_t *encoding)
{
	json_t *c = mn_store_enc_canonical(encoding);
	char *dump = mn_json_dumps(c);
	size_t n;
	void *p;

	if (!output)
		output = "";
	p = mn_store_pack(output, strlen(output), &n);
	sqlite3_bind_blob(s, i_output, p, (int)n, free);
	if (!strcmp(dump, output)) {
		sqlite3_bind_null(s, i_encoding);
	} else {
		p = mn_store_pack(dump, strlen(dump), &n);
		sqlite3_bind_blob(s, i_encoding, p, (int)n, free);
	}
	free(dump);
	json_decref(c);
}

json_t *mn_store_read_encoding(sqlite3_stmt *s, int i_output, int i_encoding)
{
	int i = sqlite3_column_type(s, i_encoding) == SQLITE_NULL ? i_output : i_encoding;
	char *text = mn_store_unpack_col(s, i);
	json_t *e = text ? json_loads(text, 0, NULL) : NULL;

	free(text);
	if (!json_is_object(e)) {
		json_decref(e);
		e = NULL;
	}
	return e ? e : mn_store_enc_canonical(NULL);
}

char *mn_store_concepts_text(const json_t *enc)
{
	const json_t *c = json_object_get(enc, "concepts");
	struct mn_buf b = MN_BUF_INIT;

	for (size_t i = 0; i < json_array_size(c); i++) {
		const json_t *v = json_array_get(c, i);

		if (!json_is_string(v))
			continue;
		if (b.len)
			mn_buf_addc(&b, ' ');
		mn_buf_adds(&b, json_string_value(v));
	}
	return mn_buf_detach(&b, NULL);
}

/* ---- SQL functions ---- */

static void value_unpack(sqlite3_context *ctx, sqlite3_value *v)
{
	char *t;
	size_t n;

	switch (sqlite3_value_type(v)) {
	case SQLITE_NULL:
		sqlite3_result_null(ctx);
		return;
	case SQLITE_BLOB:
		t = mn_store_unpack(sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v), &n);
		if (!t) {
			sqlite3_result_error(ctx, "mn_unpack: not a packed value", -1);
			return;
		}
		sqlite3_result_text(ctx, t, (int)n, free);
		return;
	default:
		sqlite3_result_value(ctx, v);
	}
}

/* mn_unpack(x): the text of a packed value (text stays text). */
static void sql_unpack(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	value_unpack(ctx, argv[0]);
}

/* mn_pack(text): the packed blob (a blob or NULL stays as it is). */
static void sql_pack(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t;
	size_t n;
	void *p;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	t = (const char *)sqlite3_value_text(argv[0]);
	p = mn_store_pack(t ? t : "", (size_t)sqlite3_value_bytes(argv[0]), &n);
	sqlite3_result_blob(ctx, p, (int)n, free);
}

/* The last encoding mn_doc parsed on this connection: the recall index
 * triggers ask for four fields of the same one in a row. */
struct doc_cache {
	void *key;
	size_t key_len;
	json_t *enc;
};

static void doc_cache_free(void *p)
{
	struct doc_cache *c = p;

	if (!c)
		return;
	free(c->key);
	json_decref(c->enc);
	free(c);
}

static const json_t *doc_encoding(struct doc_cache *c, sqlite3_value *v)
{
	const void *key = sqlite3_value_blob(v);
	size_t n = (size_t)sqlite3_value_bytes(v);
	char *text;

	if (c->key && c->key_len == n && !memcmp(c->key, key, n))
		return c->enc;
	free(c->key);
	json_decref(c->enc);
	c->key = mn_xmalloc(n ? n : 1);
	memcpy(c->key, key, n);
	c->key_len = n;
	if (sqlite3_value_type(v) == SQLITE_BLOB)
		text = mn_store_unpack(key, n, NULL);
	else
		text = mn_xstrndup(key, n);
	c->enc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return c->enc;
}

/* mn_doc(encoding, encoder_output, field): a field of the memory's
 * normalised encoding as the recall index holds it: 'gist', 'summary',
 * 'concepts' (the concept strings, space separated), 'keyterms'
 * (mn_store_keyterms). '' without an encoding. */
static void sql_doc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct doc_cache *c = sqlite3_user_data(ctx);
	sqlite3_value *v = sqlite3_value_type(argv[0]) != SQLITE_NULL ? argv[0] : argv[1];
	const char *field = (const char *)sqlite3_value_text(argv[2]);
	const json_t *e;
	char *t;

	if (sqlite3_value_type(v) == SQLITE_NULL || !field) {
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		return;
	}
	e = doc_encoding(c, v);
	if (!strcmp(field, "gist") || !strcmp(field, "summary")) {
		sqlite3_result_text(ctx, mn_json_str(e, field, ""), -1, SQLITE_TRANSIENT);
		return;
	}
	if (!strcmp(field, "concepts"))
		t = mn_store_concepts_text(e);
	else if (!strcmp(field, "keyterms"))
		t = mn_store_keyterms(json_object_get(e, "structured_concepts"));
	else
		t = mn_xstrdup("");
	sqlite3_result_text(ctx, t, -1, free);
}

/* mn_pack_encoding(output, encoding, salience): memories.encoding for an
 * encoder output and a normalised encoding given as JSON text (salience,
 * when not NULL, replaces its salience): NULL when the canonical dump is
 * the output byte for byte, else the packed dump (migration 7). */
static void sql_pack_encoding(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *out = (const char *)sqlite3_value_text(argv[0]);
	const char *text = (const char *)sqlite3_value_text(argv[1]);
	json_t *e = text ? json_loads(text, 0, NULL) : NULL, *c;
	char *dump;
	size_t n;
	void *p;

	if (!e)
		e = json_object();
	if (sqlite3_value_type(argv[2]) != SQLITE_NULL)
		json_object_set_new(e, "salience", json_real(sqlite3_value_double(argv[2])));
	c = mn_store_enc_canonical(e);
	dump = mn_json_dumps(c);
	if (out && !strcmp(dump, out)) {
		sqlite3_result_null(ctx);
	} else {
		p = mn_store_pack(dump, strlen(dump), &n);
		sqlite3_result_blob(ctx, p, (int)n, free);
	}
	free(dump);
	json_decref(c);
	json_decref(e);
}

int mn_store_pack_register(sqlite3 *db)
{
	const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	struct doc_cache *c = mn_xcalloc(1, sizeof(*c));
	int rc;

	rc = sqlite3_create_function(db, "mn_unpack", 1, flags, NULL, sql_unpack, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "mn_pack", 1, flags, NULL, sql_pack, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "mn_pack_encoding", 3, flags, NULL,
					     sql_pack_encoding, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mn_doc", 3, flags, c, sql_doc, NULL, NULL,
						doc_cache_free);
	else
		doc_cache_free(c);
	return rc;
}
