/* Unit tests for registry.c: versions copied in with meta.json, atomic
 * `current` switch, pin, rollback, pruning - on a real data home. */
#include "testutil.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "base/argv.h"
#include "base/json.h"
#include "base/mem.h"
#include "train/registry.h"
#include "store/store_train.h"

struct fx {
	char *dir;
	struct mn_ctx a;
	char *art;
};

/* Like tu_tmpdir, with allocations that cannot return NULL (keeps
 * -Wformat-overflow quiet under the sanitizer build's inlining). */
static char *tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = mn_xasprintf("%s/mnemo-test-XXXXXX", base && *base ? base : "/tmp");

	assert_non_null(mkdtemp(p));
	return p;
}

static int setup(void **state)
{
	struct fx *f = mn_xcalloc(1, sizeof(*f));
	struct mn_err err = MN_ERR_INIT;
	char *home, *model;

	f->dir = tmpdir();
	home = mn_xasprintf("%s/home", f->dir);
	setenv("MNEMO_HOME", home, 1);
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	unsetenv("MNEMO_CONFIG");
	free(home);
	assert_int_equal(mn_ctx_open(&f->a, NULL, &err), 0);
	f->art = mn_xasprintf("%s/artifact", f->dir);
	assert_int_equal(mn_file_mkdir_p(f->art, 0700, &err), 0);
	model = mn_xasprintf("%s/model.bin", f->art);
	tu_write(model, "weights");
	free(model);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mn_ctx_close(&f->a);
	free(f->art);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static void reg_deploy(struct fx *f, char v[16])
{
	struct mn_err err = MN_ERR_INIT;
	bool sw = false;
	json_t *gm = json_pack("{s:f,s:f}", "epr", 0.97, "sc_rate", 1.0);

	assert_int_equal(mn_registry_register(&f->a, v, "builtin", f->art, NULL, gm, &err), 0);
	assert_int_equal(mn_registry_deploy(&f->a, &sw, "builtin", v, -1, &err), 0);
	json_decref(gm);
}

static void test_register_copies_with_meta(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char v[16], path[PATH_MAX];
	json_t *meta;

	assert_int_equal(mn_registry_register(&f->a, v, "builtin", f->art, "run-1", NULL, &err),
			 0);
	assert_string_equal(v, "v0001");
	snprintf(path, sizeof(path), "%s/models/builtin/v0001/model.bin", f->a.home);
	assert_true(mn_file_exists(path));
	snprintf(path, sizeof(path), "%s/models/builtin/v0001/meta.json", f->a.home);
	meta = mn_json_load_file(path, &err);
	assert_non_null(meta);
	assert_string_equal(mn_json_str(meta, "version", ""), "v0001");
	assert_string_equal(mn_json_str(meta, "training_run", ""), "run-1");
	assert_int_equal(strlen(mn_json_str(json_object_get(meta, "sha256"), "model.bin", "")), 64);
	json_decref(meta);
	assert_int_equal(mn_registry_register(&f->a, v, "builtin", f->art, NULL, NULL, &err), 0);
	assert_string_equal(v, "v0002");
}

static void test_deploy_points_current_relative(void **state)
{
	struct fx *f = *state;
	char v[16], cur[16], link[PATH_MAX], target[64];
	ssize_t n;

	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "");
	reg_deploy(f, v);
	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "v0001");
	snprintf(link, sizeof(link), "%s/models/builtin/current", f->a.home);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "v0001");
}

static void test_pin_keeps_current(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char v[16], cur[16], pinned[16];
	bool sw = true;

	reg_deploy(f, v);
	assert_int_equal(mn_registry_pin(&f->a, "builtin", "v0001", &err), 0);
	assert_int_equal(mn_registry_register(&f->a, v, "builtin", f->art, NULL, NULL, &err), 0);
	assert_int_equal(mn_registry_deploy(&f->a, &sw, "builtin", v, -1, &err), 0);
	assert_false(sw);
	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "v0001");
	assert_int_equal(mn_registry_unpin(&f->a, "builtin", &err), 0);
	assert_int_equal(mn_registry_pinned(&f->a, "builtin", pinned, &err), 0);
	assert_string_equal(pinned, "");
	assert_int_equal(mn_registry_deploy(&f->a, &sw, "builtin", v, -1, &err), 0);
	assert_true(sw);
}

