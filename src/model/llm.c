/*
 * llm.c - OpenAI-compatible chat-completions client over libcurl.
 *
 * One CURL easy handle per client, configured once in mn_llm_new and reused
 * for every request so the connection stays alive between encodings. Each
 * request is built with jansson; each attempt's body lands in a capped
 * buffer, and the write callback aborts the transfer as soon as the cap is
 * passed.
 */
#include "model/llm.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "model/encoding.h"
#include "model/prompt.h"

#if LIBCURL_VERSION_NUM < 0x074200
#error "libcurl >= 7.66 is required (CURLINFO_RETRY_AFTER)"
#endif

#ifndef MN_VERSION
#define MN_VERSION "dev"
#endif

#define LLM_DEFAULT_TIMEOUT_S 120
#define LLM_DEFAULT_MAX_RETRIES 2
#define LLM_DEFAULT_BACKOFF_MS 500
#define LLM_CONNECT_TIMEOUT_MS 10000L
#define LLM_MAX_BACKOFF_MS 30000L
#define LLM_SNIPPET_BYTES 120     /* of an error body, in messages */
#define LLM_READY_PROBE_MS 5000L  /* one readiness probe at most */
#define LLM_READY_POLL_MS 250L
#define LLM_SCHEMA_NAME "memory_encoding"
#define LLM_CHAT_SUFFIX "/chat/completions"

struct mn_llm {
	CURL *curl;
	struct curl_slist *headers;
	char *url;       /* the chat-completions URL requests go to */
	char *shown_url; /* url without userinfo or query, for messages and logs */
	char *model;     /* NULL: "model" is left out of the request */
	char *api_key;   /* NULL when none; kept only to redact server echoes */
	long timeout_ms;
	int max_retries;
	long backoff_ms;
	int max_retry_after_s;
	size_t max_response_bytes;
	struct mn_buf body; /* the current attempt's response, capped */
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void init_curl(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int global_init(struct mn_err *err)
{
	pthread_once(&curl_once, init_curl);
	if (curl_init_rc != CURLE_OK)
		return mn_err_set(err, MN_EFAIL, "could not initialise libcurl: %s",
				  curl_easy_strerror(curl_init_rc));
	return 0;
}

void mn_llm_global_cleanup(void)
{
	if (curl_init_rc == CURLE_OK)
		curl_global_cleanup();
	curl_init_rc = CURLE_FAILED_INIT;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* Length of endpoint without trailing slashes. */
static size_t trimmed_len(const char *endpoint)
{
	size_t n = strlen(endpoint);

	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	return n;
}

/* endpoint + suffix, unless the endpoint already ends with it. */
static char *api_url(const char *endpoint, const char *suffix)
{
	size_t n = trimmed_len(endpoint);

	if (ends_with(endpoint, n, suffix))
		return mn_xstrndup(endpoint, n);
	return mn_xasprintf("%.*s%s", (int)n, endpoint, suffix);
}

static char *models_url(const char *endpoint)
{
	size_t n = trimmed_len(endpoint);

	if (ends_with(endpoint, n, LLM_CHAT_SUFFIX))
		n -= strlen(LLM_CHAT_SUFFIX);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	return mn_xasprintf("%.*s/models", (int)n, endpoint);
}

/* The URL as it may appear in messages: credentials ("user:pass@") and the
 * query string (where some APIs take "?key=") are dropped. */
static char *shown_url(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));
	size_t keep = strcspn(url, "?#");

	if (!at)
		return mn_xstrndup(url, keep);
	return mn_xasprintf("%.*s%.*s", (int)(host - url), url,
			    (int)(keep - (size_t)(at + 1 - url)), at + 1);
}

static bool is_http_url(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *payload)
{
	struct mn_buf *body = payload;
	size_t n = size * nmemb;

	mn_buf_add(body, ptr, n);
	/* a short count makes curl abort the transfer (CURLE_WRITE_ERROR) */
	return body->failed ? 0 : n;
}

static size_t on_body_discard(char *ptr, size_t size, size_t nmemb, void *payload)
{
	(void)ptr;
	(void)payload;
	return size * nmemb;
}

/* Options every handle gets: no signals (we run in threads), only
 * http(s), no redirects, bounded connect time. */
static void setopt_common(CURL *curl, char *errbuf, long timeout_ms)
{
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "mnemo/" MN_VERSION);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < LLM_CONNECT_TIMEOUT_MS ? timeout_ms : LLM_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
}

