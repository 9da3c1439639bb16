/*
 * testutil.h - shared helpers for cmocka unit tests: a fresh temporary
 * directory per test and file helpers. Include after cmocka.h.
 */
#ifndef MN_TESTUTIL_H
#define MN_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/err.h"
#include "base/file.h"

/* mkdtemp under $TMPDIR; returns heap path. */
static inline char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (!base || !*base)
		base = "/tmp";
	size_t n = strlen(base) + 32;

	p = malloc(n);
	if (!p)
		return NULL;
	snprintf(p, n, "%s/mnemo-test-XXXXXX", base);
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static inline void tu_rmtree(char *path)
{
	struct mn_err err = MN_ERR_INIT;

	if (path)
		mn_file_remove_tree(path, &err);
	free(path);
}

static inline void tu_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Path of the repository root (compiled in) joined with rel; heap. */
static inline char *tu_src_path(const char *rel)
{
	size_t n = strlen(MN_SRCDIR) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", MN_SRCDIR, rel);
	return p;
}

#endif
