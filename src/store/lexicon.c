/*
 * lexicon.c - stop words, irregular forms and synonym groups (lexicon.h).
 *
 * Tables are small and searched linearly; a query has at most a few dozen
 * words.
 */
#include "store/lexicon.h"

#include <stdio.h>
#include <string.h>

static const char *const stopwords[] = {
	"a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any",
	"are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
	"both", "but", "by", "can", "could", "did", "do", "does", "doing", "done", "down",
	"during", "each", "else", "ever", "every", "few", "for", "from", "further", "get",
	"got", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him",
	"himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
	"let", "like", "may", "me", "might", "more", "most", "much", "must", "my", "myself",
	"no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other",
	"ought", "our", "ours", "ourselves", "out", "over", "own", "please", "remind",
	"same", "shall", "she", "should", "so", "some", "such", "tell", "than", "that",
	"the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
	"this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "was",
	"we", "were", "what", "whats", "when", "where", "which", "while", "who", "whom",
	"whose", "why", "will", "with", "would", "yet", "you", "your", "yours", "yourself",
	"yourselves", "s", "t", "d", "ll", "m", "re", "ve", "don", "didn", "doesn",
	"again", "anything", "something", "thing", "things", "know", "recall", "remember",
	"happened", "happen", "there", "anyone", "someone", "somebody", "ok", "okay",
};

/* Each row is one group; the first column the kind. Words of a group
 * expand to each other. */
struct group {
	double weight;
	const char *words[12];
};

