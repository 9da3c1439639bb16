/*
 * test_web.c - the dashboard's static files (serve/web.c): what is served
 * from the web directory, and that nothing outside it is (traversal, dot
 * files, symlinks out), with the right content types and caching.
 */
#include "testutil.h"

#include <sys/stat.h>

#include "base/mem.h"
#include "serve/web.h"

struct fx {
	char *tmp;    /* holds web/ and outside/ */
	struct mn_web *w;
};

static int setup(void **state)
{
	struct fx *f = mn_xcalloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;
	char *p;

	f->tmp = tu_tmpdir();
	assert_non_null(f->tmp);
	p = mn_xasprintf("%s/web/vendor/lib-1.0", f->tmp);
	assert_int_equal(mn_file_mkdir_p(p, 0755, &err), 0);
	free(p);
	p = mn_xasprintf("%s/outside", f->tmp);
	assert_int_equal(mn_file_mkdir_p(p, 0755, &err), 0);
	free(p);
#define W(rel, text)                                              \
	do {                                                      \
		char *q = mn_xasprintf("%s/%s", f->tmp, rel);     \
		tu_write(q, text);                                \
		free(q);                                          \
	} while (0)
	W("web/index.html", "<!doctype html><title>t</title>");
	W("web/app.js", "'use strict';");
	W("web/style.css", "body{}");
	W("web/.secret", "dot");
	W("web/vendor/lib-1.0/lib.min.js", "lib");
	W("outside/secret.txt", "secret");
#undef W
	{
		char *target = mn_xasprintf("%s/outside/secret.txt", f->tmp);
		char *link = mn_xasprintf("%s/web/leak.txt", f->tmp);
		char *dlink = mn_xasprintf("%s/web/up", f->tmp);
		char *inside = mn_xasprintf("%s/web/alias.js", f->tmp);

		assert_int_equal(symlink(target, link), 0);
		assert_int_equal(symlink("..", dlink), 0);
		assert_int_equal(symlink("app.js", inside), 0);
		free(target);
		free(link);
		free(dlink);
		free(inside);
	}
	p = mn_xasprintf("%s/web", f->tmp);
	setenv("MNEMO_WEBDIR", p, 1);
	free(p);
	assert_int_equal(mn_web_open(&f->w, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mn_web_free(f->w);
	unsetenv("MNEMO_WEBDIR");
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

/* Status of method path; when 200, the file's size and content type. */
static int serve(struct fx *f, const char *method, const char *path, uint64_t *size,
		 const char **type, const char **cache)
{
	struct mn_web_reply r = MN_WEB_REPLY_INIT;
	int status;

	mn_web_serve(f->w, method, path, &r);
	status = r.status;
	if (status == 200) {
		assert_true(r.fd >= 0);
		assert_null(r.body);
	} else {
		assert_int_equal(r.fd, -1);
		assert_non_null(r.body);
		assert_null(strstr(r.body, "secret"));
	}
	if (size)
		*size = r.size;
	if (type)
		*type = r.content_type;
	if (cache)
		*cache = r.cache_control;
	mn_web_reply_release(&r);
	return status;
}

static void test_serves_files(void **state)
{
	struct fx *f = *state;
	uint64_t size = 0;
	const char *type = NULL, *cache = NULL;

	assert_int_equal(serve(f, "GET", "/", &size, &type, &cache), 200);
	assert_int_equal(size, strlen("<!doctype html><title>t</title>"));
	assert_string_equal(type, "text/html; charset=utf-8");
	assert_string_equal(cache, "no-cache");
	assert_int_equal(serve(f, "HEAD", "/index.html", NULL, NULL, NULL), 200);
	assert_int_equal(serve(f, "GET", "/app.js", NULL, &type, NULL), 200);
	assert_string_equal(type, "text/javascript; charset=utf-8");
	assert_int_equal(serve(f, "GET", "/style.css", NULL, &type, NULL), 200);
	assert_string_equal(type, "text/css; charset=utf-8");
	assert_int_equal(serve(f, "GET", "/vendor/lib-1.0/lib.min.js", NULL, NULL, &cache), 200);
	assert_non_null(strstr(cache, "immutable"));
	/* a symlink that stays inside is followed */
	assert_int_equal(serve(f, "GET", "/alias.js", NULL, NULL, NULL), 200);
}

static void test_refuses_outside(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"/../outside/secret.txt", "/vendor/../../outside/secret.txt", "/./index.html",
		"/.secret", "/leak.txt", "/up/outside/secret.txt", "//etc/passwd",
		"/vendor", "/vendor/", "/nope.html", "/app.js\\", "/a b.js", "",
		"index.html", "/vendor/lib-1.0/../../.secret",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(serve(f, "GET", bad[i], NULL, NULL, NULL), 404);
	assert_int_equal(serve(f, "POST", "/index.html", NULL, NULL, NULL), 405);
	assert_int_equal(serve(f, "DELETE", "/", NULL, NULL, NULL), 405);
}

static void test_long_path(void **state)
{
	struct fx *f = *state;
	char *p = mn_xcalloc(1, 5000);

	p[0] = '/';
	memset(p + 1, 'a', 4990);
	assert_int_equal(serve(f, "GET", p, NULL, NULL, NULL), 404);
	free(p);
}

static void test_not_installed(void **state)
{
	struct mn_web *w = NULL;
	struct mn_err err = MN_ERR_INIT;
	struct mn_web_reply r = MN_WEB_REPLY_INIT;
	char *tmp = tu_tmpdir();

	(void)state;
	setenv("MNEMO_WEBDIR", tmp, 1); /* no index.html there */
	assert_int_equal(mn_web_open(&w, &err), 0);
	mn_web_serve(w, "GET", "/", &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "not installed"));
	mn_web_reply_release(&r);
	mn_web_free(w);
	unsetenv("MNEMO_WEBDIR");
	tu_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serves_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_path, setup, teardown),
		cmocka_unit_test(test_not_installed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
