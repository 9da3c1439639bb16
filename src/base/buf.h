/*
 * buf.h - growable, always NUL-terminated, binary-safe byte buffer.
 *
 * Appends are chained and checked once: when a cap is set and an append
 * would exceed it, the buffer becomes failed (sticky) and later appends are
 * ignored. Lifecycle: MN_BUF_INIT / mn_buf_init, appends, mn_buf_release or
 * mn_buf_detach.
 */
#ifndef MN_BUF_H
#define MN_BUF_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

struct mn_buf {
	char *data;  /* never NULL after the first append; "" when empty */
	size_t len;
	size_t alloc;
	size_t cap;  /* 0 = unlimited */
	bool failed; /* an append exceeded cap */
};

#define MN_BUF_INIT { NULL, 0, 0, 0, false }

void mn_buf_init(struct mn_buf *b, size_t cap);
void mn_buf_release(struct mn_buf *b);
/* Hand the storage to the caller (free() it); the buffer is reset. */
char *mn_buf_detach(struct mn_buf *b, size_t *len_out);
void mn_buf_reset(struct mn_buf *b);
void mn_buf_add(struct mn_buf *b, const void *data, size_t len);
void mn_buf_adds(struct mn_buf *b, const char *s);
void mn_buf_addc(struct mn_buf *b, char c);
void mn_buf_addf(struct mn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mn_buf_vaddf(struct mn_buf *b, const char *fmt, va_list ap);
/* Borrowed C string of the contents, valid until the next change. */
const char *mn_buf_str(const struct mn_buf *b);

#endif