static const struct group groups[] = {
	/* irregular forms the stemmer keeps apart */
	{MN_LEXICON_FORM, {"choose", "chose", "chosen", NULL}},
	{MN_LEXICON_FORM, {"go", "went", "gone", NULL}},
	{MN_LEXICON_FORM, {"run", "ran", NULL}},
	{MN_LEXICON_FORM, {"break", "broke", "broken", NULL}},
	{MN_LEXICON_FORM, {"write", "wrote", "written", NULL}},
	{MN_LEXICON_FORM, {"make", "made", NULL}},
	{MN_LEXICON_FORM, {"take", "took", "taken", NULL}},
	{MN_LEXICON_FORM, {"build", "built", NULL}},
	{MN_LEXICON_FORM, {"find", "found", NULL}},
	{MN_LEXICON_FORM, {"begin", "began", "begun", NULL}},
	{MN_LEXICON_FORM, {"send", "sent", NULL}},
	{MN_LEXICON_FORM, {"buy", "bought", NULL}},
	{MN_LEXICON_FORM, {"pay", "paid", NULL}},
	{MN_LEXICON_FORM, {"keep", "kept", NULL}},
	{MN_LEXICON_FORM, {"lose", "lost", NULL}},
	{MN_LEXICON_FORM, {"leave", "left", NULL}},
	{MN_LEXICON_FORM, {"spend", "spent", NULL}},
	{MN_LEXICON_FORM, {"teach", "taught", NULL}},
	{MN_LEXICON_FORM, {"think", "thought", NULL}},
	{MN_LEXICON_FORM, {"bring", "brought", NULL}},
	{MN_LEXICON_FORM, {"catch", "caught", NULL}},
	{MN_LEXICON_FORM, {"fall", "fell", "fallen", NULL}},
	{MN_LEXICON_FORM, {"give", "gave", "given", NULL}},
	{MN_LEXICON_FORM, {"hold", "held", NULL}},
	{MN_LEXICON_FORM, {"meet", "met", NULL}},
	{MN_LEXICON_FORM, {"read", "reading", NULL}},
	{MN_LEXICON_FORM, {"rise", "rose", "risen", NULL}},
	{MN_LEXICON_FORM, {"see", "saw", "seen", NULL}},
	{MN_LEXICON_FORM, {"speak", "spoke", "spoken", NULL}},
	{MN_LEXICON_FORM, {"tell", "told", NULL}},
	{MN_LEXICON_FORM, {"grow", "grew", "grown", NULL}},
	{MN_LEXICON_FORM, {"drive", "drove", "driven", NULL}},
	{MN_LEXICON_FORM, {"freeze", "froze", "frozen", NULL}},
	{MN_LEXICON_FORM, {"shrink", "shrank", "shrunk", NULL}},
	/* same meaning in engineering notes */
	{MN_LEXICON_SYNONYM, {"database", "db", "datastore", "dbms", "rdbms", NULL}},
	{MN_LEXICON_SYNONYM, {"choose", "chose", "chosen", "pick", "select", "opt", "adopt",
			      "settle", "prefer", NULL}},
	{MN_LEXICON_SYNONYM, {"decide", "decision", "agree", "conclude", "resolve", NULL}},
	{MN_LEXICON_SYNONYM, {"fix", "patch", "repair", "hotfix", "workaround", NULL}},
	{MN_LEXICON_SYNONYM, {"bug", "defect", "issue", "fault", "glitch", "regression",
			      NULL}},
	{MN_LEXICON_SYNONYM, {"error", "exception", "failure", "fault", NULL}},
	{MN_LEXICON_SYNONYM, {"outage", "incident", "downtime", "disruption", NULL}},
	{MN_LEXICON_SYNONYM, {"deploy", "release", "ship", "rollout", "launch", NULL}},
	{MN_LEXICON_SYNONYM, {"config", "configuration", "setting", "option", "parameter",
			      "knob", NULL}},
	{MN_LEXICON_SYNONYM, {"cache", "memo", "memoize", "memoization", NULL}},
	{MN_LEXICON_SYNONYM, {"queue", "mq", "broker", "messaging", "pubsub", NULL}},
	{MN_LEXICON_SYNONYM, {"compression", "compress", "packing", "codec", NULL}},
	{MN_LEXICON_SYNONYM, {"server", "host", "machine", "node", "box", "instance", "vm",
			      NULL}},
	{MN_LEXICON_SYNONYM, {"migrate", "migration", "move", "port", "transfer", NULL}},
	{MN_LEXICON_SYNONYM, {"meeting", "sync", "standup", "retro", "retrospective",
			      "review", "call", "planning", NULL}},
	{MN_LEXICON_SYNONYM, {"slow", "latency", "lag", "sluggish", "slowdown", NULL}},
	{MN_LEXICON_SYNONYM, {"crash", "panic", "segfault", "abort", NULL}},
	{MN_LEXICON_SYNONYM, {"test", "spec", "qa", "check", NULL}},
	{MN_LEXICON_SYNONYM, {"log", "logging", "trace", NULL}},
	{MN_LEXICON_SYNONYM, {"auth", "authentication", "login", "signin", "sso", NULL}},
	{MN_LEXICON_SYNONYM, {"docs", "documentation", "readme", "manual", NULL}},
	{MN_LEXICON_SYNONYM, {"remove", "delete", "drop", "deprecate", "retire", NULL}},
	{MN_LEXICON_SYNONYM, {"monitor", "monitoring", "alert", "alerting",
			      "observability", "metric", NULL}},
	{MN_LEXICON_SYNONYM, {"price", "pricing", "cost", "charge", "billing", "fee", NULL}},
	{MN_LEXICON_SYNONYM, {"payment", "payout", "billing", "invoice", NULL}},
	{MN_LEXICON_SYNONYM, {"customer", "client", "user", "account", NULL}},
	{MN_LEXICON_SYNONYM, {"faster", "speedup", "optimize", "optimise", "accelerate",
			      NULL}},
	{MN_LEXICON_SYNONYM, {"backup", "snapshot", "restore", NULL}},
	{MN_LEXICON_SYNONYM, {"secret", "credential", "password", "token", NULL}},
	{MN_LEXICON_SYNONYM, {"library", "lib", "package", "dependency", "framework", NULL}},
	{MN_LEXICON_SYNONYM, {"frontend", "ui", "interface", NULL}},
	{MN_LEXICON_SYNONYM, {"backend", "api", "service", NULL}},
	{MN_LEXICON_SYNONYM, {"storage", "disk", "volume", NULL}},
	{MN_LEXICON_SYNONYM, {"kubernetes", "k8s", NULL}},
	{MN_LEXICON_SYNONYM, {"javascript", "js", NULL}},
	{MN_LEXICON_SYNONYM, {"typescript", "ts", NULL}},
	{MN_LEXICON_SYNONYM, {"python", "py", NULL}},
	{MN_LEXICON_SYNONYM, {"postgres", "postgresql", "pg", NULL}},
	{MN_LEXICON_SYNONYM, {"infrastructure", "infra", NULL}},
	{MN_LEXICON_SYNONYM, {"pipeline", "ci", NULL}},
	{MN_LEXICON_SYNONYM, {"limit", "cap", "quota", "threshold", NULL}},
	{MN_LEXICON_SYNONYM, {"timeout", "deadline", NULL}},
	{MN_LEXICON_SYNONYM, {"upgrade", "update", "bump", NULL}},
	{MN_LEXICON_SYNONYM, {"rollback", "revert", "undo", NULL}},
	{MN_LEXICON_SYNONYM, {"restart", "reboot", "bounce", NULL}},
	{MN_LEXICON_SYNONYM, {"stop", "halt", "pause", "disable", NULL}},
	{MN_LEXICON_SYNONYM, {"start", "enable", "begin", NULL}},
	{MN_LEXICON_SYNONYM, {"big", "large", "huge", NULL}},
	{MN_LEXICON_SYNONYM, {"small", "tiny", "little", NULL}},
	{MN_LEXICON_SYNONYM, {"problem", "trouble", "issue", NULL}},
	{MN_LEXICON_SYNONYM, {"plan", "roadmap", "proposal", NULL}},
	{MN_LEXICON_SYNONYM, {"endpoint", "route", "url", NULL}},
	{MN_LEXICON_SYNONYM, {"team", "squad", "group", NULL}},
	{MN_LEXICON_SYNONYM, {"doc", "document", "page", NULL}},
};

