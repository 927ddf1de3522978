/* early.c: hotspot and repeat detection (early.h).
 *
 * Hotspots: router.cluster holds (building, category, time, case) in time
 * order; a new petition counts the entries of its building and category
 * inside the window that come after the last warning's entries, stopping at
 * N. One warning per building, category and window: a sustained cluster is
 * reported again once a window has passed, not on every N petitions (a
 * burst of hundreds would otherwise bury the staff in warnings).
 * Repeats: router.repeats holds (hash of petitioner, building, category, time,
 * case); the petitioner is intake's keyed pseudonym, hashed once more so the
 * key has a fixed size and the pseudonym itself is not stored.
 * Privacy: both warnings are events, whose envelopes are public. A sensitive
 * case never joins a hotspot (its id and building would be listed), and its
 * repeat link stays in the records (REPEAT_LINKED's envelope would say the
 * reporter reported before); anonymous petitions are never linked at all.
 */
#include "early.h"

#include <sodium.h>
#include <string.h>

#include "qf_err.h"
#include "qf_log.h"

#define ET(x)	     QINGFENG__V1__EVENT_TYPE__##x
#define HOUR_MS	     3600000LL
#define MAX_LISTED   100  /* case ids listed in one hotspot warning */
#define PRUNE_BUDGET 1024 /* stale cluster entries removed per check */

/* ------------------------------------------------------------ repeats */

static void s_hash_part(crypto_generichash_state *st, const void *p, size_t n)
{
	uint8_t l[4];
	qf_be32_put(l, (uint32_t)n);
	crypto_generichash_update(st, l, 4);
	crypto_generichash_update(st, p, n);
}

static void s_repeat_prefix(uint8_t out[16], const uint8_t *pseudo, size_t plen,
			    const struct rt_case *k)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 16);
	s_hash_part(&st, pseudo, plen);
	s_hash_part(&st, k->building, strlen(k->building));
	s_hash_part(&st, k->category, strlen(k->category));
	crypto_generichash_final(&st, out, 16);
}

int rt_early_repeat_link(struct rt_engine *e, struct qf_txn *t, struct rt_case *k,
			 const uint8_t *pseudo, size_t plen)
{
	if (!plen)
		return QF_OK;
	uint8_t key[16 + 8 + RT_ID_MAX];
	s_repeat_prefix(key, pseudo, plen, k);
	int64_t window = (int64_t)e->conf->repeat_window_days * 24 * HOUR_MS;
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), e->db->repeats, &cur))
		return QF_ERR_STORE;
	qf_be64_put(key + 16, (uint64_t)(k->submitted_ms + 1));
	MDB_val kv = {24, key}, vv;
	int rc = mdb_cursor_get(cur, &kv, &vv, MDB_SET_RANGE);
	rc = rc == 0 ? mdb_cursor_get(cur, &kv, &vv, MDB_PREV)
		     : mdb_cursor_get(cur, &kv, &vv, MDB_LAST);
	uint32_t count = 0;
	while (rc == 0 && kv.mv_size > 24 && memcmp(kv.mv_data, key, 16) == 0) {
		int64_t ts = (int64_t)qf_be64_get((uint8_t *)kv.mv_data + 16);
		if (ts < k->submitted_ms - window)
			break;
		size_t idl = kv.mv_size - 24;
		if (!count && idl < sizeof k->repeat_of) {
			memcpy(k->repeat_of, (uint8_t *)kv.mv_data + 24, idl);
			k->repeat_of[idl] = '\0';
		}
		count++;
		rc = mdb_cursor_get(cur, &kv, &vv, MDB_PREV);
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		return qf_store_err(rc);
	k->repeat_count = count;
	size_t idl = strlen(k->id);
	qf_be64_put(key + 16, (uint64_t)k->submitted_ms);
	memcpy(key + 24, k->id, idl);
	int rc2 = qf_txn_put(t, e->db->repeats, key, 24 + idl, "", 0, 0);
	if (rc2)
		return rc2;
	/* where the entry is, so that retention can remove it (the tuple hash
	   cannot be made again without the pseudonym) */
	char mk[8 + RT_ID_MAX];
	int ml = snprintf(mk, sizeof mk, "repeat:%s", k->id);
	return qf_txn_put(t, e->db->meta, mk, (size_t)ml, key, 16, 0);
}

