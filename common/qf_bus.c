/* qf_bus.c: what the producer (qf_bus_prod.c: outbox, PUB, replay server)
 * and the exactly-once consumer (qf_bus_cons.c) share: the socket options
 * and CURVE keys, the envelope and its private part, the outbox record,
 * and reading the store's bus databases for `qfctl store stat` (see
 * qf_bus.h for the contract).
 *
 * Store layout (databases in the owning service's store):
 *   bus.meta    "epoch" -> u64, "name" -> text, "partitions" -> u32
 *   bus.outbox  partition(be32) seq(be64) -> record: 0x00, envelope
 *               length (be32), Envelope bytes, the PrivatePart sealed by
 *               qf_vault (absent when none); a bare Envelope (first byte
 *               0x08) is a record from before private parts
 *   bus.heads   partition(be32) -> high(be64) low(be64)
 *   bus.ckpt    producer NUL epoch(be64) partition(be32) -> applied(be64)
 *   bus.epochs  producer -> current(be64) retired(be64)*
 */
#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_metrics.h"
#include "qf_vault.h"
#include "qingfeng/v1/bus.pb-c.h"

#include <sodium.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qf_bus_sock_common(void *sock)
{
	int zero = 0;
	return zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
}

int qf_bus_curve_apply(void *sock, const struct qf_bus_curve *c, int server)
{
	if (!c || !c->secret_key || !c->public_key)
		return QF_OK;
	int one = 1;
	if (server) {
		if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) ||
		    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->secret_key, 40) ||
		    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->public_key, 40))
			return QF_ERR_BUS;
		return QF_OK;
	}
	if (!c->server_key)
		return QF_ERR_INVAL;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, c->server_key, 40) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->public_key, 40) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->secret_key, 40))
		return QF_ERR_BUS;
	return QF_OK;
}

Qingfeng__V1__Envelope *qf_bus_decode(const uint8_t *data, size_t len)
{
	Qingfeng__V1__Envelope *e = qingfeng__v1__envelope__unpack(NULL, len, data);
	if (!e)
		return NULL;
	if (e->schema_version != 1 || !e->producer || !e->producer[0] ||
	    e->seq == 0 || e->partition >= QF_BUS_MAX_PARTITIONS ||
	    strlen(e->producer) >= 64) {
		qingfeng__v1__envelope__free_unpacked(e, NULL);
		return NULL;
	}
	return e;
}

#define COMMIT_TAG "qingfeng-private-v1"

void qf_bus_commitment(const uint8_t nonce[32], const uint8_t *payload, size_t len,
		       uint8_t out[32])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)COMMIT_TAG, sizeof COMMIT_TAG);
	crypto_hash_sha256_update(&st, nonce, 32);
	crypto_hash_sha256_update(&st, payload, len);
	crypto_hash_sha256_final(&st, out);
}

static int s_varint(const uint8_t *d, size_t n, size_t *i, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*i >= n)
			return -1;
		uint8_t b = d[(*i)++];
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

int qf_bus_private_parse(const uint8_t *data, size_t len, const uint8_t **nonce,
			 const uint8_t **payload, size_t *payload_len)
{
	*nonce = NULL;
	*payload = (const uint8_t *)"";
	*payload_len = 0;
	size_t i = 0;
	while (i < len) {
		uint64_t tag, l;
		if (s_varint(data, len, &i, &tag) || (tag & 7) != 2 ||
		    s_varint(data, len, &i, &l) || l > len - i)
			return QF_ERR_PROTO;
		if (tag >> 3 == 1) {
			if (l != 32)
				return QF_ERR_PROTO;
			*nonce = data + i;
		} else if (tag >> 3 == 2) {
			*payload = data + i;
			*payload_len = (size_t)l;
		} /* unknown fields of a later version: skipped */
		i += (size_t)l;
	}
	return *nonce ? QF_OK : QF_ERR_PROTO;
}

