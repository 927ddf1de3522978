/* rdb.c: the router's databases and their indexes (rdb.h).
 *
 * The one design rule: indexes are derived from the case record, and only
 * rt_db_case_put() writes records, so it can update every index from the
 * difference between the old and the new record in the same transaction.
 */
#include "rdb.h"

#include <stdlib.h>
#include <string.h>

#include "qf_err.h"

int rt_db_open(struct rt_db *db, struct qf_store *s)
{
	static const struct {
		const char *name;
		size_t off;
	} dbs[] = {
	    {"router.cases", offsetof(struct rt_db, cases)},
	    {"router.petitions", offsetof(struct rt_db, petitions)},
	    {"bus.outbox", offsetof(struct rt_db, outbox)},
	    {"router.due", offsetof(struct rt_db, due)},
	    {"router.queue", offsetof(struct rt_db, queue)},
	    {"router.alerts", offsetof(struct rt_db, alerts)},
	    {"router.cluster", offsetof(struct rt_db, cluster)},
	    {"router.hotspots", offsetof(struct rt_db, hotspots)},
	    {"router.repeats", offsetof(struct rt_db, repeats)},
	    {"router.duty", offsetof(struct rt_db, duty)},
	    {"router.visits", offsetof(struct rt_db, visits)},
	    {"router.meta", offsetof(struct rt_db, meta)},
	    {"router.expiry", offsetof(struct rt_db, expiry)},
	};
	for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
		int rc =
		    qf_store_dbi(s, dbs[i].name, 0, (MDB_dbi *)((char *)db + dbs[i].off));
		if (rc)
			return rc;
	}
	return qf_vault_open(&db->vault, s);
}

void rt_db_close(struct rt_db *db)
{
	qf_vault_destroy(&db->vault);
}

int rt_db_case_get(const struct rt_db *db, struct qf_txn *t, const char *id,
		   struct rt_case *k)
{
	MDB_val v;
	size_t n = strlen(id);
	if (!n || n >= RT_ID_MAX)
		return QF_ERR_NOTFOUND;
	int rc = qf_txn_get(t, db->cases, id, n, &v);
	if (rc)
		return rc;
	return rt_case_decode(k, v.mv_data, v.mv_size);
}

unsigned rt_case_alerts(const struct rt_case *k)
{
	if (!rt_state_open(k->state))
		return 0;
	unsigned f = 0;
	for (int i = 0; i < 2; i++) {
		if (k->dl[i].breached && !k->dl[i].met_ms)
			f |= RT_ALERT_OVERDUE;
		if (k->dl[i].stage && !k->dl[i].met_ms)
			f |= RT_ALERT_WARNED;
	}
	return f;
}

int64_t rt_case_expiry_base(const struct rt_case *k)
{
	if (!k || !rt_state_final(k->state) || (k->flags & RT_F_EXPIRED))
		return 0;
	/* closed_ms is set by every transition into a final state; a record
	   without it (damage) still expires, from its last change */
	int64_t base = k->closed_ms > 0 ? k->closed_ms : k->updated_ms;
	return base > 0 ? base : 1;
}

static size_t s_queue_key(uint8_t *key, const struct rt_case *k)
{
	size_t a = strlen(k->assignee), n = strlen(k->id);
	memcpy(key, k->assignee, a);
	key[a] = 0;
	qf_be64_put(key + a + 1, (uint64_t)k->dl[RT_RESOLVE].due_ms);
	memcpy(key + a + 9, k->id, n);
	return a + 9 + n;
}

static int s_in_queue(const struct rt_case *k)
{
	return k && rt_state_open(k->state) && k->assignee[0];
}

static int s_del_ok(int rc) { return rc == QF_OK || rc == QF_ERR_NOTFOUND ? QF_OK : rc; }

