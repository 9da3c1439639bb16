/*
 * mcp.h - the MCP server (DESIGN §9): JSON-RPC 2.0 over stdio, one message
 * per line, for agents (Claude Code and any other MCP client); the same
 * handler serves Streamable HTTP (serve/mcp_http.h).
 *
 * The core is a pure message handler so it can be tested and fuzzed
 * without pipes: one request line in, zero or one response line out. Every
 * tool calls the same functions as the CLI (mn_app_*, mn_store_*,
 * mn_train_*); nothing is implemented twice.
 *
 * Calling sequence:
 *   m = mn_mcp_new(&app);
 *   mn_mcp_handle(m, line, len, &out) for each line, or
 *   mn_mcp_serve(m, in_fd, out_fd, &stop, mask, &err) for a whole stream;
 *   mn_mcp_free(m);
 * One server per thread; the app must outlive it.
 */
#ifndef MN_MCP_H
#define MN_MCP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/app.h"
#include "base/buf.h"
#include "base/err.h"
#include "mcp/mcp_tools.h"

/* The newest protocol revision the server speaks, answered when the
 * client asks for one it does not know. It also speaks 2025-06-18,
 * 2025-03-26 (the only one with JSON-RPC batches) and 2024-11-05. */
#define MN_MCP_PROTOCOL_LATEST "2025-11-25"

/* Messages in one JSON-RPC batch (2025-03-26). The tools' own limits
 * (MN_MCP_LABEL_MAX, ...) and the JSON-RPC error codes (MN_MCP_PARSE_ERROR,
 * ...) are in mcp/mcp_tools.h. */
#define MN_MCP_BATCH_MAX 100

struct mn_mcp;

/* New server over a borrowed, open app. Never NULL (aborts on OOM). */
struct mn_mcp *mn_mcp_new(struct mn_ctx *a);
void mn_mcp_free(struct mn_mcp *m);

/* Handle one message (the bytes of one line, without or with its trailing
 * newline; any bytes, NULs and invalid UTF-8 included). Appends zero
 * responses (notifications, client responses, blank lines) or exactly one
 * compact JSON-RPC response followed by '\n' to out. Never fails: faults
 * become JSON-RPC errors, tool failures isError results. */
void mn_mcp_handle(struct mn_mcp *m, const char *line, size_t len, struct mn_buf *out);

/* The same for a transport that runs many requests at once (HTTP): the
 * message is handled on a (the calling thread's own context and store
 * connection) instead of the one given to mn_mcp_new. Several threads may
 * call this on one server at once, except for "initialize", which sets the
 * session's protocol revision: send that on a server no other thread uses
 * yet. mn_mcp_handle(m, ...) is mn_mcp_handle_on(m, <its app>, ...). */
void mn_mcp_handle_on(struct mn_mcp *m, struct mn_ctx *a, const char *line, size_t len,
		      struct mn_buf *out);

/* Whether version is a protocol revision the server speaks. */
bool mn_mcp_protocol_known(const char *version);
/* The revision negotiated at initialize (MN_MCP_PROTOCOL_LATEST before);
 * borrowed, lives as long as m. */
const char *mn_mcp_protocol(const struct mn_mcp *m);

/* Append the answer to a message that was over the size limit (it was
 * skipped, not parsed): an Invalid Request error with id null. */
void mn_mcp_oversized(struct mn_mcp *m, size_t len, struct mn_buf *out);

/* Read newline-delimited messages from in_fd until EOF or *stop, answer
 * each on out_fd (one write per response). Lines longer than the message
 * limit are skipped as they stream in, never held whole. wait_mask, when
 * not NULL, is the signal mask installed while waiting for input (so a
 * blocked SIGTERM is delivered only there, without a race). Returns 0 on
 * EOF, stop, or a closed out_fd; MN_EIO when reading fails. */
int mn_mcp_serve(struct mn_mcp *m, int in_fd, int out_fd, volatile sig_atomic_t *stop,
		 const sigset_t *wait_mask, struct mn_err *err);

/* Change the message size limit (default MN_LIMIT_MCP_MESSAGE_BYTES); for
 * tests. */
void mn_mcp_set_message_limit(struct mn_mcp *m, size_t limit);

#endif
