/* ntf_queue.c: delivery state changes with their outcome events
 * (ntf_queue.h).
 *
 * The record, the schedule index and the dead-letter index change together
 * in one transaction, and the DELIVERY_* event of the change is emitted in
 * the same transaction, so "delivered" in the audit log and "delivered" in
 * this store can never disagree. Counters are added only when the
 * transaction commits (a write may run twice when the map grows). */
#include "ntf_queue.h"
#include "qf_privacy.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"

#include <stdlib.h>
#include <string.h>

int64_t ntf_quiet_until(const struct ntf_conf *c, int tz_offset_min, int64_t now)
{
	if (!c->quiet_enabled || c->quiet_start == c->quiet_end || c->quiet_start < 0 ||
	    c->quiet_end < 0)
		return now;
	int m = ntf_local_minute(now, tz_offset_min);
	int s = c->quiet_start, e = c->quiet_end;
	int in = s < e ? (m >= s && m < e) : (m >= s || m < e);
	if (!in)
		return now;
	int wait = (e - m + 1440) % 1440;
	return now - (now % 60000) + (int64_t)wait * 60000;
}

int64_t ntf_backoff_ms(int64_t base, int64_t cap, int attempt)
{
	if (attempt < 1)
		attempt = 1;
	int64_t d = base;
	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	int64_t half = d / 2;
	return half + (half > 0
			   ? (int64_t)qf_id_uniform(
				 (uint32_t)(half > 0x7fffffff ? 0x7fffffff : half) + 1)
			   : 0);
}

static void s_commit_counts(void *arg, uint64_t data)
{
	(void)data;
	struct ntf *n = arg;
	qf_metric_add(n->m_created, n->pend_created);
	n->pend_created = 0;
}

static void s_abort_counts(void *arg, uint64_t data)
{
	(void)data;
	struct ntf *n = arg;
	n->pend_created = 0;
}

static int s_emit(struct ntf *n, struct qf_txn *t, Qingfeng__V1__EventType type,
		  const struct ntf_delivery *d, const char *err, int64_t now)
{
	if (!n->prod)
		return 0;
	Qingfeng__V1__DeliveryOutcome o = QINGFENG__V1__DELIVERY_OUTCOME__INIT;
	o.delivery_id = (char *)d->id;
	if (d->has_event_id) {
		o.source_event_id.data = (uint8_t *)d->event_id;
		o.source_event_id.len = 16;
	}
	o.case_id = d->case_id ? d->case_id : "";
	o.recipient_kind = d->rk ? d->rk : "";
	o.recipient = d->rdisp && d->rdisp[0] ? d->rdisp : d->rid ? d->rid : "";
	o.channel = (char *)ntf_fmt_name((enum ntf_fmt)d->fmt);
	o.attempt = (uint32_t)d->attempts;
	o.error = (char *)(err ? err : "");
	o.at_ms = now;
	o.rule = d->rule ? d->rule : "";
	const char *pk = d->pkey && d->pkey[0] ? d->pkey : d->rid ? d->rid : "notifier";
	/* recipient and error are [private]; nothing else depends on the case */
	return qf_privacy_emit(n->prod, t, type, pk,
			       d->case_id && d->case_id[0] ? d->case_id : NULL, d->id,
			       &o.base, NULL);
}

int ntf_queue_add(struct ntf *n, struct qf_txn *t, struct ntf_delivery *d, int64_t now)
{
	MDB_val v;
	int rc = qf_txn_get(t, n->db.deliveries, d->id, strlen(d->id), &v);
	if (rc == 0)
		return QF_ERR_EXISTS;
	if (rc != QF_ERR_NOTFOUND)
		return rc;
	d->state = NTF_ST_PENDING;
	d->created = now;
	d->due = d->quiet && !d->urgent
		     ? ntf_quiet_until(n->conf, n->com->utc_offset_min, now)
		     : now;
	if ((rc = ntf_delivery_put(t, &n->db, d)) ||
	    (rc = ntf_due_put(t, &n->db, d->channel, d->due, d->id)))
		return rc;
	if (d->case_id && d->case_id[0] &&
	    (rc = ntf_by_case_put(t, &n->db, d->case_id, d->created, d->id)))
		return rc;
	if ((rc = qf_txn_on_commit(t, s_commit_counts, n, 0)) ||
	    (rc = qf_txn_on_abort(t, s_abort_counts, n, 0)))
		return rc;
	n->pend_created++;
	return 0;
}

static int s_final(struct ntf *n, struct qf_txn *t, struct ntf_delivery *d, int state,
		   int64_t now)
{
	d->state = state;
	d->done_ms = now;
	int rc = ntf_due_del(t, &n->db, d->channel, d->due, d->id);
	if (rc)
		return rc;
	if (state == NTF_ST_DEAD)
		return ntf_dead_put(t, &n->db, now, d->id);
	return ntf_expire_put(
	    t, &n->db, now + (int64_t)n->conf->retention_days * 86400000, 'd', d->id);
}

