#include "base/mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t n)
{
	fprintf(stderr, "mnemo: out of memory allocating %zu bytes\n", n);
	abort();
}

void *mn_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die_oom(n);
	return p;
}

void *mn_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		die_oom(count * size);
	return p;
}

void *mn_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die_oom(n);
	return q;
}

void *mn_xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n, bytes;

	if (need <= *cap)
		return p;
	n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			die_oom(SIZE_MAX);
		n *= 2;
	}
	if (__builtin_mul_overflow(n, elem, &bytes))
		die_oom(SIZE_MAX);
	*cap = n;
	return mn_xrealloc(p, bytes);
}

char *mn_xstrdup(const char *s)
{
	return mn_xstrndup(s, strlen(s));
}

char *mn_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = mn_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *mn_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom(0);
	p = mn_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
