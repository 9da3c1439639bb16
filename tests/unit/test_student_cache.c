/*
 * test_student_cache.c - the builtin student's verified-digest cache
 * (docs/model-format.md, "Checksum"): a process whose model.bin has the
 * identity of an earlier full verification does not hash it again; a file
 * written in place (even with its mtime set back), replaced, or a damaged
 * entry means hashing again, so a corrupt model is still refused. Also: a
 * non-finite weight is refused with a valid checksum.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "testutil.h"

#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/sha256.h"
#include "model/student.h"

#define path_join(a, b) mn_xasprintf("%s/%s", (a), (b))

static void read_all(struct mn_buf *out, const char *path)
{
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_file_read(out, path, 1 << 28, &err), 0);
}

/* Write a new file at path (temp + rename: a new inode, as a deploy). */
static void replace_file(const char *path, const void *data, size_t len)
{
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_file_write_atomic(path, data, len, 0644, &err), 0);
}

/* Overwrite len bytes at off in place (same inode, same size). */
static void write_in_place(const char *path, size_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void counts(unsigned long *hashed, unsigned long *cached)
{
	mn_student_digest_counts(hashed, cached);
}

/* Load dir with the cache of home; returns the result, *from_cache says
 * whether the digest came from the cache. */
static int load(const char *dir, const char *home, bool *from_cache, char *version,
		struct mn_err *err)
{
	struct mn_student *s = NULL;
	unsigned long h0, c0, h1, c1;
	int ret;

	counts(&h0, &c0);
	ret = mn_student_load_cached(&s, dir, home, err);
	counts(&h1, &c1);
	assert_int_equal((h1 - h0) + (c1 - c0), 1);
	if (from_cache)
		*from_cache = c1 > c0;
	if (version)
		snprintf(version, 32, "%s", s ? mn_student_version(s) : "");
	mn_student_free(s);
	return ret;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static size_t cache_entries(const char *home)
{
	char *dir = path_join(home, "cache/student-digest");
	size_t n = 0;
	char cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -1 '%s' 2>/dev/null", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(cmd, sizeof(cmd), f))
		n++;
	pclose(f);
	free(dir);
	return n;
}

/* Poll until a load of dir records its digest (the file has settled for
 * the cache's few seconds); generous timeout. */
static void wait_until_cached(const char *dir, const char *home)
{
	struct mn_err err = MN_ERR_INIT;
	time_t deadline = time(NULL) + 60;
	bool hit = false;

	while (cache_entries(home) == 0) {
		assert_true(time(NULL) < deadline);
		sleep_ms(200);
		assert_int_equal(load(dir, home, &hit, NULL, &err), 0);
		assert_false(hit);
	}
}

static void test_cache_is_used_and_never_hides_a_corrupt_model(void **state)
{
	char *root = tu_tmpdir(), *home = path_join(root, "home"), *dir = path_join(root, "m");
	char *model = path_join(dir, "model.bin"), *src = tu_src_path("data/default-model/model.bin");
	struct mn_buf good = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct mn_student *full = NULL;
	char version[32], full_version[32];
	struct stat st;
	bool hit = true;

	(void)state;
	assert_int_equal(mkdir(home, 0700), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	read_all(&good, src);
	replace_file(model, good.data, good.len);
	assert_int_equal(mn_student_load(&full, dir, &err), 0);
	snprintf(full_version, sizeof(full_version), "%s", mn_student_version(full));
	mn_student_free(full);

	/* a file changed a moment ago is hashed and not recorded yet */
	assert_int_equal(load(dir, home, &hit, version, &err), 0);
	assert_false(hit);
	assert_string_equal(version, full_version);
	assert_int_equal(cache_entries(home), 0);

	/* once settled, one full verification is recorded, then used */
	wait_until_cached(dir, home);
	assert_int_equal(load(dir, home, &hit, version, &err), 0);
	assert_true(hit);
	assert_string_equal(version, full_version);
	assert_int_equal(load(dir, home, &hit, version, &err), 0);
	assert_true(hit);

	/* without a home (what training and evaluation use) it always hashes */
	assert_int_equal(load(dir, NULL, &hit, NULL, &err), 0);
	assert_false(hit);

	/* garbage written in place with the mtime set back to what it was:
	 * the ctime still moves, so the file is hashed and refused */
	assert_int_equal(stat(model, &st), 0);
	{
		static const char junk[] = "half-written garbage half-written garbage";
		struct timespec times[2] = { st.st_atim, st.st_mtim };

		write_in_place(model, good.len / 2, junk, sizeof(junk));
		assert_int_equal(utimensat(AT_FDCWD, model, times, 0), 0);
		assert_int_equal(load(dir, home, &hit, NULL, &err), MN_EINVAL);
		assert_false(hit);
		assert_non_null(strstr(err.msg, "checksum mismatch"));
		/* and refused every time, never recorded */
		assert_int_equal(load(dir, home, &hit, NULL, &err), MN_EINVAL);
		assert_false(hit);
	}

	/* a truncated copy put in place (a new inode, as a half-done deploy) */
	replace_file(model, good.data, good.len - 1000);
	assert_int_equal(load(dir, home, &hit, NULL, &err), MN_EINVAL);
	assert_false(hit);

	/* the good bytes back (another new inode): hashed, loads */
	replace_file(model, good.data, good.len);
	assert_int_equal(load(dir, home, &hit, version, &err), 0);
	assert_false(hit);
	assert_string_equal(version, full_version);

	mn_buf_release(&good);
	free(src);
	free(model);
	free(dir);
	free(home);
	tu_rmtree(root);
}

/* A damaged or forged entry is never trusted over the file. */
static void test_damaged_entry_means_hashing(void **state)
{
	char *root = tu_tmpdir(), *home = path_join(root, "home"), *dir = path_join(root, "m");
	char *model = path_join(dir, "model.bin"), *src = tu_src_path("data/default-model/model.bin");
	char *cdir = path_join(home, "cache/student-digest");
	struct mn_buf good = MN_BUF_INIT, entry = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	char *epath = NULL, name[256];
	bool hit = false;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir(home, 0700), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	read_all(&good, src);
	replace_file(model, good.data, good.len);
	wait_until_cached(dir, home);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "ls -1 '%s'", cdir);
		f = popen(cmd, "r");
		assert_non_null(f);
		assert_non_null(fgets(name, sizeof(name), f));
		pclose(f);
		name[strcspn(name, "\n")] = '\0';
		epath = path_join(cdir, name);
	}
	read_all(&entry, epath);
	assert_non_null(strstr(entry.data, "mnemo-student-digest 1\n"));
	assert_int_equal(load(dir, home, &hit, NULL, &err), 0);
	assert_true(hit);

	/* the checksum line no longer the one the file carries */
	{
		struct mn_buf forged = MN_BUF_INIT;
		char *c;

		mn_buf_add(&forged, entry.data, entry.len);
		c = strstr(forged.data, "checksum ");
		assert_non_null(c);
		c[9] = c[9] == '0' ? '1' : '0';
		replace_file(epath, forged.data, forged.len);
		mn_buf_release(&forged);
	}
	assert_int_equal(load(dir, home, &hit, NULL, &err), 0);
	assert_false(hit);

	/* cut short, empty, or garbage: hashed, and loads */
	replace_file(epath, entry.data, entry.len / 2);
	assert_int_equal(load(dir, home, &hit, NULL, &err), 0);
	assert_false(hit);
	replace_file(epath, "", 0);
	assert_int_equal(load(dir, home, &hit, NULL, &err), 0);
	assert_false(hit);
	replace_file(epath, "mnemo-student-digest 1\nnonsense\n", 32);
	assert_int_equal(load(dir, home, &hit, NULL, &err), 0);
	assert_false(hit);

	/* the hashing load rewrote the entry: used again */
	assert_int_equal(load(dir, home, &hit, NULL, &err), 0);
	assert_true(hit);

	mn_buf_release(&good);
	mn_buf_release(&entry);
	free(epath);
	free(cdir);
	free(src);
	free(model);
	free(dir);
	free(home);
	tu_rmtree(root);
}

/* A weight that is not finite is refused even with a valid checksum; the
 * largest finite float is a weight like any other. */
static void test_nonfinite_weight_refused(void **state)
{
	char *dir = tu_tmpdir(), *model = path_join(dir, "model.bin");
	char *src = tu_src_path("data/default-model/model.bin");
	static const uint32_t values[] = { 0x7fc00000u, 0x7f800000u, 0xff800000u, 0x7f7fffffu };
	struct mn_buf good = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	unsigned char *copy;

	(void)state;
	read_all(&good, src);
	copy = malloc(good.len);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct mn_student *s = NULL;
		struct mn_sha256 c;
		/* the last value before the checksum: the last row's last weight */
		size_t off = good.len - 32 - 4;

		memcpy(copy, good.data, good.len);
		for (int k = 0; k < 4; k++)
			copy[off + (size_t)k] = (unsigned char)(values[i] >> (8 * k));
		mn_sha256_init(&c);
		mn_sha256_update(&c, copy, good.len - 32);
		mn_sha256_final(&c, copy + good.len - 32);
		replace_file(model, copy, good.len);
		if (values[i] == 0x7f7fffffu) {
			assert_int_equal(mn_student_load(&s, dir, &err), 0);
		} else {
			assert_int_equal(mn_student_load(&s, dir, &err), MN_EINVAL);
			assert_non_null(strstr(err.msg, "not finite"));
		}
		mn_student_free(s);
	}
	free(copy);
	mn_buf_release(&good);
	free(src);
	free(model);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonfinite_weight_refused),
		cmocka_unit_test(test_cache_is_used_and_never_hides_a_corrupt_model),
		cmocka_unit_test(test_damaged_entry_means_hashing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
