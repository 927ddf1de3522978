/* duty.c: monthly duty quotas (duty.h).
 *
 * All month arithmetic happens on local civil dates (the community's UTC
 * offset), converted with Howard Hinnant's days-from-civil algorithms, so a
 * visit at 23:30 local on the last day counts for that month whatever the
 * UTC date. A check's meaning follows from its scheduled time alone (the 1st
 * at 00:00 is the previous month's final), which keeps a late timer correct:
 * after downtime, missed finals are all recorded, stale pace checks skipped.
 */
#include "duty.h"

#include <stdio.h>
#include <string.h>

#include "qf_err.h"
#include "qf_log.h"

#define ET(x)	 QINGFENG__V1__EVENT_TYPE__##x
#define DAY_MS	 86400000LL
#define F_FINAL	 0x1 /* the month's final result was recorded */
#define F_TARGET 0x2 /* reaching the target was reported */

static int64_t s_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t s_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void s_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void s_local_date(int64_t ms, int off, int *y, int *m, int *d, int64_t *tod)
{
	int64_t local = ms + (int64_t)off * 60000;
	int64_t day = s_floor_div(local, DAY_MS);
	s_civil_from_days(day, y, m, d);
	if (tod)
		*tod = local - day * DAY_MS;
}

static int64_t s_midnight(int y, int m, int d, int off)
{
	return s_days_from_civil(y, m, d) * DAY_MS - (int64_t)off * 60000;
}

static int s_days_in_month(int y, int m)
{
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	return (int)(s_days_from_civil(ny, nm, 1) - s_days_from_civil(y, m, 1));
}

void rt_duty_month(int64_t ms, int tz_offset_min, char out[8])
{
	int y, m, d;
	s_local_date(ms, tz_offset_min, &y, &m, &d, NULL);
	snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}

int64_t rt_duty_next_check(const struct rt_duty_conf *dc, int off, int64_t after)
{
	int y, m, d;
	s_local_date(after, off, &y, &m, &d, NULL);
	for (unsigned i = 0; i < dc->nchecks; i++) {
		int64_t t = s_midnight(y, m, dc->check_days[i], off);
		if (t > after)
			return t;
	}
	return s_midnight(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1, off);
}

int rt_duty_is_final(int64_t check_ms, int off)
{
	int y, m, d;
	int64_t tod;
	s_local_date(check_ms, off, &y, &m, &d, &tod);
	return d == 1 && tod == 0;
}

uint32_t rt_duty_expected(const struct rt_duty_conf *d, int off, int64_t at)
{
	int y, m, dd;
	s_local_date(at, off, &y, &m, &dd, NULL);
	return (uint32_t)((uint64_t)d->target * (uint64_t)(dd - 1) /
			  (uint64_t)s_days_in_month(y, m));
}

int rt_duty_applies(const struct rt_duty_conf *d, const struct qf_staff *s)
{
	if (!s)
		return 0;
	return d->staff[0] ? strcmp(d->staff, s->id) == 0 : strcmp(d->role, s->role) == 0;
}

/* ------------------------------------------------------------ storage */

static size_t s_key(uint8_t *key, const char *staff, const char *duty, const char *month)
{
	size_t a = strlen(staff), b = strlen(duty), c = strlen(month);
	memcpy(key, staff, a);
	key[a] = 0;
	memcpy(key + a + 1, duty, b);
	key[a + 1 + b] = 0;
	memcpy(key + a + 2 + b, month, c);
	return a + b + c + 2;
}

int rt_duty_get(const struct rt_db *db, struct qf_txn *t, const char *staff,
		const char *duty, const char *month, uint32_t *done, unsigned *flags)
{
	uint8_t key[RT_STAFF_MAX + 32 + 16];
	if (strlen(staff) >= RT_STAFF_MAX || strlen(duty) >= 32 || strlen(month) >= 16)
		return QF_ERR_NOTFOUND;
	MDB_val v;
	int rc = qf_txn_get(t, db->duty, key, s_key(key, staff, duty, month), &v);
	if (rc)
		return rc;
	if (v.mv_size != 5)
		return QF_ERR_PROTO;
	*done = qf_be32_get(v.mv_data);
	if (flags)
		*flags = ((uint8_t *)v.mv_data)[4];
	return QF_OK;
}

static int s_put(const struct rt_db *db, struct qf_txn *t, const char *staff,
		 const char *duty, const char *month, uint32_t done, unsigned flags)
{
	uint8_t key[RT_STAFF_MAX + 32 + 16], v[5];
	qf_be32_put(v, done);
	v[4] = (uint8_t)flags;
	return qf_txn_put(t, db->duty, key, s_key(key, staff, duty, month), v, 5, 0);
}

