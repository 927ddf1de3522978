/* ingest.c: every consumed event becomes one leaf of the log, byte for byte
 * as received, in the transaction that also moves the consumer's checkpoint,
 * so a leaf is appended exactly once whatever the network or a crash does.
 *
 * A leaf is the event's public part (the envelope); its private part, when
 * the event has one, is kept apart in the same transaction (private.c),
 * sealed so that retention can delete it without touching the tree.
 *
 * Beside the tree it keeps three indexes: per (producer, epoch, partition)
 * the first and last seq logged (completeness is checkable without reading
 * the leaves, and a discontinuity is caught the moment it would be written),
 * per case the indexes of its leaves (a case's history in order), and per
 * event id its leaf (where a receipt's event is).
 */
#include "audit.h"
#include "qf_err.h"
#include "qf_log.h"

#include <stdio.h>
#include <string.h>

int audit_ingest_open(struct audit *a)
{
	int rc = qf_merkle_log_open(&a->log, a->store, "audit");
	if (rc)
		return rc;
	if ((rc = qf_store_dbi(a->store, "audit.ckpts", 0, &a->ckpts)) ||
	    (rc = qf_store_dbi(a->store, "audit.cases", 0, &a->cases)) ||
	    (rc = qf_store_dbi(a->store, "audit.streams", 0, &a->streams)) ||
	    (rc = qf_store_dbi(a->store, "audit.meta", 0, &a->meta)) ||
	    (rc = qf_store_dbi(a->store, "audit.events", 0, &a->events)))
		return rc;
	return QF_OK;
}

/* Stream index value: first seq, last seq, count, first leaf, last leaf. */
#define STREAM_VAL 40

static size_t s_stream_key(uint8_t *k, const char *producer, uint64_t epoch,
			   uint32_t partition)
{
	size_t n = strlen(producer);
	memcpy(k, producer, n);
	k[n] = 0;
	qf_be64_put(k + n + 1, epoch);
	qf_be32_put(k + n + 9, partition);
	return n + 13;
}

static int s_stream(struct audit *a, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		    uint64_t leaf)
{
	uint8_t k[96], v[STREAM_VAL];
	size_t kl = s_stream_key(k, env->producer, env->epoch, env->partition);
	MDB_val cur;
	int rc = qf_txn_get(t, a->streams, k, kl, &cur);
	uint64_t first = env->seq, count = 0, first_leaf = leaf, last = 0;
	if (rc == QF_OK && cur.mv_size == STREAM_VAL) {
		const uint8_t *c = cur.mv_data;
		first = qf_be64_get(c);
		last = qf_be64_get(c + 8);
		count = qf_be64_get(c + 16);
		first_leaf = qf_be64_get(c + 24);
	} else if (rc != QF_OK && rc != QF_ERR_NOTFOUND) {
		return rc;
	}
	uint64_t expect = count ? last + 1 : 1;
	if (env->seq != expect) {
		/* the consumer applies each stream gaplessly from seq 1; if the
		 * log ever disagrees, that is exactly what an auditor must see */
		char detail[256];
		snprintf(detail, sizeof detail,
			 "日志中 %s 第 %u 分区的序号不连续：应为 %llu，实为 %llu",
			 env->producer, env->partition, (unsigned long long)expect,
			 (unsigned long long)env->seq);
		qf_error("stream_discontinuity",
			 "producer=%s partition=%u expected=%llu got=%llu", env->producer,
			 env->partition, (unsigned long long)expect,
			 (unsigned long long)env->seq);
		if ((rc = audit_alert(a, t, QINGFENG__V1__ALERT_KIND__ALERT_STREAM_GAP,
				      NULL, NULL, env->producer, leaf, NULL, detail)))
			return rc;
	}
	qf_be64_put(v, first);
	qf_be64_put(v + 8, env->seq);
	qf_be64_put(v + 16, count + 1);
	qf_be64_put(v + 24, first_leaf);
	qf_be64_put(v + 32, leaf);
	return qf_txn_put(t, a->streams, k, kl, v, sizeof v, 0);
}

int audit_leaf_add(struct audit *a, struct qf_txn *t, const struct qf_bus_msg *m,
		   uint64_t *leafp)
{
	const Qingfeng__V1__Envelope *env = m->env;
	uint64_t leaf;
	int rc = qf_merkle_log_append(a->log, t, m->raw, m->len, &leaf, NULL);
	if (rc || (rc = audit_ckpt_after_append(a, t)))
		return rc;
	*leafp = leaf;
	if (m->len > QF_MERKLE_MAX_ENTRY)
		qf_warn("leaf_oversize",
			"leaf=%llu bytes=%zu producer=%s note=\"not representable in an "
			"entry bundle; served by /v1/leaves\"",
			(unsigned long long)leaf, m->len, env->producer);
	if ((rc = s_stream(a, t, env, leaf)))
		return rc;
	uint8_t lb[8];
	qf_be64_put(lb, leaf);
	if (env->case_id && env->case_id[0]) {
		size_t cl = strlen(env->case_id);
		if (cl < 200) {
			uint8_t k[210];
			memcpy(k, env->case_id, cl);
			k[cl] = 0;
			memcpy(k + cl + 1, lb, 8);
			if ((rc = qf_txn_put(t, a->cases, k, cl + 9, "", 0, 0)))
				return rc;
		}
	}
	/* the first leaf of an event id wins: ids are unique per producer */
	if (env->event_id.len > 0 && env->event_id.len <= 64) {
		rc = qf_txn_put(t, a->events, env->event_id.data, env->event_id.len, lb,
				8, MDB_NOOVERWRITE);
		if (rc && rc != QF_ERR_EXISTS)
			return rc;
	}
	if (m->private_part && (rc = audit_private_keep(a, t, env, m->private_part,
							m->private_part_len, leaf)))
		return rc;
	return QF_OK;
}

int audit_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct audit *a = app;
	uint64_t leaf;
	int rc = audit_leaf_add(a, t, m, &leaf);
	if (rc)
		return rc;
	if (m->env->type == QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED &&
	    (rc = audit_private_expired(a, t, m->env)))
		return rc;
	return audit_rules_apply(a, t, m->env, m->priv, m->priv_len, leaf);
}

int audit_on_incarnation(void *app, struct qf_txn *t, const char *producer,
			 uint64_t old_epoch, uint64_t new_epoch)
{
	struct audit *a = app;
	char detail[256];
	snprintf(detail, sizeof detail,
		 "%s 的事件流出现新的化身（纪元 %016llx → %016llx）：其存储被清空或替换，"
		 "旧流就此结束，新流从序号 1 重新记录",
		 producer, (unsigned long long)old_epoch, (unsigned long long)new_epoch);
	qf_warn("producer_incarnation", "producer=%s old_epoch=%016llx new_epoch=%016llx",
		producer, (unsigned long long)old_epoch, (unsigned long long)new_epoch);
	uint64_t size = 0;
	qf_merkle_log_size(a->log, t, &size);
	return audit_alert(a, t, QINGFENG__V1__ALERT_KIND__ALERT_NEW_INCARNATION, NULL,
			   NULL, producer, size, NULL, detail);
}

void audit_on_gap(void *app, const char *producer, uint32_t partition, uint64_t have,
		  uint64_t seen)
{
	/* informational: replay is already asked for; whether it heals the gap
	 * is judged from the streams' progress (rules.c, s_gaps_tick) */
	(void)app;
	qf_debug("stream_gap", "producer=%s partition=%u have=%llu seen=%llu", producer,
		 partition, (unsigned long long)have, (unsigned long long)seen);
}
