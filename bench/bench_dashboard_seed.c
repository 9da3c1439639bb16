/*
 * bench_dashboard_seed.c - fill a data home with N memories for
 * bench_dashboard.sh: each remembered through mn_app_remember (the real
 * path: raw row, builtin encoding inline, memory and experience row), plus
 * recalls rated over the last 30 days' worth of queries so the learning
 * view has feedback to count. Usage: bench_dashboard_seed N (MNEMO_HOME set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/ops.h"
#include "base/mem.h"

static const char *const words[] = {
	"parser", "cache", "index", "planner", "scheduler", "worker", "queue", "socket",
	"allocator", "checkpoint", "snapshot", "replica", "migration", "schema", "backup",
	"rollback", "deploy", "canary", "latency", "timeout", "retry", "kernel", "driver",
	"sensor", "gradient", "tokenizer", "postgres", "sqlite", "redis", "kafka", "nginx",
	"systemd", "docker", "release", "quota", "session", "header", "payload", "locale",
};
#define NW (sizeof(words) / sizeof(words[0]))

int main(int argc, char **argv)
{
	struct mn_err err = MN_ERR_INIT;
	struct mn_ctx a;
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	unsigned x = 12345;

	if (mn_ctx_open(&a, NULL, &err)) {
		fprintf(stderr, "open: %s\n", err.msg);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char text[256];
		struct mn_remember_out out;
		struct mn_remember_in in = { 0 };
		const char *w[3];

		for (int k = 0; k < 3; k++) {
			x = x * 1103515245u + 12345u;
			w[k] = words[(x >> 8) % NW];
		}
		snprintf(text, sizeof(text),
			 "Observation %d: tuned the %s %s path in src/%s/main.c; it handles %u "
			 "requests per second on host db%u after release v1.%u.",
			 i, w[0], w[1], w[2], 100 + (x >> 16) % 9000, (x >> 4) % 40, (x >> 12) % 30);
		in.text = text;
		in.len = strlen(text);
		in.source = "bench";
		in.type = "note";
		in.project = i % 2 ? "alpha" : "beta";
		if (mn_app_remember(&a, &out, &in, &err)) {
			fprintf(stderr, "remember: %s\n", err.msg);
			return 1;
		}
		if ((i + 1) % 20000 == 0)
			fprintf(stderr, "  ... %d memories\n", i + 1);
	}
	/* rated recalls: a feedback row set for the learning view */
	for (int i = 0; i < 200; i++) {
		struct mn_recall_opts o = { .query = words[i % NW], .limit = 5 };
		json_t *r = NULL, *fb = NULL;

		if (mn_op_recall(&a, &o, &r, &err) == 0) {
			const char *qid = json_string_value(json_object_get(r, "query_id"));

			if (qid && json_array_size(json_object_get(r, "memories")))
				mn_op_feedback(&a, qid, i % 3 ? "helpful" : "irrelevant", NULL, 0, NULL,
					       &fb, &err);
		}
		json_decref(r);
		json_decref(fb);
	}
	mn_ctx_close(&a);
	return 0;
}