static int s_report(struct rt_engine *e, struct qf_txn *t, const struct rt_duty_conf *d,
		    const char *staff, const char *month, uint32_t done,
		    uint32_t expected, int final, int64_t now)
{
	Qingfeng__V1__DutyQuota q = QINGFENG__V1__DUTY_QUOTA__INIT;
	q.staff_id = (char *)staff;
	q.duty = (char *)d->name;
	q.month = (char *)month;
	q.done = done;
	q.target = d->target;
	q.expected_by_now = expected;
	q.behind = done < expected;
	q.final = final;
	q.at_ms = now;
	e->pending.duty_reports++;
	return rt_engine_emit(e, t, ET(DUTY_QUOTA), staff, "", "", &q.base, NULL, 0);
}

/* ------------------------------------------------------------ visits */

int rt_duty_visit(struct rt_engine *e, struct qf_txn *t,
		  const Qingfeng__V1__Envelope *env, const Qingfeng__V1__VisitRecorded *v)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	if (!v->household)
		return QF_OK; /* only household visits count toward the duty */
	const char *sid = v->actor ? v->actor->staff_id : "";
	const struct qf_staff *s = qf_community_staff(e->community, sid);
	char b[128];
	if (!s || !v->visit_id[0] || strlen(v->visit_id) > 200) {
		qf_warn("event_ignored", "event=VISIT_RECORDED visit=%s reason=%s",
			qf_log_q(v->visit_id, b, sizeof b),
			!s ? "unknown_staff" : "bad_visit_id");
		e->pending.ignored++;
		return QF_OK;
	}
	int off = e->community->utc_offset_min;
	int64_t when;
	if (qf_time_parse(v->date, off, &when))
		when = env->time_ms;
	char month[8];
	rt_duty_month(when, off, month);
	MDB_val dv;
	rc = qf_txn_get(t, e->db->visits, v->visit_id, strlen(v->visit_id), &dv);
	if (rc == QF_OK) {
		qf_info("visit_duplicate", "visit=%s",
			qf_log_q(v->visit_id, b, sizeof b));
		return QF_OK;
	}
	if (rc != QF_ERR_NOTFOUND)
		return rc;
	/* a household counts once a month: "hh:<staff>/<month>/<key>" marks
	 * it, and the visit's record keeps that mark's name so retention can
	 * forget it with the visit (a visit without a key counts on its own) */
	char mark[sizeof "hh:" + RT_STAFF_MAX + 8 + 65];
	int ml = 0;
	const char *hk = v->household_key ? v->household_key : "";
	if (strlen(hk) == 64 && strspn(hk, "0123456789abcdef") == 64)
		ml = snprintf(mark, sizeof mark, "hh:%s/%s/%s", s->id, month, hk);
	if (ml < 0 || (size_t)ml >= sizeof mark)
		ml = 0;
	if ((rc = qf_txn_put(t, e->db->visits, v->visit_id, strlen(v->visit_id), mark,
			     (size_t)ml, 0)))
		return rc;
	if (ml) {
		rc = qf_txn_get(t, e->db->visits, mark, (size_t)ml, &dv);
		if (rc == QF_OK) {
			qf_info("visit_same_household", "visit=%s month=%s",
				qf_log_q(v->visit_id, b, sizeof b), month);
			return QF_OK;
		}
		if (rc != QF_ERR_NOTFOUND)
			return rc;
		if ((rc = qf_txn_put(t, e->db->visits, mark, (size_t)ml, "", 0, 0)))
			return rc;
	}
	int64_t now = env->time_ms > 0 ? env->time_ms : qf_now_ms(e->clock);
	for (unsigned i = 0; i < e->conf->nduties; i++) {
		const struct rt_duty_conf *d = &e->conf->duties[i];
		if (strcmp(d->name, "household_visits") || !rt_duty_applies(d, s))
			continue;
		uint32_t done = 0;
		unsigned flags = 0;
		rc = rt_duty_get(e->db, t, s->id, d->name, month, &done, &flags);
		if (rc && rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
			return rc;
		done++;
		if (done >= d->target && !(flags & F_TARGET)) {
			flags |= F_TARGET;
			if ((rc = s_report(e, t, d, s->id, month, done, done, 0, now)))
				return rc;
		}
		if ((flags & F_FINAL) &&
		    (rc = s_report(e, t, d, s->id, month, done, d->target, 1, now)))
			return rc; /* a late record corrects the month's result */
		if ((rc = s_put(e->db, t, s->id, d->name, month, done, flags)))
			return rc;
	}
	return QF_OK;
}

