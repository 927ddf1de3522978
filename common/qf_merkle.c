/* qf_merkle.c: RFC 9162 hashing and proofs, C2SP tile coordinates and the
 * LMDB-backed tiled log (qf_merkle.h).
 *
 * Stored layout (in the owning service's store, <p> = prefix):
 *   <p>.leaves  index(be64) -> leaf bytes, appended with MDB_APPEND
 *   <p>.tiles   stratum(u8) index(be64) -> rows 0..7 of the tile, packed:
 *               row j holds (w >> j) hashes, w = hashes in row 0 (1..256)
 *   <p>.meta    "size" -> be64
 * Stratum s holds tree levels 8s..8s+7; its row 0 is the C2SP hash tile of
 * level s. A tile is written once when full; the rightmost (partial) tile of
 * each stratum is kept by the writer in memory and rewritten at most once per
 * transaction, in the same transaction as the size, so readers always see a
 * size and tiles that agree.
 */
#include "qf_merkle.h"
#include "qf_err.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRATA 8 /* 8 strata of 8 levels: 2^64 leaves */

/* ================================================================ hashing */

void qf_merkle_leaf_hash(const void *data, size_t len, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	uint8_t z = 0x00;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &z, 1);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void qf_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
	uint8_t buf[65];
	buf[0] = 0x01;
	memcpy(buf + 1, left, 32);
	memcpy(buf + 33, right, 32);
	crypto_hash_sha256(out, buf, sizeof buf);
}

void qf_merkle_empty_root(uint8_t out[32]) { crypto_hash_sha256(out, NULL, 0); }

/* ================================================================ frontier */

void qf_merkle_frontier_init(struct qf_merkle_frontier *f) { f->size = 0; }

void qf_merkle_frontier_push(struct qf_merkle_frontier *f, const uint8_t leaf[32],
			     qf_merkle_node_cb cb, void *arg)
{
	uint8_t h[32];
	memcpy(h, leaf, 32);
	uint64_t idx = f->size;
	if (cb)
		cb(arg, 0, idx, h);
	unsigned k = 0;
	/* binary carry: every set low bit of size is a left sibling waiting */
	while (k < 64 && (f->size >> k) & 1) {
		qf_merkle_node_hash(f->h[k], h, h);
		k++;
		idx >>= 1;
		if (cb)
			cb(arg, k, idx, h);
	}
	if (k < 64)
		memcpy(f->h[k], h, 32);
	f->size++;
}

void qf_merkle_frontier_root(const struct qf_merkle_frontier *f, uint8_t out[32])
{
	if (f->size == 0) {
		qf_merkle_empty_root(out);
		return;
	}
	int have = 0;
	uint8_t r[32];
	for (unsigned k = 0; k < 64; k++) {
		if (!((f->size >> k) & 1))
			continue;
		if (!have) {
			memcpy(r, f->h[k], 32);
			have = 1;
		} else {
			qf_merkle_node_hash(f->h[k], r, r);
		}
	}
	memcpy(out, r, 32);
}

/* ================================================================ proofs */

/* Largest power of two strictly below n (n >= 2). */
static uint64_t s_split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

int qf_merkle_range_hash(qf_merkle_node_fn node, void *arg, uint64_t begin, uint64_t end,
			 uint8_t out[32])
{
	if (end < begin)
		return QF_ERR_INVAL;
	uint64_t n = end - begin;
	if (n == 0) {
		qf_merkle_empty_root(out);
		return QF_OK;
	}
	/* alignment: begin is a multiple of the bit ceiling of n */
	if (n > ((uint64_t)1 << 63))
		return QF_ERR_INVAL;
	uint64_t ceil = n == 1 ? 1 : s_split(n) << 1;
	if (begin & (ceil - 1))
		return QF_ERR_INVAL;
	/* the binary digits of n, largest first, are complete subtrees; MTH
	 * folds them from the right */
	uint8_t parts[64][32];
	unsigned np = 0;
	uint64_t at = begin;
	for (int k = 63; k >= 0; k--) {
		if (!((n >> k) & 1))
			continue;
		int rc = node(arg, (unsigned)k, at >> k, parts[np]);
		if (rc)
			return rc;
		np++;
		at += (uint64_t)1 << k;
	}
	uint8_t r[32];
	memcpy(r, parts[np - 1], 32);
	for (unsigned i = np - 1; i-- > 0;)
		qf_merkle_node_hash(parts[i], r, r);
	memcpy(out, r, 32);
	return QF_OK;
}

