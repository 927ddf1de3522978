/* snapshot.c: canonical bytes, SHA-256, SNAPSHOT_PUBLISHED, and the audit
 * checkpoint shown beside each snapshot (snapshot.h).
 *
 * The announcement is emitted inside the transaction that changed the
 * disclosure, so a snapshot is never visible without its announcement and
 * never announced without being stored. Its position in our stream
 * (partition, seq, event id) is kept with it, which is what a reader looks
 * up in the audit log.
 *
 * Which checkpoint includes it: AuditCheckpoint carries the tree size but
 * not the streams it covers, so the announcement's leaf index is looked up
 * in the audit service (auditlink.c) and stored with the snapshot; the page
 * then shows the first checkpoint larger than that leaf (basis "leaf").
 * Until the lookup succeeds it shows the first checkpoint signed at least
 * SETTLE_MS after the announcement and says it was inferred (basis "time"). */
#include "snapshot.h"
#include "auditlink.h"

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTLE_MS 2000 /* announcement -> audit log, on a healthy system */

char *snapshot_canonical(json_t *canon, size_t *len)
{
	char *s = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
	if (s && len)
		*len = strlen(s);
	return s;
}

static size_t s_key(uint8_t *k, const char *kind, const char *key)
{
	size_t a = strlen(kind), b = strlen(key);
	memcpy(k, kind, a);
	k[a] = 0;
	memcpy(k + a + 1, key, b);
	return a + 1 + b;
}

static uint32_t s_cur_version(struct dp *dp, struct qf_txn *t, const uint8_t *k,
			      size_t kl)
{
	MDB_val v;
	if (qf_txn_get(t, dp->db.snap_cur, k, kl, &v) != QF_OK || v.mv_size < 4)
		return 0;
	return qf_be32_get(v.mv_data);
}

static void s_wake_link(void *arg, uint64_t data)
{
	(void)data;
	struct dp *dp = arg;
	auditlink_wake(dp->alink);
}

