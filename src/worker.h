/*
 * worker.h - the encoding side of the raw-memory queue (DESIGN §2).
 *
 * Exactly one process encodes at a time: it holds an flock on
 * <home>/worker.lock. mn_worker_try_lock takes it without waiting (the CLI
 * and MCP encode inline only when they get it). Rows are claimed with a
 * lease; a crashed worker's lease expires and the row returns to the queue;
 * after encoding.max_attempts failures the row is marked failed with its
 * error and stays searchable by its raw text.
 */
#ifndef MN_WORKER_H
#define MN_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "config.h"
#include "encoder.h"
#include "store.h"

/* Take worker.lock without blocking: 0 and *out_fd, or MN_EBUSY when
 * another process holds it. */
int mn_worker_try_lock(int *out_fd, const char *home, struct mn_err *err);
void mn_worker_unlock(int fd);
/* Lease length for the configured student. */
int64_t mn_worker_lease_ms(const struct mn_config *cfg);
/* Encode one claimed raw row and store it (memory + buffer row + raw
 * state, one transaction); on failure record the attempt. memory_id_out
 * (37 bytes, may be NULL) receives the new memory id. */
int mn_worker_encode_raw(struct mn_store *st, struct mn_encoder *enc,
			 const struct mn_config *cfg, const struct mn_raw *raw,
			 char *memory_id_out, struct mn_err *err);
/* Claim and encode until the queue is empty, *stop is set, or max rows
 * (0 = no limit), up to 16 rows per transaction. Expired claims are not
 * returned here: the daemon does that once a second. *out_done = rows
 * encoded. */
int mn_worker_drain(struct mn_store *st, struct mn_encoder *enc, const struct mn_config *cfg,
		    const char *worker_id, int max, volatile sig_atomic_t *stop, int *out_done,
		    struct mn_err *err);

/* Optional observer called after each stored memory (post-deploy
 * monitor); NULL by default. */
typedef void (*mn_worker_observer_fn)(void *payload, struct mn_store *st,
				      const char *encoder_version);
void mn_worker_set_observer(mn_worker_observer_fn fn, void *payload);

#endif