int qf_merkle_root(qf_merkle_node_fn node, void *arg, uint64_t size, uint8_t out[32])
{
	return qf_merkle_range_hash(node, arg, 0, size, out);
}

struct prover {
	qf_merkle_node_fn node;
	void *arg;
	uint8_t (*out)[32];
	size_t n;
};

static int s_add(struct prover *p, uint64_t b, uint64_t e)
{
	if (p->n >= QF_MERKLE_MAX_PROOF)
		return QF_ERR_INVAL;
	int rc = qf_merkle_range_hash(p->node, p->arg, b, e, p->out[p->n]);
	if (rc == QF_OK)
		p->n++;
	return rc;
}

/* PATH(m, D[b:e]) */
static int s_path(struct prover *p, uint64_t m, uint64_t b, uint64_t e)
{
	if (e - b <= 1)
		return QF_OK;
	uint64_t k = s_split(e - b);
	int rc;
	if (m < b + k) {
		if ((rc = s_path(p, m, b, b + k)))
			return rc;
		return s_add(p, b + k, e);
	}
	if ((rc = s_path(p, m, b + k, e)))
		return rc;
	return s_add(p, b, b + k);
}

int qf_merkle_inclusion_proof(qf_merkle_node_fn node, void *arg, uint64_t index,
			      uint64_t size, uint8_t (*proof)[32], size_t *n)
{
	*n = 0;
	if (index >= size)
		return QF_ERR_INVAL;
	struct prover p = {node, arg, proof, 0};
	int rc = s_path(&p, index, 0, size);
	*n = rc ? 0 : p.n;
	return rc;
}

/* SUBPROOF(m, D[b:e], complete) with m counted from b */
static int s_subproof(struct prover *p, uint64_t m, uint64_t b, uint64_t e, int complete)
{
	uint64_t n = e - b;
	if (m == n)
		return complete ? QF_OK : s_add(p, b, e);
	uint64_t k = s_split(n);
	int rc;
	if (m <= k) {
		if ((rc = s_subproof(p, m, b, b + k, complete)))
			return rc;
		return s_add(p, b + k, e);
	}
	if ((rc = s_subproof(p, m - k, b + k, e, 0)))
		return rc;
	return s_add(p, b, b + k);
}

int qf_merkle_consistency_proof(qf_merkle_node_fn node, void *arg, uint64_t first,
				uint64_t second, uint8_t (*proof)[32], size_t *n)
{
	*n = 0;
	if (first == 0 || first > second)
		return QF_ERR_INVAL;
	struct prover p = {node, arg, proof, 0};
	int rc = s_subproof(&p, first, 0, second, 1);
	*n = rc ? 0 : p.n;
	return rc;
}

/* ================================================================ checking */

static int s_is_hash(struct qf_merkle_bytes b) { return b.p && b.len == 32; }

static int s_equal(struct qf_merkle_bytes a, const uint8_t h[32])
{
	return s_is_hash(a) && sodium_memcmp(a.p, h, 32) == 0;
}

