/* qf_merkle.h: RFC 9162 Merkle trees: hashing, inclusion and consistency
 * proofs (making and checking them), the C2SP tlog-tiles coordinates, and an
 * append-only log of leaves kept in an LMDB store as tiles.
 *
 * Hashing is RFC 9162 section 2.1.1: leaf = SHA-256(0x00 || data), node =
 * SHA-256(0x01 || left || right), the empty tree hashes to SHA-256("").
 *
 * Proofs are made from a node source: a function that returns the hash of a
 * complete subtree (level, index), i.e. of the leaves [index << level,
 * (index + 1) << level). Incomplete subtrees on the right edge of a tree are
 * folded from complete ones, so a source only ever stores what never changes.
 *
 * The stored log (struct qf_merkle_log) keeps every leaf's bytes and, per
 * stratum of 8 levels, tiles holding all 8 levels of a 256-wide subtree (510
 * hashes, 16320 bytes: four LMDB overflow pages). A proof at a million
 * leaves reads three tiles. The rightmost tile of each stratum lives in the
 * writer's memory while it fills and is written once per transaction.
 *
 * Errors: QF_ERR_INVAL for arguments out of range or malformed input,
 * QF_ERR_CRYPTO for a proof that does not verify, QF_ERR_NOTFOUND for a leaf
 * or node not (yet) in the tree, store errors from qf_store.
 */
#ifndef QF_MERKLE_H
#define QF_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "qf_store.h"

#define QF_MERKLE_HASH	      32 /* bytes of a hash */
#define QF_MERKLE_MAX_PROOF   64 /* hashes in any proof of a 2^64 tree */
#define QF_MERKLE_TILE_HEIGHT 8	 /* levels per tile (C2SP tlog-tiles) */
#define QF_MERKLE_TILE_WIDTH  256
#define QF_MERKLE_TILE_HASHES 510   /* rows 0..7 of a full stored tile */
#define QF_MERKLE_MAX_ENTRY   65535 /* largest leaf an entry bundle can hold */

/* ------------------------------------------------------------ hashing */

void qf_merkle_leaf_hash(const void *data, size_t len, uint8_t out[32]);
void qf_merkle_node_hash(const uint8_t left[32], const uint8_t right[32],
			 uint8_t out[32]);
/* SHA-256 of the empty string: the root of the empty tree. */
void qf_merkle_empty_root(uint8_t out[32]);

/* ------------------------------------------------------------ frontier */

/* The right edge of a tree built from leaf 0 on: enough to compute the root
 * after every push without keeping the leaves. h[k] is the complete subtree
 * of 2^k leaves when bit k of size is set. */
struct qf_merkle_frontier {
	uint64_t size;
	uint8_t h[64][32];
};

/* Called for every complete subtree made by a push (the leaf itself at level
 * 0 first, then each parent it completes, bottom up). */
typedef void (*qf_merkle_node_cb)(void *arg, unsigned level, uint64_t index,
				  const uint8_t hash[32]);

void qf_merkle_frontier_init(struct qf_merkle_frontier *f);
/* Append one leaf hash; cb may be NULL. */
void qf_merkle_frontier_push(struct qf_merkle_frontier *f, const uint8_t leaf[32],
			     qf_merkle_node_cb cb, void *arg);
/* The root of the tree of f->size leaves. */
void qf_merkle_frontier_root(const struct qf_merkle_frontier *f, uint8_t out[32]);

/* ------------------------------------------------------------ proofs */

/* A node source: fill out with the hash of the complete subtree at (level,
 * index); return 0, QF_ERR_NOTFOUND, or another error (passed through). */
typedef int (*qf_merkle_node_fn)(void *arg, unsigned level, uint64_t index,
				 uint8_t out[32]);

/* MTH(D[begin:end]) as RFC 9162 defines it. begin must be a multiple of the
 * smallest power of two >= end - begin (every range a proof needs is);
 * otherwise QF_ERR_INVAL. An empty range hashes to the empty root. */
int qf_merkle_range_hash(qf_merkle_node_fn node, void *arg, uint64_t begin, uint64_t end,
			 uint8_t out[32]);
/* The root of the first `size` leaves. */
int qf_merkle_root(qf_merkle_node_fn node, void *arg, uint64_t size, uint8_t out[32]);
/* RFC 9162 2.1.3.1 PATH(index, D[0:size]) into proof (room for
 * QF_MERKLE_MAX_PROOF hashes), count in *n, lowest level first.
 * QF_ERR_INVAL unless index < size. */
int qf_merkle_inclusion_proof(qf_merkle_node_fn node, void *arg, uint64_t index,
			      uint64_t size, uint8_t (*proof)[32], size_t *n);
/* RFC 9162 2.1.4.1 PROOF(first, D[0:second]); QF_ERR_INVAL unless
 * 0 < first <= second (first == second gives an empty proof). */
int qf_merkle_consistency_proof(qf_merkle_node_fn node, void *arg, uint64_t first,
				uint64_t second, uint8_t (*proof)[32], size_t *n);

/* ------------------------------------------------------------ checking */

/* Bytes as received (a hash of the wrong length is rejected, not trusted). */
struct qf_merkle_bytes {
	const uint8_t *p;
	size_t len;
};

/* RFC 9162 2.1.3.2. Returns 0 when `leaf` (a leaf hash) is entry `index` of
 * the tree of `size` leaves with root `root`; QF_ERR_INVAL for malformed
 * input (index >= size, hashes that are not 32 bytes); QF_ERR_CRYPTO when
 * the proof does not lead to the root. */
int qf_merkle_verify_inclusion(uint64_t index, uint64_t size, struct qf_merkle_bytes leaf,
			       const struct qf_merkle_bytes *proof, size_t n,
			       struct qf_merkle_bytes root);
