/*
 * hashset.h - a set of 64-bit hashes (open addressing). Used to
 * de-duplicate rows by content hash and to find concepts not seen before.
 *
 * Lifecycle: MN_HASHSET_INIT, mn_hashset_add/has, mn_hashset_release.
 */
#ifndef MN_HASHSET_H
#define MN_HASHSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mn_hashset {
	uint64_t *v; /* 0 marks an empty slot; the value 0 is stored as 1 */
	size_t cap, n;
};

#define MN_HASHSET_INIT { NULL, 0, 0 }

/* Add x; true when it was not in the set yet. */
bool mn_hashset_add(struct mn_hashset *h, uint64_t x);
bool mn_hashset_has(const struct mn_hashset *h, uint64_t x);
void mn_hashset_release(struct mn_hashset *h);

#endif
