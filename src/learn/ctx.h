/*
 * ctx.h - what a mnemo process works with: the configuration in effect,
 * the data home, the store, the encoder (opened lazily) and the observer
 * of what this process encodes. Every layer from learn/ up takes one.
 *
 * Calling sequence: mn_ctx_open(&c, config_path, &err); use c.store etc.;
 * mn_ctx_close(&c).
 */
#ifndef MN_CTX_H
#define MN_CTX_H

#include "base/err.h"
#include "core/config.h"
#include "model/encoder.h"
#include "store/store.h"
#include "learn/worker.h"

struct mn_ctx {
	struct mn_config cfg;
	char *home;          /* data home */
	char *db_path;
	struct mn_store *store;
	struct mn_encoder *encoder; /* lazily opened, see mn_ctx_encoder */
	/* Called after each memory this process encodes (the post-deploy
	 * monitor installs itself here). Written only by the thread that owns
	 * the app; worker threads get a copy before they start. */
	struct mn_worker_observer observer;
	/* the ranker recall uses, loaded on first use and again when the
	 * registry's current version changes (app/ranking.c) */
	struct mn_ranker *ranker;
	char *ranker_default; /* path of the shipped default ranker, "" = none */
};

/* Load config, create the data home (0700) and its subdirectories, open
 * the store, apply log settings. */
int mn_ctx_open(struct mn_ctx *a, const char *config_path, struct mn_err *err);
/* Only load config and resolve paths; no store (for --help-free commands
 * like `mnemo encode`, `mnemo verify`). */
int mn_ctx_open_config(struct mn_ctx *a, const char *config_path, struct mn_err *err);
void mn_ctx_close(struct mn_ctx *a);
int mn_ctx_encoder(struct mn_ctx *a, struct mn_encoder **out, struct mn_err *err);

#endif
