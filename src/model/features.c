#include "model/features.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/text.h"

/*
 * Hash families keep the feature kinds of one space apart; the model's seed
 * is mixed into every index so that a different seed is a different
 * hashing. Token hashes themselves (FNV-1a, seed 0) do not depend on the
 * model, so the word-class table is one static table.
 */
enum {
	FAM_UNI = 0x11,
	FAM_BI,
	FAM_CHAR,
	FAM_CUE,
	FAM_S_UNI = 0x21,
	FAM_S_BI,
	FAM_S_CUE,
	FAM_C_TERM = 0x31,
	FAM_C_PRE,
	FAM_C_SUF,
	FAM_C_CUE,
};

#define TOKEN_HASH_MAX 64 /* bytes of a token that are hashed */
#define W_BIGRAM       0.7f
#define W_CHAR         0.2f
#define W_DOC_CUE      0.35f
#define W_SENT_CUE     0.4f
#define W_CONC_CUE     0.5f

/* ---- word classes ---- */

static const char *const stop_words[] = {
	"the",      "and",       "for",      "are",       "but",        "not",      "you",
	"all",      "any",       "can",      "had",       "her",        "was",      "one",
	"our",      "out",       "has",      "have",      "him",        "his",      "how",
	"its",      "may",       "new",      "now",       "see",        "two",      "way",
	"who",      "did",       "get",      "got",       "let",        "put",      "say",
	"she",      "too",       "use",      "used",      "using",      "this",     "that",
	"with",     "from",      "they",     "them",      "then",       "than",     "there",
	"their",    "these",     "those",    "been",      "being",      "were",     "will",
	"would",    "should",    "could",    "into",      "onto",       "over",     "under",
	"again",    "also",      "just",     "only",      "very",       "more",     "most",
	"some",     "such",      "what",     "when",      "where",      "which",    "while",
	"why",      "about",     "after",    "before",    "because",    "since",    "each",
	"other",    "both",      "here",     "same",      "still",      "yet",      "okay",
	"per",      "via",       "etc",      "does",      "doing",      "done",     "make",
	"made",     "need",      "needs",    "want",      "like",       "think",    "thing",
	"things",   "much",      "many",     "lot",       "lots",       "well",     "back",
	"next",     "last",      "first",    "today",     "yesterday",  "tomorrow", "week",
	"day",      "time",      "your",     "yours",     "mine",       "ours",     "off",
	"own",      "few",       "every",    "even",      "ever",       "never",    "always",
	"maybe",    "might",     "must",     "shall",     "him",        "her",      "hers",
	"himself",  "itself",    "myself",   "ourselves", "themselves", "what's",   "let's",
	"don",      "doesn",     "didn",     "isn",       "wasn",       "aren",     "won",
	"can't",    "through",   "during",   "without",   "within",     "between",  "against",
	"above",    "below",     "until",    "upon",      "whether",    "though",   "although",
	"however",  "also",      "else",     "once",      "already",    "really",   "quite",
	"rather",   "something", "anything", "nothing",   "everything", "someone",  "anyone",
	"everyone", "around",    "across",   "along",     "among",      "took",     "take",
	"takes",    "went",      "goes",     "going",     "come",       "came",     "comes",
	"gets",     "now",       "then",     "soon",      "later",      "earlier",  "am",
	"is",       "be",        "it",       "we",        "he",         "me",       "my",
	"an",       "as",        "at",       "by",        "do",         "go",       "if",
	"in",       "no",        "of",       "on",        "or",         "so",       "to",
	"up",       "us",        "ok",       "yes",       "got",        "had",      "has",
	"seems",    "seem",      "looks",    "look",      "lets",       "able",     "instead",
	"via",      "whole",     "part",     "kind",      "sort",       "bit",      "bits",
	NULL,
};

static const char *const err_words[] = {
	"error",     "errors",     "fail",       "fails",         "failed",   "failing",  "failure",
	"failures",  "exception",  "exceptions", "traceback",     "panic",    "panicked", "crash",
	"crashed",   "crashes",    "crashing",   "fatal",         "timeout",  "timeouts", "timed",
	"refused",   "denied",     "segfault",   "broken",        "broke",    "bug",      "bugs",
	"oom",       "killed",     "abort",      "aborted",       "cannot",   "unable",   "invalid",
	"undefined", "regression", "flaky",      "stuck",         "leak",     "leaks",    "corrupt",
	"corrupted", "outage",     "incident",   "vulnerability", "breach",   "lost",     "missing",
	"wrong",     "errno",      "stacktrace", "unhandled",     "rejected", "degraded", "down",
	"blocked",   "blocker",    "deadlock",   "hang",          "hangs",    "hung",     NULL,
};

static const char *const ok_words[] = {
	"pass",      "passes",   "passed", "passing",  "success",  "successful", "successfully",
	"succeeded", "succeeds", "green",  "fixed",    "works",    "worked",     "working",
	"deployed",  "merged",   "done",   "resolved", "shipped",  "released",   "completed",
	"complete",  "finished", "landed", "faster",   "improved", "ok",         "okay",
	"healthy",   "stable",   "solved", "verified", "approved", NULL,
};

static const char *const decide_words[] = {
	"decided", "decide",   "decides",  "decision",    "decisions", "chose",     "choose",
	"chosen",  "agreed",   "agree",    "plan",        "planned",   "planning",  "instead",
	"adopt",   "adopted",  "switch",   "switching",   "settle",    "settled",   "proposal",
	"propose", "proposed", "consider", "considering", "tradeoff",  "tradeoffs", "rfc",
	"approve", "approved", "going",    "will",        "prefer",    "preferred", "rejected",
	"option",  "options",  NULL,
};

static const char *const cause_words[] = {
	"because",   "caused", "causes", "cause", "due", "so",
	"therefore", "hence",  "led",    "since", NULL,
};

