#include "model/encoder.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "model/encoding.h"
#include "model/llm.h"
#include "model/prompt.h"
#include "model/student.h"

struct mn_encoder {
	const struct mn_config *cfg;
	char *home;
	char *current_link;      /* <home>/models/builtin/current, NULL when fixed model */
	const char *digest_home; /* home when given: its verified-digest cache */
	char loaded_target[PATH_MAX]; /* what current pointed at when loaded */
	struct mn_student *student;
	char *student_label;     /* "v0003", "default" or the --model dir */
	struct mn_llm *llm;      /* openai student, NULL for builtin */
	char *llm_label;
	char describe[256];
};

static void set_student(struct mn_encoder *e, struct mn_student *s, const char *label)
{
	mn_student_free(e->student);
	free(e->student_label);
	e->student = s;
	e->student_label = mn_xstrdup(label);
}

/* Follow models/builtin/current: load a re-pointed version, keep the old
 * one when the new file is bad. */
static int sync_student(struct mn_encoder *e, struct mn_err *err)
{
	char target[PATH_MAX];
	ssize_t n;
	struct mn_student *s = NULL;
	struct mn_err lerr = MN_ERR_INIT;
	char *dir;

	if (!e->current_link)
		return 0;
	n = readlink(e->current_link, target, sizeof(target) - 1);
	if (n < 0) {
		if (e->student && !e->loaded_target[0])
			return 0; /* already on the default */
		if (mn_student_load_default_cached(&s, e->digest_home, err))
			return err->code;
		set_student(e, s, "default");
		e->loaded_target[0] = '\0';
		return 0;
	}
	target[n] = '\0';
	if (e->student && !strcmp(target, e->loaded_target))
		return 0;
	dir = target[0] == '/' ? mn_xstrdup(target)
			       : mn_xasprintf("%s/models/builtin/%s", e->home, target);
	if (mn_student_load_cached(&s, dir, e->digest_home, &lerr)) {
		mn_warn("encoder", "could not load model '%s' (%s); keeping %s", dir, lerr.msg,
			e->student ? e->student_label : "the default");
		free(dir);
		if (e->student) {
			snprintf(e->loaded_target, sizeof(e->loaded_target), "%s", target);
			return 0;
		}
		if (mn_student_load_default_cached(&s, e->digest_home, err))
			return err->code;
		set_student(e, s, "default");
		snprintf(e->loaded_target, sizeof(e->loaded_target), "%s", target);
		return 0;
	}
	{
		const char *base = strrchr(target, '/');
		bool switched = e->student != NULL;

		set_student(e, s, base ? base + 1 : target);
		/* a switch while running is news; the first load is not */
		mn_log(switched ? MN_LOG_INFO : MN_LOG_DEBUG, "encoder", "builtin student now %s",
		       e->student_label);
	}
	snprintf(e->loaded_target, sizeof(e->loaded_target), "%s", target);
	free(dir);
	return 0;
}

static int open_common(struct mn_encoder **out, const struct mn_config *cfg, const char *home,
		       struct mn_err *err)
{
	struct mn_encoder *e = mn_xcalloc(1, sizeof(*e));
	int ret = 0;

	e->cfg = cfg;
	e->home = mn_xstrdup(home ? home : ".");
	if (cfg->student.provider && !strcmp(cfg->student.provider, "openai")) {
		struct mn_llm_opts o = { 0 };
		char *key = NULL;

		ret = mn_config_api_key(&key, &cfg->student, e->home, err);
		if (ret)
			goto out;
		o.endpoint = cfg->student.endpoint;
		o.model = cfg->student.model;
		o.api_key = key;
		o.timeout_s = cfg->student.timeout_s;
		o.max_retries = 2;
		o.backoff_ms = 500;
		ret = mn_llm_new(&e->llm, &o, err);
		if (key) {
			memset(key, 0, strlen(key));
			free(key);
		}
		if (ret)
			goto out;
		e->llm_label = mn_xasprintf("openai:%s", cfg->student.model);
	}
out:
	if (ret) {
		mn_encoder_free(e);
		e = NULL;
	}
	*out = e;
	return ret;
}

int mn_encoder_open(struct mn_encoder **out, const struct mn_config *cfg, const char *home,
		    struct mn_err *err)
{
	int ret = open_common(out, cfg, home, err);

	if (ret)
		return ret;
	(*out)->current_link = mn_xasprintf("%s/models/builtin/current", (*out)->home);
	if (home)
		(*out)->digest_home = (*out)->home;
	ret = sync_student(*out, err);
	if (ret) {
		mn_encoder_free(*out);
		*out = NULL;
	}
	return ret;
}

int mn_encoder_open_model(struct mn_encoder **out, const struct mn_config *cfg,
			  const char *model_dir, struct mn_err *err)
{
	struct mn_config builtin = *cfg;
	struct mn_student *s = NULL;
	int ret;

	builtin.student.provider = "builtin";
	ret = open_common(out, &builtin, NULL, err);
	if (ret)
		return ret;
	(*out)->cfg = cfg;
	ret = mn_student_load(&s, model_dir, err);
	if (ret) {
		mn_encoder_free(*out);
		*out = NULL;
		return ret;
	}
	set_student(*out, s, model_dir);
	return 0;
}