int rt_db_case_put(const struct rt_db *db, struct qf_txn *t, const struct rt_case *old,
		   struct rt_case *k, int64_t next_due)
{
	int rc;
	/* timer: move the key only when something is due earlier (lazy) */
	int64_t have = old ? old->timer_ms : 0;
	k->timer_ms = have;
	if (next_due > 0 && (!have || next_due < have)) {
		if (have &&
		    (rc = s_del_ok(rt_db_due_del(db, t, have, RT_DUE_CASE, k->id))))
			return rc;
		if ((rc = rt_db_due_put(db, t, next_due, RT_DUE_CASE, k->id)))
			return rc;
		k->timer_ms = next_due;
	}
	uint8_t buf[RT_CASE_ENC_MAX];
	size_t len = rt_case_encode(k, buf, sizeof buf);
	if (!len)
		return QF_ERR_TOOBIG;
	if ((rc = qf_txn_put(t, db->cases, k->id, strlen(k->id), buf, len, 0)))
		return rc;
	/* queue */
	uint8_t ok[RT_STAFF_MAX + 9 + RT_ID_MAX], nk[sizeof ok];
	size_t okl = s_in_queue(old) ? s_queue_key(ok, old) : 0;
	size_t nkl = s_in_queue(k) ? s_queue_key(nk, k) : 0;
	if (okl != nkl || memcmp(ok, nk, okl)) {
		if (okl && (rc = s_del_ok(qf_txn_del(t, db->queue, ok, okl))))
			return rc;
		if (nkl && (rc = qf_txn_put(t, db->queue, nk, nkl, "", 0, 0)))
			return rc;
	}
	/* expiry: one entry while the case is final and not yet expired */
	int64_t oe = rt_case_expiry_base(old), ne = rt_case_expiry_base(k);
	if (oe != ne) {
		if (oe &&
		    (rc = s_del_ok(rt_db_expiry_del(db, t, RT_EXP_CASE, oe, k->id))))
			return rc;
		if (ne && (rc = rt_db_expiry_put(db, t, RT_EXP_CASE, ne, k->id, "")))
			return rc;
	}
	/* alerts */
	unsigned oa = old ? rt_case_alerts(old) : 0, na = rt_case_alerts(k);
	if (oa != na) {
		if (na) {
			uint8_t f = (uint8_t)na;
			rc = qf_txn_put(t, db->alerts, k->id, strlen(k->id), &f, 1, 0);
		} else {
			rc = s_del_ok(qf_txn_del(t, db->alerts, k->id, strlen(k->id)));
		}
		if (rc)
			return rc;
	}
	return QF_OK;
}

/* ------------------------------------------------------------ timeline */

int rt_db_petition_put(const struct rt_db *db, struct qf_txn *t, const char *id,
		       const void *packed, size_t len)
{
	uint8_t *box;
	size_t bl;
	int rc = qf_vault_seal(db->vault, t, id, id, strlen(id), packed, len, &box, &bl);
	if (rc == QF_ERR_GONE)
		return QF_OK; /* retention already forgot this case */
	if (rc)
		return rc;
	rc = qf_txn_put(t, db->petitions, id, strlen(id), box, bl, 0);
	free(box);
	return rc;
}

int rt_db_petition_get(const struct rt_db *db, struct qf_txn *t, const char *id,
		       uint8_t **out, size_t *out_len)
{
	size_t n = strlen(id);
	MDB_val v;
	if (!n || n >= RT_ID_MAX)
		return QF_ERR_NOTFOUND;
	int rc = qf_txn_get(t, db->petitions, id, n, &v);
	if (rc)
		return rc;
	return qf_vault_unseal(db->vault, t, v.mv_data, v.mv_size, id, n, out, out_len);
}

int rt_db_outbox_get(const struct rt_db *db, struct qf_txn *t, uint32_t partition,
		     uint64_t seq, MDB_val *out)
{
	uint8_t k[12];
	qf_be32_put(k, partition);
	qf_be64_put(k + 4, seq);
	return qf_txn_get(t, db->outbox, k, 12, out);
}

/* ------------------------------------------------------------ timers */

static size_t s_due_key(uint8_t *key, int64_t due, char tag, const char *id)
{
	size_t l = strlen(id);
	qf_be64_put(key, (uint64_t)due);
	key[8] = (uint8_t)tag;
	memcpy(key + 9, id, l);
	return l + 9;
}

int rt_db_due_put(const struct rt_db *db, struct qf_txn *t, int64_t due_ms, char tag,
		  const char *id)
{
	uint8_t key[9 + 128];
	if (strlen(id) > 128)
		return QF_ERR_INVAL;
	size_t kl = s_due_key(key, due_ms, tag, id);
	return qf_txn_put(t, db->due, key, kl, "", 0, 0);
}

int rt_db_due_del(const struct rt_db *db, struct qf_txn *t, int64_t due_ms, char tag,
		  const char *id)
{
	uint8_t key[9 + 128];
	if (strlen(id) > 128)
		return QF_ERR_INVAL;
	size_t kl = s_due_key(key, due_ms, tag, id);
	return qf_txn_del(t, db->due, key, kl);
}

