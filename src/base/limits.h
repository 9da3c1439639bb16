/*
 * limits.h - named limits for every size that comes from outside.
 *
 * Anything read from a client, a config file, the network or a child
 * process is checked against one of these before it reaches an allocator.
 */
#ifndef MN_LIMITS_H
#define MN_LIMITS_H

#define MN_LIMIT_TEXT_BYTES_DEFAULT (1024 * 1024)   /* encoding.max_text_bytes */
#define MN_LIMIT_TEXT_BYTES_MAX (64 * 1024 * 1024)  /* hard ceiling for the key */
#define MN_LIMIT_CONFIG_BYTES (1024 * 1024)         /* config.yaml */
#define MN_LIMIT_JSON_FILE_BYTES (64 * 1024 * 1024) /* json / jsonl files we read */
#define MN_LIMIT_HTTP_RESPONSE_BYTES (4 * 1024 * 1024)
#define MN_LIMIT_CHILD_OUTPUT_BYTES (1024 * 1024)   /* per stream, kept in memory */
#define MN_LIMIT_MCP_MESSAGE_BYTES (4 * 1024 * 1024)
#define MN_LIMIT_MODEL_FILE_BYTES (256 * 1024 * 1024)
#define MN_LIMIT_QUERY_BYTES 4096
/* The HTTP server (serve/, docs/http.md). */
#define MN_LIMIT_HTTP_BODY_BYTES (4 * 1024 * 1024)  /* one request body */
#define MN_LIMIT_HTTP_HEADER_BYTES (64 * 1024)      /* request line + headers */
#define MN_LIMIT_HTTP_CONNECTIONS 256
#define MN_LIMIT_HTTP_SESSIONS 256                  /* MCP sessions */
#define MN_LIMIT_HTTP_TOKEN_BYTES 512               /* the bearer token file */
#define MN_LIMIT_RECALL_MAX 100
#define MN_LIMIT_ARGV 64
#define MN_LIMIT_COPY_BYTES (1024L * 1024 * 1024) /* one file in a copied model dir */
/* One encoding (DESIGN §4) keeps at most this many concepts, and at most
 * this many entries in each structured_concepts list (topics, entities,
 * actions, causality); normalisation drops the rest. The builtin student
 * writes far fewer; the cap bounds what a model's reply can cost. */
#define MN_LIMIT_ENCODING_CONCEPTS 64
#define MN_LIMIT_ENCODING_LIST_ITEMS 64

#endif