static const char *const verb_words[] = {
	"fixed",     "added",        "removed",     "updated",     "merged",     "refactored",
	"migrated",  "released",     "reverted",    "upgraded",    "downgraded", "deployed",
	"installed", "configured",   "renamed",     "created",     "deleted",    "wrote",
	"rewrote",   "tested",       "implemented", "enabled",     "disabled",   "bumped",
	"changed",   "moved",        "replaced",    "optimized",   "optimised",  "profiled",
	"debugged",  "investigated", "reviewed",    "shipped",     "published",  "restarted",
	"increased", "decreased",    "reduced",     "raised",      "lowered",    "switched",
	"dropped",   "documented",   "benchmarked", "patched",     "built",      "rebuilt",
	"launched",  "scheduled",    "decided",     "chose",       "adopted",    "rotated",
	"tuned",     "cleaned",      "split",       "extracted",   "introduced", "resolved",
	"disabled",  "pinned",       "archived",    "provisioned", "scaled",     "rolled",
	NULL,
};

static const char *const neg_words[] = {
	"not",     "no",     "never", "none",  "nothing", "maybe", "might",
	"unclear", "unsure", "todo",  "wip",   "without", "isn",   "doesn",
	"didn",    "wasn",   "won",   "can't", "cannot",  NULL,
};

#define CLASS_SLOTS 2048

struct class_slot {
	uint64_t hash;
	uint8_t cls;
	bool used;
};

static struct class_slot class_table[CLASS_SLOTS];
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

static uint64_t word_hash(const char *s, size_t len)
{
	return mn_text_hash64(s, len, 0);
}

static void class_insert(const char *const *words, uint8_t cls)
{
	for (size_t i = 0; words[i]; i++) {
		uint64_t h = word_hash(words[i], strlen(words[i]));
		size_t s = (size_t)(h & (CLASS_SLOTS - 1));

		while (class_table[s].used && class_table[s].hash != h)
			s = (s + 1) & (CLASS_SLOTS - 1);
		class_table[s].used = true;
		class_table[s].hash = h;
		class_table[s].cls |= cls;
	}
}

static void class_build(void)
{
	class_insert(stop_words, MN_FEATURES_STOP);
	class_insert(err_words, MN_FEATURES_ERR);
	class_insert(ok_words, MN_FEATURES_OK);
	class_insert(decide_words, MN_FEATURES_DECIDE);
	class_insert(cause_words, MN_FEATURES_CAUSE);
	class_insert(verb_words, MN_FEATURES_VERB);
	class_insert(neg_words, MN_FEATURES_NEG);
}

static unsigned class_of_hash(uint64_t h)
{
	size_t s = (size_t)(h & (CLASS_SLOTS - 1));

	while (class_table[s].used) {
		if (class_table[s].hash == h)
			return class_table[s].cls;
		s = (s + 1) & (CLASS_SLOTS - 1);
	}
	return 0;
}

/* ---- small helpers ---- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t fam(uint64_t h, unsigned family, uint64_t seed)
{
	return mix(h ^ ((uint64_t)family * 0x9E3779B97F4A7C15ULL) ^ seed);
}

/* Byte classes of ASCII text (UTF-8 lead and continuation bytes count as
 * word bytes, so non-Latin words stay whole). */
enum { CC_WORD = 1, CC_TERM = 2, CC_ALPHA = 4, CC_DIGIT = 8, CC_UPPER = 16, CC_SPACE = 32 };

static const unsigned char byte_class[256] = {
	0,  0,  0,  0,  0,  0,  0,  0,  0,  32, 0,  32, 32, 32, 0,  0,  0,  0,  0,  0,  0,  0,
	0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  32, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	0,  2,  0,  0,  11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 0,  0,  0,  0,  0,  0,  0,  23,
	23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23,
	23, 23, 23, 0,  0,  0,  0,  3,  0,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,
	7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  0,  0,  0,  0,  0,  3,  3,  3,  3,
	3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
	3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
	3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
	3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
	3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
	3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
};

static bool is_space(unsigned char c)
{
	return byte_class[c] & CC_SPACE;
}

/* [A-Za-z0-9_] and non-ASCII bytes */
static bool is_word_byte(unsigned char c)
{
	return byte_class[c] & CC_WORD;
}

/* word bytes and '-' */
static bool is_term_byte(unsigned char c)
{
	return byte_class[c] & CC_TERM;
}

static char lower(char c)
{
	return (byte_class[(unsigned char)c] & CC_UPPER) ? (char)(c + 32) : c;
}

static bool is_digit(unsigned char c)
{
	return byte_class[c] & CC_DIGIT;
}

static bool is_upper(unsigned char c)
{
	return byte_class[c] & CC_UPPER;
}

static bool is_alpha(unsigned char c)
{
	return byte_class[c] & CC_ALPHA;
}

/* ---- sparse vectors ---- */

void mn_features_vec_init(struct mn_features_vec *v, unsigned dim_bits)
{
	memset(v, 0, sizeof(*v));
	v->mask = (uint32_t)((1u << dim_bits) - 1);
}

void mn_features_vec_release(struct mn_features_vec *v)
{
	if (!v)
		return;
	free(v->idx);
	free(v->val);
	free(v->slots);
	free(v->slot_of);
	memset(v, 0, sizeof(*v));
}

void mn_features_vec_reset(struct mn_features_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		v->slots[v->slot_of[i]] = 0;
	v->n = 0;
}

static size_t slot_start(uint32_t idx, size_t cap)
{
	return (size_t)((idx * 0x9E3779B1u) & (uint32_t)(cap - 1));
}

static void vec_rehash(struct mn_features_vec *v, size_t cap)
{
	free(v->slots);
	v->slots = mn_xcalloc(cap, sizeof(*v->slots));
	v->slot_cap = cap;
	for (size_t i = 0; i < v->n; i++) {
		size_t s = slot_start(v->idx[i], cap);

		while (v->slots[s])
			s = (s + 1) & (cap - 1);
		v->slots[s] = (uint32_t)(i + 1);
		v->slot_of[i] = (uint32_t)s;
	}
}