int rt_db_due_first(const struct rt_db *db, struct qf_txn *t, int64_t *due_ms, char *tag,
		    char *id, size_t idcap)
{
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), db->due, &cur))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	int out = QF_ERR_NOTFOUND;
	if (rc == 0 && k.mv_size > 9 && k.mv_size - 9 < idcap) {
		const uint8_t *p = k.mv_data;
		*due_ms = (int64_t)qf_be64_get(p);
		*tag = (char)p[8];
		memcpy(id, p + 9, k.mv_size - 9);
		id[k.mv_size - 9] = '\0';
		out = QF_OK;
	} else if (rc == 0) {
		/* a malformed key: remove it so it cannot block the timers */
		mdb_cursor_del(cur, 0);
		out = QF_ERR_AGAIN;
	} else if (rc != MDB_NOTFOUND) {
		out = qf_store_err(rc);
	}
	mdb_cursor_close(cur);
	return out;
}

/* ------------------------------------------------------------ expiry */

#define EXP_ID_MAX  200
#define EXP_VAL_MAX 64

static size_t s_exp_key(uint8_t *key, char tag, int64_t base, const char *id)
{
	size_t l = strlen(id);
	key[0] = (uint8_t)tag;
	qf_be64_put(key + 1, (uint64_t)base);
	memcpy(key + 9, id, l);
	return l + 9;
}

int rt_db_expiry_put(const struct rt_db *db, struct qf_txn *t, char tag, int64_t base_ms,
		     const char *id, const char *val)
{
	uint8_t key[9 + EXP_ID_MAX];
	size_t vl = val ? strlen(val) : 0;
	if (!id[0] || strlen(id) > EXP_ID_MAX || vl > EXP_VAL_MAX)
		return QF_ERR_INVAL;
	return qf_txn_put(t, db->expiry, key, s_exp_key(key, tag, base_ms, id),
			  val ? val : "", vl, 0);
}

int rt_db_expiry_del(const struct rt_db *db, struct qf_txn *t, char tag, int64_t base_ms,
		     const char *id)
{
	uint8_t key[9 + EXP_ID_MAX];
	if (!id[0] || strlen(id) > EXP_ID_MAX)
		return QF_ERR_INVAL;
	return qf_txn_del(t, db->expiry, key, s_exp_key(key, tag, base_ms, id));
}

int rt_db_expiry_first(const struct rt_db *db, struct qf_txn *t, char tag,
		       int64_t *base_ms, char *id, size_t idcap, char *val, size_t valcap)
{
	struct qf_iter it;
	uint8_t prefix = (uint8_t)tag;
	int rc, out = QF_ERR_NOTFOUND;
	for (rc = qf_iter_open(&it, t, db->expiry, &prefix, 1);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		const uint8_t *p = it.k.mv_data;
		const MDB_val k = it.k, v = it.v;
		size_t il = k.mv_size - 9;
		if (k.mv_size <= 9 || il >= idcap || v.mv_size >= valcap ||
		    memchr(p + 9, 0, il) || memchr(v.mv_data, 0, v.mv_size))
			continue; /* damaged: never blocks the others */
		*base_ms = (int64_t)qf_be64_get(p + 1);
		memcpy(id, p + 9, il);
		id[il] = '\0';
		memcpy(val, v.mv_data, v.mv_size);
		val[v.mv_size] = '\0';
		out = QF_OK;
		break;
	}
	qf_iter_close(&it);
	return rc < 0 ? rc : out;
}

/* ------------------------------------------------------------ meta */

int rt_db_meta_get_i64(const struct rt_db *db, struct qf_txn *t, const char *key,
		       size_t klen, int64_t *out)
{
	MDB_val v;
	int rc = qf_txn_get(t, db->meta, key, klen, &v);
	if (rc)
		return rc;
	if (v.mv_size != 8)
		return QF_ERR_PROTO;
	*out = (int64_t)qf_be64_get(v.mv_data);
	return QF_OK;
}

int rt_db_meta_put_i64(const struct rt_db *db, struct qf_txn *t, const char *key,
		       size_t klen, int64_t v)
{
	uint8_t b[8];
	qf_be64_put(b, (uint64_t)v);
	return qf_txn_put(t, db->meta, key, klen, b, 8, 0);
}