int qf_bus_record_parse(const void *val, size_t len, const uint8_t **env,
			size_t *env_len, const uint8_t **box, size_t *box_len)
{
	const uint8_t *v = val;
	*box = NULL;
	*box_len = 0;
	if (len && v[0] != 0) { /* a bare envelope */
		*env = v;
		*env_len = len;
		return QF_OK;
	}
	if (len < 5)
		return QF_ERR_PROTO;
	uint32_t el = qf_be32_get(v + 1);
	if (el > len - 5)
		return QF_ERR_PROTO;
	*env = v + 5;
	*env_len = el;
	if (len > 5 + (size_t)el) {
		*box = v + 5 + el;
		*box_len = len - 5 - el;
	}
	return QF_OK;
}

/* ============================================================ store stat */

struct stat_ctx {
	void (*fn)(void *arg, const struct qf_bus_stat_row *r);
	void *arg;
};

static int s_stat_read(struct qf_txn *t, void *arg)
{
	struct stat_ctx *sc = arg;
	MDB_txn *txn = qf_txn_mdb(t);
	MDB_dbi dbi;
	char name[64] = "";
	if (mdb_dbi_open(txn, "bus.meta", 0, &dbi) == 0) {
		MDB_val k = {4, "name"}, v;
		uint64_t epoch = 0;
		if (mdb_get(txn, dbi, &k, &v) == 0)
			snprintf(name, sizeof name, "%.*s", (int)(v.mv_size < 63 ? v.mv_size : 63),
				 (char *)v.mv_data);
		k = (MDB_val){5, "epoch"};
		if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size == 8)
			epoch = qf_be64_get(v.mv_data);
		if (mdb_dbi_open(txn, "bus.heads", 0, &dbi) == 0) {
			MDB_cursor *cur;
			MDB_val key, val;
			if (mdb_cursor_open(txn, dbi, &cur) == 0) {
				int rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
				while (rc == 0) {
					if (key.mv_size == 4 && val.mv_size == 16) {
						struct qf_bus_stat_row r = {
							"outbox", name, epoch,
							qf_be32_get(key.mv_data),
							qf_be64_get((uint8_t *)val.mv_data + 8),
							qf_be64_get(val.mv_data)};
						sc->fn(sc->arg, &r);
					}
					rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
				}
				mdb_cursor_close(cur);
			}
		}
	}
	if (mdb_dbi_open(txn, "bus.epochs", 0, &dbi) == 0) {
		MDB_cursor *cur;
		MDB_val key, val;
		if (mdb_cursor_open(txn, dbi, &cur) == 0) {
			int rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
			while (rc == 0) {
				char prod[64];
				snprintf(prod, sizeof prod, "%.*s",
					 (int)(key.mv_size < 63 ? key.mv_size : 63),
					 (char *)key.mv_data);
				for (size_t i = 0; i + 8 <= val.mv_size; i += 8) {
					struct qf_bus_stat_row r = {
						i == 0 ? "epoch" : "retired-epoch", prod,
						qf_be64_get((uint8_t *)val.mv_data + i), 0, 0, 0};
					sc->fn(sc->arg, &r);
				}
				rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
			}
			mdb_cursor_close(cur);
		}
	}
	if (mdb_dbi_open(txn, "bus.ckpt", 0, &dbi) == 0) {
		MDB_cursor *cur;
		MDB_val key, val;
		if (mdb_cursor_open(txn, dbi, &cur) == 0) {
			int rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
			while (rc == 0) {
				const uint8_t *k = key.mv_data;
				size_t nl = strnlen((const char *)k, key.mv_size);
				if (nl + 13 == key.mv_size && val.mv_size == 8) {
					char prod[64];
					snprintf(prod, sizeof prod, "%.*s", (int)(nl < 63 ? nl : 63),
						 (const char *)k);
					struct qf_bus_stat_row r = {
						"checkpoint", prod, qf_be64_get(k + nl + 1),
						qf_be32_get(k + nl + 9), 0, qf_be64_get(val.mv_data)};
					sc->fn(sc->arg, &r);
				}
				rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
			}
			mdb_cursor_close(cur);
		}
	}
	return QF_OK;
}

int qf_bus_store_stat(struct qf_store *s,
		      void (*fn)(void *arg, const struct qf_bus_stat_row *r), void *arg)
{
	struct stat_ctx sc = {fn, arg};
	return qf_store_read(s, s_stat_read, &sc);
}