/* Room for n entries; the slot table stays at most 3/4 full. */
void mn_features_vec_reserve(struct mn_features_vec *v, size_t n)
{
	size_t cap = v->slot_cap ? v->slot_cap : 16;

	if (n > v->alloc) {
		v->alloc = n;
		v->idx = mn_xrealloc(v->idx, n * sizeof(*v->idx));
		v->val = mn_xrealloc(v->val, n * sizeof(*v->val));
		v->slot_of = mn_xrealloc(v->slot_of, n * sizeof(*v->slot_of));
	}
	while (cap < v->alloc + v->alloc / 3 + 1)
		cap *= 2;
	if (cap != v->slot_cap)
		vec_rehash(v, cap);
}

void mn_features_vec_add(struct mn_features_vec *v, uint64_t h, float x)
{
	uint32_t idx = (uint32_t)h & v->mask;
	float sx = (h >> 63) ? -x : x;
	size_t s;

	if (v->n + 1 > v->alloc)
		mn_features_vec_reserve(v, v->alloc ? v->alloc * 2 : 16);
	s = slot_start(idx, v->slot_cap);
	while (v->slots[s]) {
		uint32_t e = v->slots[s] - 1;

		if (v->idx[e] == idx) {
			v->val[e] += sx;
			return;
		}
		s = (s + 1) & (v->slot_cap - 1);
	}
	v->idx[v->n] = idx;
	v->val[v->n] = sx;
	v->slot_of[v->n] = (uint32_t)s;
	v->slots[s] = (uint32_t)(v->n + 1);
	v->n++;
}

static int cmp_u32_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

void mn_features_vec_sort(struct mn_features_vec *v)
{
	uint64_t *tmp;

	if (v->n < 2)
		return;
	tmp = mn_xmalloc(v->n * sizeof(*tmp));
	for (size_t i = 0; i < v->n; i++) {
		uint32_t bits;

		memcpy(&bits, &v->val[i], sizeof(bits));
		tmp[i] = ((uint64_t)v->idx[i] << 32) | bits;
	}
	qsort(tmp, v->n, sizeof(*tmp), cmp_u32_pair);
	for (size_t i = 0; i < v->n; i++) {
		uint32_t bits = (uint32_t)tmp[i];

		v->idx[i] = (uint32_t)(tmp[i] >> 32);
		memcpy(&v->val[i], &bits, sizeof(bits));
	}
	free(tmp);
	vec_rehash(v, v->slot_cap);
}

/* Sublinear term weights (signed square root), then scale to norm `target`. */
static void vec_finish(struct mn_features_vec *v, bool sqrt_tf, float target)
{
	double ss = 0;

	for (size_t i = 0; i < v->n; i++) {
		float x = v->val[i];

		if (sqrt_tf)
			x = x < 0 ? -sqrtf(-x) : sqrtf(x);
		v->val[i] = x;
		ss += (double)x * x;
	}
	if (ss > 0) {
		float k = (float)(target / sqrt(ss));

		for (size_t i = 0; i < v->n; i++)
			v->val[i] *= k;
	}
}

/* ---- analysis ---- */

void mn_features_doc_init(struct mn_features_doc *d)
{
	memset(d, 0, sizeof(*d));
}

void mn_features_doc_release(struct mn_features_doc *d)
{
	if (!d)
		return;
	free(d->toks);
	free(d->sents);
	free(d->cands);
	memset(d, 0, sizeof(*d));
}

static void add_sentence(struct mn_features_doc *d, size_t off, size_t len)
{
	/* past the limit, the rest of the text joins the last sentence */
	if (d->n_sents == MN_FEATURES_MAX_SENTENCES) {
		struct mn_features_sentence *s = &d->sents[d->n_sents - 1];
		size_t end = (size_t)s->off + s->len;

		s->chars += (uint32_t)mn_text_utf8_chars(d->text + end, off + len - end);
		s->len = (uint32_t)(off + len - s->off);
		return;
	}
	d->sents = mn_xgrow(d->sents, &d->alloc_sents, d->n_sents + 1, sizeof(*d->sents));
	d->sents[d->n_sents].off = (uint32_t)off;
	d->sents[d->n_sents].len = (uint32_t)len;
	d->sents[d->n_sents].chars = (uint32_t)mn_text_utf8_chars(d->text + off, len);
	d->n_sents++;
}

/* Lines, trimmed; inside a line a sentence ends after [.!?] followed by
 * whitespace. Mirrors split_sentences() in scripts/gen-seed-data.py. */
static void split_sentences(struct mn_features_doc *d)
{
	const char *t = d->text;
	size_t i = 0, n = d->len;

	while (i < n) {
		size_t ls = i, le;

		while (i < n && t[i] != '\n')
			i++;
		le = i;
		if (i < n)
			i++;
		while (ls < le && is_space((unsigned char)t[ls]))
			ls++;
		while (le > ls && is_space((unsigned char)t[le - 1]))
			le--;
		if (ls == le)
			continue;
		d->n_lines++;
		size_t start = ls;

		for (size_t k = ls; k + 1 < le; k++) {
			char c = t[k];

			if ((c == '.' || c == '!' || c == '?') &&
			    is_space((unsigned char)t[k + 1])) {
				add_sentence(d, start, k + 1 - start);
				k++;
				while (k + 1 < le && is_space((unsigned char)t[k + 1]))
					k++;
				start = k + 1;
			}
		}
		if (start < le)
			add_sentence(d, start, le - start);
	}
}

