/*
 * mem.h - allocation that aborts on out-of-memory.
 *
 * Internal allocations use these; sizes that come from outside must be
 * checked against a limit in limits.h first.
 */
#ifndef MN_MEM_H
#define MN_MEM_H

#include <stddef.h>

void *mn_xmalloc(size_t n);
void *mn_xcalloc(size_t count, size_t size);
void *mn_xrealloc(void *p, size_t n);
/* Grow an array of elem-byte items so it holds at least need: p as is
 * when *cap >= need, else reallocated to a capacity that doubles from 16
 * (stored in *cap). Aborts on out-of-memory or overflow. */
void *mn_xgrow(void *p, size_t *cap, size_t need, size_t elem);
char *mn_xstrdup(const char *s);
char *mn_xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; caller frees. */
char *mn_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
