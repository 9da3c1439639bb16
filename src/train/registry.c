#include "train/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/proc.h"
#include "base/sha256.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "store/store_train.h"

#define DEPLOY_TIMEOUT_MS (300 * 1000)

void mn_registry_student(char out[64], const struct mn_config *cfg)
{
	const char *m = cfg->student.model;
	size_t i;

	if (!cfg->student.provider || strcmp(cfg->student.provider, "openai") || !m || !*m) {
		snprintf(out, 64, "%s", "builtin");
		return;
	}
	for (i = 0; i < 63 && m[i]; i++)
		out[i] = (isalnum((unsigned char)m[i]) || m[i] == '.' || m[i] == '-' ||
			  m[i] == '_') ? m[i] : '_';
	out[i] = '\0';
	if (out[0] == '.')
		out[0] = '_';
}

static char *student_dir(struct mn_ctx *a, const char *student)
{
	return mn_xasprintf("%s/models/%s", a->home, student);
}

void mn_registry_current(struct mn_ctx *a, const char *student, char out[16])
{
	char *link = mn_xasprintf("%s/models/%s/current", a->home, student);
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	const char *base;

	out[0] = '\0';
	free(link);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) < 16)
		memcpy(out, base, strlen(base) + 1);
}

char *mn_registry_version_dir(struct mn_ctx *a, const char *student, const char *version)
{
	if (!version || !*version || !strcmp(version, MN_REGISTRY_DEFAULT))
		return NULL;
	return mn_xasprintf("%s/models/%s/%s", a->home, student, version);
}

static int recover_locked(struct mn_ctx *a, const char *student, struct mn_err *err);

static char *pin_key(const char *student)
{
	return mn_xasprintf("registry.%s.pinned", student);
}

int mn_registry_pinned(struct mn_ctx *a, const char *student, char out[16], struct mn_err *err)
{
	char *key = pin_key(student), *v = NULL;
	int ret = mn_store_meta_get(a->store, &v, key, err);

	snprintf(out, 16, "%s", v ? v : "");
	free(v);
	free(key);
	return ret;
}

/* flock on models/<student>/.lock for the duration of one mutation. With
 * block false, MN_EBUSY at once when another process holds it. */
static int lock_registry_how(int *out_fd, struct mn_ctx *a, const char *student, bool block,
			     struct mn_err *err)
{
	char *dir = student_dir(a, student), *path = NULL;
	int fd = -1, ret;

