/*
 * features.h - text analysis and hashed sparse features of the builtin
 * student (DESIGN §8).
 *
 * One pass of analysis (mn_features_analyze) splits a text into sentences,
 * word tokens and concept candidates and counts a few structure cues. From
 * an analysis three kinds of sparse vectors are made, each over 2^dim_bits
 * signed-hashed dimensions and L2-normalised:
 *   - the document vector: word unigrams and bigrams, character 3/4-grams of
 *     words, structure cues, source and type (the judgment heads);
 *   - one vector per sentence (the sentence scorer);
 *   - one vector per concept candidate (the concept scorer).
 * Everything here depends only on the input bytes and the params, so the
 * trainer and the encoder see identical features. The text rules (content
 * normalisation, sentences, word cuts, candidates) are mirrored by
 * scripts/gen-seed-data.py; keep the two in step.
 *
 * Calling sequence: mn_features_doc_init(&d); mn_features_analyze(&d, ...);
 * mn_features_doc_vector / _sentence_vector / _concept_vector into a
 * struct mn_features_vec (reused between calls); mn_features_doc_release,
 * mn_features_vec_release. Reentrant; the word-class table is built once per
 * process on first use (pthread_once).
 */
#ifndef MN_FEATURES_H
#define MN_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever the features of a given text change; stored in model
 * files so that weights are never applied to features they were not
 * trained on. */
#define MN_FEATURES_VERSION 2 /* 2: negation scope */

#define MN_FEATURES_DIM_BITS_MIN   10
#define MN_FEATURES_DIM_BITS_MAX   24
#define MN_FEATURES_MAX_SENTENCES  512  /* later text joins the last sentence */
#define MN_FEATURES_MAX_CANDIDATES 128  /* distinct concept candidates kept */
#define MN_FEATURES_TERM_MAX       32   /* bytes of a concept candidate */
#define MN_FEATURES_COMPRESS_BYTES 1024 /* longer content loses blank and repeated lines */

/* Word classes (bit set) of a lowercase token. */
enum {
	MN_FEATURES_STOP = 1u << 0,   /* stopword: never a concept */
	MN_FEATURES_ERR = 1u << 1,    /* error / failure vocabulary */
	MN_FEATURES_OK = 1u << 2,     /* success vocabulary */
	MN_FEATURES_DECIDE = 1u << 3, /* decision vocabulary */
	MN_FEATURES_CAUSE = 1u << 4,  /* causal cue: because, caused, due, so */
	MN_FEATURES_VERB = 1u << 5,   /* past-tense work verb (actions) */
	MN_FEATURES_NEG = 1u << 6,    /* negation / uncertainty */
};

struct mn_features_params {
	unsigned dim_bits; /* dimensions = 1 << dim_bits */
	uint64_t seed;     /* hash seed */
};

/* A sparse vector over hashed indices; duplicates are merged on add. */
struct mn_features_vec {
	uint32_t *idx;
	float *val;
	size_t n, alloc;
	uint32_t *slots;   /* open addressing: entry position + 1, 0 = empty */
	uint32_t *slot_of; /* slot of each entry, for O(n) reset */
	size_t slot_cap;   /* power of two */
	uint32_t mask;     /* dimensions - 1 */
};

struct mn_features_token {
	uint32_t off, len; /* bytes in the analysed text */
	uint64_t hash;     /* hash of the lowercased token (numbers as shapes) */
	uint32_t sent;     /* sentence index */
	uint8_t cls;       /* MN_FEATURES_* class bits */
	bool number;       /* all digits */
	bool alpha;        /* has a letter (char n-grams are taken) */
	bool negated;      /* within three words after a negation, same clause */
};

struct mn_features_sentence {
	uint32_t off, len;           /* bytes, trimmed, punctuation included */
	uint32_t chars;              /* characters */
	uint32_t tok_begin, tok_end; /* token range */
	uint8_t cls;                 /* union of its tokens' classes */
};

