/*
 * batch.c - training batch assembly (batch.h, DESIGN §7.1).
 *
 * The batch is built in memory from one consistent read of the buffer,
 * the rows used are claimed (when asked) in the same transaction, and only
 * then are the files written, each atomically, manifest.json last: a batch
 * directory with a manifest is complete.
 */
#include "learn/batch.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/hashset.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/sha256.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "core/datadir.h"
#include "model/encoding.h"
#include "model/prompt.h"
#include "store/store_learn.h"

#define BATCH_FORMAT "mnemo-batch-1"
/* Fixed salt of the holdout hash: the holdout must not move when the
 * shuffle seed changes, or it would stop being comparable. */
#define HOLDOUT_SALT 0x6d6e656d6f686f6cULL /* "mnemohol" */
#define REPLAY_SEED_PATH "seed/seed.raw.jsonl"

enum src { SRC_HUMAN, SRC_CORRECTED, SRC_GOLD, SRC_REPLAY, SRC_N };
static const char *const src_names[SRC_N] = { "human", "corrected", "gold", "replay" };

struct item {
	enum src src;
	char *memory_id;        /* NULL for replay rows without one */
	char *key;              /* stable sort key */
	char *raw_input;        /* the text the encoder saw */
	size_t raw_len;
	char *target;           /* target JSON text (compact) */
	json_t *encoded;        /* target object */
	char *rejected;         /* the student's output, for preference pairs */
	double epr;
	bool has_epr;
	char *memory_type, *memory_source;
	char *encoder_version;
	uint64_t hash;          /* of raw_input: de-duplication */
	bool holdout;
};

struct items {
	struct item *v;
	size_t n, alloc;
};

static void item_release(struct item *it)
{
	free(it->memory_id);
	free(it->key);
	free(it->raw_input);
	free(it->target);
	json_decref(it->encoded);
	free(it->rejected);
	free(it->memory_type);
	free(it->memory_source);
	free(it->encoder_version);
}

