/* bustest.h: the deterministic event stream shared by the backbone test's
 * producer and consumer, so the consumer's digest can be checked against a
 * digest computed without any bus at all.
 *
 * Event i (0-based) has partition key "k<i % 97>" and payload: 8 bytes of i
 * (big-endian) then `size - 8` bytes of a pattern derived from i. A
 * partition's chain is h = SHA-256(h || seq(be64) || payload); the stream
 * digest is SHA-256 over the partitions' chains in partition order. */
#ifndef BUSTEST_H
#define BUSTEST_H

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "qf_id.h"
#include "qf_store.h"

static inline void bt_key(uint64_t i, char out[16])
{
	snprintf(out, 16, "k%u", (unsigned)(i % 97));
}

static inline size_t bt_payload(uint64_t i, size_t size, uint8_t *out)
{
	if (size < 8)
		size = 8;
	qf_be64_put(out, i);
	uint32_t x = (uint32_t)(i * 2654435761u) ^ 0x9e3779b9u;
	for (size_t k = 8; k < size; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[k] = (uint8_t)x;
	}
	return size;
}

static inline void bt_chain(uint8_t h[32], uint64_t seq, const uint8_t *p, size_t n)
{
	crypto_hash_sha256_state st;
	uint8_t s[8];
	qf_be64_put(s, seq);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, h, 32);
	crypto_hash_sha256_update(&st, s, 8);
	crypto_hash_sha256_update(&st, p, n);
	crypto_hash_sha256_final(&st, h);
}

static inline void bt_digest(uint8_t (*chains)[32], uint32_t parts, char hex[65])
{
	crypto_hash_sha256_state st;
	uint8_t d[32];
	crypto_hash_sha256_init(&st);
	for (uint32_t p = 0; p < parts; p++)
		crypto_hash_sha256_update(&st, chains[p], 32);
	crypto_hash_sha256_final(&st, d);
	qf_hex(d, 32, hex);
}

#endif
