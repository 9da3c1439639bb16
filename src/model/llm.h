/*
 * llm.h - OpenAI-compatible chat-completions client over libcurl (student,
 * teacher and external-candidate evaluation all use it).
 *
 * Calling sequence: mn_llm_new(&c, &opts, &err); mn_llm_encode(...) any
 * number of times (the curl handle is reused, so connections are kept
 * alive); mn_llm_free(c). One client per thread.
 *
 * Behaviour: per-request timeout; retries with exponential backoff on
 * connection errors, 429 and 5xx, honouring Retry-After (seconds) up to
 * the request timeout; the response body is capped at
 * MN_LIMIT_HTTP_RESPONSE_BYTES; the API key is sent as "Authorization:
 * Bearer" and never logged.
 */
#ifndef MN_LLM_H
#define MN_LLM_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct mn_llm;

/* Fields left 0 take the default in brackets; max_retries < 0 means no
 * retries. A NULL or empty model leaves "model" out of the request
 * (llama-server ignores it). */
struct mn_llm_opts {
	const char *endpoint;   /* base URL ending in /v1 (".../chat/completions" is appended
				 * unless the URL already ends with it) */
	const char *model;
	const char *api_key;    /* may be NULL */
	int timeout_s;          /* [120] whole request; the connect phase gets at most 10 s */
	long timeout_ms;        /* [0 = timeout_s] the same in milliseconds, when set */
	const char *path;       /* ["/chat/completions"] the API path appended to the
				 * endpoint ("/embeddings" for src/model/embed.c) */
	int max_retries;        /* [2] extra attempts after the first */
	int backoff_ms;         /* [500] first backoff, doubled each retry */
	int max_retry_after_s;  /* [timeout_s] cap on honoured Retry-After; never
				 * more than timeout_s */
	size_t max_response_bytes; /* [MN_LIMIT_HTTP_RESPONSE_BYTES] */
};

/* Create a client. MN_EINVAL for an endpoint that is not http(s) or a key
 * with control characters (trailing whitespace is dropped). The options'
 * strings are copied. Thread-safe; the client itself belongs to one thread. */
int mn_llm_new(struct mn_llm **out, const struct mn_llm_opts *opts, struct mn_err *err);
/* Free a client (NULL is fine); the key is wiped from memory. */
void mn_llm_free(struct mn_llm *c);
/* Send system + user messages with response_format = json_schema `schema`
 * (may be NULL: then no response_format) and temperature 0; put the
 * assistant message text into out_text (reset first). system may be NULL.
 * MN_EHTTP on transport/HTTP failure after retries (message: status, URL
 * and a short excerpt of the body, key redacted) or a body over
 * max_response_bytes ("response ... larger than N bytes", not retried),
 * MN_ETIMEOUT on timeout (not retried), MN_EPARSE when the reply is not a
 * chat completion, MN_EINVAL when a prompt is not valid UTF-8. */
int mn_llm_chat(struct mn_llm *c, struct mn_buf *out_text, const char *system, const char *user,
		const json_t *schema, struct mn_err *err);
/* The transport under mn_llm_chat, for other OpenAI-style APIs on the
 * same client (embed.c): POST req (compact JSON) to the client's URL with
 * the same retries, caps and errors as mn_llm_chat, and parse the reply:
 * *out is a new reference to the reply object. A reply that is not JSON
 * is MN_EPARSE; one with a non-null "error" member is MN_EHTTP. */
int mn_llm_post_json(struct mn_llm *c, json_t **out, const json_t *req, struct mn_err *err);
/* The URL requests go to, without credentials or query (for messages);
 * borrowed for the client's lifetime. */
const char *mn_llm_shown_url(const struct mn_llm *c);
/* Full encoding call: builds the production prompt, chats, extracts and
 * normalises the JSON object. On success *out_enc is a new reference,
 * *out_raw_text (heap, may be NULL) the exact model text. One retry when
 * the reply holds no JSON object that parses (mn_encoding_extract); then
 * MN_EPARSE, and the caller falls back as for any failure. The object is
 * normalised (concepts and structured lists capped, see limits.h) but not
 * checked: the caller runs mn_encoding_check. max_chars 0 means
 * MN_PROMPT_MAX_INPUT_DEFAULT. On failure *out_enc and *out_raw_text are
 * NULL. */
/* mn_llm_encode with the time the observation happened (may be NULL), for
 * the prompt (mn_prompt_build_at). */
int mn_llm_encode_at(struct mn_llm *c, json_t **out_enc, char **out_raw_text,
		     const char *content, size_t len, const char *source, const char *type,
		     const char *when, size_t max_chars, struct mn_err *err);
int mn_llm_encode(struct mn_llm *c, json_t **out_enc, char **out_raw_text, const char *content,
		  size_t len, const char *source, const char *type, size_t max_chars,
		  struct mn_err *err);
/* Wait until GET <endpoint>/models answers 200 or timeout (serve-command
 * readiness): polls every 250 ms; MN_ETIMEOUT names the last failure. */
int mn_llm_wait_ready(const char *endpoint, int timeout_s, struct mn_err *err);
/* Release libcurl's global state (curl_global_cleanup). Call once at
 * process exit, after every client is freed and no other thread uses this
 * module; no client can be created afterwards. */
void mn_llm_global_cleanup(void);

#endif
