#include "core/datadir.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/mem.h"

static char *try_path(const char *dir, const char *rel)
{
	char *p = mn_xasprintf("%s/%s", dir, rel);

	if (mn_file_exists(p))
		return p;
	free(p);
	return NULL;
}

char *mn_datadir_find(const char *rel)
{
	const char *env = getenv("MNEMO_DATADIR");
	char exe[PATH_MAX];
	ssize_t n;
	char *p = NULL;

	if (env && *env && (p = try_path(env, rel)) != NULL)
		return p;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *dir, *d1, *d2;

		exe[n] = '\0';
		dir = mn_file_dirname(exe);
		d1 = mn_xasprintf("%s/../share/mnemo", dir);
		d2 = mn_xasprintf("%s/../data", dir);
		p = try_path(d1, rel);
		if (!p)
			p = try_path(d2, rel);
		free(dir);
		free(d1);
		free(d2);
		if (p)
			return p;
	}
	return try_path(MN_DATADIR, rel);
}