static void items_release(struct items *l)
{
	for (size_t i = 0; i < l->n; i++)
		item_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct item *items_push(struct items *l)
{
	l->v = mn_xgrow(l->v, &l->alloc, l->n + 1, sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}


static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fisher-Yates with a seeded generator: same input order + seed, same
 * output order. */
static void shuffle(struct item *v, size_t n, uint64_t seed)
{
	uint64_t st = seed;

	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(splitmix64(&st) % i);
		struct item t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* qsort wants a valid pointer even for no elements. */
static void sort_items(struct item *v, size_t n, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->key, ((const struct item *)b)->key);
}

/* The replay order: the seed set and the rows earlier versions learned,
 * each sorted and shuffled with the seed, taken in turn (one from each)
 * until the shorter runs out. Uniform sampling from the union would let a
 * large seed set crowd out what the user's own versions learned. All of
 * `learned` moves into `seed`. */
static void interleave(struct items *seed, struct items *learned, uint64_t rng)
{
	struct items out = { 0 };
	size_t i = 0, j = 0;
	bool seed_turn = true;

	sort_items(seed->v, seed->n, by_key);
	shuffle(seed->v, seed->n, rng);
	sort_items(learned->v, learned->n, by_key);
	shuffle(learned->v, learned->n, rng ^ 0x6c6561726e6564ULL);
	while (i < seed->n || j < learned->n) {
		if (j >= learned->n || (seed_turn && i < seed->n))
			*items_push(&out) = seed->v[i++];
		else
			*items_push(&out) = learned->v[j++];
		seed_turn = !seed_turn;
	}
	free(seed->v);
	free(learned->v);
	*seed = out;
	memset(learned, 0, sizeof(*learned));
}

/* Human before teacher before gold; then the stable key. */
static int by_priority(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return strcmp(x->key, y->key);
}

bool mn_batch_is_holdout(const char *memory_id, double fraction)
{
	uint64_t h;
	double u;

	if (fraction <= 0 || !memory_id)
		return false;
	if (fraction >= 1)
		return true;
	h = mn_text_hash64(memory_id, strlen(memory_id), HOLDOUT_SALT);
	u = (double)(h >> 11) / 9007199254740992.0; /* [0,1) from 53 bits */
	return u < fraction;
}

static uint64_t content_hash(const char *s, size_t len)
{
	return mn_text_hash64(s, len, 0);
}

/* A buffer row as a batch item; false (with a debug note) when its target
 * is unusable. */
static bool item_from_row(struct item *it, const struct mn_learn_row *r, size_t max_chars,
			  double holdout_fraction)
{
	const char *target = r->corrected_output ? r->corrected_output : r->encoding_json;
	size_t seen;

	if (!target)
		return false;
	it->encoded = mn_json_parse(target, strlen(target), NULL);
	if (!json_is_object(it->encoded) || !mn_encoding_check(it->encoded, NULL, 0)) {
		mn_debug("batch", "memory %s: target does not fit the schema; left out",
			 r->memory_id);
		return false;
	}
	if (!r->corrected_output)
		it->src = SRC_GOLD;
	else if (r->correction_source && !strcmp(r->correction_source, "human"))
		it->src = SRC_HUMAN;
	else
		it->src = SRC_CORRECTED;
	seen = mn_prompt_input_len(r->content, r->content_len, max_chars);
	it->raw_input = mn_xstrndup(r->content, seen);
	it->raw_len = seen;
	it->target = mn_json_dumps(it->encoded);
	it->memory_id = mn_xstrdup(r->memory_id);
	/* oldest first within a source, then by id */
	it->key = mn_xasprintf("m:%s:%s", r->created_at, r->memory_id);
	if (r->corrected_output && r->encoding_json)
		it->rejected = mn_xstrdup(r->encoding_json);
	it->epr = r->corrected_output ? r->corrected_epr : r->epr;
	it->has_epr = true;
	it->memory_type = r->type ? mn_xstrdup(r->type) : NULL;
	it->memory_source = r->source ? mn_xstrdup(r->source) : NULL;
	it->encoder_version = r->encoder_version ? mn_xstrdup(r->encoder_version) : NULL;
	it->hash = content_hash(it->raw_input, it->raw_len);
	it->holdout = mn_batch_is_holdout(r->memory_id, holdout_fraction);
	return true;
}

static const char *str_member(const json_t *o, const char *a, const char *b)
{
	const char *v = mn_json_str(o, a, NULL);

	return v ? v : b ? mn_json_str(o, b, NULL) : NULL;
}

/* Load the replay set (train.raw.jsonl format). A missing default set is
 * not an error: the batch then has no replay rows and the manifest says
 * so. */
static int load_replay(struct items *out, const char *path, size_t max_chars, int *out_bad,
		       struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	const char *p, *end;
	size_t lineno = 0;
	int ret;

	*out_bad = 0;
	ret = mn_file_read(&b, path, MN_LIMIT_JSON_FILE_BYTES, err);
	if (ret)
		return ret;
	p = mn_buf_str(&b);
	end = p + b.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p, *raw;
		json_t *o = NULL, *enc = NULL;

		lineno++;
		p += len + (nl ? 1 : 0);
		if (mn_text_is_blank(line, len))
			continue;
		o = mn_json_parse(line, len, NULL);
		if (!o) {
			(*out_bad)++;
			continue;
		}
		raw = mn_json_str(o, "raw_input", NULL);
		enc = json_object_get(o, "encoded");
		if (json_is_string(enc))
			enc = mn_json_parse(json_string_value(enc), strlen(json_string_value(enc)),
					    NULL);
		else if (enc)
			json_incref(enc);
		if (!raw || !json_is_object(enc) || !mn_encoding_check(enc, NULL, 0)) {
			(*out_bad)++;
			json_decref(enc);
			json_decref(o);
			continue;
		}
		{
			struct item *it = items_push(out);
			size_t rl = strlen(raw);
			size_t seen = mn_prompt_input_len(raw, rl, max_chars);
			const char *id = str_member(o, "memory_id", "id");
			const json_t *epr = json_object_get(o, "epr");

			it->src = SRC_REPLAY;
			it->raw_input = mn_xstrndup(raw, seen);
			it->raw_len = seen;
			it->encoded = enc;
			it->target = mn_json_dumps(enc);
			it->memory_id = id ? mn_xstrdup(id) : NULL;
			it->key = mn_xasprintf("r:%08zu", lineno);
			it->has_epr = json_is_number(epr);
			it->epr = it->has_epr ? json_number_value(epr) : 0;
			raw = str_member(o, "memory_type", "type");
			it->memory_type = raw ? mn_xstrdup(raw) : NULL;
			raw = str_member(o, "memory_source", NULL);
			it->memory_source = raw ? mn_xstrdup(raw) : NULL;
			it->hash = content_hash(it->raw_input, it->raw_len);
		}
		json_decref(o);
	}
	mn_buf_release(&b);
	return 0;
}

static json_t *raw_row(const struct item *it)
{
	json_t *o = json_object();

	json_object_set_new(o, "raw_input", json_stringn(it->raw_input, it->raw_len));
	json_object_set(o, "encoded", it->encoded);
	json_object_set_new(o, "task_type", json_string("encoding"));
	json_object_set_new(o, "memory_id", it->memory_id ? json_string(it->memory_id)
							   : json_null());
	json_object_set_new(o, "source", json_string(src_names[it->src]));
	json_object_set_new(o, "epr", it->has_epr ? json_real(it->epr) : json_null());
	json_object_set_new(o, "memory_type", it->memory_type ? json_string(it->memory_type)
							       : json_null());
	json_object_set_new(o, "memory_source",
			    it->memory_source ? json_string(it->memory_source) : json_null());
	return o;
}

static char *user_prompt(const struct item *it, size_t max_chars)
{
	return mn_prompt_build(it->raw_input, it->raw_len, it->memory_source, it->memory_type,
			       max_chars);
}

static json_t *chat_row(const struct item *it, size_t max_chars)
{
	char *user = user_prompt(it, max_chars);
	json_t *o = json_pack("{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}", "messages", "role",
			      "system", "content", mn_prompt_system(), "role", "user", "content",
			      user ? user : "", "role", "assistant", "content", it->target);

	free(user);
	return o;
}

static void add_line(struct mn_buf *b, json_t *o)
{
	mn_json_dump(b, o);
	mn_buf_addc(b, '\n');
	json_decref(o);
}

struct out_file {
	const char *name;
	struct mn_buf data;
	size_t lines;
};

enum { F_TRAIN, F_TRAIN_RAW, F_PREF, F_VALID, F_VALID_RAW, F_N };

static int write_files(const char *dir, struct out_file *files, json_t *manifest,
		       struct mn_err *err)
{
	json_t *fo = json_object();
	char *path = NULL, *mtext = NULL;
	int ret;

	ret = mn_file_mkdir_p(dir, 0700, err);
	for (int i = 0; i < F_N && !ret; i++) {
		char hex[65];

		path = mn_xasprintf("%s/%s", dir, files[i].name);
		ret = mn_file_write_atomic(path, mn_buf_str(&files[i].data), files[i].data.len, 0600,
					   err);
		free(path);
		path = NULL;
		mn_sha256_hex_of(hex, mn_buf_str(&files[i].data), files[i].data.len);
		json_object_set_new(fo, files[i].name,
				    json_pack("{s:s,s:I,s:I}", "sha256", hex, "bytes",
					      (json_int_t)files[i].data.len, "lines",
					      (json_int_t)files[i].lines));
	}
	if (ret)
		goto out;
	json_object_set(manifest, "files", fo);
	mtext = json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	path = mn_xasprintf("%s/manifest.json", dir);
	if (!mtext)
		ret = mn_err_set(err, MN_EIO, "could not serialise the manifest");
	else
		ret = mn_file_write_atomic(path, mtext, strlen(mtext), 0600, err);
out:
	free(path);
	free(mtext);
	json_decref(fo);
	return ret;
}

void mn_batch_result_release(struct mn_batch_result *r)
{
	if (!r)
		return;
	json_decref(r->manifest);
	r->manifest = NULL;
}

static json_t *config_json(const struct mn_config *c, const char *replay_path)
{
	return json_pack("{s:i,s:i,s:i,s:f,s:s?,s:f,s:I}", "max_input_chars",
			 c->encoding.max_input_chars, "min_new_examples",
			 c->learning.training.min_new_examples, "max_examples_per_run",
			 c->learning.training.max_examples_per_run, "replay_ratio",
			 c->learning.training.replay_ratio, "replay_dataset", replay_path,
			 "holdout_fraction", c->learning.training.holdout_fraction, "seed",
			 (json_int_t)c->learning.training.seed);
}

int mn_batch_assemble(struct mn_ctx *a, struct mn_batch_result *out,
		      const struct mn_batch_opts *o, struct mn_err *err)
{
	const struct mn_config *c = &a->cfg;
	size_t max_chars = (size_t)c->encoding.max_input_chars;
	double ratio = c->learning.training.replay_ratio;
	int cap = c->learning.training.max_examples_per_run;
	struct mn_learn_row *rows = NULL;
	size_t nrows = 0;
	struct items cand = { 0 }, valid = { 0 }, train = { 0 }, replay = { 0 }, learned = { 0 };
	struct mn_hashset seen = MN_HASHSET_INIT, seen_valid = MN_HASHSET_INIT;
	struct out_file files[F_N] = {
		{ "train.jsonl", MN_BUF_INIT, 0 },     { "train.raw.jsonl", MN_BUF_INIT, 0 },
		{ "preference.jsonl", MN_BUF_INIT, 0 }, { "valid.jsonl", MN_BUF_INIT, 0 },
		{ "valid.raw.jsonl", MN_BUF_INIT, 0 },
	};
	size_t counts[SRC_N] = { 0 }, vcounts[SRC_N] = { 0 };
	size_t n_new = 0, n_eligible = 0, dups = 0, unusable = 0, n_pref = 0;
	char *replay_path = NULL, **claim_ids = NULL;
	json_t *man = NULL, *versions = json_object(), *tids = json_array(), *vids = json_array();
	bool in_txn = false, claimed = false;
	char now[MN_TIME_LEN];
	int replay_bad = 0, ret = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->batch_id, sizeof(out->batch_id), "%s", o->batch_id ? o->batch_id : "");
	if (!out->batch_id[0])
		mn_text_uuid4(out->batch_id);
	if (!o->out_dir) {
		ret = mn_err_set(err, MN_EINVAL, "no batch directory given");
		goto out;
	}
	if (o->claim_rows) {
		ret = mn_store_begin(a->store, err);
		if (ret)
			goto out;
		in_txn = true;
	}
	ret = mn_store_learn_batch_rows(a->store, &rows, &nrows, err);
	if (ret)
		goto out;
	for (size_t i = 0; i < nrows; i++) {
		struct item *it = items_push(&cand);

		if (!item_from_row(it, &rows[i], max_chars, c->learning.training.holdout_fraction)) {
			item_release(it);
			cand.n--;
			unusable++;
		}
	}
	/* Holdout first, so a training row can never repeat a holdout input. */
	sort_items(cand.v, cand.n, by_priority);
	for (size_t i = 0; i < cand.n; i++) {
		struct item *it = &cand.v[i];

		if (!it->holdout)
			continue;
		if (!mn_hashset_add(&seen_valid, it->hash)) {
			dups++;
			continue;
		}
		*items_push(&valid) = *it;
		memset(it, 0, sizeof(*it));
		it->holdout = true;
	}
	for (size_t i = 0; i < cand.n; i++) {
		struct item *it = &cand.v[i];

		if (it->holdout)
			continue;
		if (mn_hashset_has(&seen_valid, it->hash) || !mn_hashset_add(&seen, it->hash)) {
			dups++;
			continue;
		}
		n_eligible++;
		if ((int)train.n >= cap)
			continue; /* stays eligible for the next run */
		*items_push(&train) = *it;
		memset(it, 0, sizeof(*it));
		it->holdout = true; /* moved: skip in later passes */
	}
	/* Replay set: the configured file, else the shipped seed set. */
	if (c->learning.training.replay_dataset)
		replay_path = mn_xstrdup(c->learning.training.replay_dataset);
	else
		replay_path = mn_datadir_find(REPLAY_SEED_PATH);
	if (replay_path && ratio > 0) {
		ret = load_replay(&replay, replay_path, max_chars, &replay_bad, err);
		if (ret)
			goto out;
		if (replay_bad)
			mn_warn("batch", "replay set '%s': %d unusable line(s) left out", replay_path,
				replay_bad);
	}
	/* Rows earlier deployed runs trained on join the replay pool, so a new
	 * version does not forget what the last one learned (the holdout, which
	 * keeps growing, would reject it otherwise). They are drawn as often as
	 * the seed set, however large it is (see interleave). */
	if (ratio > 0) {
		struct mn_learn_row *trained = NULL;
		size_t ntrained = 0;

		ret = mn_store_learn_trained_rows(a->store, &trained, &ntrained, err);
		if (ret)
			goto out;
		for (size_t i = 0; i < ntrained; i++) {
			struct item *it = items_push(&learned);

			if (!item_from_row(it, &trained[i], max_chars,
					   c->learning.training.holdout_fraction) || it->holdout) {
				item_release(it);
				learned.n--;
				continue;
			}
			it->src = SRC_REPLAY;
			free(it->rejected); /* preference pairs come from new rows only */
			it->rejected = NULL;
		}
		mn_learn_rows_free(trained, ntrained);
	}
	n_new = train.n;
	if (n_new == 0) {
		ret = mn_err_set(err, MN_EDECLINED,
				 "nothing to train on: no eligible rows (gold or corrected, untrained, "
				 "not in a batch, not in the holdout)");
		goto out;
	}
	if (replay.n || learned.n) {
		/* New rows keep (1 - ratio) of the cap; replay fills the rest in
		 * proportion. */
		size_t cap_new = ratio >= 1 ? 1 : (size_t)cap - (size_t)llround(cap * ratio);
		size_t want;

		if (cap_new < 1)
			cap_new = 1;
		while (train.n > cap_new) {
			item_release(&train.v[--train.n]);
		}
		n_new = train.n;
		want = ratio >= 1 ? (size_t)cap - n_new
				  : (size_t)llround((double)n_new * ratio / (1.0 - ratio));
		if (want > (size_t)cap - n_new)
			want = (size_t)cap - n_new;
		interleave(&replay, &learned, (uint64_t)c->learning.training.seed ^ 0x7265706cULL);
		for (size_t i = 0; i < replay.n && train.n < n_new + want; i++) {
			struct item *it = &replay.v[i];

			if (mn_hashset_has(&seen_valid, it->hash) || !mn_hashset_add(&seen, it->hash)) {
				dups++;
				continue;
			}
			*items_push(&train) = *it;
			memset(it, 0, sizeof(*it));
		}
	}
	/* Deterministic: sort by a stable key, then shuffle with the seed. */
	sort_items(train.v, train.n, by_key);
	shuffle(train.v, train.n, (uint64_t)c->learning.training.seed);
	sort_items(valid.v, valid.n, by_key);
	for (size_t i = 0; i < train.n; i++) {
		struct item *it = &train.v[i];

		counts[it->src]++;
		add_line(&files[F_TRAIN].data, chat_row(it, max_chars));
		add_line(&files[F_TRAIN_RAW].data, raw_row(it));
		files[F_TRAIN].lines++;
		files[F_TRAIN_RAW].lines++;
		if (it->src != SRC_REPLAY)
			json_array_append_new(tids, json_string(it->memory_id));
		if (it->encoder_version) {
			json_int_t k = json_integer_value(json_object_get(versions,
									 it->encoder_version));

			json_object_set_new(versions, it->encoder_version, json_integer(k + 1));
		}
		if (it->rejected && strcmp(it->rejected, it->target)) {
			char *prompt = user_prompt(it, max_chars);

			add_line(&files[F_PREF].data,
				 json_pack("{s:s,s:s,s:s}", "prompt", prompt ? prompt : "", "chosen",
					   it->target, "rejected", it->rejected));
			free(prompt);
			files[F_PREF].lines++;
			n_pref++;
		}
	}
	for (size_t i = 0; i < valid.n; i++) {
		vcounts[valid.v[i].src]++;
		add_line(&files[F_VALID].data, chat_row(&valid.v[i], max_chars));
		add_line(&files[F_VALID_RAW].data, raw_row(&valid.v[i]));
		files[F_VALID].lines++;
		files[F_VALID_RAW].lines++;
		json_array_append_new(vids, json_string(valid.v[i].memory_id));
	}
	if (o->claim_rows) {
		int got = 0;

		claim_ids = mn_xcalloc(train.n + 1, sizeof(*claim_ids));
		for (size_t i = 0, k = 0; i < train.n; i++)
			if (train.v[i].src != SRC_REPLAY)
				claim_ids[k++] = train.v[i].memory_id;
		ret = mn_store_learn_claim(a->store, out->batch_id, claim_ids, n_new, &got, err);
		if (!ret && (size_t)got != n_new)
			ret = mn_err_set(err, MN_EBUSY, "claimed %d of %zu rows for batch '%s'", got,
					 n_new, out->batch_id);
		if (!ret)
			ret = mn_store_commit(a->store, err);
		if (ret)
			goto out;
		in_txn = false;
		claimed = true;
	} else if (in_txn) {
		mn_store_rollback(a->store);
		in_txn = false;
	}
	mn_time_now_str(now);
	man = json_object();
	json_object_set_new(man, "format", json_string(BATCH_FORMAT));
	json_object_set_new(man, "batch_id", json_string(out->batch_id));
	json_object_set_new(man, "created_at", json_string(now));
	json_object_set_new(man, "claimed", json_boolean(o->claim_rows));
	json_object_set_new(man, "seed", json_integer((json_int_t)c->learning.training.seed));
	{
		json_t *cn = json_object(), *vc = json_object();

		json_object_set_new(cn, "train", json_integer((json_int_t)train.n));
		json_object_set_new(cn, "valid", json_integer((json_int_t)valid.n));
		json_object_set_new(cn, "preference", json_integer((json_int_t)n_pref));
		for (int s = SRC_GOLD; s >= SRC_HUMAN; s--)
			json_object_set_new(cn, src_names[s], json_integer((json_int_t)counts[s]));
		json_object_set_new(cn, "replay", json_integer((json_int_t)counts[SRC_REPLAY]));
		for (int s = SRC_GOLD; s >= SRC_HUMAN; s--)
			json_object_set_new(vc, src_names[s], json_integer((json_int_t)vcounts[s]));
		json_object_set_new(cn, "valid_by_source", vc);
		json_object_set_new(cn, "eligible", json_integer((json_int_t)n_eligible));
		json_object_set_new(cn, "deferred",
				    json_integer((json_int_t)(n_eligible - n_new)));
		json_object_set_new(cn, "duplicates_dropped", json_integer((json_int_t)dups));
		json_object_set_new(cn, "unusable", json_integer((json_int_t)unusable));
		json_object_set_new(cn, "replay_available", json_integer((json_int_t)replay.n));
		json_object_set_new(cn, "replay_unusable", json_integer(replay_bad));
		json_object_set_new(man, "counts", cn);
	}
	json_object_set_new(man, "config", config_json(c, replay_path));
	json_object_set_new(man, "replay_dataset",
			    replay_path ? json_string(replay_path) : json_null());
	json_object_set_new(man, "encoder_versions", versions);
	versions = NULL;
	{
		char hex[65];

		mn_sha256_hex_of(hex, mn_prompt_system(), strlen(mn_prompt_system()));
		json_object_set_new(man, "system_prompt_sha256", json_string(hex));
	}
	json_object_set_new(man, "train_memory_ids", tids);
	json_object_set_new(man, "valid_memory_ids", vids);
	tids = vids = NULL;
	ret = write_files(o->out_dir, files, man, err);
	if (ret)
		goto out;
	out->n_train = train.n;
	out->n_valid = valid.n;
	out->n_preference = n_pref;
	out->n_replay = counts[SRC_REPLAY];
	out->manifest = man;
	man = NULL;
	mn_info("batch", "batch %s: %zu train (%zu new, %zu replay), %zu holdout, %zu preference",
		out->batch_id, train.n, n_new, counts[SRC_REPLAY], valid.n, n_pref);
out:
	if (in_txn)
		mn_store_rollback(a->store);
	if (ret && claimed) {
		struct mn_err rerr = MN_ERR_INIT;
		int n = 0;

		if (mn_store_learn_release(a->store, out->batch_id, &n, &rerr))
			mn_warn("batch", "could not release batch %s: %s", out->batch_id, rerr.msg);
	}
	for (int i = 0; i < F_N; i++)
		mn_buf_release(&files[i].data);
	mn_learn_rows_free(rows, nrows);
	items_release(&cand);
	items_release(&valid);
	items_release(&train);
	items_release(&replay);
	items_release(&learned);
	mn_hashset_release(&seen);
	mn_hashset_release(&seen_valid);
	free(claim_ids);
	free(replay_path);
	json_decref(man);
	json_decref(versions);
	json_decref(tids);
	json_decref(vids);
	return ret;
}

int mn_batch_count_eligible(struct mn_ctx *a, int *out, struct mn_err *err)
{
	struct mn_learn_row *rows = NULL;
	size_t n = 0;
	int count = 0, ret;

	*out = 0;
	ret = mn_store_learn_batch_rows(a->store, &rows, &n, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++)
		if (!mn_batch_is_holdout(rows[i].memory_id,
					 a->cfg.learning.training.holdout_fraction))
			count++;
	mn_learn_rows_free(rows, n);
	*out = count;
	return 0;
}

int mn_batch_mark_trained(struct mn_ctx *a, const char *batch_id, const char *run_id,
			  struct mn_err *err)
{
	int n = 0, ret = mn_store_learn_mark_trained(a->store, batch_id, run_id, &n, err);

	if (!ret)
		mn_info("batch", "batch %s: %d row(s) trained in run %s", batch_id, n, run_id);
	return ret;
}

int mn_batch_release(struct mn_ctx *a, const char *batch_id, struct mn_err *err)
{
	int n = 0, ret = mn_store_learn_release(a->store, batch_id, &n, err);

	if (!ret && n)
		mn_info("batch", "batch %s: %d row(s) released", batch_id, n);
	return ret;
}
