/*
 * lexicon.h - the English word knowledge recall uses on the query side:
 * function words that carry no topic, irregular verb forms the Porter
 * stemmer cannot join ("chose"/"choose"), and groups of common words that
 * mean the same thing in an engineer's notes ("db"/"database",
 * "fix"/"patch"). Written from general usage, not from any benchmark.
 */
#ifndef MN_LEXICON_H
#define MN_LEXICON_H

#include <stdbool.h>
#include <stddef.h>

/* Word kinds of an expansion, with the weight recall gives them. */
#define MN_LEXICON_FORM 0.9    /* another form of the same word */
#define MN_LEXICON_SYNONYM 0.6 /* a word of the same meaning */

/* True for a lower-case function word ("what", "did", "the"). */
bool mn_lexicon_is_stopword(const char *word);

/* Words that may stand for the lower-case word: calls fn(payload, other,
 * weight) for each, at most max of them. Returns how many. */
size_t mn_lexicon_expand(const char *word, size_t max,
			 void (*fn)(void *payload, const char *other, double weight),
			 void *payload);

#endif