	*out_fd = -1;
	ret = mn_file_mkdir_p(dir, 0700, err);
	if (ret)
		goto out;
	path = mn_xasprintf("%s/.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = mn_err_set(err, MN_EIO, "could not open '%s': %s", path, strerror(errno));
		goto out;
	}
	while (flock(fd, block ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		if (errno != EINTR) {
			ret = errno == EWOULDBLOCK
				      ? mn_err_set(err, MN_EBUSY, "'%s' is held", path)
				      : mn_err_set(err, MN_EIO, "could not lock '%s': %s", path,
						   strerror(errno));
			close(fd);
			goto out;
		}
	}
	*out_fd = fd;
out:
	free(dir);
	free(path);
	return ret;
}

static int lock_registry(int *out_fd, struct mn_ctx *a, const char *student, struct mn_err *err)
{
	return lock_registry_how(out_fd, a, student, true, err);
}

static void unlock_registry(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- checksums of a version directory ---- */

static struct {
	char **paths;
	size_t n, alloc;
	size_t root_len;
} walk;

static int walk_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (flag != FTW_F)
		return 0;
	if (walk.n == walk.alloc) {
		walk.alloc = walk.alloc ? walk.alloc * 2 : 16;
		walk.paths = mn_xrealloc(walk.paths, walk.alloc * sizeof(char *));
	}
	walk.paths[walk.n++] = mn_xstrdup(path + walk.root_len + 1);
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* {"file": sha256, ...} of every regular file except meta.json, and the
 * digest of the sorted "name  hash" lines into tree[65]. */
static int hash_tree(json_t **out, char tree[65], const char *dir, struct mn_err *err)
{
	json_t *files = json_object();
	struct mn_sha256 ctx;
	int ret = 0;

	*out = NULL;
	memset(&walk, 0, sizeof(walk));
	walk.root_len = strlen(dir);
	if (nftw(dir, walk_one, 16, FTW_PHYS) != 0) {
		ret = mn_err_set(err, MN_EIO, "could not walk '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (walk.n) /* an empty tree leaves walk.paths NULL, which qsort must not get */
		qsort(walk.paths, walk.n, sizeof(char *), cmp_str);
	mn_sha256_init(&ctx);
	for (size_t i = 0; i < walk.n; i++) {
		char h[65], *p;

		if (!strcmp(walk.paths[i], "meta.json"))
			continue;
		p = mn_xasprintf("%s/%s", dir, walk.paths[i]);
		ret = mn_file_sha256(h, p, err);
		free(p);
		if (ret)
			goto out;
		json_object_set_new(files, walk.paths[i], json_string(h));
		mn_sha256_update(&ctx, h, 64);
		mn_sha256_update(&ctx, "  ", 2);
		mn_sha256_update(&ctx, walk.paths[i], strlen(walk.paths[i]));
		mn_sha256_update(&ctx, "\n", 1);
	}
	mn_sha256_hex(&ctx, tree);
out:
	for (size_t i = 0; i < walk.n; i++)
		free(walk.paths[i]);
	free(walk.paths);
	memset(&walk, 0, sizeof(walk));
	if (ret)
		json_decref(files);
	else
		*out = files;
	return ret;
}

int mn_registry_register(struct mn_ctx *a, char out_version[16], const char *student,
			 const char *artifact_dir, const char *run_id, const json_t *gate_metrics,
			 struct mn_err *err)
{
	struct mn_model_version v;
	char cur[16], tree[65], now[MN_TIME_LEN];
	char *dir = NULL, *tmp = NULL, *meta_path = NULL;
	json_t *files = NULL, *meta = NULL;
	int fd = -1, num = 0, ret;

	memset(&v, 0, sizeof(v));
	out_version[0] = '\0';
	ret = lock_registry(&fd, a, student, err);
	if (ret)
		return ret;
	ret = mn_store_model_next_number(a->store, &num, student, err);
	if (ret)
		goto out;
	snprintf(v.version, sizeof(v.version), "v%04d", num);
	dir = mn_registry_version_dir(a, student, v.version);
	/* Copy under a temporary name, then rename: a half-copied version
	 * never has its final name. */
	tmp = mn_xasprintf("%s.tmp.%ld", dir, (long)getpid());
	ret = mn_file_remove_tree(tmp, err);
	if (!ret)
		ret = mn_file_remove_tree(dir, err); /* leftover of a crashed register */
	if (!ret)
		ret = mn_file_copy_tree(artifact_dir, tmp, 0, err);
	if (!ret)
		ret = hash_tree(&files, tree, tmp, err);
	if (ret)
		goto out;
	mn_registry_current(a, student, cur);
	mn_time_now_str(now);
	meta = json_pack("{s:s,s:s,s:O,s:s,s:s?,s:s?,s:O?,s:s}", "version", v.version, "student",
			 student, "sha256", files, "tree_sha256", tree, "parent",
			 cur[0] ? cur : NULL, "training_run", run_id, "gate_metrics",
			 gate_metrics, "created", now);
	meta_path = mn_xasprintf("%s/meta.json", tmp);
	ret = mn_json_write_file(meta_path, meta, err);
	if (ret)
		goto out;
	if (rename(tmp, dir) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not rename '%s' to '%s': %s", tmp, dir,
				 strerror(errno));
		goto out;
	}
	{
		char *parent = student_dir(a, student);

		ret = mn_file_fsync_dir(parent, err);
		free(parent);
		if (ret)
			goto out;
	}
	mn_text_uuid4(v.id);
	snprintf(v.student, sizeof(v.student), "%s", student);
	v.artifact_path = mn_xstrdup(dir);
	v.sha256 = mn_xstrdup(tree);
	v.parent = cur[0] ? mn_xstrdup(cur) : NULL;
	v.training_run = run_id ? mn_xstrdup(run_id) : NULL;
	v.gate_metrics = gate_metrics ? json_deep_copy(gate_metrics) : NULL;
	snprintf(v.state, sizeof(v.state), "registered");
	snprintf(v.created_at, sizeof(v.created_at), "%s", now);
	ret = mn_store_model_insert(a->store, &v, err);
	if (ret) {
		mn_file_remove_tree(dir, NULL);
		goto out;
	}
	snprintf(out_version, 16, "%s", v.version);
	mn_info("registry", "registered %s/%s (%s)", student, v.version, tree);
out:
	if (ret && tmp)
		mn_file_remove_tree(tmp, NULL);
	mn_model_version_release(&v);
	json_decref(files);
	json_decref(meta);
	free(meta_path);
	free(tmp);
	free(dir);
	unlock_registry(fd);
	return ret;
}

/* Point current at version ("" or "default": remove the link). */
static int point_current(struct mn_ctx *a, const char *student, const char *version,
			 struct mn_err *err)
{
	char *link = mn_xasprintf("%s/models/%s/current", a->home, student);
	int ret = 0;

	if (!version[0] || !strcmp(version, MN_REGISTRY_DEFAULT)) {
		if (unlink(link) < 0 && errno != ENOENT)
			ret = mn_err_set(err, MN_EIO, "could not remove '%s': %s", link,
					 strerror(errno));
		if (!ret) {
			char *dir = student_dir(a, student);

			ret = mn_file_fsync_dir(dir, err);
			free(dir);
		}
	} else {
		ret = mn_file_symlink_atomic(version, link, err);
	}
	free(link);
	return ret;
}

/* Tell a serving process to load the artifact (registry.deploy_command).
 * Runs after every swap of `current`, including one back to the shipped
 * default: then {artifact} is "" and {version} is "default", so the server
 * goes back to its base model. */
static int run_deploy_command(struct mn_ctx *a, const char *student, const char *version,
			      int log_fd, struct mn_err *err)
{
	char *dir = mn_registry_version_dir(a, student, version);
	struct mn_argv_var vars[] = { { "artifact", dir ? dir : "" },
				      { "version", dir ? version : MN_REGISTRY_DEFAULT },
				      { "student", student } };
	/* The ranker is read by mnemo itself (it follows `current` on every
	 * recall): no serving process to tell. */
	char **argv = strcmp(student, MN_REGISTRY_RANKER)
			      ? mn_argv_expand(&a->cfg.learning.registry.deploy_command, vars, 3)
			      : NULL;
	struct mn_proc_result r;
	struct mn_proc_opts o = { 0 };
	char how[96];
	int ret = 0;

	mn_proc_result_init(&r);
	if (!argv)
		goto out;
	o.argv = argv;
	o.timeout_ms = DEPLOY_TIMEOUT_MS;
	o.log_fd = log_fd;
	o.new_pgroup = true;
	ret = mn_proc_run(&r, &o, err);
	if (ret)
		goto out;
	if (!mn_proc_ok(&r)) {
		mn_proc_describe(&r, how, sizeof(how));
		ret = mn_err_set(err, MN_EFAIL, "deploy command '%s' failed: %s", argv[0], how);
	}
out:
	mn_proc_result_release(&r);
	mn_argv_free(argv);
	free(dir);
	return ret;
}

int mn_registry_deploy(struct mn_ctx *a, bool *out_switched, const char *student,
		       const char *version, int log_fd, struct mn_err *err)
{
	char pinned[16], prev[16];
	int fd = -1, ret;

	*out_switched = false;
	ret = mn_registry_pinned(a, student, pinned, err);
	if (ret)
		return ret;
	if (pinned[0]) {
		mn_info("registry", "%s/%s registered; current stays at pinned %s", student,
			version, pinned);
		return 0;
	}
	ret = lock_registry(&fd, a, student, err);
	if (ret)
		return ret;
	/* an interrupted rollback is settled before current moves again */
	ret = recover_locked(a, student, err);
	if (ret)
		goto out;
	mn_registry_current(a, student, prev);
	ret = point_current(a, student, version, err);
	if (ret)
		goto out;
	ret = run_deploy_command(a, student, version, log_fd, err);
	if (ret) {
		struct mn_err e2 = MN_ERR_INIT;

		if (point_current(a, student, prev, &e2))
			mn_error("registry", "could not restore current to '%s': %s", prev,
				 e2.msg);
		goto out;
	}
	ret = mn_store_model_set_state(a->store, student, version, "deployed", err);
	if (ret)
		goto out;
	*out_switched = true;
	mn_info("registry", "deployed %s/%s (was %s)", student, version,
		prev[0] ? prev : MN_REGISTRY_DEFAULT);
out:
	unlock_registry(fd);
	if (!ret) {
		struct mn_err e2 = MN_ERR_INIT;

		if (mn_registry_prune(a, student, &e2))
			mn_warn("registry", "could not prune old versions: %s", e2.msg);
	}
	return ret;
}

/* The version deployed before `cur`: the newest deployed_at among deployed
 * versions other than cur. "" when none. */
static void previous_version(char out[16], const struct mn_model_version *v, size_t n,
			     const char *cur)
{
	const char *best = NULL, *best_at = "";

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].state, "deployed") || !strcmp(v[i].version, cur))
			continue;
		if (strcmp(v[i].deployed_at, best_at) >= 0) {
			best = v[i].version;
			best_at = v[i].deployed_at;
		}
	}
	if (best)
		snprintf(out, 16, "%s", best);
}

