#include "train/evaluate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/mem.h"
#include "core/datadir.h"
#include "model/encoding.h"
#include "model/llm.h"
#include "model/prompt.h"
#include "model/student.h"
#include "model/verify.h"

char *mn_evaluate_probe_path(const struct mn_config *cfg)
{
	if (cfg->learning.gate.probe_set)
		return mn_xstrdup(cfg->learning.gate.probe_set);
	return mn_datadir_find("probe/probe.raw.jsonl");
}

void mn_evaluate_release(struct mn_evaluate_set *s)
{
	mn_evalset_release(&s->all);
	mn_evalset_release(&s->holdout);
	s->n_probe = 0;
}

int mn_evaluate_load(struct mn_evaluate_set *out, const char *probe_path,
		     const char *holdout_path, struct mn_err *err)
{
	int ret = 0;

	mn_evalset_init(&out->all);
	mn_evalset_init(&out->holdout);
	out->n_probe = 0;
	if (probe_path)
		ret = mn_evalset_load(&out->all, probe_path, err);
	out->n_probe = out->all.n;
	if (!ret && holdout_path && mn_file_exists(holdout_path)) {
		ret = mn_evalset_load(&out->all, holdout_path, err);
		if (!ret)
			ret = mn_evalset_load(&out->holdout, holdout_path, err);
	}
	if (ret)
		mn_evaluate_release(out);
	return ret;
}

/* One encoding of an item, kept so that the subsets (probe, holdout) are
 * scored on exactly the encodings the whole set was: each item is encoded
 * once, and a sampling model cannot give the subsets other answers. */
struct cached {
	json_t *enc; /* NULL when the encode failed */
	int code;
	char msg[256];
};

struct ticked {
	mn_eval_encode_fn fn;
	void *payload;
	const struct mn_evaluate_ctl *ctl;
	bool stopped;
	struct cached *cache; /* one per item of the whole set */
	size_t n, next;       /* items; the one the next call is for */
	bool replay;          /* answer from the cache */
};

/* Heartbeat between items; once told to stop, every item fails fast. */
static int ticked_fn(void *payload, json_t **out_enc, const char *input, size_t len,
		     const char *source, const char *type, struct mn_err *err)
{
	struct ticked *t = payload;
	struct cached *c;
	int ret;

	if (t->next >= t->n)
		return mn_err_set(err, MN_EFAIL, "evaluation item %zu out of range", t->next);
	c = &t->cache[t->next++];
	if (t->replay) {
		if (c->code)
			return mn_err_set(err, c->code, "%s", c->msg);
		*out_enc = json_incref(c->enc);
		return 0;
	}
	if (!t->stopped && t->ctl && t->ctl->tick && !t->ctl->tick(t->ctl->payload))
		t->stopped = true;
	if (t->stopped)
		return mn_err_set(err, MN_EINTR, "evaluation stopped");
	ret = t->fn(t->payload, out_enc, input, len, source, type, err);
	if (ret || !*out_enc) {
		c->code = ret ? ret : MN_EFAIL;
		snprintf(c->msg, sizeof(c->msg), "%s", ret ? err->msg : "no encoding");
	} else {
		c->enc = json_incref(*out_enc);
	}
	return ret;
}

/* Score items [from, from + n) of the whole set again, from the cache. */
static json_t *subset_report(struct ticked *t, const struct mn_evaluate_set *s, size_t from,
			     size_t n, struct mn_err *err)
{
	struct mn_evalset view = s->all;
	struct mn_eval_report rep;

	view.items = s->all.items + from;
	view.n = n;
	view.alloc = 0;
	t->replay = true;
	t->next = from;
	if (mn_evalset_run(&rep, &view, ticked_fn, t, err))
		return NULL;
	return mn_eval_report_to_json(&rep);
}

int mn_evaluate_run(json_t **out, const struct mn_evaluate_set *s, mn_eval_encode_fn fn,
		    void *payload, const struct mn_evaluate_ctl *ctl, struct mn_err *err)
{
	struct ticked t = { fn, payload, ctl, false, NULL, 0, 0, false };
	struct mn_eval_report all;
	size_t n_probe = s->n_probe, n_hold;
	json_t *o = NULL, *sub;
	int ret;

	*out = NULL;
	if (s->all.n == 0)
		return mn_err_set(err, MN_EINVAL,
				  "the eval set is empty (no probe set and no holdout)");
	n_hold = s->all.n - n_probe;
	t.n = s->all.n;
	t.cache = mn_xcalloc(t.n, sizeof(*t.cache));
	ret = mn_evalset_run(&all, &s->all, ticked_fn, &t, err);
	if (ret)
		goto out;
	if (t.stopped) {
		ret = mn_err_set(err, MN_EINTR, "evaluation stopped");
		goto out;
	}
	o = mn_eval_report_to_json(&all);
	json_object_set_new(o, "n_probe", json_integer((json_int_t)n_probe));
	json_object_set_new(o, "n_holdout", json_integer((json_int_t)n_hold));
	/* The gate judges agreement on each part on its own: the shipped
	 * probe set and the run's holdout. */
	if (n_probe > 0) {
		sub = subset_report(&t, s, 0, n_probe, err);
		if (!sub) {
			ret = err->code ? err->code : MN_EFAIL;
			goto out;
		}
		json_object_set_new(o, "probe", sub);
	}
	if (n_hold > 0) {
		sub = subset_report(&t, s, n_probe, n_hold, err);
		if (!sub) {
			ret = err->code ? err->code : MN_EFAIL;
			goto out;
		}
		json_object_set_new(o, "holdout", sub);
	}
	*out = o;
	o = NULL;
out:
	json_decref(o);
	for (size_t i = 0; i < t.n; i++)
		json_decref(t.cache[i].enc);
	free(t.cache);
	return ret;
}