int qf_merkle_verify_inclusion(uint64_t index, uint64_t size, struct qf_merkle_bytes leaf,
			       const struct qf_merkle_bytes *proof, size_t n,
			       struct qf_merkle_bytes root)
{
	if (index >= size || !s_is_hash(leaf) || !s_is_hash(root) ||
	    n > QF_MERKLE_MAX_PROOF || (n && !proof))
		return QF_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		if (!s_is_hash(proof[i]))
			return QF_ERR_INVAL;
	uint64_t fn = index, sn = size - 1;
	uint8_t r[32];
	memcpy(r, leaf.p, 32);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return QF_ERR_CRYPTO;
		if ((fn & 1) || fn == sn) {
			qf_merkle_node_hash(proof[i].p, r, r);
			if (!(fn & 1))
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			qf_merkle_node_hash(r, proof[i].p, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || !s_equal(root, r))
		return QF_ERR_CRYPTO;
	return QF_OK;
}

int qf_merkle_verify_consistency(uint64_t first, uint64_t second,
				 struct qf_merkle_bytes root1,
				 struct qf_merkle_bytes root2,
				 const struct qf_merkle_bytes *proof, size_t n)
{
	if (first > second || n > QF_MERKLE_MAX_PROOF || (n && !proof))
		return QF_ERR_INVAL;
	if (first == second) {
		if (n != 0 || !root1.p || !root2.p || root1.len != root2.len ||
		    sodium_memcmp(root1.p, root2.p, root1.len) != 0)
			return QF_ERR_CRYPTO;
		if (first == 0) {
			uint8_t e[32];
			qf_merkle_empty_root(e);
			if (!s_equal(root1, e))
				return QF_ERR_CRYPTO;
		}
		return QF_OK;
	}
	if (first == 0)
		return QF_ERR_INVAL;
	if (!s_is_hash(root1) || !s_is_hash(root2) || n == 0)
		return QF_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		if (!s_is_hash(proof[i]))
			return QF_ERR_INVAL;
	/* a power-of-two first tree is itself a node of the second: its root
	 * starts the path */
	size_t i = 0;
	const uint8_t *start;
	if ((first & (first - 1)) == 0) {
		start = root1.p;
	} else {
		start = proof[0].p;
		i = 1;
	}
	uint64_t fn = first - 1, sn = second - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[32], sr[32];
	memcpy(fr, start, 32);
	memcpy(sr, start, 32);
	for (; i < n; i++) {
		const uint8_t *c = proof[i].p;
		if (sn == 0)
			return QF_ERR_CRYPTO;
		if ((fn & 1) || fn == sn) {
			qf_merkle_node_hash(c, fr, fr);
			qf_merkle_node_hash(c, sr, sr);
			if (!(fn & 1))
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			qf_merkle_node_hash(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || !s_equal(root1, fr) || !s_equal(root2, sr))
		return QF_ERR_CRYPTO;
	return QF_OK;
}

int qf_merkle_check_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
			      const uint8_t (*proof)[32], size_t n,
			      const uint8_t root[32])
{
	struct qf_merkle_bytes pb[QF_MERKLE_MAX_PROOF];
	if (n > QF_MERKLE_MAX_PROOF)
		return QF_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		pb[i] = (struct qf_merkle_bytes){proof[i], 32};
	return qf_merkle_verify_inclusion(index, size, (struct qf_merkle_bytes){leaf, 32},
					  pb, n, (struct qf_merkle_bytes){root, 32});
}

int qf_merkle_check_consistency(uint64_t first, uint64_t second, const uint8_t root1[32],
				const uint8_t root2[32], const uint8_t (*proof)[32],
				size_t n)
{
	struct qf_merkle_bytes pb[QF_MERKLE_MAX_PROOF];
	if (n > QF_MERKLE_MAX_PROOF)
		return QF_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		pb[i] = (struct qf_merkle_bytes){proof[i], 32};
	return qf_merkle_verify_consistency(first, second,
					    (struct qf_merkle_bytes){root1, 32},
					    (struct qf_merkle_bytes){root2, 32}, pb, n);
}

/* ================================================================ tiles */

/* A decimal without leading zeros, at most max; advances *s. */
static int s_decimal(const char **s, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return QF_ERR_INVAL;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return QF_ERR_INVAL;
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return QF_ERR_INVAL;
		v = v * 10 + d;
		p++;
	}
	*s = p;
	*out = v;
	return QF_OK;
}

static int s_three(const char *p, unsigned *out)
{
	for (int i = 0; i < 3; i++)
		if (p[i] < '0' || p[i] > '9')
			return QF_ERR_INVAL;
	*out = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	return QF_OK;
}

int qf_merkle_tile_parse(const char *path, struct qf_merkle_tile *t)
{
	if (!path || !t)
		return QF_ERR_INVAL;
	memset(t, 0, sizeof *t);
	const char *p = path;
	if (strncmp(p, "entries/", 8) == 0) {
		t->entries = 1;
		p += 8;
	} else {
		uint64_t l;
		if (s_decimal(&p, 63, &l) || *p != '/')
			return QF_ERR_INVAL;
		t->level = (unsigned)l;
		p++;
	}
	/* N: ("x" DDD "/")* DDD */
	uint64_t n = 0;
	unsigned groups = 0;
	for (;;) {
		unsigned g;
		if (*p == 'x') {
			if (s_three(p + 1, &g) || p[4] != '/')
				return QF_ERR_INVAL;
			if (groups == 0 && g == 0)
				return QF_ERR_INVAL; /* x000 first: not canonical */
			p += 5;
		} else {
			if (s_three(p, &g))
				return QF_ERR_INVAL;
			p += 3;
		}
		if (++groups > 7 || n > (UINT64_MAX - g) / 1000)
			return QF_ERR_INVAL;
		n = n * 1000 + g;
		if (p[-1] != '/')
			break;
	}
	/* indices beyond 2^64 / 256 name no tile of any possible tree */
	if (n > (UINT64_MAX >> 8))
		return QF_ERR_INVAL;
	t->index = n;
	t->width = QF_MERKLE_TILE_WIDTH;
	if (*p == '\0')
		return QF_OK;
	if (strncmp(p, ".p/", 3) != 0)
		return QF_ERR_INVAL;
	p += 3;
	uint64_t w;
	if (s_decimal(&p, 255, &w) || w == 0 || *p != '\0')
		return QF_ERR_INVAL;
	t->width = (unsigned)w;
	return QF_OK;
}

int qf_merkle_tile_format(const struct qf_merkle_tile *t, char *buf, size_t n)
{
	if (!t || !buf || t->width == 0 || t->width > QF_MERKLE_TILE_WIDTH ||
	    (!t->entries && t->level > 63) || t->index > (UINT64_MAX >> 8))
		return QF_ERR_INVAL;
	char idx[64];
	unsigned g[8], ng = 0;
	uint64_t v = t->index;
	do {
		g[ng++] = (unsigned)(v % 1000);
		v /= 1000;
	} while (v);
	size_t at = 0;
	for (unsigned i = ng; i-- > 0;)
		at += (size_t)snprintf(idx + at, sizeof idx - at, i ? "x%03u/" : "%03u",
				       g[i]);
	int w;
	if (t->entries)
		w = snprintf(buf, n, "tile/entries/%s", idx);
	else
		w = snprintf(buf, n, "tile/%u/%s", t->level, idx);
	if (w < 0 || (size_t)w >= n)
		return QF_ERR_INVAL;
	if (t->width < QF_MERKLE_TILE_WIDTH) {
		int w2 = snprintf(buf + w, n - (size_t)w, ".p/%u", t->width);
		if (w2 < 0 || (size_t)w2 >= n - (size_t)w)
			return QF_ERR_INVAL;
	}
	return QF_OK;
}

unsigned qf_merkle_tile_width(unsigned level, uint64_t index, uint64_t size)
{
	if (level >= STRATA || index > (UINT64_MAX >> 8))
		return 0;
	uint64_t count = size >> (8 * level);
	uint64_t start = index << 8;
	if (count <= start)
		return 0;
	uint64_t w = count - start;
	return w >= QF_MERKLE_TILE_WIDTH ? QF_MERKLE_TILE_WIDTH : (unsigned)w;
}

int qf_merkle_bundle_next(const uint8_t *buf, size_t len, size_t *pos,
			  const uint8_t **data, size_t *dlen)
{
	size_t p = *pos;
	if (p == len)
		return 0;
	if (p > len || len - p < 2)
		return QF_ERR_PROTO;
	size_t l = (size_t)buf[p] << 8 | buf[p + 1];
	if (len - p - 2 < l)
		return QF_ERR_PROTO;
	*data = buf + p + 2;
	*dlen = l;
	*pos = p + 2 + l;
	return 1;
}

/* ================================================================ stored log */

/* Hashes before row j in a packed tile whose row 0 has w hashes. */
static size_t s_row_off(unsigned w, unsigned j)
{
	size_t off = 0;
	for (unsigned i = 0; i < j; i++)
		off += w >> i;
	return off;
}

static size_t s_packed_hashes(unsigned w) { return s_row_off(w, QF_MERKLE_TILE_HEIGHT); }

/* The writer's rightmost tile of one stratum, rows at fixed offsets. */
struct wtile {
	uint64_t index;
	unsigned w; /* hashes in row 0 */
	int dirty;
	uint8_t h[QF_MERKLE_TILE_HASHES][32];
};

struct qf_merkle_log {
	struct qf_store *store;
	MDB_dbi leaves, tiles, meta;
	uint64_t size; /* writer: including pending appends */
	_Atomic uint64_t committed;
	int need_reload; /* after an abort: memory is ahead */
	struct wtile t[STRATA];
};

/* Fixed offset of row j in struct wtile: 256 + 128 + ... */
static size_t s_fix_off(unsigned j) { return s_row_off(QF_MERKLE_TILE_WIDTH, j); }

static void s_tile_key(uint8_t k[9], unsigned stratum, uint64_t index)
{
	k[0] = (uint8_t)stratum;
	qf_be64_put(k + 1, index);
}

static int s_read_size(struct qf_merkle_log *l, struct qf_txn *t, uint64_t *size)
{
	MDB_val v;
	int rc = qf_txn_get(t, l->meta, "size", 4, &v);
	if (rc == QF_ERR_NOTFOUND) {
		*size = 0;
		return QF_OK;
	}
	if (rc)
		return rc;
	if (v.mv_size != 8)
		return QF_ERR_STORE;
	*size = qf_be64_get(v.mv_data);
	return QF_OK;
}

/* Load the writer's memory from the committed state seen by t. */
static int s_load(struct qf_merkle_log *l, struct qf_txn *t)
{
	uint64_t size;
	int rc = s_read_size(l, t, &size);
	if (rc)
		return rc;
	for (unsigned s = 0; s < STRATA; s++) {
		struct wtile *wt = &l->t[s];
		uint64_t count = size >> (8 * s);
		wt->index = count >> 8;
		wt->w = (unsigned)(count & 0xff);
		wt->dirty = 0;
		if (!wt->w)
			continue;
		uint8_t k[9];
		MDB_val v;
		s_tile_key(k, s, wt->index);
		if ((rc = qf_txn_get(t, l->tiles, k, 9, &v)))
			return rc == QF_ERR_NOTFOUND ? QF_ERR_STORE : rc;
		if (v.mv_size != 32 * s_packed_hashes(wt->w))
			return QF_ERR_STORE;
		const uint8_t *src = v.mv_data;
		for (unsigned j = 0; j < QF_MERKLE_TILE_HEIGHT; j++) {
			size_t cnt = wt->w >> j;
			memcpy(wt->h[s_fix_off(j)], src + 32 * s_row_off(wt->w, j),
			       32 * cnt);
		}
	}
	l->size = size;
	atomic_store(&l->committed, size);
	l->need_reload = 0;
	return QF_OK;
}

static int s_load_txn(struct qf_txn *t, void *arg) { return s_load(arg, t); }

int qf_merkle_log_open(struct qf_merkle_log **out, struct qf_store *s, const char *prefix)
{
	char name[128];
	struct qf_merkle_log *l = calloc(1, sizeof *l);
	if (!l)
		return QF_ERR_NOMEM;
	l->store = s;
	int rc;
	snprintf(name, sizeof name, "%s.leaves", prefix);
	if ((rc = qf_store_dbi(s, name, 0, &l->leaves)))
		goto fail;
	snprintf(name, sizeof name, "%s.tiles", prefix);
	if ((rc = qf_store_dbi(s, name, 0, &l->tiles)))
		goto fail;
	snprintf(name, sizeof name, "%s.meta", prefix);
	if ((rc = qf_store_dbi(s, name, 0, &l->meta)))
		goto fail;
	if ((rc = qf_store_read(s, s_load_txn, l)))
		goto fail;
	*out = l;
	return QF_OK;
fail:
	free(l);
	return rc;
}

void qf_merkle_log_destroy(struct qf_merkle_log **lp)
{
	if (!lp || !*lp)
		return;
	free(*lp);
	*lp = NULL;
}

uint64_t qf_merkle_log_committed(const struct qf_merkle_log *l)
{
	return atomic_load(&((struct qf_merkle_log *)l)->committed);
}

/* Writer transactions: make memory match t's view before using it. */
static int s_writer_sync(struct qf_merkle_log *l, struct qf_txn *t)
{
	return l->need_reload ? s_load(l, t) : QF_OK;
}

static void s_on_commit(void *arg, uint64_t data)
{
	(void)data;
	struct qf_merkle_log *l = arg;
	atomic_store(&l->committed, l->size);
}

static void s_on_abort(void *arg, uint64_t data)
{
	(void)data;
	struct qf_merkle_log *l = arg;
	l->need_reload = 1;
}

static int s_put_tile(struct qf_merkle_log *l, struct qf_txn *t, unsigned s,
		      const struct wtile *wt)
{
	uint8_t k[9];
	s_tile_key(k, s, wt->index);
	size_t nh = s_packed_hashes(wt->w);
	if (wt->w == QF_MERKLE_TILE_WIDTH) /* full: the fixed layout is packed */
		return qf_txn_put(t, l->tiles, k, 9, wt->h, 32 * nh, 0);
	uint8_t buf[QF_MERKLE_TILE_HASHES * 32];
	for (unsigned j = 0; j < QF_MERKLE_TILE_HEIGHT; j++)
		memcpy(buf + 32 * s_row_off(wt->w, j), wt->h[s_fix_off(j)],
		       32 * (size_t)(wt->w >> j));
	return qf_txn_put(t, l->tiles, k, 9, buf, 32 * nh, 0);
}

/* Once per transaction: partial tiles and the size. */
static int s_precommit(struct qf_txn *t, void *arg)
{
	struct qf_merkle_log *l = arg;
	for (unsigned s = 0; s < STRATA; s++) {
		struct wtile *wt = &l->t[s];
		if (!wt->dirty)
			continue;
		if (wt->w) {
			int rc = s_put_tile(l, t, s, wt);
			if (rc)
				return rc;
		}
		wt->dirty = 0;
	}
	uint8_t v[8];
	qf_be64_put(v, l->size);
	return qf_txn_put(t, l->meta, "size", 4, v, 8, 0);
}

/* Add a hash to row 0 of stratum s, carrying up the tile and on into the
 * next stratum when the tile fills. */
static int s_push(struct qf_merkle_log *l, struct qf_txn *t, unsigned s,
		  const uint8_t h[32])
{
	if (s >= STRATA)
		return QF_ERR_TOOBIG;
	struct wtile *wt = &l->t[s];
	unsigned q = wt->w;
	memcpy(wt->h[q], h, 32);
	wt->w++;
	wt->dirty = 1;
	for (unsigned j = 0; j + 1 < QF_MERKLE_TILE_HEIGHT && (q & 1); j++) {
		uint8_t *row = wt->h[s_fix_off(j)];
		qf_merkle_node_hash(row + 32 * (q - 1), row + 32 * q,
				    wt->h[s_fix_off(j + 1) + (q >> 1)]);
		q >>= 1;
	}
	if (wt->w < QF_MERKLE_TILE_WIDTH)
		return QF_OK;
	uint8_t root[32];
	const uint8_t *top = wt->h[s_fix_off(QF_MERKLE_TILE_HEIGHT - 1)];
	qf_merkle_node_hash(top, top + 32, root);
	int rc = s_put_tile(l, t, s, wt);
	if (rc)
		return rc;
	wt->index++;
	wt->w = 0;
	wt->dirty = 0;
	return s_push(l, t, s + 1, root);
}

int qf_merkle_log_append(struct qf_merkle_log *l, struct qf_txn *t, const void *data,
			 size_t len, uint64_t *index, uint8_t leaf_hash[32])
{
	if (qf_txn_readonly(t))
		return QF_ERR_INVAL;
	int rc = s_writer_sync(l, t);
	if (rc)
		return rc;
	/* hooks first: whatever happens below, an abort reloads memory */
	if ((rc = qf_txn_on_abort(t, s_on_abort, l, 0)) ||
	    (rc = qf_txn_on_commit(t, s_on_commit, l, 0)) ||
	    (rc = qf_txn_before_commit(t, s_precommit, l)))
		return rc;
	uint8_t k[8];
	qf_be64_put(k, l->size);
	rc = qf_txn_put(t, l->leaves, k, 8, data, len, MDB_APPEND);
	if (rc == QF_ERR_EXISTS)
		rc = QF_ERR_STORE; /* the leaves and the size disagree */
	if (rc) {
		l->need_reload = 1;
		return rc;
	}
	uint8_t h[32];
	qf_merkle_leaf_hash(data, len, h);
	if ((rc = s_push(l, t, 0, h))) {
		l->need_reload = 1;
		return rc;
	}
	if (index)
		*index = l->size;
	if (leaf_hash)
		memcpy(leaf_hash, h, 32);
	l->size++;
	return QF_OK;
}

/* ---------------------------------------------------------- reading */

/* A lookup context: the transaction, its size, and the last tile read per
 * stratum (a proof touches few tiles, many times). */
struct reader {
	struct qf_merkle_log *l;
	struct qf_txn *t;
	uint64_t size;
	int writer;
	struct {
		int have;
		uint64_t index;
		unsigned w;
		const uint8_t *p;
	} cache[STRATA];
};

static int s_reader(struct reader *r, struct qf_merkle_log *l, struct qf_txn *t)
{
	memset(r, 0, sizeof *r);
	r->l = l;
	r->t = t;
	r->writer = !qf_txn_readonly(t);
	if (r->writer) {
		int rc = s_writer_sync(l, t);
		if (rc)
			return rc;
		r->size = l->size;
		return QF_OK;
	}
	return s_read_size(l, t, &r->size);
}

/* The packed rows of stored tile (s, index) with its width in this view. */
static int s_stored_tile(struct reader *r, unsigned s, uint64_t index, const uint8_t **p,
			 unsigned *w)
{
	if (r->cache[s].have && r->cache[s].index == index) {
		*p = r->cache[s].p;
		*w = r->cache[s].w;
		return QF_OK;
	}
	unsigned width = qf_merkle_tile_width(s, index, r->size);
	if (!width)
		return QF_ERR_NOTFOUND;
	uint8_t k[9];
	MDB_val v;
	s_tile_key(k, s, index);
	int rc = qf_txn_get(r->t, r->l->tiles, k, 9, &v);
	if (rc)
		return rc == QF_ERR_NOTFOUND ? QF_ERR_STORE : rc;
	/* a stored tile may be wider than this view only in the writer's own
	 * transaction, which reads its rightmost tiles from memory instead */
	if (v.mv_size != 32 * s_packed_hashes(width))
		return QF_ERR_STORE;
	r->cache[s].have = 1;
	r->cache[s].index = index;
	r->cache[s].w = width;
	r->cache[s].p = v.mv_data;
	*p = v.mv_data;
	*w = width;
	return QF_OK;
}

static int s_node(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	struct reader *r = arg;
	unsigned s = level / QF_MERKLE_TILE_HEIGHT, j = level % QF_MERKLE_TILE_HEIGHT;
	if (s >= STRATA)
		return QF_ERR_NOTFOUND;
	uint64_t tile = index >> (QF_MERKLE_TILE_HEIGHT - j);
	unsigned k = (unsigned)(index & ((QF_MERKLE_TILE_WIDTH >> j) - 1));
	unsigned width = qf_merkle_tile_width(s, tile, r->size);
	if (k >= (width >> j))
		return QF_ERR_NOTFOUND; /* not complete in this tree */
	if (r->writer && r->l->t[s].index == tile) {
		memcpy(out, r->l->t[s].h[s_fix_off(j) + k], 32);
		return QF_OK;
	}
	const uint8_t *p;
	unsigned w;
	int rc = s_stored_tile(r, s, tile, &p, &w);
	if (rc)
		return rc;
	memcpy(out, p + 32 * (s_row_off(w, j) + k), 32);
	return QF_OK;
}

int qf_merkle_log_size(struct qf_merkle_log *l, struct qf_txn *t, uint64_t *size)
{
	struct reader r;
	int rc = s_reader(&r, l, t);
	*size = rc ? 0 : r.size;
	return rc;
}

int qf_merkle_log_leaf(struct qf_merkle_log *l, struct qf_txn *t, uint64_t index,
		       const uint8_t **data, size_t *len)
{
	uint8_t k[8];
	MDB_val v;
	qf_be64_put(k, index);
	int rc = qf_txn_get(t, l->leaves, k, 8, &v);
	if (rc)
		return rc;
	*data = v.mv_data;
	*len = v.mv_size;
	return QF_OK;
}

int qf_merkle_log_node(struct qf_merkle_log *l, struct qf_txn *t, unsigned level,
		       uint64_t index, uint8_t out[32])
{
	struct reader r;
	int rc = s_reader(&r, l, t);
	return rc ? rc : s_node(&r, level, index, out);
}

int qf_merkle_log_root(struct qf_merkle_log *l, struct qf_txn *t, uint64_t size,
		       uint8_t out[32])
{
	struct reader r;
	int rc = s_reader(&r, l, t);
	if (rc)
		return rc;
	if (size > r.size)
		return QF_ERR_NOTFOUND;
	return qf_merkle_root(s_node, &r, size, out);
}

int qf_merkle_log_inclusion(struct qf_merkle_log *l, struct qf_txn *t, uint64_t index,
			    uint64_t size, uint8_t (*proof)[32], size_t *n)
{
	struct reader r;
	*n = 0;
	int rc = s_reader(&r, l, t);
	if (rc)
		return rc;
	if (size > r.size)
		return QF_ERR_NOTFOUND;
	return qf_merkle_inclusion_proof(s_node, &r, index, size, proof, n);
}

int qf_merkle_log_consistency(struct qf_merkle_log *l, struct qf_txn *t, uint64_t first,
			      uint64_t second, uint8_t (*proof)[32], size_t *n)
{
	struct reader r;
	*n = 0;
	int rc = s_reader(&r, l, t);
	if (rc)
		return rc;
	if (second > r.size)
		return QF_ERR_NOTFOUND;
	return qf_merkle_consistency_proof(s_node, &r, first, second, proof, n);
}

int qf_merkle_log_tile(struct qf_merkle_log *l, struct qf_txn *t, unsigned level,
		       uint64_t index, unsigned width, const uint8_t **hashes)
{
	if (!qf_txn_readonly(t) || width == 0 || width > QF_MERKLE_TILE_WIDTH ||
	    level >= STRATA)
		return QF_ERR_INVAL;
	struct reader r;
	int rc = s_reader(&r, l, t);
	if (rc)
		return rc;
	if (qf_merkle_tile_width(level, index, r.size) < width)
		return QF_ERR_NOTFOUND;
	const uint8_t *p;
	unsigned w;
	if ((rc = s_stored_tile(&r, level, index, &p, &w)))
		return rc;
	*hashes = p; /* row 0 comes first in the packed layout */
	return QF_OK;
}