uint64_t mn_features_token_hash(const char *s, size_t len, bool number)
{
	char buf[TOKEN_HASH_MAX];
	size_t n = len < TOKEN_HASH_MAX ? len : TOKEN_HASH_MAX;

	if (number) {
		/* numbers as shapes: "#3" for a three-digit number */
		buf[0] = '#';
		buf[1] = (char)('0' + (len < 6 ? len : 6));
		return word_hash(buf, 2);
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = lower(s[i]);
	if (len > TOKEN_HASH_MAX)
		return mix(word_hash(buf, n) ^ len);
	return word_hash(buf, n);
}

/* Hash of a label cue such as "type=decision": value lowercased and cut
 * at 32 bytes, "-" when absent. Computed once per text. */
static uint64_t label_hash(const char *prefix, const char *value)
{
	char buf[48]; /* bytes to hash, not a string: no terminator */
	size_t n = strnlen(prefix, sizeof(buf) - 32), k = 0; /* prefixes are short literals */

	memcpy(buf, prefix, n);
	if (!value || !*value)
		value = "-";
	while (k < 32 && value[k]) {
		buf[n++] = lower(value[k]);
		k++;
	}
	return word_hash(buf, n);
}

void mn_features_each_token(const char *s, size_t len, void (*fn)(void *payload, uint64_t hash),
			    void *payload)
{
	size_t i = 0;

	while (i < len) {
		size_t ts;
		bool number = true;

		if (!is_word_byte((unsigned char)s[i])) {
			i++;
			continue;
		}
		ts = i;
		while (i < len && is_word_byte((unsigned char)s[i])) {
			if (!is_digit((unsigned char)s[i]))
				number = false;
			i++;
		}
		fn(payload, mn_features_token_hash(s + ts, i - ts, number));
	}
}

/* Negations that open a scope: the next NEG_SCOPE words of the clause are
 * negated ("no errors", "not critical", "didn't fail"), so their unigrams
 * and error or success cues count the other way. */
#define NEG_SCOPE 3

static bool opens_negation(const char *s, size_t len)
{
	static const char *const w[] = { "not",  "no",   "never", "without", "none",
					 "isn",  "doesn", "didn", "wasn",    "aren",
					 "won",  "cannot", "nothing", "nor", "weren",
					 "hasn", "haven", "can", NULL };

	if (len < 2 || len > 7 || !strchr("acdhinw", lower(s[0])))
		return false;
	for (size_t i = 0; w[i]; i++)
		if (w[i][0] == lower(s[0]) && w[i][1] == lower(s[1]) && !strncasecmp(s, w[i], len) &&
		    !w[i][len])
			return !(len == 3 && !strncasecmp(s, "can", 3)) ||
			       (s[len] == '\'' && lower(s[len + 1]) == 't');
	return false;
}

static void tokenize_sentence(struct mn_features_doc *d, size_t si)
{
	struct mn_features_sentence *s = &d->sents[si];
	const char *t = d->text;
	size_t i = s->off, end = (size_t)s->off + s->len;
	unsigned neg_left = 0;

	s->tok_begin = (uint32_t)d->n_toks;
	s->cls = 0;
	while (i < end) {
		if (!is_word_byte((unsigned char)t[i])) {
			if (t[i] == ',' || t[i] == ';' || t[i] == ':' || t[i] == '(')
				neg_left = 0; /* the clause ends the scope */
			i++;
			continue;
		}
		size_t ts = i;
		bool number = true, alpha = false;

		while (i < end && is_word_byte((unsigned char)t[i])) {
			unsigned char c = (unsigned char)t[i];

			if (!is_digit(c))
				number = false;
			if (is_alpha(c) || c >= 0x80)
				alpha = true;
			i++;
		}
		d->toks = mn_xgrow(d->toks, &d->alloc_toks, d->n_toks + 1, sizeof(*d->toks));
		struct mn_features_token *tk = &d->toks[d->n_toks++];

		tk->off = (uint32_t)ts;
		tk->len = (uint32_t)(i - ts);
		tk->number = number;
		tk->alpha = alpha;
		tk->sent = (uint32_t)si;
		tk->hash = mn_features_token_hash(t + ts, i - ts, number);
		tk->cls = number ? 0 : (uint8_t)class_of_hash(tk->hash);
		if (i - ts == 3 && lower(t[ts]) == 'b' && lower(t[ts + 1]) == 'u' &&
		    lower(t[ts + 2]) == 't')
			neg_left = 0;
		tk->negated = neg_left > 0;
		if (neg_left)
			neg_left--;
		if (((tk->cls & MN_FEATURES_NEG) || i - ts <= 5) && opens_negation(t + ts, i - ts))
			neg_left = NEG_SCOPE;
		s->cls |= tk->cls;
		if (number)
			d->n_numbers++;
		/* a negated failure word is a success cue and the reverse */
		if (tk->cls & (tk->negated ? MN_FEATURES_OK : MN_FEATURES_ERR))
			d->n_err++;
		if (tk->cls & (tk->negated ? MN_FEATURES_ERR : MN_FEATURES_OK))
			d->n_ok++;
		if (tk->cls & MN_FEATURES_DECIDE)
			d->n_decide++;
		if (tk->cls & MN_FEATURES_CAUSE)
			d->n_cause++;
		if (tk->cls & MN_FEATURES_NEG)
			d->n_neg++;
	}
	s->tok_end = (uint32_t)d->n_toks;
}

/* Concept candidates: runs of [A-Za-z0-9_-] and non-ASCII bytes, '-' and
 * '_' stripped at the ends, ASCII-lowercased, 3..32 bytes, starting with a
 * letter, not a stopword. Mirrors candidates() in gen-seed-data.py. */
static void collect_candidates(struct mn_features_doc *d, size_t si, uint32_t *table,
			       size_t table_cap)
{
	const struct mn_features_sentence *s = &d->sents[si];
	const char *t = d->text;
	size_t i = s->off, end = (size_t)s->off + s->len;

	while (i < end) {
		if (!is_term_byte((unsigned char)t[i])) {
			i++;
			continue;
		}
		size_t ts = i, te;

		while (i < end && is_term_byte((unsigned char)t[i]))
			i++;
		te = i;
		while (ts < te && (t[ts] == '-' || t[ts] == '_'))
			ts++;
		while (te > ts && (t[te - 1] == '-' || t[te - 1] == '_'))
			te--;
		size_t len = te - ts;

		if (len < 3 || len > MN_FEATURES_TERM_MAX || !is_alpha((unsigned char)t[ts]))
			continue;
		char term[MN_FEATURES_TERM_MAX + 1];

		for (size_t k = 0; k < len; k++)
			term[k] = lower(t[ts + k]);
		term[len] = '\0';
		uint64_t h = word_hash(term, len);
		unsigned cls = class_of_hash(h);

		if (cls & MN_FEATURES_STOP)
			continue;
		size_t slot = (size_t)(h & (table_cap - 1));

		while (table[slot]) {
			struct mn_features_candidate *c = &d->cands[table[slot] - 1];

			if (c->hash == h && !strcmp(c->term, term)) {
				c->tf++;
				break;
			}
			slot = (slot + 1) & (table_cap - 1);
		}
		if (table[slot] || d->n_cands == MN_FEATURES_MAX_CANDIDATES)
			continue;
		d->cands = mn_xgrow(d->cands, &d->alloc_cands, d->n_cands + 1, sizeof(*d->cands));
		struct mn_features_candidate *c = &d->cands[d->n_cands++];

		memcpy(c->term, term, len + 1);
		c->off = (uint32_t)ts;
		c->len = (uint32_t)len;
		c->hash = h;
		c->tf = 1;
		c->first_sent = (uint32_t)si;
		c->cls = (uint8_t)cls;
		c->capitalised = is_upper((unsigned char)t[ts]);
		table[slot] = (uint32_t)d->n_cands;
	}
}

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && !memcmp(s, p, n);
}