int rt_early_forget(struct rt_engine *e, struct qf_txn *t, const struct rt_case *k)
{
	char mk[8 + RT_ID_MAX];
	int ml = snprintf(mk, sizeof mk, "repeat:%s", k->id);
	MDB_val v;
	int rc = qf_txn_get(t, e->db->meta, mk, (size_t)ml, &v);
	if (rc == QF_ERR_NOTFOUND)
		return QF_OK; /* anonymous, or indexed before this was kept */
	if (rc)
		return rc;
	uint8_t key[16 + 8 + RT_ID_MAX];
	size_t idl = strlen(k->id);
	if (v.mv_size == 16) {
		memcpy(key, v.mv_data, 16);
		qf_be64_put(key + 16, (uint64_t)k->submitted_ms);
		memcpy(key + 24, k->id, idl);
		rc = qf_txn_del(t, e->db->repeats, key, 24 + idl);
		if (rc && rc != QF_ERR_NOTFOUND)
			return rc;
	}
	rc = qf_txn_del(t, e->db->meta, mk, (size_t)ml);
	return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
}

int rt_early_repeat_emit(struct rt_engine *e, struct qf_txn *t, struct rt_case *k,
			 int64_t at_ms)
{
	Qingfeng__V1__RepeatLinked r = QINGFENG__V1__REPEAT_LINKED__INIT;
	r.case_id = k->id;
	r.earlier_case_id = k->repeat_of;
	r.repeat_count = k->repeat_count;
	r.category = k->category;
	r.building = k->building;
	r.at_ms = at_ms;
	e->pending.repeats++;
	int rc;
	/* the envelope is public, and that a report's author reported before
	   narrows who wrote it: a sensitive case's link stays in the record */
	if (!rt_engine_sensitive(e, k) &&
	    (rc = rt_engine_emit(e, t, ET(REPEAT_LINKED), k->building, k->id, "", &r.base,
				 k, 1)))
		return rc;
	struct rt_case earlier, old;
	rc = rt_db_case_get(e->db, t, k->repeat_of, &earlier);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO)
		return QF_OK;
	if (rc)
		return rc;
	old = earlier;
	earlier.repeat_hits++;
	return rt_db_case_put(e->db, t, &old, &earlier, -1);
}

/* ------------------------------------------------------------ hotspots */

static size_t s_prefix(uint8_t *key, const struct rt_case *k)
{
	size_t b = strlen(k->building), c = strlen(k->category);
	memcpy(key, k->building, b);
	key[b] = 0;
	memcpy(key + b + 1, k->category, c);
	key[b + 1 + c] = 0;
	return b + c + 2;
}

/* Remove entries older than `before` (bounded work per call). */
static int s_prune(MDB_cursor *cur, const uint8_t *prefix, size_t pl, int64_t before)
{
	uint8_t key[2 * RT_CODE_MAX + 8];
	memcpy(key, prefix, pl);
	memset(key + pl, 0, 8);
	MDB_val kv = {pl + 8, key}, vv;
	int rc = mdb_cursor_get(cur, &kv, &vv, MDB_SET_RANGE);
	for (int n = 0; rc == 0 && n < PRUNE_BUDGET; n++) {
		if (kv.mv_size < pl + 8 || memcmp(kv.mv_data, prefix, pl) ||
		    (int64_t)qf_be64_get((uint8_t *)kv.mv_data + pl) >= before)
			return QF_OK;
		if ((rc = mdb_cursor_del(cur, 0)))
			return qf_store_err(rc);
		rc = mdb_cursor_get(cur, &kv, &vv, MDB_GET_CURRENT);
	}
	return rc == 0 || rc == MDB_NOTFOUND ? QF_OK : qf_store_err(rc);
}

/* Is key suffix a (time, case) strictly after b? (lexicographic, as LMDB) */
static int s_after(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	if (!bl)
		return 1;
	int c = memcmp(a, b, al < bl ? al : bl);
	return c > 0 || (c == 0 && al > bl);
}

static int s_flag(struct rt_engine *e, struct qf_txn *t, const char *id)
{
	struct rt_case k, old;
	int rc = rt_db_case_get(e->db, t, id, &k);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO)
		return QF_OK;
	if (rc || (k.flags & RT_F_HOTSPOT))
		return rc;
	old = k;
	k.flags |= RT_F_HOTSPOT;
	return rt_db_case_put(e->db, t, &old, &k, -1);
}