/* A rollback records its intent before it moves `current`, and clears it
 * in the same transaction that records the result; a rollback killed in
 * between is finished (or dropped) by mn_registry_recover. */
static char *intent_key(const char *student)
{
	return mn_xasprintf("registry.%s.rollback", student);
}

/* The database side of a rollback from `from` ("" = shipped default) to
 * `target`, in one transaction: the pin ends, target is deployed, from and
 * the run that deployed it are rolled back, the intent is cleared. */
static int record_rollback(struct mn_ctx *a, const char *student, const char *from,
			   const char *target, const char *why, struct mn_err *err)
{
	struct mn_model_version from_row;
	char *pin = pin_key(student), *intent = intent_key(student);
	int ret;

	memset(&from_row, 0, sizeof(from_row));
	ret = mn_store_begin(a->store, err);
	if (ret)
		goto out;
	ret = mn_store_meta_set(a->store, pin, NULL, err);
	if (!ret && strcmp(target, MN_REGISTRY_DEFAULT))
		ret = mn_store_model_set_state(a->store, student, target, "deployed", err);
	if (!ret && from[0] && !mn_store_model_get(a->store, &from_row, student, from, NULL)) {
		ret = mn_store_model_set_state(a->store, student, from, "rolled_back", err);
		if (!ret && from_row.training_run) {
			struct mn_err e2 = MN_ERR_INIT;

			/* Only a deployed run changes; a pinned-registered one stays. */
			mn_store_train_transition(a->store, from_row.training_run, "deployed",
						  "rolled_back", why, &e2);
		}
	}
	if (!ret)
		ret = mn_store_meta_set(a->store, intent, NULL, err);
	if (!ret)
		ret = mn_store_commit(a->store, err);
	else
		mn_store_rollback(a->store);
out:
	mn_model_version_release(&from_row);
	free(pin);
	free(intent);
	return ret;
}

