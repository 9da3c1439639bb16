#include "base/argv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

static const char *lookup(const struct mn_argv_var *vars, size_t n, const char *name,
			  size_t name_len, bool *found)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(vars[i].name) == name_len && !strncmp(vars[i].name, name, name_len)) {
			*found = true;
			return vars[i].value;
		}
	}
	*found = false;
	return NULL;
}

static void expand_arg(struct mn_buf *b, const char *arg, const struct mn_argv_var *vars,
		       size_t n)
{
	const char *p = arg;

	while (*p) {
		const char *close;
		bool found = false;
		const char *val = NULL;

		if (*p == '{' && (close = strchr(p + 1, '}')) != NULL) {
			val = lookup(vars, n, p + 1, (size_t)(close - p - 1), &found);
			if (found) {
				mn_buf_adds(b, val ? val : "");
				p = close + 1;
				continue;
			}
		}
		mn_buf_addc(b, *p++);
	}
}

char **mn_argv_expand(const struct mn_argv *tmpl, const struct mn_argv_var *vars, size_t n)
{
	char **out;
	int k = 0;

	if (!tmpl || !tmpl->v || tmpl->n <= 0)
		return NULL;
	out = mn_xcalloc((size_t)tmpl->n + 1, sizeof(char *));
	for (int i = 0; i < tmpl->n; i++) {
		const char *arg = tmpl->v[i];
		size_t len = strlen(arg);
		bool found = false;

		if (len > 2 && arg[0] == '{' && arg[len - 1] == '}' &&
		    !memchr(arg + 1, '}', len - 2)) {
			const char *val = lookup(vars, n, arg + 1, len - 2, &found);

			if (found && !val) {
				/* "--incumbent {incumbent}" with no incumbent: drop both. */
				if (k > 0 && out[k - 1][0] == '-' && i > 0 &&
				    !strchr(tmpl->v[i - 1], '{')) {
					free(out[--k]);
					out[k] = NULL;
				}
				continue;
			}
		}
		{
			struct mn_buf b = MN_BUF_INIT;

			expand_arg(&b, arg, vars, n);
			mn_buf_add(&b, "", 0);
			out[k++] = mn_buf_detach(&b, NULL);
		}
	}
	if (k == 0) {
		free(out);
		return NULL;
	}
	return out;
}

void mn_argv_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}