struct mn_features_candidate {
	char term[MN_FEATURES_TERM_MAX + 1]; /* lowercase, NUL-terminated */
	uint32_t off, len;                   /* first occurrence (original case) */
	uint64_t hash;                       /* hash of term */
	uint32_t tf;                         /* occurrences */
	uint32_t first_sent;                 /* sentence of first occurrence */
	uint8_t cls;
	bool capitalised; /* first occurrence starts with an uppercase letter */
};

struct mn_features_doc {
	const char *text; /* borrowed for the analysis' lifetime */
	size_t len;
	struct mn_features_token *toks;
	size_t n_toks, alloc_toks;
	struct mn_features_sentence *sents;
	size_t n_sents, alloc_sents;
	struct mn_features_candidate *cands;
	size_t n_cands, alloc_cands;
	uint64_t src_hash, type_hash; /* source and type label cues */
	size_t longest;               /* the longest sentence */
	/* structure cues */
	size_t n_lines, n_numbers, n_paths, n_versions, n_questions, n_exclaims, n_trace;
	size_t n_err, n_ok, n_decide, n_cause, n_neg;
};

void mn_features_vec_init(struct mn_features_vec *v, unsigned dim_bits);
void mn_features_vec_release(struct mn_features_vec *v);
/* Empty v in O(entries), keeping its storage. */
void mn_features_vec_reset(struct mn_features_vec *v);
/* Room for n entries without growing. */
void mn_features_vec_reserve(struct mn_features_vec *v, size_t n);
/* Add x at the index and sign taken from hash h (duplicates merge). */
void mn_features_vec_add(struct mn_features_vec *v, uint64_t h, float x);
/* Sort entries by ascending index (the order LIBLINEAR wants). */
void mn_features_vec_sort(struct mn_features_vec *v);

void mn_features_doc_init(struct mn_features_doc *d);
void mn_features_doc_release(struct mn_features_doc *d);
/* Analyse (text, len), which must be valid UTF-8 (mn_features_normalize's
 * output is); text is borrowed and must outlive later calls that take d.
 * source and type (may be NULL) become label cues. Replaces any previous
 * analysis in d. */
void mn_features_analyze(struct mn_features_doc *d, const char *text, size_t len,
			 const char *source, const char *type);

/* The document vector of an analysis. */
void mn_features_doc_vector(struct mn_features_vec *out, const struct mn_features_params *p,
			    const struct mn_features_doc *d);
/* The vector of sentence i of d. */
void mn_features_sentence_vector(struct mn_features_vec *out, const struct mn_features_params *p,
				 const struct mn_features_doc *d, size_t i);
/* The vector of concept candidate i of d. */
void mn_features_concept_vector(struct mn_features_vec *out, const struct mn_features_params *p,
				const struct mn_features_doc *d, size_t i);

/* Hash of a word token as the tokenizer makes it: ASCII-lowercased, a run
 * of digits as its shape ("#3" for three digits). */
uint64_t mn_features_token_hash(const char *s, size_t len, bool number);
/* Call fn with the hash of every word token of (s, len). */
void mn_features_each_token(const char *s, size_t len, void (*fn)(void *payload, uint64_t hash),
			    void *payload);

/* Content normalisation: UTF-8 repaired (invalid bytes become U+FFFD, NUL
 * a space), CR LF and lone CR become LF, leading and trailing whitespace
 * dropped, runs of blank lines collapsed to one; over 1024 bytes, blank and
 * repeated lines are dropped too. Whitespace inside lines is kept, and two
 * lines are never joined in a way that makes a new multi-word proper noun,
 * so the result has no entity the input lacks. Heap string (caller frees),
 * never longer than the input; *out_len its length. */
char *mn_features_normalize(const char *text, size_t len, size_t *out_len);
/* Byte length of s cut to at most max_chars characters: at the last space
 * inside the limit when there is one (then without trailing ",;:-("), else
 * at a character boundary. */
size_t mn_features_cut_words(const char *s, size_t len, size_t max_chars);
/* Does s end with a title-case word ([A-Z][a-z]+)? Joined to text that
 * starts with one by whitespace only, it would form a new proper noun. */
bool mn_features_ends_title_word(const char *s, size_t len);

#endif
