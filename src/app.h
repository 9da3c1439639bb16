/*
 * app.h - what every front end (CLI, MCP server, daemon) needs: the
 * configuration in effect, the data home, the store, the encoder, and the
 * operations they share so no behaviour is implemented twice.
 *
 * Calling sequence: mn_app_open(&a, config_path, &err); use a.store etc.;
 * mn_app_close(&a).
 */
#ifndef MN_APP_H
#define MN_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "config.h"
#include "encoder.h"
#include "store.h"
#include "worker.h"

struct mn_app {
	struct mn_config cfg;
	char *home;          /* data home */
	char *db_path;
	struct mn_store *store;
	struct mn_encoder *encoder; /* lazily opened, see mn_app_encoder */
	/* Called after each memory this process encodes (the post-deploy
	 * monitor installs itself here). Written only by the thread that owns
	 * the app; worker threads get a copy before they start. */
	struct mn_worker_observer observer;
};

/* Load config, create the data home (0700) and its subdirectories, open
 * the store, apply log settings. */
int mn_app_open(struct mn_app *a, const char *config_path, struct mn_err *err);
/* Only load config and resolve paths; no store (for --help-free commands
 * like `mnemo encode`, `mnemo verify`). */
int mn_app_open_config(struct mn_app *a, const char *config_path, struct mn_err *err);
void mn_app_close(struct mn_app *a);
int mn_app_encoder(struct mn_app *a, struct mn_encoder **out, struct mn_err *err);

struct mn_remember_in {
	const char *text;
	size_t len;
	const char *type, *source, *project, *session;
};

struct mn_remember_out {
	char raw_id[37];
	char memory_id[37]; /* "" when only queued */
	const char *state;  /* "encoded" | "queued" */
	char note[320];     /* why it was only queued, or encode error */
};

/* Check the input, commit the raw row, then encode inline when no worker
 * holds worker.lock (otherwise the daemon will). The raw row is durable
 * before this returns 0, whatever happens to encoding. */
int mn_app_remember(struct mn_app *a, struct mn_remember_out *out,
		    const struct mn_remember_in *in, struct mn_err *err);

/* Human amendment: validate the encoding (must pass the schema check),
 * score it against the raw input, store it as a correction with source
 * "human" (wins over the teacher). */
int mn_app_amend(struct mn_app *a, const char *memory_id, const char *encoding_json,
		 size_t len, json_t **out_metrics, struct mn_err *err);

/* The status object shared by `mnemo status --json` and MCP `status`. */
int mn_app_status(struct mn_app *a, json_t **out, struct mn_err *err);

/* Hook for the learning loop to add its state to status (training,
 * models); NULL until set. */
typedef void (*mn_app_status_fn)(struct mn_app *a, json_t *status);
void mn_app_set_status_hook(mn_app_status_fn fn);

#endif