static void test_rollback_to_previous_then_default(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char v[16], to[16], cur[16];

	reg_deploy(f, v);
	reg_deploy(f, v);
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", NULL, "test", &err), 0);
	assert_string_equal(to, "v0001");
	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "v0001");
	/* v0002 was rolled back from, so the next previous is the default */
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", NULL, "test", &err), 0);
	assert_string_equal(to, "default");
	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "");
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", NULL, "test", &err), MN_EINVAL);
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", "v0002", "test", &err), 0);
	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "v0002");
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", "v0099", NULL, &err),
			 MN_ENOTFOUND);
}

static void file_eq(const char *path, const char *want)
{
	char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

/* deploy_command runs after every swap of `current`, also back to the
 * shipped default ({version} "default", {artifact} ""), so a serving
 * process drops the rolled-back adapter; if it fails, current stays. */
static void test_deploy_command_on_rollback_to_default(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char *log = mn_xasprintf("%s/deploy.log", f->dir);
	char *script = mn_xasprintf("printf '%%s|%%s\\n' \"$0\" \"$1\" >> '%s'; "
				    "[ ! -e '%s.fail' ]", log, log);
	char *fail = mn_xasprintf("%s.fail", log);
	char *want1 = mn_xasprintf("v0001|%s/models/builtin/v0001\n", f->a.home);
	char *want;
	const char *tmpl[] = { "/bin/sh", "-c", script, "{version}", "{artifact}" };
	char **argv = mn_xcalloc(6, sizeof(char *));
	char v[16], to[16], cur[16];

	/* owned by the config from here on (mn_ctx_close frees it) */
	mn_argv_release(&f->a.cfg.learning.registry.deploy_command);
	for (int i = 0; i < 5; i++)
		argv[i] = mn_xstrdup(tmpl[i]);
	f->a.cfg.learning.registry.deploy_command.v = argv;
	f->a.cfg.learning.registry.deploy_command.n = 5;
	reg_deploy(f, v);
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", NULL, "test", &err), 0);
	assert_string_equal(to, "default");
	want = mn_xasprintf("%sdefault|\n", want1);
	file_eq(log, want);
	free(want);
	/* pin moves current back to v0001, then to the default */
	assert_int_equal(mn_registry_pin(&f->a, "builtin", "v0001", &err), 0);
	assert_int_equal(mn_registry_pin(&f->a, "builtin", "default", &err), 0);
	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "");
	want = mn_xasprintf("%sdefault|\n%sdefault|\n", want1, want1);
	file_eq(log, want);
	free(want);
	/* a failing deploy command keeps current where it was */
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", "v0001", "test", &err), 0);
	tu_write(fail, "");
	assert_int_equal(mn_registry_rollback(&f->a, to, "builtin", NULL, "test", &err),
			 MN_EFAIL);
	mn_registry_current(&f->a, "builtin", cur);
	assert_string_equal(cur, "v0001");
	free(log);
	free(script);
	free(fail);
	free(want1);
}

static void test_prune_keeps_configured_versions(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char v[16], path[PATH_MAX];
	json_t *list;

	f->a.cfg.learning.registry.keep = 2;
	for (int i = 0; i < 5; i++)
		reg_deploy(f, v);
	for (int i = 1; i <= 5; i++) {
		snprintf(path, sizeof(path), "%s/models/builtin/v%04d", f->a.home, i);
		assert_int_equal(mn_file_is_dir(path), i >= 3);
	}
	assert_int_equal(mn_registry_list_json(&f->a, &list, &err), 0);
	assert_int_equal(json_array_size(list), 5);
	assert_string_equal(mn_json_str(json_array_get(list, 0), "state", ""), "retired");
	assert_true(json_is_true(json_object_get(json_array_get(list, 4), "current")));
	json_decref(list);
}