/* With the registry lock held: finish a rollback that moved `current` but
 * died before recording it; drop one that never moved it. */
static int recover_locked(struct mn_ctx *a, const char *student, struct mn_err *err)
{
	char *key = intent_key(student), *v = NULL;
	char cur[16];
	json_t *o = NULL;
	int ret = mn_store_meta_get(a->store, &v, key, err);

	if (ret || !v)
		goto out;
	{
		struct mn_err perr = MN_ERR_INIT;

		o = mn_json_parse(v, strlen(v), &perr); /* unreadable: dropped below */
	}
	mn_registry_current(a, student, cur);
	if (o && !strcmp(mn_json_str(o, "to", ""), cur[0] ? cur : MN_REGISTRY_DEFAULT)) {
		mn_warn("registry", "finishing an interrupted rollback of %s from %s to %s", student,
			mn_json_str(o, "from", "")[0] ? mn_json_str(o, "from", "")
						    : MN_REGISTRY_DEFAULT,
			mn_json_str(o, "to", ""));
		ret = record_rollback(a, student, mn_json_str(o, "from", ""),
				      mn_json_str(o, "to", ""), mn_json_str(o, "why", NULL), err);
	} else {
		mn_warn("registry", "dropping an interrupted rollback of %s that never moved current",
			student);
		ret = mn_store_meta_set(a->store, key, NULL, err);
	}
out:
	json_decref(o);
	free(v);
	free(key);
	return ret;
}

