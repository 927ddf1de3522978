/* retention.c: private data expiry (retention.h).
 *
 * Two kinds of entries share router.expiry, each in its own key range
 * ordered by the time its retention started, so the next one due of each
 * kind is one cursor step away and firing them is bounded like every other
 * timer (the caller's batch). Forgetting happens in the transaction that
 * emits PRIVATE_EXPIRED: the event and the deletion are one fact.
 */
#include "retention.h"

#include <stdio.h>
#include <string.h>

#include "early.h"
#include "qf_err.h"
#include "qf_log.h"
#include "qf_vault.h"

#define ET(x)	   QINGFENG__V1__EVENT_TYPE__##x
#define DAY_MS	   86400000LL
#define ID_MAX	   201 /* router.expiry ids: 200 bytes and a NUL */
#define VAL_MAX	   65
#define META_INDEX "retention:indexed"

static int64_t s_period(const struct rt_engine *e, char tag)
{
	int days = tag == RT_EXP_CASE ? e->conf->retention_days : e->conf->visit_days;
	return (int64_t)days * DAY_MS;
}

struct entry {
	char tag;
	int64_t base, due;
	char id[ID_MAX], val[VAL_MAX];
};

/* The entry of `tag` due first: 0, or QF_ERR_NOTFOUND. */
static int s_first(struct rt_engine *e, struct qf_txn *t, char tag, struct entry *x)
{
	x->tag = tag;
	int rc = rt_db_expiry_first(e->db, t, tag, &x->base, x->id, sizeof x->id, x->val,
				    sizeof x->val);
	if (rc)
		return rc;
	x->due = x->base > INT64_MAX - s_period(e, tag) ? INT64_MAX
							: x->base + s_period(e, tag);
	return QF_OK;
}

/* The entry due first of either kind: 0, or QF_ERR_NOTFOUND. */
static int s_next(struct rt_engine *e, struct qf_txn *t, struct entry *out)
{
	struct entry c, v;
	int rc = s_first(e, t, RT_EXP_CASE, &c);
	if (rc && rc != QF_ERR_NOTFOUND)
		return rc;
	int rv = s_first(e, t, RT_EXP_VISIT, &v);
	if (rv && rv != QF_ERR_NOTFOUND)
		return rv;
	if (rc && rv)
		return QF_ERR_NOTFOUND;
	*out = rc ? v : rv ? c : (v.due < c.due ? v : c);
	return QF_OK;
}

int rt_retention_next(struct rt_engine *e, struct qf_txn *t, int64_t *due)
{
	struct entry x;
	int rc = s_next(e, t, &x);
	*due = rc ? INT64_MAX : x.due;
	return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
}

static int s_emit(struct rt_engine *e, struct qf_txn *t, const char *subject,
		  const char *key, struct rt_case *k, int64_t base, char tag, int64_t now)
{
	Qingfeng__V1__PrivateExpired x = QINGFENG__V1__PRIVATE_EXPIRED__INIT;
	x.subject = (char *)subject;
	x.case_id = k ? k->id : "";
	x.final_ms = base;
	x.retention_days = (uint32_t)(s_period(e, tag) / DAY_MS);
	x.at_ms = now;
	e->pending.expired++;
	return rt_engine_emit(e, t, ET(PRIVATE_EXPIRED), key, k ? k->id : NULL, "",
			      &x.base, k, k != NULL);
}

static int s_del_entry(struct rt_engine *e, struct qf_txn *t, const struct entry *x)
{
	int rc = rt_db_expiry_del(e->db, t, x->tag, x->base, x->id);
	return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
}

static int s_expire_case(struct rt_engine *e, struct qf_txn *t, const struct entry *x,
			 int64_t now)
{
	struct rt_case k, old;
	int rc = rt_db_case_get(e->db, t, x->id, &k);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO) {
		qf_warn("expiry_orphan", "case=%s error=%s", x->id, qf_errname(rc));
		return s_del_entry(e, t, x);
	}
	if (rc)
		return rc;
	if (rt_case_expiry_base(&k) != x->base) /* stale: not what the case says */
		return s_del_entry(e, t, x);
	old = k;
	if ((rc = s_emit(e, t, k.id, NULL, &k, x->base, RT_EXP_CASE, now)) ||
	    (rc = qf_vault_forget(e->db->vault, t, k.id)))
		return rc;
	/* the petition's box is unreadable now; the record goes too */
	rc = qf_txn_del(t, e->db->petitions, k.id, strlen(k.id));
	if (rc && rc != QF_ERR_NOTFOUND)
		return rc;
	/* the links to the same petitioner's other cases are theirs too */
	if ((rc = rt_early_forget(e, t, &k)))
		return rc;
	k.repeat_of[0] = '\0';
	k.repeat_count = 0;
	k.flags |= RT_F_EXPIRED;
	k.updated_ms = now;
	char b[64];
	qf_info("private_expired", "case=%s final_ms=%lld retention_days=%d",
		qf_log_q(k.id, b, sizeof b), (long long)x->base, e->conf->retention_days);
	return rt_db_case_put(e->db, t, &old, &k, -1); /* removes the entry */
}

