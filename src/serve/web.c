/*
 * web.c - the dashboard's static files (web.h, docs/dashboard.md).
 *
 * The web directory is found once at open: $MNEMO_WEBDIR when set, else
 * the first data directory with web/index.html (mn_datadir_find: the
 * installed share/mnemo/web), else <exe dir>/../web (a developer build,
 * build/mnemo beside the source tree's web/). Its real path is kept.
 *
 * A request path is served only when every component is made of
 * [A-Za-z0-9_~.-], none starts with '.' (no "..", no dot files), the file's
 * real path (symlinks resolved) is inside the web directory's real path, and
 * what is opened (O_NOFOLLOW) is that same regular file. Everything else is
 * a 404 that says no more than "not found".
 */
#include "serve/web.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "core/datadir.h"

#define WEB_PATH_MAX 1024 /* longest request path considered */

struct mn_web {
	char *root;    /* real path of the web directory, NULL when none */
	size_t rootlen;
};

/* ---- finding the directory ---- */

/* Real path of dir when it holds index.html, else NULL. */
static char *usable_dir(const char *dir)
{
	char *idx = mn_xasprintf("%s/index.html", dir);
	char *real = NULL;

	if (mn_file_exists(idx))
		real = realpath(dir, NULL);
	free(idx);
	return real;
}

static char *find_root(void)
{
	const char *env = getenv("MNEMO_WEBDIR");
	char exe[PATH_MAX];
	char *p, *root = NULL;
	ssize_t n;

	if (env && *env)
		return usable_dir(env);
	p = mn_datadir_find("web/index.html");
	if (p) {
		char *dir = mn_file_dirname(p);

		root = usable_dir(dir);
		free(dir);
		free(p);
		if (root)
			return root;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *dir, *src;

		exe[n] = '\0';
		dir = mn_file_dirname(exe);
		src = mn_xasprintf("%s/../web", dir);
		root = usable_dir(src);
		free(src);
		free(dir);
	}
	return root;
}

int mn_web_open(struct mn_web **out, struct mn_err *err)
{
	struct mn_web *w = mn_xcalloc(1, sizeof(*w));

	(void)err;
	w->root = find_root();
	if (w->root) {
		w->rootlen = strlen(w->root);
		mn_info("web", "dashboard files from %s", w->root);
	} else {
		mn_warn("web", "no web directory (web/index.html) found: the dashboard is not "
			       "installed (`make install`, or set MNEMO_WEBDIR)");
	}
	*out = w;
	return 0;
}

void mn_web_free(struct mn_web *w)
{
	if (!w)
		return;
	free(w->root);
	free(w);
}

/* ---- one request ---- */

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
};

static const char *content_type(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && !strcmp(path + n - e, types[i].ext))
			return types[i].type;
	}
	return "application/octet-stream";
}

/* Every component non-empty (but a trailing '/'), of safe characters, not
 * starting with '.'. path starts with '/'. */
static bool safe_path(const char *path)
{
	const char *p = path;

	if (strlen(path) > WEB_PATH_MAX)
		return false;
	while (*p == '/') {
		p++;
		if (!*p)
			return true; /* trailing slash: a directory's index */
		if (*p == '.' || *p == '/')
			return false;
		while (*p && *p != '/') {
			char c = *p++;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '~'))
				return false;
		}
	}
	return *p == '\0';
}

static void reply_text(struct mn_web_reply *out, int status, const char *msg)
{
	out->status = status;
	out->content_type = "text/plain; charset=utf-8";
	out->cache_control = "no-store";
	out->body = mn_xstrdup(msg);
	out->len = strlen(msg);
}

/* Open root + rel (rel starts with '/') as a regular file inside root:
 * fd and size, or -1. */
static int open_inside(const struct mn_web *w, const char *rel, uint64_t *size)
{
	char *full = mn_xasprintf("%s%s", w->root, rel);
	char *real = realpath(full, NULL);
	struct stat a, b;
	int fd = -1;

	free(full);
	if (!real)
		return -1;
	if (strncmp(real, w->root, w->rootlen) != 0 || real[w->rootlen] != '/' ||
	    stat(real, &a) != 0 || !S_ISREG(a.st_mode))
		goto out;
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	/* the file opened is the one checked (nothing was swapped in between) */
	if (fstat(fd, &b) != 0 || !S_ISREG(b.st_mode) || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		close(fd);
		fd = -1;
		goto out;
	}
	*size = (uint64_t)b.st_size;
out:
	free(real);
	return fd;
}

void mn_web_serve(const struct mn_web *w, const char *method, const char *path,
		  struct mn_web_reply *out)
{
	char *rel = NULL;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
		reply_text(out, 405, "method not allowed: the dashboard is read with GET\n");
		return;
	}
	if (!w || !w->root) {
		reply_text(out, 404, "not found: the dashboard is not installed\n");
		return;
	}
	if (!path || path[0] != '/' || !safe_path(path)) {
		reply_text(out, 404, "not found\n");
		return;
	}
	n = strlen(path);
	rel = path[n - 1] == '/' ? mn_xasprintf("%sindex.html", path) : mn_xstrdup(path);
	out->fd = open_inside(w, rel, &out->size);
	if (out->fd < 0) {
		reply_text(out, 404, "not found\n");
		goto out;
	}
	out->status = 200;
	out->content_type = content_type(rel);
	/* vendor/<name>-<version>/ never changes under one name; the rest of
	 * the dashboard is revalidated on every load so an upgrade shows. */
	out->cache_control = !strncmp(rel, "/vendor/", 8) ? "public, max-age=31536000, immutable"
							  : "no-cache";
out:
	free(rel);
}

void mn_web_reply_release(struct mn_web_reply *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
