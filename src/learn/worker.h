/*
 * worker.h - the encoding side of the raw-memory queue (DESIGN §2).
 *
 * Exactly one process encodes at a time: it holds an flock on
 * <home>/worker.lock. The daemon takes <home>/serve.lock first (one
 * daemon per data home) and then waits for worker.lock
 * (mn_worker_lock_daemon); the CLI and MCP take worker.lock without
 * waiting and encode inline only when they get it and no daemon holds or
 * waits for serve.lock (mn_worker_try_lock). Each lock file names its
 * holder ("<pid> <kind>") so a refusal can say who holds it.
 *
 * Encoding one row: claim it (one statement, sets a lease) -> encode (no
 * store transaction, no lock but worker.lock) -> write the result (one
 * short transaction, only while the claim still holds; otherwise the
 * result is dropped). A crashed worker's lease expires and the row
 * returns to the queue; after encoding.max_attempts failures the row is
 * marked failed with its error and stays searchable by its raw text.
 */
#ifndef MN_WORKER_H
#define MN_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "core/config.h"
#include "model/encoder.h"
#include "store/store.h"

/* Worker id of an inline encoder (CLI or MCP remember). */
#define MN_WORKER_INLINE "inline"

/* Take worker.lock without blocking, for an inline encoder: 0 and *out_fd,
 * or MN_EBUSY (err names the holder) when another process holds it or a
 * daemon is serving or starting. */
int mn_worker_try_lock(int *out_fd, const char *home, struct mn_err *err);
/* Release a lock taken by mn_worker_try_lock (-1 is ignored). */
void mn_worker_unlock(int fd);

/* The daemon's locks. */
struct mn_worker_lock {
	int serve_fd;
	int worker_fd;
};
#define MN_WORKER_LOCK_INIT { -1, -1 }

/* Take serve.lock (MN_EBUSY at once, naming its pid, when another daemon
 * holds it), then wait up to wait_ms for worker.lock, which inline
 * encoders hold for one encoding each and no longer take once serve.lock
 * is held. MN_ETIMEOUT (err names the holder) when it is still held
 * then, MN_EINTR when *stop (may be NULL) is set while waiting. On
 * failure nothing is held. */
int mn_worker_lock_daemon(struct mn_worker_lock *out, const char *home, int64_t wait_ms,
			  volatile sig_atomic_t *stop, struct mn_err *err);
void mn_worker_lock_release(struct mn_worker_lock *l);
/* Whether a daemon holds (or is starting to take) serve.lock. Needs no
 * write access to the data home. */
bool mn_worker_daemon_running(const char *home);

/* Lease length for the configured student. */
int64_t mn_worker_lease_ms(const struct mn_config *cfg);

/* Called after each memory a worker stored, outside any store
 * transaction (the post-deploy monitor); fn NULL = none. Passed to the
 * worker explicitly: every thread gets its own copy before it starts. */
typedef void (*mn_worker_observer_fn)(void *payload, struct mn_store *st,
				      const char *encoder_version);
struct mn_worker_observer {
	mn_worker_observer_fn fn;
	void *payload;
};

/* Encode one raw row claimed by worker (raw->attempts is the attempt the
 * claim counted) and store it (memory + buffer row + raw state, one short
 * transaction, only while the claim holds); on failure record the
 * attempt. st must not be in a transaction: the model call happens
 * outside any. MN_ENOTFOUND when the claim was lost meanwhile (the
 * result is dropped, the row belongs to whoever holds it now).
 * memory_id_out (37 bytes, may be NULL) receives the new memory id; obs
 * may be NULL. */
/* The second half of mn_worker_encode_raw: store out, the encoding of raw
 * claimed by worker, as a memory (only while the claim holds) and run the
 * observer. It may run inside a caller's transaction (a batch of
 * encodings written in one commit), where a failure rolls the whole
 * transaction back; outside one a failure is recorded on the raw row.
 * out is borrowed. */
int mn_worker_store_encoded(struct mn_store *st, const struct mn_config *cfg,
			    const struct mn_raw *raw, const char *worker,
			    const struct mn_encode_out *out, const struct mn_worker_observer *obs,
			    char *memory_id_out, struct mn_err *err);
int mn_worker_encode_raw(struct mn_store *st, struct mn_encoder *enc,
			 const struct mn_config *cfg, const struct mn_raw *raw, const char *worker,
			 const struct mn_worker_observer *obs, char *memory_id_out,
			 struct mn_err *err);
/* Claim and encode one row at a time until the queue is empty, *stop is
 * set, or max rows (0 = no limit). Concurrent workers (each with its own
 * store and encoder) claim different rows. Expired claims are not
 * returned here: the daemon does that once a second. *out_done = rows
 * encoded; a failed row is recorded and the queue moves on. */
int mn_worker_drain(struct mn_store *st, struct mn_encoder *enc, const struct mn_config *cfg,
		    const char *worker_id, const struct mn_worker_observer *obs, int max,
		    volatile sig_atomic_t *stop, int *out_done, struct mn_err *err);

#endif