static void state_is(struct fx *f, const char *version, const char *want)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_model_version v;

	assert_int_equal(mn_store_model_get(f->a.store, &v, "builtin", version, &err), 0);
	assert_string_equal(v.state, want);
	mn_model_version_release(&v);
}

static void link_current(struct fx *f, const char *version)
{
	char *link = mn_xasprintf("%s/models/builtin/current", f->a.home);

	unlink(link);
	assert_int_equal(symlink(version, link), 0);
	free(link);
}

/* A rollback killed after it moved `current` but before it recorded that
 * is finished by recovery; one killed before it moved is dropped. */
static void test_recover_interrupted_rollback(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char v1[16], v2[16], *intent = NULL;
	const char *json = "{\"from\":\"v0002\",\"to\":\"v0001\",\"why\":\"test\"}";

	reg_deploy(f, v1);
	reg_deploy(f, v2);
	/* killed before the switch: nothing moved, the intent is dropped */
	assert_int_equal(mn_store_meta_set(f->a.store, "registry.builtin.rollback", json, &err),
			 0);
	assert_int_equal(mn_registry_recover(&f->a, "builtin", &err), 0);
	state_is(f, "v0002", "deployed");
	assert_int_equal(mn_store_meta_get(f->a.store, &intent, "registry.builtin.rollback",
					   &err),
			 0);
	assert_null(intent);
	/* killed after the switch: recovery records the rollback */
	assert_int_equal(mn_store_meta_set(f->a.store, "registry.builtin.rollback", json, &err),
			 0);
	link_current(f, "v0001");
	assert_int_equal(mn_registry_recover(&f->a, "builtin", &err), 0);
	state_is(f, "v0002", "rolled_back");
	state_is(f, "v0001", "deployed");
	assert_int_equal(mn_store_meta_get(f->a.store, &intent, "registry.builtin.rollback",
					   &err),
			 0);
	assert_null(intent);
	/* a pin settles a stale intent before it moves current: no false
	 * rollback of v0003 later */
	{
		char v3[16];

		reg_deploy(f, v3);
		assert_string_equal(v3, "v0003");
	}
	json = "{\"from\":\"v0003\",\"to\":\"v0001\"}";
	assert_int_equal(mn_store_meta_set(f->a.store, "registry.builtin.rollback", json, &err),
			 0);
	assert_int_equal(mn_registry_pin(&f->a, "builtin", "v0001", &err), 0);
	assert_int_equal(mn_registry_recover(&f->a, "builtin", &err), 0);
	state_is(f, "v0003", "deployed");
	assert_int_equal(mn_store_meta_get(f->a.store, &intent, "registry.builtin.pinned", &err),
			 0);
	assert_string_equal(intent, "v0001");
	free(intent);
}

/* Temp copies and links of dead processes go; a live process's stay. */
static void test_recover_removes_dead_temps(void **state)
{
	struct fx *f = *state;
	struct mn_err err = MN_ERR_INIT;
	char *dead_dir = mn_xasprintf("%s/models/builtin/v0009.tmp.999999", f->a.home);
	char *dead_link = mn_xasprintf("%s/models/builtin/current.new.999999", f->a.home);
	char *live_dir = mn_xasprintf("%s/models/builtin/v0008.tmp.%ld", f->a.home,
				      (long)getpid());

	assert_int_equal(mn_file_mkdir_p(dead_dir, 0700, &err), 0);
	assert_int_equal(mn_file_mkdir_p(live_dir, 0700, &err), 0);
	assert_int_equal(symlink("v0009", dead_link), 0);
	assert_int_equal(mn_registry_recover(&f->a, "builtin", &err), 0);
	assert_false(mn_file_is_dir(dead_dir));
	{
		struct stat st;

		assert_true(lstat(dead_link, &st) < 0);
	}
	assert_true(mn_file_is_dir(live_dir));
	free(dead_dir);
	free(dead_link);
	free(live_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_copies_with_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deploy_points_current_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_keeps_current, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_to_previous_then_default, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deploy_command_on_rollback_to_default, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prune_keeps_configured_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recover_interrupted_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_removes_dead_temps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
