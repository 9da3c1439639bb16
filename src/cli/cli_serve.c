/*
 * serve.c - `mnemo serve`, the daemon: holds worker.lock, encodes the
 * queue (encoding.workers threads), runs dream cycles on schedule,
 * supervises training and, with --http or http.listen, serves MCP, the
 * JSON API and the dashboard over HTTP (serve/http.h). Foreground until
 * SIGINT/SIGTERM; Type=notify aware.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "base/signal.h"
#include "cli/cli.h"
#include "train/dream.h"
#include "train/monitor.h"
#include "train/train.h"
#include "learn/worker.h"
#include "learn/embedder.h"
#include "serve/http.h"

static volatile sig_atomic_t stop_flag;

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	int fd;
	size_t len;

	if (!path || !*path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		mn_debug("serve", "sd_notify failed: %s", strerror(errno));
	close(fd);
}

struct worker_thread {
	pthread_t tid;
	struct mn_ctx *app;
	int index;
	struct mn_worker_observer observer; /* copied before the thread starts */
};

/* Extra encoding threads for slow HTTP students: each has its own store
 * connection and encoder. */
static void *worker_main(void *arg)
{
	struct worker_thread *w = arg;
	struct mn_store *st = NULL;
	struct mn_encoder *enc = NULL;
	struct mn_err err = MN_ERR_INIT;
	char id[64];

	snprintf(id, sizeof(id), "serve-%ld-%d", (long)getpid(), w->index);
	if (mn_store_open(&st, w->app->db_path, &err) ||
	    mn_encoder_open(&enc, &w->app->cfg, w->app->home, &err)) {
		mn_error("serve", "worker %d could not start: %s", w->index, err.msg);
		goto out;
	}
	while (!stop_flag) {
		int done = 0;

		if (mn_worker_drain(st, enc, &w->app->cfg, id, &w->observer, 20, &stop_flag, &done,
				    &err))
			mn_warn("serve", "worker %d: %s", w->index, err.msg);
		if (!done)
			mn_time_sleep_ms(200);
	}
out:
	mn_encoder_free(enc);
	mn_store_close(st);
	return NULL;
}

static const char serve_help[] =
	"usage: mnemo serve [options]\n"
	"\n"
	"Run the daemon in the foreground until SIGINT or SIGTERM: encode queued\n"
	"memories, run a dream cycle shortly after start and every dreaming.interval,\n"
	"and supervise training runs. Only one daemon runs per data home. With an\n"
	"embedding provider configured it also gives memories their vectors\n"
	"(docs/vectors.md).\n"
	"\n"
	"With --http (or http.listen in the configuration) it also serves, on one\n"
	"port: MCP over Streamable HTTP at /mcp, the JSON API at /api/v1/ and the\n"
	"dashboard at /. Loopback only unless http.token_file is set. Register it\n"
	"with Claude Code:\n"
	"\n"
	"  claude mcp add --transport http mnemo http://127.0.0.1:8377/mcp\n"
	"\n"
	"      --config FILE      configuration file\n"
	"      --http [ADDR:PORT] serve HTTP (default http.listen, else "
	MN_HTTP_DEFAULT_LISTEN ")\n"
	"                         port 0 picks a free port (written to <home>/http.addr)\n"
	"      --no-dream         do not run dream cycles (encode only)\n"
	"  -h, --help             this help\n";