/* ------------------------------------------------------------ checks */

static size_t s_next_key(char *key, size_t cap, const char *staff, const char *duty)
{
	int n = snprintf(key, cap, "dnext:%s/%s", staff, duty);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static int s_schedule(struct rt_engine *e, struct qf_txn *t, const char *staff,
		      const char *duty, int64_t when)
{
	char key[128], id[128];
	size_t kl = s_next_key(key, sizeof key, staff, duty);
	snprintf(id, sizeof id, "%s/%s", staff, duty);
	if (!kl)
		return QF_ERR_INVAL;
	int rc = rt_db_meta_put_i64(e->db, t, key, kl, when);
	return rc ? rc : rt_db_due_put(e->db, t, when, RT_DUE_DUTY, id);
}

int rt_duty_schedule(struct rt_engine *e, struct qf_txn *t, int64_t now)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	const struct qf_community *c = e->community;
	for (unsigned i = 0; i < e->conf->nduties; i++) {
		const struct rt_duty_conf *d = &e->conf->duties[i];
		for (unsigned j = 0; j < c->nstaff; j++) {
			const struct qf_staff *s = &c->staff[j];
			if (!rt_duty_applies(d, s) || !rt_engine_owns(e, s->id) ||
			    strchr(s->id, '/'))
				continue;
			char key[128];
			size_t kl = s_next_key(key, sizeof key, s->id, d->name);
			int64_t have;
			if (!kl)
				continue;
			rc = rt_db_meta_get_i64(e->db, t, key, kl, &have);
			if (rc == QF_OK)
				continue;
			if (rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
				return rc;
			if ((rc = s_schedule(
				 e, t, s->id, d->name,
				 rt_duty_next_check(d, c->utc_offset_min, now))))
				return rc;
		}
	}
	return QF_OK;
}

int rt_duty_fire(struct rt_engine *e, struct qf_txn *t, const char *id, int64_t due,
		 int64_t now)
{
	char staff[RT_STAFF_MAX], name[64];
	const char *slash = strchr(id, '/');
	if (!slash || (size_t)(slash - id) >= sizeof staff ||
	    strlen(slash + 1) >= sizeof name)
		return QF_OK;
	memcpy(staff, id, (size_t)(slash - id));
	staff[slash - id] = '\0';
	strcpy(name, slash + 1);
	const struct qf_community *c = e->community;
	const struct qf_staff *s = qf_community_staff(c, staff);
	const struct rt_duty_conf *d = NULL;
	for (unsigned i = 0; i < e->conf->nduties && !d; i++)
		if (strcmp(e->conf->duties[i].name, name) == 0 &&
		    rt_duty_applies(&e->conf->duties[i], s))
			d = &e->conf->duties[i];
	char key[128];
	size_t kl = s_next_key(key, sizeof key, staff, name);
	if (!d || !rt_engine_owns(e, staff)) {
		qf_info("duty_dropped", "staff=%s duty=%s", staff, name);
		int drc = kl ? qf_txn_del(t, e->db->meta, key, kl) : QF_OK;
		return drc == QF_ERR_NOTFOUND ? QF_OK : drc;
	}
	int off = c->utc_offset_min;
	char month[8];
	uint32_t done = 0;
	unsigned flags = 0;
	int rc;
	if (rt_duty_is_final(due, off)) {
		rt_duty_month(due - 1, off, month);
		rc = rt_duty_get(e->db, t, staff, name, month, &done, &flags);
		if (rc && rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
			return rc;
		if ((rc = s_report(e, t, d, staff, month, done, d->target, 1, now)) ||
		    (rc = s_put(e->db, t, staff, name, month, done, flags | F_FINAL)))
			return rc;
	} else {
		rt_duty_month(due, off, month);
		rc = rt_duty_get(e->db, t, staff, name, month, &done, &flags);
		if (rc && rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
			return rc;
		uint32_t expected = rt_duty_expected(d, off, due);
		if ((rc = s_report(e, t, d, staff, month, done, expected, 0, now)))
			return rc;
	}
	int64_t next = rt_duty_next_check(d, off, due);
	while (next <= now && !rt_duty_is_final(next, off))
		next = rt_duty_next_check(d, off, next);
	return s_schedule(e, t, staff, name, next);
}