/* RFC 9162 2.1.4.2, with the edges made explicit: first > second is
 * rejected; first == second needs an empty proof and equal roots (and, for
 * the empty tree, the empty root); first == 0 < second is rejected (every
 * tree extends the empty one, so such a "proof" proves nothing and a client
 * asking for it has a bug). Returns 0, QF_ERR_INVAL or QF_ERR_CRYPTO. */
int qf_merkle_verify_consistency(uint64_t first, uint64_t second,
				 struct qf_merkle_bytes root1,
				 struct qf_merkle_bytes root2,
				 const struct qf_merkle_bytes *proof, size_t n);
/* The same with fixed-size hashes (what the rest of the code holds). */
int qf_merkle_check_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
			      const uint8_t (*proof)[32], size_t n,
			      const uint8_t root[32]);
int qf_merkle_check_consistency(uint64_t first, uint64_t second, const uint8_t root1[32],
				const uint8_t root2[32], const uint8_t (*proof)[32],
				size_t n);

/* ------------------------------------------------------------ tiles */

/* A C2SP tlog-tiles resource: hash tile (level L, index N) or entry bundle
 * N; width 1..256 (256: a full tile, otherwise the ".p/<W>" partial). */
struct qf_merkle_tile {
	int entries;	/* 1: tile/entries/..., 0: tile/<L>/... */
	unsigned level; /* hash tiles: 0..63 */
	uint64_t index;
	unsigned width;
};

/* Parse the part of a URL path after "tile/" ("0/x001/234.p/17",
 * "entries/000"). Strict: only the canonical spelling of each tile is
 * accepted (no extra zero groups, W in 1..255, no other characters), so a
 * cache never holds one tile under two names. Returns 0 or QF_ERR_INVAL. */
int qf_merkle_tile_parse(const char *path, struct qf_merkle_tile *t);
/* Write "tile/0/x001/234.p/17" (with the "tile/" prefix) into buf.
 * Returns 0 or QF_ERR_INVAL (bad fields or buf too small). */
int qf_merkle_tile_format(const struct qf_merkle_tile *t, char *buf, size_t n);
/* The width of tile `index` at `level` in a tree of `size` leaves (0 when
 * the tile does not exist yet, 256 when full). */
unsigned qf_merkle_tile_width(unsigned level, uint64_t index, uint64_t size);

/* Walk an entry bundle (each entry: 2-byte big-endian length, then bytes).
 * Returns 1 with the next entry in *data and *dlen, 0 at the clean end, or
 * QF_ERR_PROTO when the bundle is truncated. *pos starts at 0. */
int qf_merkle_bundle_next(const uint8_t *buf, size_t len, size_t *pos,
			  const uint8_t **data, size_t *dlen);

/* ------------------------------------------------------------ stored log */

struct qf_merkle_log;

/* Open the log's databases (<prefix>.leaves, <prefix>.tiles, <prefix>.meta)
 * in store s and load the writer's state. Call at start, before concurrent
 * use. Returns 0 or an error; *out is the caller's (qf_merkle_log_destroy). */
int qf_merkle_log_open(struct qf_merkle_log **out, struct qf_store *s,
		       const char *prefix);
/* Accepts NULL; sets *l = NULL. */
void qf_merkle_log_destroy(struct qf_merkle_log **l);

/* Append one leaf inside write transaction t (the store's single writer
 * thread only). Index and leaf hash are returned if the pointers are
 * non-NULL. The leaf's bytes are kept exactly as given. Safe when the
 * transaction is retried or aborted (the in-memory edge is reloaded). */
int qf_merkle_log_append(struct qf_merkle_log *l, struct qf_txn *t, const void *data,
			 size_t len, uint64_t *index, uint8_t leaf_hash[32]);
/* Size last committed (any thread; lock-free). */
uint64_t qf_merkle_log_committed(const struct qf_merkle_log *l);

/* The following take any transaction of the store. In a read transaction
 * they see that snapshot; in the writer's transaction they see its pending
 * appends too. */
int qf_merkle_log_size(struct qf_merkle_log *l, struct qf_txn *t, uint64_t *size);
/* The bytes of leaf `index`: *data points into the map, valid until t ends. */
int qf_merkle_log_leaf(struct qf_merkle_log *l, struct qf_txn *t, uint64_t index,
		       const uint8_t **data, size_t *len);
/* The hash of the complete subtree (level, index). */
int qf_merkle_log_node(struct qf_merkle_log *l, struct qf_txn *t, unsigned level,
		       uint64_t index, uint8_t out[32]);
int qf_merkle_log_root(struct qf_merkle_log *l, struct qf_txn *t, uint64_t size,
		       uint8_t out[32]);
/* Proofs against the tree of `size` leaves (size <= the log's size). */
int qf_merkle_log_inclusion(struct qf_merkle_log *l, struct qf_txn *t, uint64_t index,
			    uint64_t size, uint8_t (*proof)[32], size_t *n);
int qf_merkle_log_consistency(struct qf_merkle_log *l, struct qf_txn *t, uint64_t first,
			      uint64_t second, uint8_t (*proof)[32], size_t *n);
/* Row 0 of hash tile (level, index) as stored: `width` hashes (1..256) at
 * tree level 8*level. *hashes points into the map (read transactions) and
 * is valid until t ends. QF_ERR_NOTFOUND when fewer than width hashes of
 * that tile exist. Read transactions only. */
int qf_merkle_log_tile(struct qf_merkle_log *l, struct qf_txn *t, unsigned level,
		       uint64_t index, unsigned width, const uint8_t **hashes);

#endif