int mn_cli_serve(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
					    { "config", required_argument, NULL, 'C' },
					    { "no-dream", no_argument, NULL, 'N' },
					    { "http", optional_argument, NULL, 'H' },
					    { 0 } };
	const char *config = NULL;
	struct mn_ctx a;
	struct mn_err err = MN_ERR_INIT;
	struct mn_encoder *enc = NULL;
	struct worker_thread *threads = NULL;
	struct mn_worker_lock locks = MN_WORKER_LOCK_INIT;
	int c, code, nthreads = 0, recovered;
	bool dreams = true, first_dream = true;
	int64_t next_dream, last_tick = 0;
	char worker_id[64];
	const char *http_at = NULL;
	bool http_flag = false;
	struct mn_http *http = NULL;
	struct mn_embedder_thread *embedder = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(serve_help, stdout);
			return 0;
		case 'C':
			config = optarg;
			break;
		case 'N':
			dreams = false;
			break;
		case 'H':
			/* --http, --http=ADDR:PORT or --http ADDR:PORT */
			http_flag = true;
			http_at = optarg;
			if (!http_at && optind < argc && argv[optind][0] != '-')
				http_at = argv[optind++];
			break;
		default:
			return mn_cli_bad_option("serve", argv);
		}
	}
	if (optind != argc)
		return mn_cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	code = mn_cli_open(&a, config);
	if (code)
		return code;
	mn_signal_stop_on(&stop_flag, (const int[]){ SIGINT, SIGTERM, 0 },
			  (const int[]){ SIGPIPE, SIGHUP, 0 });
	/* Another daemon: refused at once. An inline `remember` encoding
	 * right now: waited for, at most as long as its lease. */
	if (mn_worker_lock_daemon(&locks, a.home, mn_worker_lease_ms(&a.cfg), &stop_flag, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	if (mn_ctx_encoder(&a, &enc, &err)) {
		code = mn_cli_fail(&err);
		goto out;
	}
	/* We hold worker.lock, so no other encoder is running: every claim
	 * left in the database belongs to a worker that died. */
	recovered = mn_store_recover_claims(a.store, &err);
	if (recovered < 0)
		mn_warn("serve", "could not recover claims: %s", err.msg);
	else if (recovered > 0)
		mn_info("serve", "returned %d unfinished claim(s) to the queue", recovered);
	{
		int dead = 0;

		if (mn_train_recover_dead(&a, &dead, &err))
			mn_warn("serve", "training recovery: %s", err.msg);
		else if (dead)
			mn_info("serve", "marked %d orphaned training run(s) failed", dead);
	}
	mn_info("serve", "mnemo %s serving %s (config %s, encoder %s, %d worker%s)",
		MN_VERSION, a.home, a.cfg.path ? a.cfg.path : "built-in defaults",
		mn_encoder_describe(enc), a.cfg.encoding.workers,
		a.cfg.encoding.workers == 1 ? "" : "s");
	/* Before any worker thread starts: each takes its own copy. */
	mn_monitor_install(&a);
	nthreads = a.cfg.encoding.workers - 1;
	if (nthreads > 0) {
		threads = mn_xcalloc((size_t)nthreads, sizeof(*threads));
		for (int i = 0; i < nthreads; i++) {
			threads[i].app = &a;
			threads[i].index = i + 1;
			threads[i].observer = a.observer;
			if (pthread_create(&threads[i].tid, NULL, worker_main, &threads[i])) {
				mn_error("serve", "could not start worker thread %d", i + 1);
				nthreads = i;
				break;
			}
		}
	}
	/* vectors (docs/vectors.md): on a thread of their own, so encoding
	 * never waits on the embedding server */
	if (mn_embedder_thread_start(&embedder, &a, &stop_flag, &err))
		mn_warn("serve", "memories are not embedded: %s", err.msg);
	if (!http_at)
		http_at = a.cfg.http.listen;
	if (!http_at && http_flag)
		http_at = MN_HTTP_DEFAULT_LISTEN;
	if (http_at) {
		sigset_t block, old;
		int rc;

		/* the server's threads leave SIGINT/SIGTERM to this one */
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigaddset(&block, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		rc = mn_http_start(&http, &a, http_at, &err);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc) {
			stop_flag = 1;
			code = mn_cli_fail(&err);
			for (int i = 0; i < nthreads; i++)
				pthread_join(threads[i].tid, NULL);
			goto out;
		}
	}
	snprintf(worker_id, sizeof(worker_id), "serve-%ld-0", (long)getpid());
	next_dream = mn_time_mono_ms() + a.cfg.dreaming.startup_delay_ms;
	notify("READY=1\nSTATUS=serving");
	while (!stop_flag) {
		int done = 0;
		int64_t now;

		/* One row per turn: with a slow model the turn takes as long as
		 * one encoding, and the once-a-second work below still runs. */
		if (mn_worker_drain(a.store, enc, &a.cfg, worker_id, &a.observer, 1, &stop_flag,
				    &done, &err))
			mn_warn("serve", "encoding worker: %s", err.msg);
		now = mn_time_mono_ms();
		if (now - last_tick >= 1000) {
			last_tick = now;
			/* claims of a crashed inline encoder rejoin the queue once
			 * their lease expires */
			if (mn_store_recover_leases(a.store, &err) < 0)
				mn_warn("serve", "could not recover expired claims: %s", err.msg);
			mn_train_supervise_tick(&a);
		}
		if (dreams && !stop_flag && now >= next_dream) {
			json_t *report = NULL;

			notify("STATUS=dreaming");
			int rc = mn_dream_run(&a, first_dream ? "startup" : "scheduled",
					      &stop_flag, &report, &err);

			if (rc == MN_EINTR)
				mn_info("serve", "dream cycle interrupted by shutdown");
			else if (rc == MN_EBUSY)
				mn_info("serve", "dream cycle skipped: %s", err.msg);
			else if (rc)
				mn_warn("serve", "dream cycle failed: %s", err.msg);
			first_dream = false;
			json_decref(report);
			notify("STATUS=serving");
			next_dream = mn_time_mono_ms() + a.cfg.dreaming.interval_ms;
		}
		if (!done && !stop_flag)
			mn_time_sleep_ms(100);
	}
	notify("STOPPING=1");
	mn_info("serve", "shutting down");
	mn_http_stop(http);
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i].tid, NULL);
	mn_train_supervise_shutdown(&a);
	code = 0;
out:
	mn_embedder_thread_join(embedder); /* stop_flag is set on every path here */
	free(threads);
	mn_worker_lock_release(&locks);
	mn_ctx_close(&a);
	if (!code)
		mn_info("serve", "stopped cleanly");
	return code;
}