int snapshot_publish(struct dp *dp, struct qf_txn *t, const char *kind, const char *key,
		     json_t *canon, unsigned item_count, int reconciled,
		     int64_t published_ms)
{
	if (strlen(kind) > 32 || strlen(key) > 80)
		return QF_ERR_INVAL;
	json_object_set_new(canon, "kind", json_string(kind));
	json_object_set_new(canon, "key", json_string(key));
	size_t len;
	char *bytes = snapshot_canonical(canon, &len);
	if (!bytes)
		return QF_ERR_NOMEM;
	uint8_t hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, (const unsigned char *)bytes, len);
	char hex[65];
	qf_hex(hash, sizeof hash, hex);
	uint8_t k[160];
	size_t kl = s_key(k, kind, key);
	uint32_t version = s_cur_version(dp, t, k, kl) + 1;
	/* "published" is the latest time among the changes it holds, so that
	 * replicas applying the same changes in another order agree */
	if (version > 1) {
		json_t *prev = snapshot_current(dp, t, kind, key);
		int64_t pp = json_integer_value(json_object_get(prev, "published_ms"));
		if (pp > published_ms)
			published_ms = pp;
		json_decref(prev);
	}
	/* announce */
	uint32_t part = 0;
	uint64_t seq = 0;
	uint8_t eid[16] = {0};
	int64_t announced = 0;
	int rc = QF_OK;
	if (dp->prod) {
		Qingfeng__V1__SnapshotPublished sp =
		    QINGFENG__V1__SNAPSHOT_PUBLISHED__INIT;
		sp.snapshot_kind = (char *)kind;
		sp.key = (char *)key;
		sp.sha256 = hex;
		sp.version = version;
		sp.item_count = item_count;
		sp.published_ms = published_ms;
		sp.reconciled = reconciled == 1;
		size_t pl = qingfeng__v1__snapshot_published__get_packed_size(&sp);
		uint8_t *pb = malloc(pl + 1);
		if (!pb) {
			free(bytes);
			return QF_ERR_NOMEM;
		}
		qingfeng__v1__snapshot_published__pack(&sp, pb);
		char pkey[160];
		snprintf(pkey, sizeof pkey, "snapshot:%s:%s", kind, key);
		announced = qf_now_ms(dp->clock);
		struct qf_bus_event ev = {QINGFENG__V1__EVENT_TYPE__SNAPSHOT_PUBLISHED,
					  pkey,
					  NULL,
					  NULL,
					  pb,
					  pl,
					  announced};
		rc = qf_bus_emit(dp->prod, t, &ev, &part, &seq, eid);
		free(pb);
		if (rc) {
			free(bytes);
			return rc;
		}
	}
	/* the record of this version */
	char eh[33];
	qf_hex(eid, sizeof eid, eh);
	json_t *rec = json_pack("{s:s, s:s, s:i, s:s, s:i, s:I, s:o}", "kind", kind,
				"key", key, "version", (int)version, "sha256", hex,
				"item_count", (int)item_count, "published_ms",
				(json_int_t)published_ms, "reconciled",
				reconciled < 0 ? json_null() : json_boolean(reconciled));
	if (rec && dp->prod)
		json_object_set_new(rec, "announcement",
				    json_pack("{s:s, s:i, s:I, s:s, s:I}", "producer",
					      qf_bus_producer_name(dp->prod), "partition",
					      (int)part, "seq", (json_int_t)seq,
					      "event_id", eh, "at_ms",
					      (json_int_t)announced));
	char *rt = rec ? json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(rec);
	if (!rt) {
		free(bytes);
		return QF_ERR_NOMEM;
	}
	uint8_t vk[168];
	memcpy(vk, k, kl);
	vk[kl] = 0;
	qf_be32_put(vk + kl + 1, version);
	rc = qf_txn_put(t, dp->db.snap, vk, kl + 5, rt, strlen(rt), 0);
	free(rt);
	if (rc == QF_OK && dp->prod) {
		/* to be found in the audit log (auditlink.c) */
		uint8_t pk[12];
		qf_be32_put(pk, part);
		qf_be64_put(pk + 4, seq);
		rc = qf_txn_put(t, dp->db.snap_pending, pk, 12, vk, kl + 5, 0);
		if (rc == QF_OK && dp->alink)
			rc = qf_txn_on_commit(t, s_wake_link, dp, 0);
	}
	if (rc == QF_OK) {
		uint8_t *cv = malloc(len + 4);
		if (!cv) {
			rc = QF_ERR_NOMEM;
		} else {
			qf_be32_put(cv, version);
			memcpy(cv + 4, bytes, len);
			rc = qf_txn_put(t, dp->db.snap_cur, k, kl, cv, len + 4, 0);
			free(cv);
		}
	}
	free(bytes);
	return rc;
}

/* The first checkpoint signed at least SETTLE_MS after `at` (audit clock),
 * as a new reference, or NULL. Keys start with the signing time. */
static json_t *s_checkpoint_after(struct dp *dp, struct qf_txn *t, int64_t at)
{
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dp->db.ckpt, &c))
		return NULL;
	uint8_t kb[8];
	qf_be64_put(kb, (uint64_t)(at + SETTLE_MS));
	MDB_val k = {8, kb}, v;
	json_t *found = NULL;
	if (mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) == 0)
		found = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	mdb_cursor_close(c);
	return found;
}

/* The first checkpoint whose tree includes leaf `leaf`: sizes grow with
 * signing time, and none signed before the announcement can hold it. */
static json_t *s_checkpoint_covering(struct dp *dp, struct qf_txn *t, int64_t at,
				     int64_t leaf)
{
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dp->db.ckpt, &c))
		return NULL;
	uint8_t kb[8];
	qf_be64_put(kb, (uint64_t)(at > 600000 ? at - 600000 : 0)); /* clock skew */
	MDB_val k = {8, kb}, v;
	json_t *found = NULL;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && !found) {
		if (k.mv_size >= 16 &&
		    (int64_t)qf_be64_get((uint8_t *)k.mv_data + 8) > leaf)
			found = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return found;
}