void mn_encoder_free(struct mn_encoder *e)
{
	if (!e)
		return;
	mn_student_free(e->student);
	mn_llm_free(e->llm);
	free(e->student_label);
	free(e->llm_label);
	free(e->current_link);
	free(e->home);
	free(e);
}

const char *mn_encoder_describe(struct mn_encoder *e)
{
	if (e->llm)
		snprintf(e->describe, sizeof(e->describe), "%s (fallback builtin@%s)",
			 e->llm_label, e->student_label ? e->student_label : "default");
	else
		snprintf(e->describe, sizeof(e->describe), "builtin@%s",
			 e->student_label ? e->student_label : "default");
	return e->describe;
}

void mn_encode_out_release(struct mn_encode_out *o)
{
	if (!o)
		return;
	json_decref(o->encoding);
	free(o->encoding_json);
	free(o->encoder);
	free(o->encoder_version);
	free(o->fallback_reason);
	mn_metrics_release(&o->metrics);
	memset(o, 0, sizeof(*o));
}

static int encode_builtin(struct mn_encoder *e, struct mn_encode_out *out, const char *content,
			  size_t len, const char *source, const char *type, struct mn_err *err)
{
	json_t *enc = NULL;
	int ret;

	if (!e->student) {
		struct mn_student *s = NULL;

		ret = mn_student_load_default(&s, err);
		if (ret)
			return ret;
		set_student(e, s, "default");
	}
	ret = mn_student_encode(e->student, &enc, &out->confidence, content, len, source, type);
	if (ret)
		return mn_err_set(err, ret, "builtin student failed to encode");
	out->encoding_json = mn_json_dumps(enc);
	out->encoding = enc;
	out->encoder = mn_xstrdup("builtin");
	out->encoder_version = mn_xstrdup(e->student_label);
	return 0;
}

static int encode_llm(struct mn_encoder *e, struct mn_encode_out *out, const char *content,
		      size_t len, const char *source, const char *type, const char *when,
		      struct mn_err *err)
{
	json_t *enc = NULL, *as_produced = NULL;
	char *raw = NULL;
	int ret;

	ret = mn_llm_encode_at(e->llm, &enc, &raw, content, len, source, type, when, len + 1, err);
	if (ret)
		goto out;
	as_produced = raw ? mn_encoding_extract(raw, strlen(raw), NULL) : NULL;
	out->encoding_json = mn_json_dumps(as_produced ? as_produced : enc);
	out->encoding = enc;
	enc = NULL;
	out->encoder = mn_xstrdup(e->llm_label);
	out->encoder_version = mn_xstrdup(e->cfg->student.model);
	/* An LLM reports no margin; its confidence is what the verifier sees. */
	out->confidence = 1.0;
out:
	json_decref(enc);
	json_decref(as_produced);
	free(raw);
	return ret;
}

int mn_encoder_encode(struct mn_encoder *e, struct mn_encode_out *out, const char *content,
		      size_t len, const char *source, const char *type, struct mn_err *err)
{
	return mn_encoder_encode_at(e, out, content, len, source, type, NULL, err);
}

int mn_encoder_encode_at(struct mn_encoder *e, struct mn_encode_out *out, const char *content,
			 size_t len, const char *source, const char *type, const char *when,
			 struct mn_err *err)
{
	size_t max_chars = (size_t)e->cfg->encoding.max_input_chars;
	size_t seen = mn_prompt_input_len(content, len, max_chars);
	json_t *scored = NULL;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->input_len = seen;
	if (e->current_link) {
		ret = sync_student(e, err);
		if (ret)
			return ret;
	}
	if (e->llm) {
		struct mn_err lerr = MN_ERR_INIT;

		if (encode_llm(e, out, content, seen, source, type, when, &lerr)) {
			mn_warn("encoder", "%s failed (%s); falling back to the builtin student",
				e->llm_label, lerr.msg);
			mn_encode_out_release(out);
			out->input_len = seen;
			out->fallback = true;
			out->fallback_reason = mn_xstrdup(lerr.msg);
		} else {
			goto score;
		}
	}
	ret = encode_builtin(e, out, content, seen, source, type, err);
	if (ret)
		return ret;
score:
	/* Score what the encoder produced (before normalisation), against
	 * what it saw. The builtin student's output is its encoding. */
	if (!out->fallback && e->llm)
		scored = mn_json_parse(out->encoding_json, strlen(out->encoding_json), NULL);
	mn_verify_score(&out->metrics, content, seen, scored ? scored : out->encoding);
	json_decref(scored);
	{
		double sal = mn_json_num(out->encoding, "salience", 0.5);

		if (out->metrics.ted)
			sal -= 0.1;
		out->salience = sal < 0 ? 0 : sal > 1 ? 1 : sal;
	}
	return 0;
}