static bool is_file_ext(const char *s, size_t len)
{
	static const char *const exts[] = { "c",    "h",     "go",    "py",  "js",   "ts",  "md",
					    "sh",   "rs",    "cc",    "cpp", "hpp",  "rb",  "java",
					    "json", "jsonl", "yaml",  "yml", "toml", "sql", "txt",
					    "log",  "html",  "css",   "db",  "lock", "cfg", "ini",
					    "conf", "gguf",  "patch", NULL };

	if (len == 0 || len > 5 || memchr(s, '\0', len))
		return false;
	for (size_t i = 0; exts[i]; i++)
		if (exts[i][0] == s[0] && !strncmp(exts[i], s, len) && exts[i][len] == '\0')
			return true;
	return false;
}

/* Cheap cues over whitespace-separated words and lines. */
static void count_cues(struct mn_features_doc *d)
{
	const char *t = d->text;
	size_t i = 0, n = d->len;
	bool line_start = true;

	while (i < n) {
		unsigned char c = (unsigned char)t[i];

		if (c == '\n') {
			line_start = true;
			i++;
			continue;
		}
		if (is_space(c)) {
			i++;
			continue;
		}
		size_t ws = i;
		bool slash = false, alnum = false;
		size_t dot = 0;

		while (i < n && !is_space((unsigned char)t[i]) && t[i] != '\n') {
			unsigned char w = (unsigned char)t[i];

			if (w == '/')
				slash = true;
			else if (w == '.')
				dot = i;
			else if (w == '?')
				d->n_questions++;
			else if (w == '!')
				d->n_exclaims++;
			if (is_alpha(w) || is_digit(w))
				alnum = true;
			i++;
		}
		size_t wl = i - ws;
		const char *w = t + ws;

		if (line_start &&
		    (has_prefix(w, n - ws, "at ") || has_prefix(w, wl, "Traceback") ||
		     has_prefix(w, n - ws, "File \"") || has_prefix(w, wl, "goroutine")))
			d->n_trace++;
		line_start = false;
		if (alnum && (slash || (dot > ws && is_file_ext(t + dot + 1, i - dot - 1))))
			d->n_paths++;
		if (wl >= 4 && (w[0] == 'v' || w[0] == 'V') && is_digit((unsigned char)w[1])) {
			size_t k = 1;

			while (k < wl && is_digit((unsigned char)w[k]))
				k++;
			if (k + 1 < wl && w[k] == '.' && is_digit((unsigned char)w[k + 1]))
				d->n_versions++;
		}
	}
}

void mn_features_analyze(struct mn_features_doc *d, const char *text, size_t len,
			 const char *source, const char *type)
{
	uint32_t table[2 * MN_FEATURES_MAX_CANDIDATES * 2];
	size_t cap = sizeof(table) / sizeof(table[0]);

	pthread_once(&class_once, class_build);
	d->text = text;
	d->len = len;
	d->src_hash = label_hash("src=", source);
	d->type_hash = label_hash("type=", type);
	d->n_toks = d->n_sents = d->n_cands = 0;
	d->n_lines = d->n_numbers = d->n_paths = d->n_versions = 0;
	d->n_questions = d->n_exclaims = d->n_trace = 0;
	d->n_err = d->n_ok = d->n_decide = d->n_cause = d->n_neg = 0;
	split_sentences(d);
	d->toks = mn_xgrow(d->toks, &d->alloc_toks, len / 4 + 16, sizeof(*d->toks));
	memset(table, 0, sizeof(table));
	for (size_t i = 0; i < d->n_sents; i++) {
		tokenize_sentence(d, i);
		collect_candidates(d, i, table, cap);
	}
	count_cues(d);
	d->longest = 0;
	for (size_t k = 1; k < d->n_sents; k++)
		if (d->sents[k].len > d->sents[d->longest].len)
			d->longest = k;
}

/* ---- vectors ---- */

static size_t bucket(size_t x, const size_t *edges, size_t n)
{
	size_t b = 0;

	while (b < n && x >= edges[b])
		b++;
	return b;
}

enum cue {
	CUE_CAP,
	CUE_CAUSE,
	CUE_CLEN,
	CUE_DEC,
	CUE_DIGIT,
	CUE_ENDCOLON,
	CUE_ENDQ,
	CUE_ERR,
	CUE_EX,
	CUE_FS,
	CUE_HYPH,
	CUE_LAST,
	CUE_LEN,
	CUE_LINES,
	CUE_LONGEST,
	CUE_NC,
	CUE_NEG,
	CUE_NSENT,
	CUE_NUM,
	CUE_OK,
	CUE_PATH,
	CUE_POS,
	CUE_Q,
	CUE_SENTS,
	CUE_SLASH,
	CUE_SLEN,
	CUE_TF,
	CUE_TRACE,
	CUE_UNDER,
	CUE_UPPER,
	CUE_VER,
	CUE_VERB,
};

