/*
 * embed.c - the /v1/embeddings client: a request of {"model", "input":
 * [texts], "encoding_format": "float"} on an mn_llm client whose path is
 * /embeddings, and the reply's data[].embedding read back by index.
 *
 * "dimensions" is not sent: servers that cannot shorten vectors refuse
 * it. embedding.dimensions is what the model gives; a reply of another
 * size is refused, so vectors of two sizes never mix in the store.
 */
#include "model/embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/mem.h"
#include "base/text.h"
#include "model/llm.h"

struct mn_embed {
	struct mn_llm *llm;
	char *model;
	int dim;
};

bool mn_embed_configured(const struct mn_config *cfg)
{
	return cfg->embedding.provider && !strcmp(cfg->embedding.provider, "openai") &&
	       cfg->embedding.endpoint && cfg->embedding.model && cfg->embedding_dimensions > 0;
}

int mn_embed_open(struct mn_embed **out, const struct mn_config *cfg, const char *home,
		  long timeout_ms, int max_retries, struct mn_err *err)
{
	struct mn_llm_opts o = { 0 };
	struct mn_embed *e = NULL;
	char *key = NULL;
	int ret;

	*out = NULL;
	if (!mn_embed_configured(cfg))
		return mn_err_set(err, MN_EINVAL, "no embedding provider is configured");
	ret = mn_config_api_key(&key, &cfg->embedding, home, err);
	if (ret)
		return ret;
	o.endpoint = cfg->embedding.endpoint;
	o.model = cfg->embedding.model;
	o.api_key = key;
	o.timeout_s = cfg->embedding.timeout_s;
	o.timeout_ms = timeout_ms;
	o.max_retries = max_retries;
	o.path = "/embeddings";
	e = mn_xcalloc(1, sizeof(*e));
	ret = mn_llm_new(&e->llm, &o, err);
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	if (ret) {
		free(e);
		return ret;
	}
	e->model = mn_xstrdup(cfg->embedding.model);
	e->dim = cfg->embedding_dimensions;
	*out = e;
	return 0;
}

void mn_embed_free(struct mn_embed *e)
{
	if (!e)
		return;
	mn_llm_free(e->llm);
	free(e->model);
	free(e);
}

const char *mn_embed_model(const struct mn_embed *e)
{
	return e->model;
}

int mn_embed_dim(const struct mn_embed *e)
{
	return e->dim;
}

/* One data[] entry into v (dim floats), scaled to unit length. */
static int read_vector(float *v, const json_t *emb, int dim, const char *url, struct mn_err *err)
{
	double norm = 0;
	size_t i;
	const json_t *x;

	if (!json_is_array(emb))
		return mn_err_set(err, MN_EPARSE,
				  "reply from '%s' has an embedding that is not "
				  "a list of numbers",
				  url);
	if (json_array_size(emb) != (size_t)dim)
		return mn_err_set(err, MN_EPARSE,
				  "'%s' returned %zu dimensions, embedding.dimensions is %d", url,
				  json_array_size(emb), dim);
	json_array_foreach(emb, i, x)
	{
		double d = json_number_value(x);

		if (!json_is_number(x) || !isfinite(d) || fabs(d) > 1e30)
			return mn_err_set(err, MN_EPARSE,
					  "reply from '%s' has a value that is not "
					  "a finite number",
					  url);
		v[i] = (float)d;
		norm += d * d;
	}
	if (!(norm > 0))
		return mn_err_set(err, MN_EPARSE, "reply from '%s' has an all-zero vector", url);
	norm = sqrt(norm);
	for (int k = 0; k < dim; k++)
		v[k] = (float)(v[k] / norm);
	return 0;
}

int mn_embed_texts(struct mn_embed *e, float *out, const char *const *texts, size_t n,
		   struct mn_err *err)
{
	const char *url = mn_llm_shown_url(e->llm);
	json_t *req = json_object(), *input = json_array(), *reply = NULL;
	const json_t *data, *item;
	bool *seen = NULL;
	size_t i;
	int ret = 0;

	if (n == 0 || n > MN_EMBED_MAX_BATCH) {
		ret = mn_err_set(err, MN_EINVAL, "embed 1 to %d texts at a time",
				 MN_EMBED_MAX_BATCH);
		goto out;
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(texts[i]);
		size_t cut = mn_text_utf8_cut(texts[i], len, MN_EMBED_MAX_TEXT_BYTES);
		/* an empty input is refused by some servers */
		json_t *s = cut ? json_stringn(texts[i], cut) : json_string(" ");

		if (!s) {
			ret = mn_err_set(err, MN_EINVAL, "text to embed is not valid UTF-8");
			goto out;
		}
		json_array_append_new(input, s);
	}
	json_object_set_new(req, "model", json_string(e->model));
	json_object_set(req, "input", input);
	json_object_set_new(req, "encoding_format", json_string("float"));
	ret = mn_llm_post_json(e->llm, &reply, req, err);
	if (ret)
		goto out;
	data = json_object_get(reply, "data");
	if (!json_is_array(data) || json_array_size(data) != n) {
		ret = mn_err_set(err, MN_EPARSE, "reply from '%s' does not hold %zu embeddings",
				 url, n);
		goto out;
	}
	seen = mn_xcalloc(n, sizeof(*seen));
	json_array_foreach(data, i, item)
	{
		const json_t *ix = json_object_get(item, "index");
		/* servers send them in order; "index" says so when present */
		json_int_t k = json_is_integer(ix) ? json_integer_value(ix) : (json_int_t)i;

		if (k < 0 || (size_t)k >= n || seen[k]) {
			ret = mn_err_set(err, MN_EPARSE,
					 "reply from '%s' has a bad embedding index", url);
			goto out;
		}
		seen[k] = true;
		ret = read_vector(out + (size_t)k * (size_t)e->dim,
				  json_object_get(item, "embedding"), e->dim, url, err);
		if (ret)
			goto out;
	}
out:
	free(seen);
	json_decref(reply);
	json_decref(input);
	json_decref(req);
	return ret;
}