static json_t *s_with_checkpoint(struct dp *dp, struct qf_txn *t, json_t *rec)
{
	json_t *an = json_object_get(rec, "announcement");
	if (!an)
		return rec;
	int64_t at = json_integer_value(json_object_get(an, "at_ms"));
	json_t *cp = NULL;
	const char *basis = "time";
	if (json_is_integer(json_object_get(an, "leaf_index"))) {
		int64_t leaf = json_integer_value(json_object_get(an, "leaf_index"));
		cp = s_checkpoint_covering(dp, t, at, leaf);
		basis = "leaf";
		if (cp) {
			char url[1200];
			snprintf(
			    url, sizeof url, "%s/v1/proof/inclusion?index=%lld&size=%lld",
			    dp_audit_public(dp), (long long)leaf,
			    (long long)json_integer_value(json_object_get(cp, "size")));
			json_object_set_new(cp, "proof_url", json_string(url));
		}
	} else {
		cp = s_checkpoint_after(dp, t, at);
	}
	if (cp) {
		json_object_set_new(cp, "basis", json_string(basis));
		json_object_set_new(an, "checkpoint", cp);
	} else {
		json_object_set_new(an, "checkpoint", json_null());
	}
	return rec;
}

static json_t *s_record(struct dp *dp, struct qf_txn *t, const uint8_t *k, size_t kl,
			uint32_t version)
{
	uint8_t vk[168];
	memcpy(vk, k, kl);
	vk[kl] = 0;
	qf_be32_put(vk + kl + 1, version);
	MDB_val v;
	if (qf_txn_get(t, dp->db.snap, vk, kl + 5, &v) != QF_OK)
		return NULL;
	json_t *j = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	return j ? s_with_checkpoint(dp, t, j) : NULL;
}

json_t *snapshot_current(struct dp *dp, struct qf_txn *t, const char *kind,
			 const char *key)
{
	if (strlen(kind) > 32 || strlen(key) > 80)
		return NULL;
	uint8_t k[160];
	size_t kl = s_key(k, kind, key);
	uint32_t ver = s_cur_version(dp, t, k, kl);
	return ver ? s_record(dp, t, k, kl, ver) : NULL;
}

json_t *snapshot_history(struct dp *dp, struct qf_txn *t, const char *kind,
			 const char *key)
{
	if (strlen(kind) > 32 || strlen(key) > 80)
		return NULL;
	uint8_t k[160];
	size_t kl = s_key(k, kind, key);
	uint32_t ver = s_cur_version(dp, t, k, kl);
	if (!ver)
		return NULL;
	json_t *a = json_array();
	for (uint32_t v = ver; v >= 1 && json_array_size(a) < 1000; v--) {
		json_t *r = s_record(dp, t, k, kl, v);
		if (r)
			json_array_append_new(a, r);
	}
	return a;
}

json_t *snapshot_list(struct dp *dp, struct qf_txn *t, const char *kind)
{
	json_t *a = json_array();
	MDB_cursor *c;
	if (!a || mdb_cursor_open(qf_txn_mdb(t), dp->db.snap_cur, &c))
		return a;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0) {
		const char *kk = k.mv_data;
		const char *z = memchr(kk, 0, k.mv_size);
		if (z && v.mv_size >= 4 && k.mv_size < 160) {
			size_t kn = (size_t)(z - kk);
			if (!kind || (strlen(kind) == kn && !memcmp(kind, kk, kn))) {
				json_t *r = s_record(dp, t, k.mv_data, k.mv_size,
						     qf_be32_get(v.mv_data));
				if (r)
					json_array_append_new(a, r);
			}
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return a;
}

char *snapshot_bytes(struct dp *dp, struct qf_txn *t, const char *kind, const char *key,
		     size_t *len)
{
	if (strlen(kind) > 32 || strlen(key) > 80)
		return NULL;
	uint8_t k[160];
	size_t kl = s_key(k, kind, key);
	MDB_val v;
	if (qf_txn_get(t, dp->db.snap_cur, k, kl, &v) != QF_OK || v.mv_size < 4)
		return NULL;
	char *b = malloc(v.mv_size - 4 + 1);
	if (!b)
		return NULL;
	memcpy(b, (char *)v.mv_data + 4, v.mv_size - 4);
	b[v.mv_size - 4] = '\0';
	*len = v.mv_size - 4;
	return b;
}
