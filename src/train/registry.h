/*
 * registry.h - the model registry (DESIGN §7.4): versioned artifact
 * directories models/<student>/v0001/... with meta.json, model_versions
 * rows, and the `current` symlink that the encoder follows (new encodings
 * switch without a restart).
 *
 * `current` is swapped atomically (new link + rename) and points at a
 * relative target ("v0003"); no link means the shipped default. Every
 * mutation holds an flock on models/<student>/.lock. A pin points current
 * at one version and keeps deploys from moving it until unpin.
 */
#ifndef MN_REGISTRY_H
#define MN_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>

#include "learn/ctx.h"
#include "base/err.h"

#define MN_REGISTRY_DEFAULT "default" /* the shipped model: no `current` link */
/* The learned ranker's registry name (models/ranker/...). It is versioned,
 * pinned and rolled back like a student; registry.deploy_command does not
 * run for it (mnemo reads `current` itself). */
#define MN_REGISTRY_RANKER "ranker"

/* Registry name of the configured student: "builtin", or the external
 * model's name made file-safe. out[64]. */
void mn_registry_student(char out[64], const struct mn_config *cfg);
/* Version `current` points at into out[16]; "" when it points nowhere
 * (shipped default). */
void mn_registry_current(struct mn_ctx *a, const char *student, char out[16]);
/* Heap path of a version's directory (NULL for "" or "default"). */
char *mn_registry_version_dir(struct mn_ctx *a, const char *student, const char *version);
/* Pinned version into out[16], "" when not pinned. */
int mn_registry_pinned(struct mn_ctx *a, const char *student, char out[16], struct mn_err *err);

/* Copy artifact_dir in as the next version (meta.json with sha256 of every
 * file, parent = current, the run, gate metrics), state registered.
 * out_version[16] gets its name. */
int mn_registry_register(struct mn_ctx *a, char out_version[16], const char *student,
			 const char *artifact_dir, const char *run_id, const json_t *gate_metrics,
			 struct mn_err *err);
/* Deploy a registered version: unless pinned, swap `current` to it, mark it
 * deployed, run registry.deploy_command (output appended to log_fd, -1 =
 * none; on failure the old link is restored and the error returned), then
 * prune. *out_switched tells whether current moved (false when pinned). */
int mn_registry_deploy(struct mn_ctx *a, bool *out_switched, const char *student,
		       const char *version, int log_fd, struct mn_err *err);
/* Point current back: at `version`, or (NULL) at the previously deployed
 * version (the shipped default when there is none). The version rolled
 * away from is marked rolled_back and so is the run that deployed it.
 * Works while pinned only when force is set (rollback unpins). to[16] gets
 * the new current ("default" for the shipped model). */
int mn_registry_rollback(struct mn_ctx *a, char to[16], const char *student,
			 const char *version, const char *why, struct mn_err *err);
/* Finish a rollback that was killed after it moved `current` but before
 * it recorded the change (or drop one that never moved it), and remove
 * temp copies left by killed processes. Deploy, pin and rollback do this
 * themselves first; recovery (train.c) calls it too, and returns at once
 * when another process holds the registry lock. */
int mn_registry_recover(struct mn_ctx *a, const char *student, struct mn_err *err);
/* Pin: point current at version and keep it there. */
int mn_registry_pin(struct mn_ctx *a, const char *student, const char *version,
		    struct mn_err *err);
int mn_registry_unpin(struct mn_ctx *a, const char *student, struct mn_err *err);
/* Delete all but registry.keep versions besides current (and the pinned
 * one); their rows become retired. */
int mn_registry_prune(struct mn_ctx *a, const char *student, struct mn_err *err);

/* Array of versions of the configured student, oldest first: {"version",
 * "student","state","current","pinned","artifact_path","sha256","parent",
 * "training_run","gate_metrics","live_metrics","created_at","deployed_at",
 * "retired_at"}. Used by `mnemo model list` and the MCP model_versions
 * tool. */
int mn_registry_list_json(struct mn_ctx *a, json_t **out, struct mn_err *err);
/* One version with its meta.json. MN_ENOTFOUND when unknown. */
int mn_registry_show_json(struct mn_ctx *a, json_t **out, const char *version,
			  struct mn_err *err);
/* The same for a named registry entry (a student's name or
 * MN_REGISTRY_RANKER). */
int mn_registry_list_json_for(struct mn_ctx *a, const char *student, json_t **out,
			      struct mn_err *err);
int mn_registry_show_json_for(struct mn_ctx *a, const char *student, json_t **out,
			      const char *version, struct mn_err *err);

#endif
