/* duty.h: monthly duty quotas (the integrity supervisor's household visits).
 *
 * Visits are counted per staff member and month (the visit's own date, in
 * the community's time zone), each visit id once. A check at local midnight
 * of each configured day reports the pace (DUTY_QUOTA, behind = done below
 * target x elapsed share of the month); the first instant of the next month
 * records the month's result (final = true). Reaching the target is reported
 * once. Checks are ordinary entries of the timer index, one per staff member
 * and duty, owned by the instance that owns the staff id's partition.
 */
#ifndef DUTY_H
#define DUTY_H

#include <stdint.h>

#include "engine_ctx.h"

/* Count a VISIT_RECORDED. */
int rt_duty_visit(struct rt_engine *e, struct qf_txn *t,
		  const Qingfeng__V1__Envelope *env,
		  const Qingfeng__V1__VisitRecorded *v);
/* Schedule the next check of every duty this instance owns that has none
 * (at start). */
int rt_duty_schedule(struct rt_engine *e, struct qf_txn *t, int64_t now);
/* A due duty check (timer id "staff/duty", scheduled for `due`). */
int rt_duty_fire(struct rt_engine *e, struct qf_txn *t, const char *id, int64_t due,
		 int64_t now);

/* Calendar helpers (exposed for tests): the month "YYYY-MM" of a Unix ms in
 * the given offset; the next check time strictly after `after`; whether a
 * check time is a month's final one. */
void rt_duty_month(int64_t ms, int tz_offset_min, char out[8]);
int64_t rt_duty_next_check(const struct rt_duty_conf *d, int tz_offset_min,
			   int64_t after);
int rt_duty_is_final(int64_t check_ms, int tz_offset_min);

/* Expected count at `at`: the target times the share of the month's days
 * fully elapsed (local time), rounded down. */
uint32_t rt_duty_expected(const struct rt_duty_conf *d, int tz_offset_min, int64_t at);

/* Does staff member s carry duty d? */
int rt_duty_applies(const struct rt_duty_conf *d, const struct qf_staff *s);

/* Read a staff member's count for a month: 0 with *done (and *flags), or
 * QF_ERR_NOTFOUND (none yet). */
int rt_duty_get(const struct rt_db *db, struct qf_txn *t, const char *staff,
		const char *duty, const char *month, uint32_t *done, unsigned *flags);

#endif