int rt_early_cluster(struct rt_engine *e, struct qf_txn *t, struct rt_case *k,
		     int64_t at_ms)
{
	/* HOTSPOT_WARNING is public with its building and case ids: a sensitive
	   case is never counted, listed nor flagged */
	if (rt_engine_sensitive(e, k))
		return QF_OK;
	uint8_t key[2 * RT_CODE_MAX + 8 + RT_ID_MAX];
	size_t pl = s_prefix(key, k), idl = strlen(k->id);
	qf_be64_put(key + pl, (uint64_t)k->submitted_ms);
	memcpy(key + pl + 8, k->id, idl);
	int rc = qf_txn_put(t, e->db->cluster, key, pl + 8 + idl, "", 0, 0);
	if (rc)
		return rc;
	int64_t window = (int64_t)e->conf->hotspot_window_h * HOUR_MS;
	int64_t start = k->submitted_ms - window;
	/* the last warning: where it stopped counting, and when */
	uint8_t last[8 + RT_ID_MAX];
	size_t lastl = 0;
	int64_t warned = 0;
	MDB_val hv;
	rc = qf_txn_get(t, e->db->hotspots, key, pl, &hv);
	if (rc == QF_OK) {
		const uint8_t *p = hv.mv_data;
		if (hv.mv_size >= 9 && p[0] <= sizeof last && hv.mv_size >= 9u + p[0]) {
			lastl = p[0];
			memcpy(last, p + 1, lastl);
			warned = (int64_t)qf_be64_get(p + 1 + lastl);
		}
	} else if (rc != QF_ERR_NOTFOUND) {
		return rc;
	}
	if (warned && k->submitted_ms < warned + window)
		return QF_OK; /* one warning per window: the staff already know */
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), e->db->cluster, &cur))
		return QF_ERR_STORE;
	if ((rc = s_prune(cur, key, pl, start))) {
		mdb_cursor_close(cur);
		return rc;
	}
	uint8_t seek[sizeof key];
	memcpy(seek, key, pl);
	qf_be64_put(seek + pl, (uint64_t)start);
	MDB_val kv = {pl + 8, seek}, vv;
	char ids[MAX_LISTED][RT_ID_MAX];
	char *idp[MAX_LISTED];
	uint32_t count = 0, want = (uint32_t)e->conf->hotspot_count;
	uint8_t maxkey[8 + RT_ID_MAX];
	size_t maxl = 0;
	int mrc = mdb_cursor_get(cur, &kv, &vv, MDB_SET_RANGE);
	while (mrc == 0 && count < want && kv.mv_size > pl + 8 &&
	       memcmp(kv.mv_data, key, pl) == 0) {
		const uint8_t *sfx = (const uint8_t *)kv.mv_data + pl;
		size_t sl = kv.mv_size - pl;
		if (s_after(sfx, sl, last, lastl) && sl - 8 < RT_ID_MAX &&
		    sl <= sizeof maxkey) {
			if (count < MAX_LISTED) {
				memcpy(ids[count], sfx + 8, sl - 8);
				ids[count][sl - 8] = '\0';
				idp[count] = ids[count];
			}
			count++;
			memcpy(maxkey, sfx, sl);
			maxl = sl;
		}
		mrc = mdb_cursor_get(cur, &kv, &vv, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (mrc && mrc != MDB_NOTFOUND)
		return qf_store_err(mrc);
	if (count < want)
		return QF_OK;
	Qingfeng__V1__HotspotWarning h = QINGFENG__V1__HOTSPOT_WARNING__INIT;
	h.category = k->category;
	h.building = k->building;
	h.count = count;
	h.window_hours = (uint32_t)e->conf->hotspot_window_h;
	h.n_case_ids = count < MAX_LISTED ? count : MAX_LISTED;
	h.case_ids = idp;
	h.at_ms = at_ms;
	e->pending.hotspots++;
	{
		char b1[64], b2[64];
		qf_info("hotspot", "building=%s category=%s count=%u",
			qf_log_q(k->building, b1, sizeof b1),
			qf_log_q(k->category, b2, sizeof b2), count);
	}
	if ((rc = rt_engine_emit(e, t, ET(HOTSPOT_WARNING), k->building, "", "", &h.base,
				 NULL, 0)))
		return rc;
	/* remember where and when this warning counted, and the warning itself */
	size_t mlen = protobuf_c_message_get_packed_size(&h.base);
	MDB_val mk = {pl, key}, mv = {1 + maxl + 8 + mlen, NULL};
	if ((rc = mdb_put(qf_txn_mdb(t), e->db->hotspots, &mk, &mv, MDB_RESERVE)))
		return qf_store_err(rc);
	uint8_t *p = mv.mv_data;
	p[0] = (uint8_t)maxl;
	memcpy(p + 1, maxkey, maxl);
	qf_be64_put(p + 1 + maxl, (uint64_t)k->submitted_ms);
	protobuf_c_message_pack(&h.base, p + 1 + maxl + 8);
	for (size_t i = 0; i < h.n_case_ids; i++) {
		if (strcmp(idp[i], k->id) == 0)
			k->flags |= RT_F_HOTSPOT; /* written by the caller */
		else if ((rc = s_flag(e, t, idp[i])))
			return rc;
	}
	return QF_OK;
}