bool mn_lexicon_is_stopword(const char *word)
{
	for (size_t i = 0; i < sizeof(stopwords) / sizeof(stopwords[0]); i++)
		if (!strcmp(word, stopwords[i]))
			return true;
	return false;
}

static bool in_group(const struct group *g, const char *word)
{
	for (size_t i = 0; i < 12 && g->words[i]; i++)
		if (!strcmp(g->words[i], word))
			return true;
	return false;
}

/* The word, else its form without a plural or tense ending when that one
 * is in a group ("decisions" -> "decision", "picked" -> "pick"). */
static void lookup_form(char *out, size_t cap, const char *word)
{
	static const char *const endings[] = { "ies", "es", "s", "ed", "d", "ing" };
	size_t len = strlen(word);

	snprintf(out, cap, "%s", word);
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		if (in_group(&groups[g], word))
			return;
	for (size_t e = 0; e < sizeof(endings) / sizeof(endings[0]); e++) {
		size_t el = strlen(endings[e]);

		if (len <= el + 2 || strcmp(word + len - el, endings[e]))
			continue;
		snprintf(out, cap, "%.*s%s", (int)(len - el), word, e == 0 ? "y" : "");
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			if (in_group(&groups[g], out))
				return;
	}
	snprintf(out, cap, "%s", word);
}

size_t mn_lexicon_expand(const char *word, size_t max,
			 void (*fn)(void *payload, const char *other, double weight),
			 void *payload)
{
	size_t n = 0;
	char form[64];

	lookup_form(form, sizeof(form), word);
	word = form;

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]) && n < max; g++) {
		if (!in_group(&groups[g], word))
			continue;
		for (size_t i = 0; i < 12 && groups[g].words[i] && n < max; i++) {
			if (!strcmp(groups[g].words[i], word))
				continue;
			fn(payload, groups[g].words[i], groups[g].weight);
			n++;
		}
	}
	return n;
}