static void add_cue(struct mn_features_vec *v, const struct mn_features_params *p, unsigned family,
		    enum cue cue, size_t value, float w)
{
	uint64_t h = ((uint64_t)cue << 8 | (value < 9 ? value : 9)) * 0x9E3779B97F4A7C15ULL;

	mn_features_vec_add(v, fam(h, family, p->seed), w);
}

#define FNV_PRIME 1099511628211ULL
#define FNV_BASIS 1469598103934665603ULL

/* Character 3- and 4-grams of "<token>" (lowercased). One FNV-1a pass per
 * start position gives both: the 4-gram continues the 3-gram's state.
 * Same values as mn_text_hash64(gram, n, 0). */
static void add_char_ngrams(struct mn_features_vec *v, const struct mn_features_params *p,
			    const char *s, size_t len, float w)
{
	unsigned char buf[TOKEN_HASH_MAX + 2];
	size_t n = len + 2;

	buf[0] = '<';
	for (size_t i = 0; i < len; i++)
		buf[i + 1] = (unsigned char)lower(s[i]);
	buf[len + 1] = '>';
	for (size_t i = 0; i + 3 <= n; i++) {
		uint64_t h = FNV_BASIS;

		h = (h ^ buf[i]) * FNV_PRIME;
		h = (h ^ buf[i + 1]) * FNV_PRIME;
		h = (h ^ buf[i + 2]) * FNV_PRIME;
		mn_features_vec_add(v, fam(h, FAM_CHAR, p->seed), w);
		if (i + 4 <= n) {
			h = (h ^ buf[i + 3]) * FNV_PRIME;
			mn_features_vec_add(v, fam(h, FAM_CHAR, p->seed), w);
		}
	}
}

/* The unigram of a token: a negated word is another word ("no errors"). */
static uint64_t uni_hash(const struct mn_features_token *t)
{
	return t->negated ? t->hash ^ 0x6e65676174656421ULL /* "negated!" */ : t->hash;
}

void mn_features_doc_vector(struct mn_features_vec *out, const struct mn_features_params *p,
			    const struct mn_features_doc *d)
{
	static const size_t len_edges[] = { 16, 50, 120, 300, 1000, 3000 };
	static const size_t line_edges[] = { 2, 4, 11 };
	static const size_t num_edges[] = { 1, 3, 6, 12 };
	static const size_t cnt_edges[] = { 1, 2, 4 };
	static const size_t sent_edges[] = { 2, 3, 6, 12 };

	mn_features_vec_reset(out);
	mn_features_vec_reserve(out, d->n_toks * 6 + 32);
	/* a repeated token adds its unigram and character n-grams once, times
	 * its count: the same vector, without hashing them again */
	size_t cap = 16;

	while (cap < 2 * d->n_toks)
		cap *= 2;
	uint32_t *seen = mn_xcalloc(cap, sizeof(*seen)); /* token index + 1 */
	uint32_t *count = mn_xcalloc(d->n_toks + 1, sizeof(*count));

	for (size_t i = 0; i < d->n_toks; i++) {
		size_t s = (size_t)(uni_hash(&d->toks[i]) & (cap - 1));

		while (seen[s] && uni_hash(&d->toks[seen[s] - 1]) != uni_hash(&d->toks[i]))
			s = (s + 1) & (cap - 1);
		if (seen[s]) {
			count[seen[s] - 1]++;
		} else {
			seen[s] = (uint32_t)(i + 1);
			count[i] = 1;
		}
	}
	for (size_t i = 0; i < d->n_toks; i++) {
		const struct mn_features_token *t = &d->toks[i];

		if (count[i]) {
			float c = (float)count[i];

			mn_features_vec_add(out, fam(uni_hash(t), FAM_UNI, p->seed), c);
			if (t->alpha && !t->number && t->len >= 3 && t->len <= 24)
				add_char_ngrams(out, p, d->text + t->off, t->len, W_CHAR * c);
		}
		if (i > 0 && d->toks[i - 1].sent == t->sent)
			mn_features_vec_add(out,
					    fam(d->toks[i - 1].hash * 0x100000001B3ULL ^ t->hash,
						FAM_BI, p->seed),
					    W_BIGRAM);
	}
	free(seen);
	free(count);
	vec_finish(out, true, 1.0f);
	add_cue(out, p, FAM_CUE, CUE_LEN, bucket(d->len, len_edges, 6), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_LINES, bucket(d->n_lines, line_edges, 3), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_SENTS, bucket(d->n_sents, sent_edges, 4), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_NUM, bucket(d->n_numbers, num_edges, 4), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_PATH, bucket(d->n_paths, cnt_edges, 3), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_VER, d->n_versions > 0, W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_Q, d->n_questions > 0, W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_EX, d->n_exclaims > 0, W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_TRACE, bucket(d->n_trace, cnt_edges, 3), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_ERR, bucket(d->n_err, cnt_edges, 3), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_OK, bucket(d->n_ok, cnt_edges, 3), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_DEC, bucket(d->n_decide, cnt_edges, 3), W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_CAUSE, d->n_cause > 0, W_DOC_CUE);
	add_cue(out, p, FAM_CUE, CUE_NEG, d->n_neg > 0, W_DOC_CUE);
	mn_features_vec_add(out, fam(d->src_hash, FAM_CUE, p->seed), W_DOC_CUE);
	mn_features_vec_add(out, fam(d->type_hash, FAM_CUE, p->seed), W_DOC_CUE);
	vec_finish(out, false, 1.0f);
}

