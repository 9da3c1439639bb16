/*
 * sha256.h - SHA-256 (FIPS 180-4), for manifests, registry checksums and
 * model-file integrity.
 */
#ifndef MN_SHA256_H
#define MN_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct mn_sha256 {
	uint32_t h[8];
	uint64_t total;
	unsigned char block[64];
	size_t used;
};

void mn_sha256_init(struct mn_sha256 *c);
void mn_sha256_update(struct mn_sha256 *c, const void *data, size_t len);
void mn_sha256_final(struct mn_sha256 *c, unsigned char out[32]);
/* Finish and write 64 lowercase hex digits + NUL. */
void mn_sha256_hex(struct mn_sha256 *c, char out[65]);
/* One-shot hex digest of a memory range. */
void mn_sha256_hex_of(char out[65], const void *data, size_t len);

#endif
