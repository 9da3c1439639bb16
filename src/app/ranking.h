/*
 * ranking.h - which ranker orders recall (docs/ranker.md): the registry's
 * current version (models/ranker/current/ranker.json), else the shipped
 * default ($MNEMO_DATADIR/ranker/default.json), else the hand-tuned order.
 * MNEMO_RANKER=hand|default|PATH overrides, for benchmarks. The choice is
 * checked on every recall (one readlink) and a ranker file is read again
 * only when the version changes; a file that cannot be read is logged and
 * the next choice down is used.
 */
#ifndef MN_APP_RANKING_H
#define MN_APP_RANKING_H

#include "app/app.h"
#include "model/ranker.h"

/* The ranker to use now (owned by a; valid until the next call). */
const struct mn_ranker *mn_app_ranker(struct mn_ctx *a);

#endif
