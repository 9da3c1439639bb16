/* Unit tests for the toolbox in src/base/: real files, real child processes. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/proc.h"
#include "base/sha256.h"
#include "base/signal.h"
#include "base/text.h"
#include "base/timeutil.h"

static void test_buf_cap_is_sticky(void **state)
{
	struct mn_buf b = MN_BUF_INIT;

	mn_buf_init(&b, 8);
	mn_buf_adds(&b, "12345");
	mn_buf_adds(&b, "6789");
	assert_true(b.failed);
	mn_buf_adds(&b, "x");
	assert_string_equal(mn_buf_str(&b), "12345");
	mn_buf_release(&b);
}

static void test_xgrow_doubles_from_16_and_keeps_contents(void **state)
{
	size_t cap = 0;
	int *v = mn_xgrow(NULL, &cap, 1, sizeof(*v));

	assert_int_equal(cap, 16);
	for (int i = 0; i < 16; i++)
		v[i] = i;
	assert_ptr_equal(mn_xgrow(v, &cap, 16, sizeof(*v)), v);
	v = mn_xgrow(v, &cap, 40, sizeof(*v));
	assert_int_equal(cap, 64);
	for (int i = 0; i < 16; i++)
		assert_int_equal(v[i], i);
	free(v);
}

static volatile sig_atomic_t test_stop;

static void test_signal_stop_on_sets_the_flag_and_ignores(void **state)
{
	struct sigaction old_term, old_pipe, now;

	sigaction(SIGTERM, NULL, &old_term);
	sigaction(SIGPIPE, NULL, &old_pipe);
	mn_signal_stop_on(&test_stop, (const int[]){ SIGTERM, 0 }, (const int[]){ SIGPIPE, 0 });
	sigaction(SIGTERM, NULL, &now);
	assert_false(now.sa_flags & SA_RESTART);
	raise(SIGPIPE);
	assert_int_equal(test_stop, 0);
	raise(SIGTERM);
	assert_int_equal(test_stop, 1);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
}

static void test_json_compact_escapes_and_keeps_slash_and_utf8(void **state)
{
	json_t *v = json_pack("{s:s,s:s}", "p", "/var/log/a.log \"q\" \\ \n\t\x01", "u", "café");
	char *s = mn_json_dumps(v);

	assert_string_equal(s, "{\"p\":\"/var/log/a.log \\\"q\\\" \\\\ \\n\\t\\u0001\",\"u\":\"café\"}");
	free(s);
	json_decref(v);
}

static void test_json_reals_shortest_round_trip(void **state)
{
	char out[32];

	mn_json_format_real(out, 0.3);
	assert_string_equal(out, "0.3");
	mn_json_format_real(out, 0.1 + 0.2);
	assert_string_equal(out, "0.30000000000000004");
	mn_json_format_real(out, 1.0);
	assert_string_equal(out, "1.0");
	mn_json_format_real(out, 1e-7);
	assert_string_equal(out, "1e-07");
}

static void test_json_parse_rejects_duplicate_keys(void **state)
{
	struct mn_err err = MN_ERR_INIT;
	json_t *v = mn_json_parse("{\"a\":1,\"a\":2}", 13, &err);

	assert_null(v);
	assert_int_equal(err.code, MN_EPARSE);
}

static void test_input_check_reports_utf8_offset_nul_empty_size(void **state)
{
	struct mn_err err = MN_ERR_INIT;

	assert_int_equal(mn_text_check_input("ok", 2, 10, &err), 0);
	assert_int_equal(mn_text_check_input(" \n\t", 3, 10, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(mn_text_check_input("abc\xff", 4, 10, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "offset 3"));
	assert_int_equal(mn_text_check_input("a\0b", 3, 10, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(mn_text_check_input("0123456789a", 11, 10, &err), MN_EINVAL);
	/* overlong encoding and a surrogate are invalid */
	assert_int_equal(mn_text_utf8_invalid_at("\xc0\xaf", 2), 0);
	assert_int_equal(mn_text_utf8_invalid_at("x\xed\xa0\x80", 4), 1);
	assert_int_equal(mn_text_utf8_invalid_at("\xe2\x82\xac", 3), 3);
	assert_int_equal(mn_text_utf8_invalid_at("\xe2\x82", 2), 0);
}

static void test_utf8_cut_never_splits(void **state)
{
	const char *s = "aé€😀";

	assert_int_equal(mn_text_utf8_cut(s, strlen(s), 2), 1);
	assert_int_equal(mn_text_utf8_prefix(s, strlen(s), 3), 6);
	assert_int_equal(mn_text_utf8_chars(s, strlen(s)), 4);
}