/* Copy an API key, dropping the trailing whitespace a key file tends to
 * end with; a control character elsewhere would split the header. */
static int copy_api_key(char **out, const char *key, struct mn_err *err)
{
	size_t n = strlen(key);

	*out = NULL;
	while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r' || key[n - 1] == ' ' ||
			 key[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			return mn_err_set(err, MN_EINVAL,
					  "llm api key contains a control character");
	if (n > 0)
		*out = mn_xstrndup(key, n);
	return 0;
}

/* curl_slist_append returns NULL on failure and leaves the list alone;
 * assigning that NULL would leak the list. */
static bool add_header(struct curl_slist **list, const char *h)
{
	struct curl_slist *n = curl_slist_append(*list, h);

	if (!n)
		return false;
	*list = n;
	return true;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int mn_llm_new(struct mn_llm **out, const struct mn_llm_opts *opts, struct mn_err *err)
{
	struct mn_llm *c = NULL;
	char *auth = NULL;
	int ret;

	*out = NULL;
	if (!opts->endpoint || !is_http_url(opts->endpoint))
		return mn_err_set(err, MN_EINVAL, "llm endpoint '%s' is not an http(s) URL",
				  opts->endpoint ? opts->endpoint : "");
	if (opts->timeout_s < 0 || opts->timeout_ms < 0 || opts->backoff_ms < 0 ||
	    opts->max_retry_after_s < 0)
		return mn_err_set(err, MN_EINVAL, "llm timeouts must not be negative");
	ret = global_init(err);
	if (ret)
		return ret;

	c = mn_xcalloc(1, sizeof(*c));
	c->url = api_url(opts->endpoint,
			 opts->path && *opts->path ? opts->path : LLM_CHAT_SUFFIX);
	c->shown_url = shown_url(c->url);
	c->model = opts->model && *opts->model ? mn_xstrdup(opts->model) : NULL;
	c->timeout_ms = 1000L * (opts->timeout_s ? opts->timeout_s : LLM_DEFAULT_TIMEOUT_S);
	if (opts->timeout_ms > 0)
		c->timeout_ms = opts->timeout_ms;
	c->max_retries = opts->max_retries < 0 ? 0
			 : opts->max_retries ? opts->max_retries : LLM_DEFAULT_MAX_RETRIES;
	c->backoff_ms = opts->backoff_ms ? opts->backoff_ms : LLM_DEFAULT_BACKOFF_MS;
	/* A server that asks for a pause longer than one request may take is
	 * waited for that long at most: the caller's budget is counted in
	 * timeouts (the worker's lease, a user at the CLI). */
	c->max_retry_after_s = (int)(c->timeout_ms / 1000);
	if (opts->max_retry_after_s && opts->max_retry_after_s < c->max_retry_after_s)
		c->max_retry_after_s = opts->max_retry_after_s;
	c->max_response_bytes = opts->max_response_bytes ? opts->max_response_bytes
							 : MN_LIMIT_HTTP_RESPONSE_BYTES;
	mn_buf_init(&c->body, c->max_response_bytes);
	if (opts->api_key) {
		ret = copy_api_key(&c->api_key, opts->api_key, err);
		if (ret)
			goto out;
	}

	c->curl = curl_easy_init();
	if (!c->curl) {
		ret = mn_err_set(err, MN_EFAIL, "could not create a curl handle");
		goto out;
	}
	if (c->api_key)
		auth = mn_xasprintf("Authorization: Bearer %s", c->api_key);
	/* "Expect:" stops curl from waiting for 100-continue on big bodies */
	if (!add_header(&c->headers, "Content-Type: application/json") ||
	    !add_header(&c->headers, "Accept: application/json") ||
	    !add_header(&c->headers, "Expect:") || (auth && !add_header(&c->headers, auth))) {
		ret = mn_err_set(err, MN_EFAIL, "could not allocate request headers");
		goto out;
	}
	setopt_common(c->curl, c->errbuf, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->body);
	/* refuse early when Content-Length already says too much; the write
	 * callback catches the rest (chunked, close-delimited, compressed) */
	curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response_bytes);
	curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
	mn_debug("llm", "client for '%s' model '%s' (timeout %ld ms, %d retries, key %s)",
		 c->shown_url, c->model ? c->model : "(none)", c->timeout_ms, c->max_retries,
		 c->api_key ? "set" : "none");
	*out = c;
	c = NULL;
	ret = 0;
out:
	wipe_free(auth);
	mn_llm_free(c);
	return ret;
}

void mn_llm_free(struct mn_llm *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	for (struct curl_slist *h = c->headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c->shown_url);
	free(c->model);
	wipe_free(c->api_key);
	mn_buf_release(&c->body);
	free(c);
}

/* Append (s, len) to out with control characters as spaces and every
 * occurrence of the API key replaced, until out holds more than limit
 * bytes. Returns how many bytes of s were consumed. Keys are matched
 * against s itself, so none is ever cut in half. */
static size_t add_scrubbed(struct mn_buf *out, const char *s, size_t len, const char *key,
			   size_t limit)
{
	size_t klen = key ? strlen(key) : 0;
	size_t i = 0;

	while (i < len && out->len <= limit) {
		if (klen && len - i >= klen && !memcmp(s + i, key, klen)) {
			mn_buf_adds(out, "[redacted]");
			i += klen;
			continue;
		}
		mn_buf_addc(out, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
		i++;
	}
	return i;
}

/* A short, printable, key-free excerpt of an error body: the server's
 * error message when the body is an OpenAI-style error object, else the
 * start of the body. */
static void body_snippet(char *out, size_t out_len, const struct mn_llm *c)
{
	struct mn_buf b = MN_BUF_INIT;
	const char *text = mn_buf_str(&c->body);
	size_t len = c->body.len;
	json_t *root = json_loadb(text, len, 0, NULL);
	const json_t *e = json_object_get(root, "error");
	size_t max = out_len - 4 < LLM_SNIPPET_BYTES ? out_len - 4 : LLM_SNIPPET_BYTES;
	size_t used, cut;

	if (json_is_object(e))
		e = json_object_get(e, "message");
	if (!json_is_string(e))
		e = json_object_get(root, "message");
	if (json_is_string(e)) {
		text = json_string_value(e);
		len = json_string_length(e);
	}
	used = add_scrubbed(&b, text, len, c->api_key, max);
	cut = mn_text_utf8_cut(mn_buf_str(&b), b.len, max);
	if (!b.len)
		snprintf(out, out_len, "(empty body)");
	else
		snprintf(out, out_len, "%.*s%s", (int)cut, mn_buf_str(&b),
			 cut < b.len || used < len ? "..." : "");
	mn_buf_release(&b);
	json_decref(root);
}

/* Transport errors worth another attempt: the server was not there, went
 * away or broke the connection. Timeouts are not retried (a slow model
 * stays slow); TLS verification and URL errors never heal. */
static bool transient_curl_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool transient_status(long status)
{
	return status == 408 || status == 429 || status >= 500;
}

/* Run the prepared POST until it succeeds with a 2xx status or retries run
 * out. The body of the last attempt is in c->body. */
static int perform(struct mn_llm *c, struct mn_err *err)
{
	struct mn_buf what = MN_BUF_INIT;
	int ret;

	for (int attempt = 0;; attempt++) {
		CURLcode rc;
		long status = 0;
		curl_off_t retry_after = 0;
		bool transient;
		long wait_ms;

		mn_buf_reset(&c->body);
		mn_buf_reset(&what);
		c->errbuf[0] = '\0';
		rc = curl_easy_perform(c->curl);
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_OK && status >= 200 && status < 300) {
			ret = 0;
			goto out;
		}

		if (rc == CURLE_OPERATION_TIMEDOUT) {
			ret = mn_err_set(err, MN_ETIMEOUT, "request to '%s' timed out after %ld ms",
					 c->shown_url, c->timeout_ms);
			goto out;
		}
		if ((rc == CURLE_WRITE_ERROR && c->body.failed) || rc == CURLE_FILESIZE_EXCEEDED) {
			ret = mn_err_set(err, MN_EHTTP, "response from '%s' larger than %zu bytes",
					 c->shown_url, c->max_response_bytes);
			goto out;
		}
		if (rc != CURLE_OK) {
			transient = transient_curl_error(rc);
			mn_buf_addf(&what, "could not reach '%s': %s", c->shown_url,
				    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		} else {
			char snippet[LLM_SNIPPET_BYTES + 8];

			transient = transient_status(status);
			body_snippet(snippet, sizeof(snippet), c);
			mn_buf_addf(&what, "HTTP %ld from '%s': %s", status, c->shown_url, snippet);
		}
		if (!transient || attempt >= c->max_retries) {
			if (attempt > 0)
				mn_buf_addf(&what, " (%d attempts)", attempt + 1);
			ret = mn_err_set(err, MN_EHTTP, "%s", mn_buf_str(&what));
			goto out;
		}

		wait_ms = c->backoff_ms;
		for (int i = 0; i < attempt && wait_ms < LLM_MAX_BACKOFF_MS; i++)
			wait_ms *= 2;
		if (wait_ms > LLM_MAX_BACKOFF_MS)
			wait_ms = LLM_MAX_BACKOFF_MS;
		if (rc == CURLE_OK)
			curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &retry_after);
		if (retry_after > 0)
			wait_ms = 1000L * (retry_after < c->max_retry_after_s
						   ? (long)retry_after
						   : (long)c->max_retry_after_s);
		mn_warn("llm", "%s; retry %d of %d in %ld ms", mn_buf_str(&what), attempt + 1,
			c->max_retries, wait_ms);
		mn_time_sleep_ms(wait_ms);
	}
out:
	mn_buf_release(&what);
	return ret;
}

static json_t *build_request(const struct mn_llm *c, const char *system, const char *user,
			     const json_t *schema, struct mn_err *err)
{
	json_t *req = json_object();
	json_t *msgs = json_array();
	json_t *s;

	json_object_set_new(req, "messages", msgs);
	if (system) {
		s = json_string(system);
		if (!s)
			goto bad_utf8;
		json_array_append_new(msgs,
				      json_pack("{s:s, s:o}", "role", "system", "content", s));
	}
	s = json_string(user);
	if (!s)
		goto bad_utf8;
	json_array_append_new(msgs, json_pack("{s:s, s:o}", "role", "user", "content", s));
	if (c->model)
		json_object_set_new(req, "model", json_string(c->model));
	json_object_set_new(req, "temperature", json_real(0.0));
	json_object_set_new(req, "stream", json_false());
	if (schema)
		json_object_set_new(req, "response_format",
				    json_pack("{s:s, s:{s:s, s:b, s:o}}", "type", "json_schema",
					      "json_schema", "name", LLM_SCHEMA_NAME, "strict", 1,
					      "schema", json_deep_copy(schema)));
	return req;
bad_utf8:
	json_decref(req);
	mn_err_set(err, MN_EINVAL, "llm prompt is not valid UTF-8");
	return NULL;
}

/* Put choices[0].message.content of the reply in c->body into out. */
static int parse_completion(struct mn_llm *c, struct mn_buf *out, struct mn_err *err)
{
	struct mn_err perr = MN_ERR_INIT;
	json_t *root = mn_json_parse(mn_buf_str(&c->body), c->body.len, &perr);
	const json_t *msg, *content, *finish;
	char snippet[LLM_SNIPPET_BYTES + 8];
	int ret = MN_EPARSE;

	if (!root) {
		body_snippet(snippet, sizeof(snippet), c);
		mn_err_set(err, MN_EPARSE, "reply from '%s' is not JSON (%s): %s", c->shown_url,
			   perr.msg, snippet);
		goto out;
	}
	if (json_object_get(root, "error") && !json_is_null(json_object_get(root, "error"))) {
		body_snippet(snippet, sizeof(snippet), c);
		ret = mn_err_set(err, MN_EHTTP, "'%s' answered with an error: %s", c->shown_url,
				 snippet);
		goto out;
	}
	msg = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message");
	if (!json_is_object(msg)) {
		mn_err_set(err, MN_EPARSE, "reply from '%s' is not a chat completion",
			   c->shown_url);
		goto out;
	}
	content = json_object_get(msg, "content");
	mn_buf_reset(out);
	if (json_is_string(content)) {
		mn_buf_add(out, json_string_value(content), json_string_length(content));
	} else if (json_is_array(content)) {
		/* content parts: [{"type":"text","text":"..."}, ...] */
		for (size_t i = 0; i < json_array_size(content); i++) {
			const json_t *t = json_object_get(json_array_get(content, i), "text");

			if (json_is_string(t))
				mn_buf_add(out, json_string_value(t), json_string_length(t));
		}
	} else {
		const char *refusal = mn_json_str(msg, "refusal", NULL);

		mn_err_set(err, MN_EPARSE, "reply from '%s' has no message content%s%.100s",
			   c->shown_url, refusal ? "; refusal: " : "", refusal ? refusal : "");
		goto out;
	}
	if (out->failed) {
		mn_err_set(err, MN_EPARSE, "reply from '%s' is longer than the caller's buffer",
			   c->shown_url);
		goto out;
	}
	finish = json_object_get(json_array_get(json_object_get(root, "choices"), 0),
				 "finish_reason");
	if (json_is_string(finish) && !strcmp(json_string_value(finish), "length"))
		mn_warn("llm", "reply from '%s' was cut at the model's token limit", c->shown_url);
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int mn_llm_chat(struct mn_llm *c, struct mn_buf *out_text, const char *system, const char *user,
		const json_t *schema, struct mn_err *err)
{
	json_t *req = NULL;
	char *body = NULL;
	int64_t t0 = mn_time_mono_ms();
	size_t body_len;
	int ret;

	req = build_request(c, system, user, schema, err);
	if (!req) {
		ret = MN_EINVAL;
		goto out;
	}
	body = mn_json_dumps(req);
	body_len = strlen(body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	mn_debug("llm", "POST '%s': model '%s', %zu bytes, %s", c->shown_url,
		 c->model ? c->model : "(none)", body_len, schema ? "json_schema" : "free text");
	ret = perform(c, err);
	if (ret)
		goto out;
	ret = parse_completion(c, out_text, err);
	if (ret)
		goto out;
	mn_debug("llm", "reply from '%s': %zu bytes of text in %lld ms", c->shown_url,
		 out_text->len, (long long)(mn_time_mono_ms() - t0));
out:
	/* the handle must not keep a pointer to the freed body */
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
	free(body);
	json_decref(req);
	return ret;
}

const char *mn_llm_shown_url(const struct mn_llm *c)
{
	return c->shown_url;
}

int mn_llm_post_json(struct mn_llm *c, json_t **out, const json_t *req, struct mn_err *err)
{
	struct mn_err perr = MN_ERR_INIT;
	char snippet[LLM_SNIPPET_BYTES + 8];
	char *body = mn_json_dumps(req);
	size_t body_len = strlen(body);
	json_t *root = NULL;
	int ret;

	*out = NULL;
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	mn_debug("llm", "POST '%s': %zu bytes", c->shown_url, body_len);
	ret = perform(c, err);
	if (ret)
		goto out;
	root = mn_json_parse(mn_buf_str(&c->body), c->body.len, &perr);
	if (!root) {
		body_snippet(snippet, sizeof(snippet), c);
		ret = mn_err_set(err, MN_EPARSE, "reply from '%s' is not JSON (%s): %s",
				 c->shown_url, perr.msg, snippet);
		goto out;
	}
	if (json_object_get(root, "error") && !json_is_null(json_object_get(root, "error"))) {
		body_snippet(snippet, sizeof(snippet), c);
		ret = mn_err_set(err, MN_EHTTP, "'%s' answered with an error: %s", c->shown_url,
				 snippet);
		goto out;
	}
	*out = root;
	root = NULL;
out:
	/* the handle must not keep a pointer to the freed body */
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
	json_decref(root);
	free(body);
	return ret;
}

/* True when obj lists more concepts, or more entries in a
 * structured_concepts list, than an encoding keeps (limits.h). */
static bool over_caps(const json_t *obj)
{
	static const char *const lists[] = { "topics", "entities", "actions", "causality" };
	const json_t *sc = json_object_get(obj, "structured_concepts");

	if (json_array_size(json_object_get(obj, "concepts")) > MN_LIMIT_ENCODING_CONCEPTS)
		return true;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (json_array_size(json_object_get(sc, lists[i])) > MN_LIMIT_ENCODING_LIST_ITEMS)
			return true;
	return false;
}

int mn_llm_encode(struct mn_llm *c, json_t **out_enc, char **out_raw_text, const char *content,
		  size_t len, const char *source, const char *type, size_t max_chars,
		  struct mn_err *err)
{
	return mn_llm_encode_at(c, out_enc, out_raw_text, content, len, source, type, NULL,
				max_chars, err);
}

int mn_llm_encode_at(struct mn_llm *c, json_t **out_enc, char **out_raw_text,
		     const char *content, size_t len, const char *source, const char *type,
		     const char *when, size_t max_chars, struct mn_err *err)
{
	struct mn_buf text = MN_BUF_INIT;
	struct mn_err xerr = MN_ERR_INIT;
	json_t *schema = NULL, *obj = NULL, *enc = NULL;
	char *prompt = NULL;
	int ret;

	*out_enc = NULL;
	if (out_raw_text)
		*out_raw_text = NULL;
	prompt = mn_prompt_build_at(content, len, source, type, when,
				 max_chars ? max_chars : MN_PROMPT_MAX_INPUT_DEFAULT);
	if (!prompt) {
		ret = mn_err_set(err, MN_EINVAL, "could not build the encoding prompt");
		goto out;
	}
	schema = mn_encoding_json_schema();
	/* a second chance for a reply that was cut or garbled; an HTTP failure
	 * has already had its retries inside mn_llm_chat */
	for (int attempt = 0; attempt < 2 && !obj; attempt++) {
		ret = mn_llm_chat(c, &text, mn_prompt_system(), prompt, schema, err);
		if (ret)
			goto out;
		mn_err_clear(&xerr);
		obj = mn_encoding_extract(mn_buf_str(&text), text.len, &xerr);
		if (!obj)
			mn_warn("llm", "reply from '%s' holds no valid JSON object (%s)%s",
				c->shown_url, xerr.msg, attempt ? "" : "; asking again");
	}
	if (!obj) {
		ret = mn_err_set(err, MN_EPARSE, "reply from '%s' holds no valid JSON object: %s",
				 c->shown_url, xerr.msg);
		goto out;
	}
	if (over_caps(obj))
		mn_warn("llm",
			"reply from '%s' lists more than %d concepts or more than %d entries in "
			"a structured_concepts list; the rest are dropped",
			c->shown_url, MN_LIMIT_ENCODING_CONCEPTS, MN_LIMIT_ENCODING_LIST_ITEMS);
	enc = mn_encoding_normalize(obj);
	if (!enc) {
		ret = mn_err_set(err, MN_EPARSE, "reply from '%s' is not an encoding object",
				 c->shown_url);
		goto out;
	}
	*out_enc = enc;
	if (out_raw_text)
		*out_raw_text = mn_buf_detach(&text, NULL);
	ret = 0;
out:
	json_decref(obj);
	json_decref(schema);
	free(prompt);
	mn_buf_release(&text);
	return ret;
}

int mn_llm_wait_ready(const char *endpoint, int timeout_s, struct mn_err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	char last[200] = "no attempt";
	CURL *curl = NULL;
	char *url = NULL, *shown = NULL;
	int64_t start = mn_time_mono_ms();
	int64_t deadline = start + 1000LL * (timeout_s > 0 ? timeout_s : 0);
	int ret;

	if (!endpoint || !is_http_url(endpoint))
		return mn_err_set(err, MN_EINVAL, "llm endpoint '%s' is not an http(s) URL",
				  endpoint ? endpoint : "");
	ret = global_init(err);
	if (ret)
		return ret;
	url = models_url(endpoint);
	shown = shown_url(url);
	curl = curl_easy_init();
	if (!curl) {
		ret = mn_err_set(err, MN_EFAIL, "could not create a curl handle");
		goto out;
	}
	setopt_common(curl, errbuf, LLM_READY_PROBE_MS);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body_discard);
	for (;;) {
		int64_t left = deadline - mn_time_mono_ms();
		long probe_ms = left < LLM_READY_PROBE_MS ? (long)left : LLM_READY_PROBE_MS;
		long status = 0;
		CURLcode rc;

		if (probe_ms < 100)
			probe_ms = 100;
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, probe_ms);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, probe_ms);
		errbuf[0] = '\0';
		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_OK && status == 200) {
			mn_debug("llm", "'%s' ready after %lld ms", shown,
				 (long long)(mn_time_mono_ms() - start));
			ret = 0;
			goto out;
		}
		if (rc != CURLE_OK)
			snprintf(last, sizeof(last), "%.150s",
				 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		else
			snprintf(last, sizeof(last), "HTTP %ld", status);
		left = deadline - mn_time_mono_ms();
		if (left <= 0) {
			ret = mn_err_set(err, MN_ETIMEOUT, "'%s' not ready after %d s: %s", shown,
					 timeout_s, last);
			goto out;
		}
		mn_time_sleep_ms(left < LLM_READY_POLL_MS ? left : LLM_READY_POLL_MS);
	}
out:
	if (curl)
		curl_easy_cleanup(curl);
	free(url);
	free(shown);
	return ret;
}
