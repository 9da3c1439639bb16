/*
 * ranking.c - the serving ranker: chosen and cached per context.
 */
#include "app/ranking.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "core/datadir.h"
#include "train/registry.h"

#define RANKER_NAME "ranker" /* the registry's name for it: models/ranker/ */

static const char *default_path(struct mn_ctx *a)
{
	if (!a->ranker_default) {
		char *p = mn_datadir_find("ranker/default.json");

		a->ranker_default = p ? p : mn_xstrdup("");
	}
	return a->ranker_default;
}

/* Load path as version into a->ranker; false (logged) when it fails. */
static bool load_as(struct mn_ctx *a, const char *path, const char *version)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_ranker r;

	mn_ranker_hand(&r);
	if (mn_ranker_load(&r, path, &err)) {
		mn_warn("ranker", "%s ranker not used: %s", version, err.msg);
		return false;
	}
	snprintf(r.version, sizeof(r.version), "%s", version);
	*a->ranker = r;
	return true;
}

/* The shipped default, else the hand-tuned order; read once. */
static void use_default(struct mn_ctx *a)
{
	if (!strcmp(a->ranker->version, MN_RANKER_DEFAULT))
		return;
	if (!*default_path(a) || !load_as(a, default_path(a), MN_RANKER_DEFAULT))
		mn_ranker_hand(a->ranker);
}

const struct mn_ranker *mn_app_ranker(struct mn_ctx *a)
{
	const char *env = getenv("MNEMO_RANKER");
	char want[16] = "";

	if (!a->ranker)
		a->ranker = mn_xcalloc(1, sizeof(*a->ranker)); /* version "": none loaded */
	if (env && *env) {
		if (!strcmp(env, MN_RANKER_HAND))
			mn_ranker_hand(a->ranker);
		else if (!strcmp(env, MN_RANKER_DEFAULT))
			use_default(a);
		else if (strcmp(a->ranker->version, "env") && !load_as(a, env, "env"))
			mn_ranker_hand(a->ranker); /* a file: read once per context */
		return a->ranker;
	}
	mn_registry_current(a, RANKER_NAME, want);
	if (!*want) {
		use_default(a);
	} else if (strcmp(a->ranker->version, want)) {
		char *dir = mn_registry_version_dir(a, RANKER_NAME, want);
		char *path = mn_xasprintf("%s/ranker.json", dir);

		if (!load_as(a, path, want))
			use_default(a);
		free(path);
		free(dir);
	}
	return a->ranker;
}
