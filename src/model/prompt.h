/*
 * prompt.h - the one production prompt builder (DESIGN §4).
 *
 * The same builder makes the prompt for the student, the teacher and the
 * training data, so the student trains on exactly what it sees in
 * production. The TED phrase list lives here too: distinctive instruction
 * phrases of this prompt whose presence in an output means template echo.
 */
#ifndef MN_PROMPT_H
#define MN_PROMPT_H

#include <stddef.h>

#define MN_PROMPT_MAX_INPUT_DEFAULT 8000 /* encoding.max_input_chars */

/* Distinctive phrases of the prompt, NULL-terminated; each occurs verbatim
 * in mn_prompt_system() or the user prompt (a unit test proves it). */
extern const char *const mn_prompt_ted_phrases[];

/* The system message (borrowed, static). */
const char *mn_prompt_system(void);
/* Byte length of the prefix of (content, len) the encoder sees: at most
 * max_chars characters, never splitting UTF-8. max_chars 0 means
 * MN_PROMPT_MAX_INPUT_DEFAULT. */
size_t mn_prompt_input_len(const char *content, size_t len, size_t max_chars);
/* The user message: task, rules, schema, then source, type and content
 * (cut with mn_prompt_input_len). Heap string, caller frees. source/type
 * may be NULL. */
char *mn_prompt_build(const char *content, size_t len, const char *source, const char *type,
		      size_t max_chars);
/* The same with the time the observation happened (ISO-8601, may be
 * NULL): a line names its day, against which the model resolves relative
 * dates ("yesterday", "last Friday"). */
char *mn_prompt_build_at(const char *content, size_t len, const char *source, const char *type,
			 const char *when, size_t max_chars);

#endif
