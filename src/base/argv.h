/*
 * argv.h - argv templates: the configured command lines of external
 * programs (trainer, serve command, hooks, deploy command) with {name}
 * placeholders, expanded into a NULL-terminated argv for mn_proc_*.
 */
#ifndef MN_ARGV_H
#define MN_ARGV_H

#include <stddef.h>

/* A NULL-terminated argv template (owned). NULL/empty = not configured. */
struct mn_argv {
	char **v;
	int n;
};

/* A placeholder {name} and its value; NULL value = "none". */
struct mn_argv_var {
	const char *name;
	const char *value;
};

/* Expand an argv template. A placeholder may be a whole argument or part of
 * one; unknown {words} are left as they are. An argument that is exactly a
 * placeholder whose value is NULL is dropped, and so is the option before
 * it when that starts with '-' ("--incumbent {incumbent}" disappears when
 * there is no incumbent); inside an argument a NULL value expands to "".
 * Returns a NULL-terminated heap argv (mn_argv_free), NULL when the
 * template is empty. */
char **mn_argv_expand(const struct mn_argv *tmpl, const struct mn_argv_var *vars, size_t n);
/* Free what mn_argv_expand returned; NULL is fine. */
void mn_argv_free(char **argv);

#endif