void mn_features_sentence_vector(struct mn_features_vec *out, const struct mn_features_params *p,
				 const struct mn_features_doc *d, size_t i)
{
	static const size_t pos_edges[] = { 1, 2, 3 };
	static const size_t slen_edges[] = { 20, 50, 100, 200 };
	static const size_t nsent_edges[] = { 2, 3, 6 };
	const struct mn_features_sentence *s = &d->sents[i];
	const char *t = d->text + s->off;
	bool slash = false, digit = false;

	mn_features_vec_reset(out);
	for (size_t k = s->tok_begin; k < s->tok_end; k++) {
		const struct mn_features_token *tk = &d->toks[k];

		mn_features_vec_add(out, fam(tk->hash, FAM_S_UNI, p->seed), 1.0f);
		if (k > s->tok_begin)
			mn_features_vec_add(out,
					    fam(d->toks[k - 1].hash * 0x100000001B3ULL ^ tk->hash,
						FAM_S_BI, p->seed),
					    W_BIGRAM);
		if (tk->number)
			digit = true;
	}
	vec_finish(out, true, 1.0f);
	for (size_t k = 0; k < s->len; k++)
		if (t[k] == '/')
			slash = true;
	add_cue(out, p, FAM_S_CUE, CUE_POS, bucket(i, pos_edges, 3), W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_LAST, d->n_sents > 1 && i + 1 == d->n_sents, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_LONGEST, d->n_sents > 1 && i == d->longest, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_SLEN, bucket(s->chars, slen_edges, 4), W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_NSENT, bucket(d->n_sents, nsent_edges, 3), W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_ERR, (s->cls & MN_FEATURES_ERR) != 0, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_OK, (s->cls & MN_FEATURES_OK) != 0, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_DEC, (s->cls & MN_FEATURES_DECIDE) != 0, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_CAUSE, (s->cls & MN_FEATURES_CAUSE) != 0, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_VERB, (s->cls & MN_FEATURES_VERB) != 0, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_DIGIT, digit, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_SLASH, slash, W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_ENDQ, s->len && t[s->len - 1] == '?', W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_ENDCOLON, s->len && t[s->len - 1] == ':', W_SENT_CUE);
	add_cue(out, p, FAM_S_CUE, CUE_UPPER, s->len && is_upper((unsigned char)t[0]), W_SENT_CUE);
	mn_features_vec_add(out, fam(d->type_hash, FAM_S_CUE, p->seed), W_SENT_CUE);
	vec_finish(out, false, 1.0f);
}

void mn_features_concept_vector(struct mn_features_vec *out, const struct mn_features_params *p,
				const struct mn_features_doc *d, size_t i)
{
	static const size_t clen_edges[] = { 5, 7, 10, 14 };
	static const size_t tf_edges[] = { 2, 3, 5 };
	static const size_t fs_edges[] = { 1, 2, 4 };
	static const size_t nc_edges[] = { 4, 9, 21, 50 };
	const struct mn_features_candidate *c = &d->cands[i];
	size_t len = c->len;
	bool hyph = false, under = false, digit = false;

	mn_features_vec_reset(out);
	mn_features_vec_add(out, fam(c->hash, FAM_C_TERM, p->seed), 1.0f);
	mn_features_vec_add(out, fam(word_hash(c->term, len < 3 ? len : 3), FAM_C_PRE, p->seed),
			    0.5f);
	mn_features_vec_add(out,
			    fam(word_hash(c->term + (len > 3 ? len - 3 : 0), len < 3 ? len : 3),
				FAM_C_SUF, p->seed),
			    0.5f);
	for (size_t k = 0; k < len; k++) {
		hyph |= c->term[k] == '-';
		under |= c->term[k] == '_';
		digit |= is_digit((unsigned char)c->term[k]);
	}
	add_cue(out, p, FAM_C_CUE, CUE_CLEN, bucket(len, clen_edges, 4), W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_TF, bucket(c->tf, tf_edges, 3), W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_FS, bucket(c->first_sent, fs_edges, 3), W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_NC, bucket(d->n_cands, nc_edges, 4), W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_CAP, c->capitalised, W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_HYPH, hyph, W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_UNDER, under, W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_DIGIT, digit, W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_ERR, (c->cls & MN_FEATURES_ERR) != 0, W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_OK, (c->cls & MN_FEATURES_OK) != 0, W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_DEC, (c->cls & MN_FEATURES_DECIDE) != 0, W_CONC_CUE);
	add_cue(out, p, FAM_C_CUE, CUE_VERB, (c->cls & MN_FEATURES_VERB) != 0, W_CONC_CUE);
	mn_features_vec_add(out, fam(d->type_hash, FAM_C_CUE, p->seed), W_CONC_CUE);
	vec_finish(out, false, 1.0f);
}

/* ---- normalisation and cutting ---- */

struct line {
	size_t off, len;
	bool blank;
};

static bool line_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space((unsigned char)s[i]))
			return false;
	return true;
}

static bool seen_line(uint64_t *hashes, size_t *offs, size_t *lens, size_t cap, const char *base,
		      size_t off, size_t len)
{
	uint64_t h = mn_text_hash64(base + off, len, 0) | 1;
	size_t s = (size_t)(h & (cap - 1));

	while (hashes[s]) {
		if (hashes[s] == h && lens[s] == len && !memcmp(base + offs[s], base + off, len))
			return true;
		s = (s + 1) & (cap - 1);
	}
	hashes[s] = h;
	offs[s] = off;
	lens[s] = len;
	return false;
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

/* Text ending / starting with a title-case word ([A-Z][a-z]+): joining two
 * such texts with only whitespace between makes a new multi-word proper
 * noun (DESIGN §5), i.e. an entity the input never had. */
bool mn_features_ends_title_word(const char *s, size_t len)
{
	size_t k;

	while (len && (is_space((unsigned char)s[len - 1]) || s[len - 1] == '\n'))
		len--;
	k = len;
	while (k && is_lower((unsigned char)s[k - 1]))
		k--;
	return k < len && k > 0 && is_upper((unsigned char)s[k - 1]);
}

static bool starts_title_word(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (is_space((unsigned char)s[i]) || s[i] == '\n'))
		i++;
	return i + 1 < len && is_upper((unsigned char)s[i]) && is_lower((unsigned char)s[i + 1]);
}