/* Is name "<anything><infix><pid>" with a pid that no longer runs? */
static bool dead_temp(const char *name, const char *infix)
{
	const char *p = strstr(name, infix);
	char *end;
	long pid;

	if (!p)
		return false;
	p += strlen(infix);
	pid = strtol(p, &end, 10);
	if (end == p || *end || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Remove what a killed register or link swap left in models/<student>/:
 * vNNNN.tmp.PID copies and current.new.PID links of dead processes. */
static void clean_temps(struct mn_ctx *a, const char *student)
{
	char *dir = student_dir(a, student);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (dead_temp(de->d_name, ".tmp.") || dead_temp(de->d_name, "current.new.")) {
			char *path = mn_xasprintf("%s/%s", dir, de->d_name);
			struct mn_err e = MN_ERR_INIT;

			mn_warn("registry", "removing '%s', left by a process that died", path);
			if (mn_file_remove_tree(path, &e))
				mn_warn("registry", "%s", e.msg);
			free(path);
		}
	}
	if (d)
		closedir(d);
	free(dir);
}

int mn_registry_recover(struct mn_ctx *a, const char *student, struct mn_err *err)
{
	int fd = -1, ret = lock_registry_how(&fd, a, student, false, err);

	/* Held: a mutation is under way, and every mutation recovers first. */
	if (ret == MN_EBUSY) {
		mn_err_clear(err);
		return 0;
	}
	if (!ret) {
		clean_temps(a, student);
		ret = recover_locked(a, student, err);
	}
	unlock_registry(fd);
	return ret;
}

int mn_registry_rollback(struct mn_ctx *a, char to[16], const char *student,
			 const char *version, const char *why, struct mn_err *err)
{
	struct mn_model_version *v = NULL;
	size_t n = 0;
	char cur[16], target[16];
	char *key = NULL, *intent = NULL;
	int fd = -1, ret;

	to[0] = '\0';
	ret = lock_registry(&fd, a, student, err);
	if (ret)
		return ret;
	ret = recover_locked(a, student, err);
	if (!ret)
		ret = mn_store_model_list(a->store, &v, &n, student, err);
	if (ret)
		goto out;
	mn_registry_current(a, student, cur);
	if (version && *version) {
		snprintf(target, sizeof(target), "%s", version);
	} else {
		if (!cur[0]) {
			ret = mn_err_set(err, MN_EINVAL,
					 "nothing to roll back: current is the shipped default");
			goto out;
		}
		previous_version(target, v, n, cur);
		if (!target[0])
			snprintf(target, sizeof(target), "%s", MN_REGISTRY_DEFAULT);
	}
	if (strcmp(target, MN_REGISTRY_DEFAULT)) {
		struct mn_model_version t;
		char *dir = mn_registry_version_dir(a, student, target);
		bool ok;

		ret = mn_store_model_get(a->store, &t, student, target, err);
		ok = !ret && strcmp(t.state, "retired") && mn_file_is_dir(dir);
		mn_model_version_release(&t);
		free(dir);
		if (ret)
			goto out;
		if (!ok) {
			ret = mn_err_set(err, MN_EINVAL, "version '%s' is retired or missing", target);
			goto out;
		}
	}
	if (!strcmp(target, cur[0] ? cur : MN_REGISTRY_DEFAULT)) {
		ret = mn_err_set(err, MN_EINVAL, "'%s' is already current", target);
		goto out;
	}
	key = intent_key(student);
	{
		json_t *o = json_pack("{s:s,s:s,s:s?}", "from", cur, "to", target, "why", why);

		intent = mn_json_dumps(o);
		json_decref(o);
	}
	ret = mn_store_meta_set(a->store, key, intent, err);
	if (ret)
		goto out;
	ret = point_current(a, student, target, err);
	/* also back to the default: the server must drop the rolled-back adapter */
	if (!ret)
		ret = run_deploy_command(a, student, target, -1, err);
	if (ret) {
		struct mn_err e2 = MN_ERR_INIT;

		point_current(a, student, cur, &e2);
		mn_store_meta_set(a->store, key, NULL, &e2);
		goto out;
	}
	/* An explicit rollback ends a pin (record_rollback). */
	ret = record_rollback(a, student, cur, target, why, err);
	if (ret)
		goto out;
	snprintf(to, 16, "%s", target);
	mn_info("registry", "rolled %s back from %s to %s%s%s", student,
		cur[0] ? cur : MN_REGISTRY_DEFAULT, target, why ? ": " : "", why ? why : "");
out:
	mn_model_versions_free(v, n);
	free(key);
	free(intent);
	unlock_registry(fd);
	return ret;
}

int mn_registry_pin(struct mn_ctx *a, const char *student, const char *version,
		    struct mn_err *err)
{
	struct mn_model_version t;
	char *key = NULL, *dir = NULL;
	char prev[16];
	int fd = -1, ret;

	memset(&t, 0, sizeof(t));
	ret = lock_registry(&fd, a, student, err);
	if (ret)
		return ret;
	ret = recover_locked(a, student, err);
	if (ret)
		goto out;
	if (strcmp(version, MN_REGISTRY_DEFAULT)) {
		ret = mn_store_model_get(a->store, &t, student, version, err);
		if (ret)
			goto out;
		dir = mn_registry_version_dir(a, student, version);
		if (!strcmp(t.state, "retired") || !mn_file_is_dir(dir)) {
			ret = mn_err_set(err, MN_EINVAL, "version '%s' is retired or missing",
					 version);
			goto out;
		}
	}
	mn_registry_current(a, student, prev);
	ret = point_current(a, student, version, err);
	if (!ret) {
		ret = run_deploy_command(a, student, version, -1, err);
		if (ret) {
			struct mn_err e2 = MN_ERR_INIT;

			if (point_current(a, student, prev, &e2))
				mn_error("registry", "could not restore current to '%s': %s",
					 prev, e2.msg);
		}
	}
	if (!ret && strcmp(version, MN_REGISTRY_DEFAULT))
		ret = mn_store_model_set_state(a->store, student, version, "deployed", err);
	if (ret)
		goto out;
	key = pin_key(student);
	ret = mn_store_meta_set(a->store, key, version, err);
	if (!ret)
		mn_info("registry", "pinned %s at %s", student, version);
out:
	mn_model_version_release(&t);
	free(key);
	free(dir);
	unlock_registry(fd);
	return ret;
}

int mn_registry_unpin(struct mn_ctx *a, const char *student, struct mn_err *err)
{
	char *key = pin_key(student);
	int ret = mn_store_meta_set(a->store, key, NULL, err);

	free(key);
	return ret;
}

int mn_registry_prune(struct mn_ctx *a, const char *student, struct mn_err *err)
{
	struct mn_model_version *v = NULL;
	size_t n = 0;
	char cur[16], pinned[16];
	int fd = -1, kept = 0, ret;

	ret = mn_registry_pinned(a, student, pinned, err);
	if (!ret)
		ret = lock_registry(&fd, a, student, err);
	if (!ret)
		ret = mn_store_model_list(a->store, &v, &n, student, err);
	if (ret)
		goto out;
	mn_registry_current(a, student, cur);
	/* Newest first: keep `keep` live versions besides current/pinned. */
	for (size_t k = n; k-- > 0;) {
		char *dir;

		if (!strcmp(v[k].state, "retired") || !strcmp(v[k].version, cur) ||
		    !strcmp(v[k].version, pinned))
			continue;
		if (kept < a->cfg.learning.registry.keep) {
			kept++;
			continue;
		}
		dir = mn_registry_version_dir(a, student, v[k].version);
		ret = mn_file_remove_tree(dir, err);
		free(dir);
		if (!ret)
			ret = mn_store_model_set_state(a->store, student, v[k].version, "retired",
						       err);
		if (ret)
			goto out;
		mn_info("registry", "retired %s/%s", student, v[k].version);
	}
out:
	mn_model_versions_free(v, n);
	unlock_registry(fd);
	return ret;
}

static json_t *version_json(const struct mn_model_version *v, const char *cur,
			    const char *pinned)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:b,s:s?,s:s?,s:s?,s:s?,s:O?,s:O?,s:s,s:s?,s:s?}",
			 "version", v->version, "student", v->student, "state", v->state,
			 "current", !strcmp(v->version, cur), "pinned",
			 !strcmp(v->version, pinned), "artifact_path", v->artifact_path, "sha256",
			 v->sha256, "parent", v->parent, "training_run", v->training_run,
			 "gate_metrics", v->gate_metrics, "live_metrics", v->live_metrics,
			 "created_at", v->created_at, "deployed_at",
			 v->deployed_at[0] ? v->deployed_at : NULL, "retired_at",
			 v->retired_at[0] ? v->retired_at : NULL);
}

