/*
 * encoder.h - turns a raw observation into a scored encoding with the
 * configured student (builtin or an OpenAI-compatible model), falling back
 * to the builtin student when the model fails (DESIGN §4).
 *
 * Calling sequence: mn_encoder_open(&e, cfg, home, &err);
 * mn_encoder_encode(e, &out, ...) any number of times; mn_encoder_free(e).
 * One encoder per thread. The builtin model follows the registry: when
 * <home>/models/builtin/current is re-pointed (deploy, rollback, pin), the
 * next encode loads the new version without a restart.
 */
#ifndef MN_ENCODER_H
#define MN_ENCODER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "core/config.h"
#include "model/verify.h"

struct mn_encoder;

struct mn_encode_out {
	json_t *encoding;       /* normalised encoding (ten keys) */
	char *encoding_json;    /* the encoder's output exactly as produced */
	char *encoder;          /* "builtin" or "openai:<model>" */
	char *encoder_version;  /* model version label */
	bool fallback;          /* produced by the builtin fallback */
	char *fallback_reason;  /* why the primary encoder failed, or NULL */
	double confidence;
	size_t input_len;       /* bytes of the input the encoder saw */
	struct mn_metrics metrics;
	double salience;        /* encoding salience minus the TED penalty, clamped */
};

int mn_encoder_open(struct mn_encoder **out, const struct mn_config *cfg, const char *home,
		    struct mn_err *err);
/* Open with an explicit builtin model directory (mnemo encode --model). */
int mn_encoder_open_model(struct mn_encoder **out, const struct mn_config *cfg,
			  const char *model_dir, struct mn_err *err);
void mn_encoder_free(struct mn_encoder *e);
int mn_encoder_encode(struct mn_encoder *e, struct mn_encode_out *out, const char *content,
		      size_t len, const char *source, const char *type, struct mn_err *err);
/* The same with the time the observation happened (ISO-8601, may be
 * NULL): an LLM student's prompt names its day, so the model can resolve
 * relative dates. */
int mn_encoder_encode_at(struct mn_encoder *e, struct mn_encode_out *out, const char *content,
			 size_t len, const char *source, const char *type, const char *when,
			 struct mn_err *err);
void mn_encode_out_release(struct mn_encode_out *o);
/* Label of the model new encodings will use (borrowed until next encode). */
const char *mn_encoder_describe(struct mn_encoder *e);

#endif
