#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void mn_buf_init(struct mn_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
	b->failed = false;
}

void mn_buf_release(struct mn_buf *b)
{
	if (!b)
		return;
	free(b->data);
	mn_buf_init(b, b->cap);
}

char *mn_buf_detach(struct mn_buf *b, size_t *len_out)
{
	char *p;

	if (!b->data)
		b->data = mn_xstrdup("");
	p = b->data;
	if (len_out)
		*len_out = b->len;
	mn_buf_init(b, b->cap);
	return p;
}

void mn_buf_reset(struct mn_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

static bool grow(struct mn_buf *b, size_t extra)
{
	size_t need;

	if (b->failed)
		return false;
	if (extra > SIZE_MAX - b->len - 1 || (b->cap && b->len + extra > b->cap)) {
		b->failed = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need > b->alloc) {
		size_t n = b->alloc ? b->alloc : 64;

		while (n < need)
			n = n > SIZE_MAX / 2 ? need : n * 2;
		b->data = mn_xrealloc(b->data, n);
		b->alloc = n;
	}
	return true;
}

void mn_buf_add(struct mn_buf *b, const void *data, size_t len)
{
	if (!grow(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void mn_buf_adds(struct mn_buf *b, const char *s)
{
	mn_buf_add(b, s, strlen(s));
}

void mn_buf_addc(struct mn_buf *b, char c)
{
	mn_buf_add(b, &c, 1);
}

void mn_buf_vaddf(struct mn_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void mn_buf_addf(struct mn_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mn_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

const char *mn_buf_str(const struct mn_buf *b)
{
	return b->data ? b->data : "";
}