int mn_registry_list_json(struct mn_ctx *a, json_t **out, struct mn_err *err)
{
	char student[64];

	mn_registry_student(student, &a->cfg);
	return mn_registry_list_json_for(a, student, out, err);
}

int mn_registry_list_json_for(struct mn_ctx *a, const char *student, json_t **out,
			      struct mn_err *err)
{
	struct mn_model_version *v = NULL;
	size_t n = 0;
	char cur[16], pinned[16];
	json_t *arr;
	int ret;

	*out = NULL;
	ret = mn_registry_pinned(a, student, pinned, err);
	if (!ret)
		ret = mn_store_model_list(a->store, &v, &n, student, err);
	if (ret)
		return ret;
	mn_registry_current(a, student, cur);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, version_json(&v[i], cur, pinned));
	mn_model_versions_free(v, n);
	*out = arr;
	return 0;
}

int mn_registry_show_json(struct mn_ctx *a, json_t **out, const char *version,
			  struct mn_err *err)
{
	char student[64];

	mn_registry_student(student, &a->cfg);
	return mn_registry_show_json_for(a, student, out, version, err);
}

int mn_registry_show_json_for(struct mn_ctx *a, const char *student, json_t **out,
			      const char *version, struct mn_err *err)
{
	struct mn_model_version v;
	char cur[16], pinned[16];
	char *meta_path = NULL;
	json_t *o;
	int ret;

	*out = NULL;
	ret = mn_registry_pinned(a, student, pinned, err);
	if (!ret)
		ret = mn_store_model_get(a->store, &v, student, version, err);
	if (ret)
		return ret;
	mn_registry_current(a, student, cur);
	o = version_json(&v, cur, pinned);
	if (v.artifact_path) {
		json_t *meta;

		meta_path = mn_xasprintf("%s/meta.json", v.artifact_path);
		meta = mn_file_exists(meta_path) ? mn_json_load_file(meta_path, NULL) : NULL;
		if (meta)
			json_object_set_new(o, "meta", meta);
	}
	free(meta_path);
	mn_model_version_release(&v);
	*out = o;
	return 0;
}
