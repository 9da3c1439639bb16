/*
 * vec_index.c - the loader of the HNSW plugin (vec_index.h): finds
 * mnemo-hnsw.so, dlopen()s it once per process on first use and forwards
 * each call through its table (vec_index_internal.h).
 */
#include "store/vec_index_internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/proc.h"

#define PLUGIN "mnemo-hnsw.so"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct mn_vec_index_ops *ops;
static char why[PATH_MAX + 160];

/* The plugin's path: $MNEMO_LIBDIR, else beside the executable, its
 * parent folder, ../lib/mnemo (vec_index.h); the first that exists. */
static bool find_plugin(char *out, size_t cap)
{
	const char *env = getenv("MNEMO_LIBDIR");
	static const char *const rel[] = { "/", "/../", "/../lib/mnemo/" };
	struct mn_err err = MN_ERR_INIT;
	char exe[PATH_MAX];
	char *slash;

	if (env && *env) {
		return (size_t)snprintf(out, cap, "%s/%s", env, PLUGIN) < cap &&
		       access(out, R_OK) == 0;
	}
	if (mn_proc_self_exe(exe, sizeof(exe), &err))
		return false;
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if ((size_t)snprintf(out, cap, "%s%s%s", exe, rel[i], PLUGIN) >= cap)
			continue;
		if (access(out, R_OK) == 0)
			return true;
	}
	return false;
}

static void load(void)
{
	const char *env = getenv("MNEMO_LIBDIR");
	const struct mn_vec_index_ops *(*entry)(void);
	char path[PATH_MAX];
	void *h;

	if (!find_plugin(path, sizeof(path))) {
		snprintf(why, sizeof(why), "the vector index plugin %s was not found (%s)", PLUGIN,
			 env && *env ? "$MNEMO_LIBDIR"
				     : "beside mnemo, in its parent folder or ../lib/mnemo");
		return;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		snprintf(why, sizeof(why), "could not load %s: %s", path, e ? e : "unknown error");
		return;
	}
	*(void **)&entry = dlsym(h, MN_VEC_INDEX_ENTRY);
	if (!entry || !entry() || entry()->abi != MN_VEC_INDEX_ABI) {
		snprintf(why, sizeof(why), "%s is not a mnemo vector index plugin of this version",
			 path);
		dlclose(h);
		return;
	}
	ops = entry();
	mn_debug("vectors", "loaded %s", path);
}

const char *mn_vec_index_unavailable(void)
{
	pthread_once(&once, load);
	return ops ? NULL : why;
}

struct mn_vec_index *mn_vec_index_new(int dim, size_t capacity,
				      const struct mn_vec_index_params *p)
{
	if (mn_vec_index_unavailable())
		return NULL;
	return ops->create(dim, capacity, p);
}

/* The other calls take an index, which only a loaded plugin made. */
void mn_vec_index_free(struct mn_vec_index *x)
{
	if (x)
		ops->destroy(x);
}

int mn_vec_index_add(struct mn_vec_index *x, int64_t label, const float *v)
{
	return ops->add(x, label, v);
}

int mn_vec_index_remove(struct mn_vec_index *x, int64_t label)
{
	return ops->remove(x, label);
}

size_t mn_vec_index_search(struct mn_vec_index *x, const float *q, size_t k, size_t ef,
			   int64_t *labels, float *sims)
{
	return ops->search(x, q, k, ef, labels, sims);
}

size_t mn_vec_index_size(const struct mn_vec_index *x)
{
	return ops->size(x);
}

size_t mn_vec_index_deleted(const struct mn_vec_index *x)
{
	return ops->deleted(x);
}

size_t mn_vec_index_bytes(const struct mn_vec_index *x)
{
	return ops->bytes(x);
}
