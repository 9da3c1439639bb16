/*
 * prompt.c - the one production prompt (DESIGN §4).
 *
 * The text below is part of the training contract: the student is trained
 * on exactly these bytes, so any edit to it changes what a deployed model
 * sees and should come with retraining. Every phrase in
 * mn_prompt_ted_phrases must stay a verbatim substring of the system
 * message or of the instructions (test_prompt checks it), and none may
 * contain '"' or '\\': the verifier searches for them in the compact JSON of
 * an output, where those characters would appear escaped.
 */
#include "model/prompt.h"

#include <string.h>

#include "base/timeutil.h"
#include "base/buf.h"
#include "base/text.h"

/* Longest source/type label we put into the prompt, in bytes. */
#define LABEL_MAX 100

static const char system_msg[] =
	"You are the memory encoder of mnemo, a local memory daemon. You turn one "
	"observation into one JSON object that records it faithfully and compactly. "
	"Answer with that JSON object only: no prose before or after it, no code fences.";

static const char instructions[] =
	"Encode the observation at the end of this message as one memory.\n"
	"\n"
	"Rules:\n"
	"1. Faithfulness: state only what the observation states. Never add facts, causes, "
	"people, numbers or outcomes that it does not contain, and never guess.\n"
	"2. Preserve every name, number, path and version verbatim: copy identifiers, file "
	"paths, versions, figures and units exactly as written, with their spelling and case.\n"
	"3. Keep short input short: for an observation of a few words, write a content no "
	"longer than the observation, leave narrative empty, use few concepts and a low "
	"salience.\n"
	"4. Write in the language of the observation. Do not repeat these instructions in "
	"your answer.\n"
	"\n"
	"Schema: one JSON object with exactly these ten keys and no others.\n"
	"- gist: string of at most 60 characters, the observation in one line\n"
	"- summary: string of at most 400 characters, the observation in a few sentences\n"
	"- content: string, the faithful, compressed content of the observation\n"
	"- narrative: string, the context the observation itself gives, or an empty string\n"
	"- concepts: array of short lowercase keywords taken from the observation\n"
	"- structured_concepts: object with four arrays: topics of {label, path}, entities of "
	"{name, type, context}, actions of {verb, object, details}, causality of {relation, "
	"description}; every field is a string; an array is empty when nothing applies\n"
	"- significance: one of routine, notable, important, critical\n"
	"- emotional_tone: one of neutral, satisfying, frustrating, exciting, concerning\n"
	"- outcome: one of success, failure, ongoing, unknown\n"
	"- salience: number from 0 to 1, how much this is worth remembering\n"
	"\n";

const char *const mn_prompt_ted_phrases[] = {
	"that records it faithfully and compactly",
	"state only what the observation states",
	"Preserve every name, number, path and version verbatim",
	"Keep short input short",
	"write a content no longer than the observation",
	"Do not repeat these instructions in your answer",
	"the faithful, compressed content of the observation",
	"the context the observation itself gives",
	"short lowercase keywords taken from the observation",
	"one of routine, notable, important, critical",
	"one of neutral, satisfying, frustrating, exciting, concerning",
	"one of success, failure, ongoing, unknown",
	NULL,
};

const char *mn_prompt_system(void)
{
	return system_msg;
}

size_t mn_prompt_input_len(const char *content, size_t len, size_t max_chars)
{
	/* 0 is not a usable limit (the encoder would see nothing): default. */
	if (max_chars == 0)
		max_chars = MN_PROMPT_MAX_INPUT_DEFAULT;
	if (!content)
		return 0;
	return mn_text_utf8_prefix(content, len, max_chars);
}

/* A one-line label: control characters (newlines included) become spaces
 * so a source or type can never forge a line of the prompt. */
static void add_label(struct mn_buf *b, const char *s, const char *def)
{
	size_t n;

	if (!s || !*s)
		s = def;
	n = mn_text_utf8_cut(s, strlen(s), LABEL_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		mn_buf_addc(b, (c < 0x20 || c == 0x7f) ? ' ' : (char)c);
	}
	mn_buf_addc(b, '\n');
}

char *mn_prompt_build(const char *content, size_t len, const char *source, const char *type,
		      size_t max_chars)
{
	return mn_prompt_build_at(content, len, source, type, NULL, max_chars);
}

char *mn_prompt_build_at(const char *content, size_t len, const char *source, const char *type,
			 const char *when, size_t max_chars)
{
	static const char *const days[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
					    "Friday", "Saturday", "Sunday" };
	struct mn_buf b = MN_BUF_INIT;
	size_t n = mn_prompt_input_len(content, len, max_chars);
	int64_t t;

	mn_buf_add(&b, instructions, sizeof(instructions) - 1);
	mn_buf_adds(&b, "Source: ");
	add_label(&b, source, "unknown");
	mn_buf_adds(&b, "Type: ");
	add_label(&b, type, "general");
	if (when && mn_time_parse(&t, when)) {
		int64_t day = t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
		char iso[MN_TIME_LEN];

		mn_time_format(iso, t);
		/* 1970-01-01 was a Thursday (index 3) */
		mn_buf_addf(&b, "Observed on: %s %.10s (resolve relative dates such as "
			    "\"yesterday\" or \"last Friday\" against this day)\n",
			    days[((day + 3) % 7 + 7) % 7], iso);
	}
	mn_buf_adds(&b, "Observation:\n");
	if (n)
		mn_buf_add(&b, content, n);
	mn_buf_addc(&b, '\n');
	return mn_buf_detach(&b, NULL);
}