static int s_expire_visit(struct rt_engine *e, struct qf_txn *t, const struct entry *x,
			  int64_t now)
{
	char subject[sizeof RT_VISIT_SUBJECT + ID_MAX];
	snprintf(subject, sizeof subject, "%s%s", RT_VISIT_SUBJECT, x->id);
	int rc = s_del_entry(e, t, x);
	if (rc || qf_vault_forgotten(e->db->vault, t, subject))
		return rc; /* a visit recorded twice expires once */
	if ((rc = s_emit(e, t, subject, x->val, NULL, x->base, RT_EXP_VISIT, now)))
		return rc;
	/* the household mark the duty count kept for this visit (duty.c) */
	MDB_val v;
	rc = qf_txn_get(t, e->db->visits, x->id, strlen(x->id), &v);
	if (rc == QF_OK && v.mv_size > 3 && !memcmp(v.mv_data, "hh:", 3)) {
		char mark[160];
		size_t ml = v.mv_size < sizeof mark ? v.mv_size : 0;
		if (ml) {
			memcpy(mark, v.mv_data, ml);
			rc = qf_txn_del(t, e->db->visits, mark, ml);
			if (rc && rc != QF_ERR_NOTFOUND)
				return rc;
			if ((rc = qf_txn_put(t, e->db->visits, x->id, strlen(x->id), "", 0,
					     0)))
				return rc;
		}
	} else if (rc && rc != QF_ERR_NOTFOUND) {
		return rc;
	}
	char b[96];
	qf_info("private_expired", "subject=%s final_ms=%lld retention_days=%d",
		qf_log_q(subject, b, sizeof b), (long long)x->base, e->conf->visit_days);
	return qf_vault_forget(e->db->vault, t, subject);
}

int rt_retention_fire(struct rt_engine *e, struct qf_txn *t, int64_t now, unsigned max,
		      unsigned *fired, int *more)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	*fired = 0;
	*more = 0;
	for (;;) {
		struct entry x;
		rc = s_next(e, t, &x);
		if (rc == QF_ERR_NOTFOUND)
			return QF_OK;
		if (rc)
			return rc;
		if (x.due > now)
			return QF_OK;
		if (*fired >= max) {
			*more = 1;
			return QF_OK;
		}
		(*fired)++;
		rc = x.tag == RT_EXP_CASE ? s_expire_case(e, t, &x, now)
					  : s_expire_visit(e, t, &x, now);
		if (rc)
			return rc;
	}
}

int rt_retention_visit(struct rt_engine *e, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__VisitRecorded *v)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	char subject[sizeof RT_VISIT_SUBJECT + ID_MAX], b[128];
	size_t il = v->visit_id ? strlen(v->visit_id) : 0;
	if (!il || il >= ID_MAX) {
		qf_warn("event_ignored",
			"event=VISIT_RECORDED visit=%s reason=bad_visit_id",
			qf_log_q(v->visit_id ? v->visit_id : "", b, sizeof b));
		e->pending.ignored++;
		return QF_OK;
	}
	snprintf(subject, sizeof subject, "%s%s", RT_VISIT_SUBJECT, v->visit_id);
	if (qf_vault_forgotten(e->db->vault, t, subject))
		return QF_OK; /* expired already: a late copy schedules nothing */
	int64_t base;
	if (qf_time_parse(v->date, e->community->utc_offset_min, &base) || base <= 0)
		base = env->time_ms > 0 ? env->time_ms : qf_now_ms(e->clock);
	const char *key = env->partition_key ? env->partition_key : "";
	if (strlen(key) >= VAL_MAX)
		key = "";
	return rt_db_expiry_put(e->db, t, RT_EXP_VISIT, base, v->visit_id, key);
}

/* ------------------------------------------------------------ backfill */

/* Stores written before retention existed: every final case gets its
 * expiry entry, and every repeat entry its place in router.meta. Once. */

int rt_retention_backfill(struct rt_engine *e, struct qf_txn *t)
{
	int64_t done;
	int rc = rt_db_meta_get_i64(e->db, t, META_INDEX, strlen(META_INDEX), &done);
	if (rc == QF_OK)
		return QF_OK;
	if (rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
		return rc;
	struct qf_iter it;
	unsigned n = 0;
	for (rc = qf_iter_open(&it, t, e->db->cases, NULL, 0);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		struct rt_case k;
		if (rt_case_decode(&k, it.v.mv_data, it.v.mv_size))
			continue;
		int64_t base = rt_case_expiry_base(&k);
		if (!base)
			continue;
		if ((rc = rt_db_expiry_put(e->db, t, RT_EXP_CASE, base, k.id, "")))
			break;
		n++;
	}
	qf_iter_close(&it);
	if (rc < 0)
		return rc;
	/* and where each case sits in the repeat index (rt_early_forget) */
	unsigned r = 0;
	for (rc = qf_iter_open(&it, t, e->db->repeats, NULL, 0);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		size_t idl = it.k.mv_size - 24;
		if (it.k.mv_size <= 24 || idl >= RT_ID_MAX)
			continue;
		char mk[8 + RT_ID_MAX];
		int ml = snprintf(mk, sizeof mk, "repeat:%.*s", (int)idl,
				  (const char *)it.k.mv_data + 24);
		if ((rc =
			 qf_txn_put(t, e->db->meta, mk, (size_t)ml, it.k.mv_data, 16, 0)))
			break;
		r++;
	}
	qf_iter_close(&it);
	if (rc < 0)
		return rc;
	if (n || r)
		qf_info("retention_indexed", "cases=%u repeats=%u", n, r);
	return rt_db_meta_put_i64(e->db, t, META_INDEX, strlen(META_INDEX),
				  qf_now_ms(e->clock));
}