static int s_set_str(char **dst, const char *v)
{
	if (!v || !v[0])
		return 0;
	if (*dst && strcmp(*dst, v) == 0)
		return 0;
	char *c = strdup(v);
	if (!c)
		return QF_ERR_NOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

int ntf_queue_outcome(struct ntf *n, struct qf_txn *t, const struct ntf_job *j,
		      int64_t now)
{
	struct ntf_delivery d;
	int rc = ntf_delivery_get(t, &n->db, j->id, &d);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO)
		return 0;
	if (rc)
		return rc;
	if (d.state != NTF_ST_PENDING) {
		ntf_delivery_clear(&d);
		return 0;
	}
	const struct ntf_channel_conf *ch = j->ch;
	if ((rc = s_set_str(&d.rdisp, j->masked)))
		goto out;
	d.last_ms = now;
	if (j->outcome != NTF_OUT_CANCEL)
		d.attempts++;
	free(d.last_err);
	d.last_err = j->err[0] ? strdup(j->err) : NULL;
	int type = 0;
	switch (j->outcome) {
	case NTF_OUT_OK:
		rc = s_final(n, t, &d, NTF_ST_DELIVERED, now);
		type = QINGFENG__V1__EVENT_TYPE__DELIVERY_DELIVERED;
		break;
	case NTF_OUT_SKIP:
		rc = s_final(n, t, &d, NTF_ST_SKIPPED, now);
		type = QINGFENG__V1__EVENT_TYPE__DELIVERY_FAILED;
		break;
	case NTF_OUT_CANCEL:
		rc = s_final(n, t, &d, NTF_ST_CANCELLED, now);
		break;
	case NTF_OUT_TRANSIENT:
		if (d.attempts < ch->max_attempts) {
			int64_t wait = ntf_backoff_ms(ch->backoff_ms, ch->backoff_max_ms,
						      d.attempts);
			if (j->retry_after_ms > wait)
				wait = j->retry_after_ms < ch->backoff_max_ms
					   ? j->retry_after_ms
					   : ch->backoff_max_ms;
			int64_t due = now + wait;
			if (d.quiet && !d.urgent)
				due =
				    ntf_quiet_until(n->conf, n->com->utc_offset_min, due);
			if ((rc = ntf_due_del(t, &n->db, d.channel, d.due, d.id)))
				break;
			d.due = due;
			rc = ntf_due_put(t, &n->db, d.channel, d.due, d.id);
			type = QINGFENG__V1__EVENT_TYPE__DELIVERY_FAILED;
			break;
		}
		/* fall through: attempts exhausted */
		rc = s_final(n, t, &d, NTF_ST_DEAD, now);
		type = QINGFENG__V1__EVENT_TYPE__DELIVERY_DEAD_LETTERED;
		break;
	default: /* NTF_OUT_PERMANENT */
		rc = s_final(n, t, &d, NTF_ST_DEAD, now);
		type = QINGFENG__V1__EVENT_TYPE__DELIVERY_DEAD_LETTERED;
		break;
	}
	if (!rc)
		rc = ntf_delivery_put(t, &n->db, &d);
	if (!rc && type)
		rc = s_emit(n, t, (Qingfeng__V1__EventType)type, &d, j->err, now);
out:
	ntf_delivery_clear(&d);
	return rc;
}

int ntf_queue_release(struct ntf *n, struct qf_txn *t, const char *id, const char *by,
		      int64_t now)
{
	struct ntf_delivery d;
	int rc = ntf_delivery_get(t, &n->db, id, &d);
	if (rc)
		return rc;
	if (d.state != NTF_ST_DEAD) {
		ntf_delivery_clear(&d);
		return QF_ERR_CONFLICT;
	}
	if ((rc = ntf_dead_del(t, &n->db, d.done_ms, d.id)))
		goto out;
	d.state = NTF_ST_PENDING;
	d.attempts = 0;
	d.done_ms = 0;
	d.due = d.quiet && !d.urgent
		    ? ntf_quiet_until(n->conf, n->com->utc_offset_min, now)
		    : now;
	if ((rc = ntf_due_put(t, &n->db, d.channel, d.due, d.id)) ||
	    (rc = ntf_delivery_put(t, &n->db, &d)))
		goto out;
	char why[96];
	snprintf(why, sizeof why, "released by %s", by && by[0] ? by : "operator");
	rc = s_emit(n, t, QINGFENG__V1__EVENT_TYPE__DELIVERY_RELEASED, &d, why, now);
out:
	ntf_delivery_clear(&d);
	return rc;
}

int ntf_queue_kill(struct ntf *n, struct qf_txn *t, const char *id, const char *why,
		   int64_t now)
{
	struct ntf_delivery d;
	int rc = ntf_delivery_get(t, &n->db, id, &d);
	if (rc)
		return rc;
	if (d.state != NTF_ST_PENDING) {
		ntf_delivery_clear(&d);
		return QF_ERR_CONFLICT;
	}
	free(d.last_err);
	d.last_err = strdup(why);
	rc = s_final(n, t, &d, NTF_ST_DEAD, now);
	if (!rc)
		rc = ntf_delivery_put(t, &n->db, &d);
	if (!rc)
		rc = s_emit(n, t, QINGFENG__V1__EVENT_TYPE__DELIVERY_DEAD_LETTERED, &d,
			    why, now);
	ntf_delivery_clear(&d);
	return rc;
}
