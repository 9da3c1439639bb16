/*
 * web.c - the dashboard's static files (web.h). A stub until the dashboard
 * lands: every request is a 404.
 */
#include "serve/web.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"

struct mn_web {
	int unused;
};

int mn_web_open(struct mn_web **out, struct mn_err *err)
{
	(void)err;
	*out = mn_xcalloc(1, sizeof(**out));
	return 0;
}

void mn_web_free(struct mn_web *w)
{
	free(w);
}

void mn_web_serve(const struct mn_web *w, const char *method, const char *path,
		  struct mn_web_reply *out)
{
	static const char msg[] = "not found: the dashboard is not installed\n";

	(void)w;
	(void)method;
	(void)path;
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->status = 404;
	out->content_type = "text/plain; charset=utf-8";
	out->body = mn_xstrdup(msg);
	out->len = sizeof(msg) - 1;
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
