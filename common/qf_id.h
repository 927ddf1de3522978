/* qf_id.h: identifiers and small hashes shared by every service.
 *
 * Random ids come from libsodium's CSPRNG (call qf_id_init() once, it calls
 * sodium_init). Sortable ids put the millisecond time first so that LMDB keys
 * made from them sort by creation. The partition hash is FNV-1a 32-bit: it
 * must be the same in every service and every version, because a case keeps
 * its partition for life.
 */
#ifndef QF_ID_H
#define QF_ID_H

#include <stddef.h>
#include <stdint.h>

#define QF_ID_LEN 26 /* characters of a sortable id, without the NUL */

/* Initialise the random source; returns 0 or QF_ERR_CRYPTO. */
int qf_id_init(void);
/* Fill `buf` with `n` random bytes. */
void qf_id_random(void *buf, size_t n);
/* Uniform random integer in [0, upper). */
uint32_t qf_id_uniform(uint32_t upper);
/* Write a 26-character time-sortable id (Crockford base32 of 48-bit ms and
 * 80 random bits) plus NUL into out (>= 27 bytes). */
void qf_id_sortable(int64_t now_ms, char out[QF_ID_LEN + 1]);
/* Lower-case hex of `n` bytes into out (>= 2n+1 bytes). Returns out. */
char *qf_hex(const void *bytes, size_t n, char *out);
/* Parse 2n hex characters into n bytes; returns 0 or QF_ERR_INVAL. */
int qf_unhex(const char *hex, void *out, size_t n);
/* The partition of a key: FNV-1a 32 of the key bytes mod partitions. */
uint32_t qf_partition_of(const char *key, uint32_t partitions);
/* FNV-1a 32 over bytes. */
uint32_t qf_fnv1a32(const void *data, size_t n);

#endif