static void test_escape_controls_keeps_text_escapes_what_a_terminal_obeys(void **state)
{
	/* ESC (OSC and CSI), CR, BEL, DEL, C1 CSI, a stray byte; then text
	 * that must pass as it is: newline, tab, UTF-8, a backslash. */
	static const char in[] = "a\x1b]0;t\x07" "b\x1b[31mc\rd\x7f\xc2\x9b" "e\xff"
				 "\n\tx\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\";
	struct mn_buf out = MN_BUF_INIT;

	mn_text_escape_controls(&out, in, sizeof(in) - 1);
	assert_string_equal(mn_buf_str(&out),
			    "a\\x1b]0;t\\x07b\\x1b[31mc\\x0dd\\x7f\\u009be\\xff"
			    "\n\tx\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\");
	mn_buf_reset(&out);
	mn_text_escape_controls(&out, "", 0);
	assert_string_equal(mn_buf_str(&out), "");
	mn_buf_release(&out);
}

static void test_parse_i64_is_strict(void **state)
{
	int64_t v = 7;

	assert_true(mn_text_parse_i64(&v, "42", 1, 100));
	assert_int_equal(v, 42);
	assert_true(mn_text_parse_i64(&v, "-3", -5, 5));
	assert_int_equal(v, -3);
	assert_false(mn_text_parse_i64(&v, "", 0, 100));
	assert_false(mn_text_parse_i64(&v, " 5", 0, 100));
	assert_false(mn_text_parse_i64(&v, "5 ", 0, 100));
	assert_false(mn_text_parse_i64(&v, "5x", 0, 100));
	assert_false(mn_text_parse_i64(&v, "0x10", 0, 100));
	assert_false(mn_text_parse_i64(&v, "101", 0, 100));
	assert_false(mn_text_parse_i64(&v, "-1", 0, 100));
	assert_false(mn_text_parse_i64(&v, "99999999999999999999", 0, INT64_MAX));
	assert_int_equal(v, -3);
}

static void test_durations_and_windows(void **state)
{
	int64_t ms;
	int a, b;

	assert_true(mn_text_parse_duration_ms(&ms, "3h"));
	assert_int_equal(ms, 3 * 3600 * 1000);
	assert_true(mn_text_parse_duration_ms(&ms, "90s"));
	assert_int_equal(ms, 90000);
	assert_false(mn_text_parse_duration_ms(&ms, "3 hours"));
	assert_true(mn_text_parse_window(&a, &b, "23:00-02:00"));
	assert_true(mn_text_window_contains(a, b, 23 * 60 + 30));
	assert_true(mn_text_window_contains(a, b, 60));
	assert_false(mn_text_window_contains(a, b, 12 * 60));
	assert_false(mn_text_parse_window(&a, &b, "25:00-02:00"));
	assert_false(mn_text_parse_window(&a, &b, "2:00-3:00"));
}

static void test_time_format_round_trip(void **state)
{
	char out[MN_TIME_LEN];
	int64_t ms;

	assert_true(mn_time_parse(&ms, "2026-04-14T06:00:00.123Z"));
	mn_time_format(out, ms);
	assert_string_equal(out, "2026-04-14T06:00:00.123Z");
	assert_true(mn_time_parse(&ms, "2026-04-14"));
	assert_false(mn_time_parse(&ms, "2026-13-01"));
	setenv("MNEMO_FAKE_NOW", "2026-01-02T03:04:05.006Z", 1);
	mn_time_now_str(out);
	assert_string_equal(out, "2026-01-02T03:04:05.006Z");
	unsetenv("MNEMO_FAKE_NOW");
}

static void test_sha256_known_vectors(void **state)
{
	char out[65];

	mn_sha256_hex_of(out, "", 0);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	mn_sha256_hex_of(out, "abc", 3);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mn_sha256_hex_of(out, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_atomic_write_replaces_and_sets_mode(void **state)
{
	char *dir = tu_tmpdir();
	char path[512];
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct stat st;

	snprintf(path, sizeof(path), "%s/f.json", dir);
	assert_int_equal(mn_file_write_atomic(path, "old", 3, 0600, &err), 0);
	assert_int_equal(mn_file_write_atomic(path, "new!", 4, 0640, &err), 0);
	assert_int_equal(mn_file_read(&b, path, 100, &err), 0);
	assert_string_equal(b.data, "new!");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(mn_file_read(&b, path, 2, &err), MN_EINVAL);
	/* a failed write (missing directory) leaves nothing behind */
	snprintf(path, sizeof(path), "%s/missing/f.json", dir);
	assert_int_not_equal(mn_file_write_atomic(path, "x", 1, 0600, &err), 0);
	mn_buf_release(&b);
	tu_rmtree(dir);
}

/* The temp file is created O_EXCL|O_NOFOLLOW: a symlink planted at any
 * name the writer might use is never written through, and the file is
 * created 0600 (JSON files too). */
static void test_atomic_write_never_follows_a_planted_link(void **state)
{
	char *dir = tu_tmpdir();
	char *path = mn_xasprintf("%s/f.json", dir);
	char *victim = mn_xasprintf("%s/victim", dir);
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	struct stat st;
	json_t *j = json_pack("{s:i}", "a", 1);

	tu_write(victim, "precious");
	/* every temp name of this process that the old writer or a
	 * pid-plus-counter scheme would pick first */
	for (unsigned i = 0; i < 64; i++) {
		char *l1 = mn_xasprintf("%s.tmp.%ld", path, (long)getpid());
		char *l2 = mn_xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), i);

		assert_int_equal(symlink(victim, l2), 0);
		if (i == 0)
			assert_int_equal(symlink(victim, l1), 0);
		free(l1);
		free(l2);
	}
	assert_int_equal(mn_file_write_atomic(path, "new", 3, 0600, &err), 0);
	assert_int_equal(mn_file_read(&b, victim, 100, &err), 0);
	assert_string_equal(b.data, "precious");
	assert_int_equal(mn_file_read(&b, path, 100, &err), 0);
	assert_string_equal(b.data, "new");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* JSON files are private too */
	assert_int_equal(mn_json_write_file(path, j, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	json_decref(j);
	mn_buf_release(&b);
	free(path);
	free(victim);
	tu_rmtree(dir);
}

/* A copy takes regular files and directories only, written 0600/0700
 * whatever the source's modes; a symlink, FIFO or socket is refused
 * without being opened (a FIFO would block the copy forever). */
static void test_copy_tree_takes_regular_files_only(void **state)
{
	char *dir = tu_tmpdir();
	char *src = mn_xasprintf("%s/src", dir), *dst = mn_xasprintf("%s/dst", dir);
	char *sub = mn_xasprintf("%s/src/sub", dir), *f = mn_xasprintf("%s/src/sub/w.bin", dir);
	char *out = mn_xasprintf("%s/dst/sub/w.bin", dir);
	char *special = mn_xasprintf("%s/src/special", dir);
	char *secret = mn_xasprintf("%s/secret", dir);
	struct mn_err err = MN_ERR_INIT;
	struct stat st;

	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	tu_write(f, "weights");
	chmod(f, 0644);
	tu_write(secret, "key");
	assert_int_equal(mn_file_copy_tree(src, dst, 0, &err), 0);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(mn_file_check_tree(src, &err), 0);

	/* a FIFO: refused at once, by the check and by the copy */
	assert_int_equal(mkfifo(special, 0600), 0);
	assert_int_equal(mn_file_check_tree(src, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "is a FIFO"));
	tu_rmtree(mn_xstrdup(dst));
	assert_int_equal(mn_file_copy_tree(src, dst, 0, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "is a FIFO"));
	assert_int_equal(mn_file_copy_tree(src, dst, MN_FILE_COPY_FOLLOW, &err), MN_EINVAL);
	unlink(special);

	/* a symlink: refused, never followed (unless asked for) */
	assert_int_equal(symlink(secret, special), 0);
	assert_int_equal(mn_file_check_tree(src, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
	tu_rmtree(mn_xstrdup(dst));
	assert_int_equal(mn_file_copy_tree(src, dst, 0, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
	tu_rmtree(mn_xstrdup(dst));
	assert_int_equal(mn_file_copy_tree(src, dst, MN_FILE_COPY_FOLLOW, &err), 0);
	unlink(special);

	/* the directory itself replaced by a link */
	assert_int_equal(symlink(src, special), 0);
	assert_int_equal(mn_file_check_tree(special, &err), MN_EINVAL);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
	unlink(special);

	/* a socket */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		assert_true(fd >= 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", special);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(mn_file_check_tree(src, &err), MN_EINVAL);
		assert_non_null(strstr(err.msg, "is a socket"));
		close(fd);
	}
	free(src);
	free(dst);
	free(sub);
	free(f);
	free(out);
	free(special);
	free(secret);
	tu_rmtree(dir);
}

/* With kill_group, a background child the program leaves behind dies
 * with it: when it exits, and when it times out. */
static void test_proc_kill_group_takes_background_children(void **state)
{
	char *dir = tu_tmpdir();
	char *pidf = mn_xasprintf("%s/bg.pid", dir);
	char *script = mn_xasprintf("sleep 300 </dev/null >/dev/null 2>&1 & echo $! > '%s'; %s",
				    pidf, "exit 0");
	char *hang = mn_xasprintf("sleep 300 </dev/null >/dev/null 2>&1 & echo $! > '%s'; "
				  "trap '' TERM; while :; do sleep 1; done",
				  pidf);
	char *argv[] = { "sh", "-c", script, NULL };
	struct mn_proc_opts o = { .argv = argv, .log_fd = -1, .timeout_ms = 20000,
				  .new_pgroup = true, .kill_group = true, .kill_grace_ms = 300 };
	struct mn_proc_result r;
	struct mn_err err = MN_ERR_INIT;
	struct mn_buf b = MN_BUF_INIT;
	int64_t pid = 0;

	for (int round = 0; round < 2; round++) {
		mn_proc_result_init(&r);
		if (round == 1) {
			argv[2] = hang;
			o.timeout_ms = 1000;
		}
		assert_int_equal(mn_proc_run(&r, &o, &err), 0);
		assert_true(round == 0 ? mn_proc_ok(&r) : r.timed_out);
		assert_int_equal(mn_file_read(&b, pidf, 64, &err), 0);
		assert_true(mn_text_parse_i64(&pid, mn_text_trim(b.data), 2, INT32_MAX));
		/* killed, and reaped by whoever its parent is now: wait for it */
		for (int i = 0; i < 300 && kill((pid_t)pid, 0) == 0; i++) {
			char *st = mn_xasprintf("/proc/%lld/stat", (long long)pid);
			struct mn_buf s = MN_BUF_INIT;
			bool zombie = !mn_file_read(&s, st, 4096, NULL) && strstr(s.data, ") Z ");

			mn_buf_release(&s);
			free(st);
			if (zombie)
				break;
			usleep(20000);
		}
		{
			char *st = mn_xasprintf("/proc/%lld/stat", (long long)pid);
			struct mn_buf s = MN_BUF_INIT;
			bool alive = !mn_file_read(&s, st, 4096, NULL) && !strstr(s.data, ") Z ");

			mn_buf_release(&s);
			free(st);
			if (alive)
				kill((pid_t)pid, SIGKILL);
			assert_false(alive);
		}
		unlink(pidf);
		mn_proc_result_release(&r);
	}
	mn_buf_release(&b);
	free(pidf);
	free(script);
	free(hang);
	tu_rmtree(dir);
}

static void test_proc_captures_output_and_exit_code(void **state)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct mn_proc_opts o = { .argv = argv, .log_fd = -1, .timeout_ms = 5000 };
	struct mn_proc_result r;
	struct mn_err err = MN_ERR_INIT;

	mn_proc_result_init(&r);
	assert_int_equal(mn_proc_run(&r, &o, &err), 0);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 3);
	assert_false(mn_proc_ok(&r));
	assert_string_equal(mn_buf_str(&r.out), "out\n");
	assert_string_equal(mn_buf_str(&r.errout), "err\n");
	mn_proc_result_release(&r);
}

static void test_proc_timeout_kills_and_reaps(void **state)
{
	char *argv[] = { "sh", "-c", "trap '' TERM; sleep 30", NULL };
	struct mn_proc_opts o = { .argv = argv, .log_fd = -1, .timeout_ms = 300,
				  .kill_grace_ms = 300, .new_pgroup = true };
	struct mn_proc_result r;
	struct mn_err err = MN_ERR_INIT;
	int64_t t0 = mn_time_mono_ms();

	mn_proc_result_init(&r);
	assert_int_equal(mn_proc_run(&r, &o, &err), 0);
	assert_true(r.timed_out);
	assert_false(mn_proc_ok(&r));
	assert_true(mn_time_mono_ms() - t0 < 5000);
	mn_proc_result_release(&r);
}

static void test_proc_env_is_minimal(void **state)
{
	char *argv[] = { "sh", "-c", "echo \"[$SECRET_TOKEN][$X]\"", NULL };
	const char *extra[] = { "X=1", NULL };
	char **env = mn_proc_env_minimal(extra);
	struct mn_proc_opts o = { .argv = argv, .env = env, .log_fd = -1, .timeout_ms = 5000 };
	struct mn_proc_result r;
	struct mn_err err = MN_ERR_INIT;

	setenv("SECRET_TOKEN", "hunter2", 1);
	mn_proc_result_init(&r);
	assert_int_equal(mn_proc_run(&r, &o, &err), 0);
	assert_string_equal(mn_buf_str(&r.out), "[][1]\n");
	mn_proc_result_release(&r);
	mn_proc_env_free(env);
	unsetenv("SECRET_TOKEN");
}

static void test_proc_missing_program_is_an_error(void **state)
{
	char *argv[] = { "/nonexistent/program", NULL };
	struct mn_proc_opts o = { .argv = argv, .log_fd = -1 };
	struct mn_proc_result r;
	struct mn_err err = MN_ERR_INIT;

	mn_proc_result_init(&r);
	assert_int_not_equal(mn_proc_run(&r, &o, &err), 0);
	assert_non_null(strstr(err.msg, "could not start"));
	mn_proc_result_release(&r);
}

static void test_spawn_bg_writes_to_log_and_stops(void **state)
{
	char *dir = tu_tmpdir();
	char path[512], marker[600];
	char *argv[] = { "sh", "-c", "echo started; sleep 30", NULL };
	char **env = mn_proc_env_minimal(NULL);
	struct mn_buf b = MN_BUF_INIT;
	struct mn_err err = MN_ERR_INIT;
	pid_t pid = -1;
	int fd, i;

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(mn_proc_spawn_bg(&pid, argv, env, fd, false, &err), 0);
	close(fd);
	assert_true(pid > 0);
	for (i = 0; i < 100; i++) {
		if (mn_file_read(&b, path, 1024, &err) == 0 && strstr(mn_buf_str(&b), "started"))
			break;
		mn_time_sleep_ms(20);
	}
	assert_non_null(strstr(mn_buf_str(&b), "started"));
	mn_proc_stop_bg(pid, 1000);
	assert_true(kill(pid, 0) < 0); /* gone and reaped */
	/* detached: outlives the middle process and reports its pid */
	snprintf(marker, sizeof(marker), "echo $$ > %s/detached", dir);
	{
		char *dargv[] = { "/bin/sh", "-c", marker, NULL };

		assert_int_equal(mn_proc_spawn_bg(&pid, dargv, env, -1, true, &err), 0);
	}
	snprintf(path, sizeof(path), "%s/detached", dir);
	for (i = 0; i < 100 && !mn_file_exists(path); i++)
		mn_time_sleep_ms(20);
	mn_time_sleep_ms(50);
	assert_int_equal(mn_file_read(&b, path, 64, &err), 0);
	assert_int_equal(atoi(mn_buf_str(&b)), pid);
	mn_buf_release(&b);
	mn_proc_env_free(env);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap_is_sticky),
		cmocka_unit_test(test_xgrow_doubles_from_16_and_keeps_contents),
		cmocka_unit_test(test_signal_stop_on_sets_the_flag_and_ignores),
		cmocka_unit_test(test_json_compact_escapes_and_keeps_slash_and_utf8),
		cmocka_unit_test(test_json_reals_shortest_round_trip),
		cmocka_unit_test(test_json_parse_rejects_duplicate_keys),
		cmocka_unit_test(test_input_check_reports_utf8_offset_nul_empty_size),
		cmocka_unit_test(test_utf8_cut_never_splits),
		cmocka_unit_test(test_escape_controls_keeps_text_escapes_what_a_terminal_obeys),
		cmocka_unit_test(test_parse_i64_is_strict),
		cmocka_unit_test(test_durations_and_windows),
		cmocka_unit_test(test_time_format_round_trip),
		cmocka_unit_test(test_sha256_known_vectors),
		cmocka_unit_test(test_atomic_write_replaces_and_sets_mode),
		cmocka_unit_test(test_atomic_write_never_follows_a_planted_link),
		cmocka_unit_test(test_copy_tree_takes_regular_files_only),
		cmocka_unit_test(test_proc_kill_group_takes_background_children),
		cmocka_unit_test(test_proc_captures_output_and_exit_code),
		cmocka_unit_test(test_proc_timeout_kills_and_reaps),
		cmocka_unit_test(test_proc_env_is_minimal),
		cmocka_unit_test(test_proc_missing_program_is_an_error),
		cmocka_unit_test(test_spawn_bg_writes_to_log_and_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