/* ---- builtin ---- */

int mn_evaluate_builtin(json_t **out, const struct mn_evaluate_set *s, const char *model_dir,
			const struct mn_config *cfg, const struct mn_evaluate_ctl *ctl,
			struct mn_err *err)
{
	struct mn_student *st = NULL;
	int ret;

	*out = NULL;
	ret = model_dir ? mn_student_load(&st, model_dir, err) : mn_student_load_default(&st, err);
	if (ret)
		return ret;
	ret = mn_evaluate_run(out, s, mn_student_encode_fn, st, ctl, err);
	mn_student_free(st);
	return ret;
}

/* ---- external ---- */

static int llm_fn(void *payload, json_t **out_enc, const char *content, size_t len,
		  const char *source, const char *type, struct mn_err *err)
{
	json_t *enc = NULL, *as_produced = NULL;
	char *raw = NULL;
	int ret = mn_llm_encode(payload, &enc, &raw, content, len, source, type, len + 1, err);

	if (ret)
		return ret;
	/* Score what the model produced, as production does. */
	as_produced = raw ? mn_encoding_extract(raw, strlen(raw), NULL) : NULL;
	if (as_produced) {
		json_decref(enc);
		enc = as_produced;
	}
	free(raw);
	*out_enc = enc;
	return 0;
}

static int free_port(int *out, struct mn_err *err)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return mn_err_set(err, MN_EIO, "could not create a socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return mn_err_set(err, MN_EIO, "could not find a free port: %s", strerror(errno));
	}
	*out = ntohs(sa.sin_port);
	close(fd);
	return 0;
}

static char *expand_one(const char *tmpl, const struct mn_argv_var *vars, size_t n)
{
	char *v[2] = { (char *)tmpl, NULL };
	struct mn_argv a = { v, 1 };
	char **x = mn_argv_expand(&a, vars, n);
	char *s = x && x[0] ? mn_xstrdup(x[0]) : NULL;

	mn_argv_free(x);
	return s;
}

int mn_evaluate_external(json_t **out, const struct mn_evaluate_set *s, const char *artifact,
			 const struct mn_config *cfg, const char *home,
			 const struct mn_evaluate_ctl *ctl, struct mn_err *err)
{
	const struct mn_argv *serve = &cfg->learning.training.evaluate_serve_command;
	struct mn_llm_opts lo = { 0 };
	struct mn_llm *llm = NULL;
	char **argv = NULL;
	char *endpoint = NULL, *model = NULL, *key = NULL;
	char port_s[16] = "";
	pid_t pid = -1;
	int ret = 0;

	*out = NULL;
	if (!artifact && !cfg->student.endpoint)
		return mn_err_set(err, MN_EINVAL, "no incumbent endpoint (student.endpoint)");
	/* Candidate and incumbent are called with the student's key, as
	 * production is (a server that checks keys checks both). */
	ret = mn_config_api_key(&key, &cfg->student, home, err);
	if (ret)
		goto out;
	if (!artifact) {
		/* The production student as it runs now. */
		endpoint = mn_xstrdup(cfg->student.endpoint);
		model = cfg->student.model ? mn_xstrdup(cfg->student.model) : NULL;
	} else if (serve->v && serve->n > 0) {
		int port = 0;
		struct mn_argv_var vars[2] = { { "artifact", artifact }, { "port", port_s } };
		const char *keys[3];

		ret = free_port(&port, err);
		if (ret)
			goto out;
		snprintf(port_s, sizeof(port_s), "%d", port);
		argv = mn_argv_expand(serve, vars, 2);
		/* The server may need the key it is to check (vLLM --api-key). */
		mn_config_key_vars(keys, cfg, false);
		ret = mn_proc_spawn_bg_env(&pid, argv, mn_config_child_env, keys, ctl ? ctl->log_fd : -1, false, err);
		if (ret)
			goto out;
		endpoint = mn_xasprintf("http://127.0.0.1:%d/v1", port);
		model = cfg->learning.training.evaluate_model
				? expand_one(cfg->learning.training.evaluate_model, vars, 2)
				: NULL;
		mn_info("evaluate", "started '%s' (pid %ld) for %s on port %d", argv[0],
			(long)pid, artifact, port);
		ret = mn_llm_wait_ready(endpoint, cfg->learning.training.evaluate_ready_timeout_s,
					err);
		if (ret)
			goto out;
	} else if (cfg->learning.training.evaluate_endpoint) {
		struct mn_argv_var vars[1] = { { "artifact", artifact } };

		endpoint = mn_xstrdup(cfg->learning.training.evaluate_endpoint);
		model = cfg->learning.training.evaluate_model
				? expand_one(cfg->learning.training.evaluate_model, vars, 1)
				: NULL;
		ret = mn_llm_wait_ready(endpoint, cfg->learning.training.evaluate_ready_timeout_s,
					err);
		if (ret)
			goto out;
	} else {
		ret = mn_err_set(err, MN_EINVAL,
				 "external students need learning.training.evaluate.serve_command"
				 " or evaluate.endpoint");
		goto out;
	}
	lo.endpoint = endpoint;
	lo.model = model;
	lo.api_key = key;
	lo.timeout_s = cfg->student.timeout_s;
	lo.max_retries = 1;
	ret = mn_llm_new(&llm, &lo, err);
	if (!ret)
		ret = mn_evaluate_run(out, s, llm_fn, llm, ctl, err);
out:
	mn_llm_free(llm);
	if (pid > 0)
		mn_proc_stop_bg(pid, 5000);
	mn_argv_free(argv);
	free(endpoint);
	free(model);
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	return ret;
}