static bool starts_title_word(const char *s, size_t len);

/* Copy (text, len) into out with invalid UTF-8 bytes as U+FFFD, NUL as a
 * space, CR LF and lone CR as LF - except a CR between two title-case words,
 * which stays: "Prod\r\nAlice" as "Prod\nAlice" would be a new proper
 * noun. */
static void repair_text(struct mn_buf *out, const char *text, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t ok = mn_text_utf8_invalid_at(text + i, len - i);
		size_t start = i, end = i + ok;

		for (size_t k = start; k < end; k++) {
			char c = text[k];

			if (c != '\0' && c != '\r')
				continue;
			mn_buf_add(out, text + start, k - start);
			if (c == '\0') {
				mn_buf_addc(out, ' ');
			} else {
				size_t next = (k + 1 < len && text[k + 1] == '\n') ? k + 2 : k + 1;

				if (out->data && mn_features_ends_title_word(out->data, out->len) &&
				    starts_title_word(text + next, len - next))
					mn_buf_addc(out, '\r');
				else if (next == k + 1)
					mn_buf_addc(out, '\n');
			}
			start = k + 1;
		}
		mn_buf_add(out, text + start, end - start);
		i = end;
		if (i < len) {
			mn_buf_add(out, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
	if (!out->data)
		mn_buf_adds(out, "");
}

char *mn_features_normalize(const char *text, size_t len, size_t *out_len)
{
	struct mn_buf a = MN_BUF_INIT;
	char *out;
	size_t n_out = 0;
	struct line *lines = NULL;
	size_t n_lines = 0, alloc_lines = 0, first, last;
	const char *src = text;

	/* 1. UTF-8 repair, NUL and CR; valid text without them is read in place */
	if (mn_text_utf8_invalid_at(text, len) != len || memchr(text, '\0', len) ||
	    memchr(text, '\r', len)) {
		repair_text(&a, text, len);
		src = a.data;
		len = a.len;
	}
	/* 2. lines */
	for (size_t i = 0; i <= len;) {
		size_t s = i;

		while (i < len && src[i] != '\n')
			i++;
		lines = mn_xgrow(lines, &alloc_lines, n_lines + 1, sizeof(*lines));
		lines[n_lines].off = s;
		lines[n_lines].len = i - s;
		lines[n_lines].blank = line_blank(src + s, i - s);
		n_lines++;
		i++;
	}
	first = 0;
	while (first < n_lines && lines[first].blank)
		first++;
	last = n_lines;
	while (last > first && lines[last - 1].blank)
		last--;
	if (first == last) {
		free(lines);
		mn_buf_release(&a);
		*out_len = 0;
		return mn_xstrdup("");
	}
	/* the result is the input minus what is dropped: never longer */
	out = mn_xmalloc(len + 1);
	{
		/* trim the first line's leading and the last line's trailing whitespace */
		struct line *f = &lines[first], *l = &lines[last - 1];

		while (f->len && is_space((unsigned char)src[f->off])) {
			f->off++;
			f->len--;
		}
		while (l->len && is_space((unsigned char)src[l->off + l->len - 1]))
			l->len--;
	}
	size_t total = last - first - 1; /* newlines between the kept lines */

	for (size_t i = first; i < last; i++)
		total += lines[i].len;
	bool compress = total > MN_FEATURES_COMPRESS_BYTES;
	uint64_t *hashes = NULL;
	size_t *offs = NULL, *lens = NULL, cap = 0, pk = SIZE_MAX;

	if (compress) {
		cap = 16;
		while (cap < 2 * (last - first))
			cap *= 2;
		hashes = mn_xcalloc(cap, sizeof(*hashes));
		offs = mn_xcalloc(cap, sizeof(*offs));
		lens = mn_xcalloc(cap, sizeof(*lens));
	}
	for (size_t i = first; i < last; i++) {
		const struct line *ln = &lines[i];

		if (ln->blank)
			continue;
		if (compress) {
			size_t s = ln->off, e = ln->off + ln->len;

			while (s < e && is_space((unsigned char)src[s]))
				s++;
			while (e > s && is_space((unsigned char)src[e - 1]))
				e--;
			if (seen_line(hashes, offs, lens, cap, src, s, e - s))
				continue;
		}
		if (pk != SIZE_MAX) {
			const struct line *pl = &lines[pk];

			if (i == pk + 1) {
				out[n_out++] = '\n';
			} else if (mn_features_ends_title_word(src + pl->off, pl->len) &&
				   starts_title_word(src + ln->off, ln->len)) {
				/* keep what the input had between them */
				size_t gap = ln->off - (pl->off + pl->len);

				memcpy(out + n_out, src + pl->off + pl->len, gap);
				n_out += gap;
			} else {
				out[n_out++] = '\n';
				if (!compress)
					out[n_out++] = '\n';
			}
		}
		memcpy(out + n_out, src + ln->off, ln->len);
		n_out += ln->len;
		pk = i;
	}
	out[n_out] = '\0';
	free(hashes);
	free(offs);
	free(lens);
	free(lines);
	mn_buf_release(&a);
	*out_len = n_out;
	return out;
}

size_t mn_features_cut_words(const char *s, size_t len, size_t max_chars)
{
	size_t p, q;

	if (len <= max_chars)
		return len;
	/* the first max_chars characters; all of s when it has no more */
	p = mn_text_utf8_prefix(s, len, max_chars);
	if (p >= len)
		return len;
	/* s[p] exists: a space there cuts exactly at the limit */
	q = p;
	while (q > 0 && !(is_space((unsigned char)s[q]) || s[q] == '\n'))
		q--;
	if (q == 0)
		return p;
	while (q > 0 && (is_space((unsigned char)s[q - 1]) || s[q - 1] == '\n' ||
			 (s[q - 1] && strchr(",;:-(", s[q - 1]))))
		q--;
	return q ? q : p;
}
