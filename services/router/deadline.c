/* deadline.c: the two clocks of a case (deadline.h).
 *
 * Working clocks delegate to qf_calendar_add_working / _working_between, so
 * weekends, holidays and make-up working days come from the community file.
 * A clock's stage counts the early warnings sent; the breach notice and the
 * reminders follow. When the router was away for a while, only the latest
 * passed warning is sent: a stale 50% warning after the 80% one helps nobody.
 */
#include "deadline.h"

#include <string.h>

#define HOUR_MS 3600000LL

int64_t rt_dl_hours(const struct rt_case *k, int clock)
{
	return clock == RT_RESPOND ? (int64_t)k->respond_h
				   : (int64_t)k->resolve_h + (int64_t)k->ext_hours;
}

static int64_t s_add(const struct qf_community *c, const struct rt_case *k, int64_t from,
		     int64_t ms)
{
	if (!(k->flags & RT_F_WORKING))
		return from + ms;
	int64_t t = qf_calendar_add_working(c, from, ms);
	return t == INT64_MAX ? from + ms : t; /* no working time for 10 years */
}

int64_t rt_dl_point(const struct qf_community *c, const struct rt_case *k, int clock,
		    uint32_t permille)
{
	int64_t total = rt_dl_hours(k, clock) * HOUR_MS;
	return s_add(c, k, k->submitted_ms, total * (int64_t)permille / 1000);
}

void rt_dl_set_dues(const struct qf_community *c, struct rt_case *k)
{
	k->dl[RT_RESPOND].due_ms = rt_dl_point(c, k, RT_RESPOND, 1000);
	k->dl[RT_RESOLVE].due_ms = rt_dl_point(c, k, RT_RESOLVE, 1000);
}

uint32_t rt_dl_used(const struct qf_community *c, const struct rt_case *k, int clock,
		    int64_t now)
{
	int64_t total = rt_dl_hours(k, clock) * HOUR_MS;
	if (total <= 0 || now <= k->submitted_ms)
		return 0;
	int64_t used = (k->flags & RT_F_WORKING)
			   ? qf_calendar_working_between(c, k->submitted_ms, now)
			   : now - k->submitted_ms;
	int64_t p = used * 1000 / total;
	return p > 1000000 ? 1000000 : (uint32_t)p;
}

int rt_dl_active(const struct rt_case *k, int clock)
{
	if (clock == RT_RESPOND)
		return !k->dl[RT_RESPOND].met_ms &&
		       (k->state == RT_SUBMITTED || k->state == RT_ASSIGNED);
	return k->state == RT_ASSIGNED || k->state == RT_ACCEPTED ||
	       k->state == RT_IN_PROGRESS || k->state == RT_REOPENED;
}

static int64_t s_next_reminder(const struct qf_community *c, const struct rt_conf *rc,
			       const struct rt_case *k, const struct rt_deadline *d)
{
	if (d->reminders >= (unsigned)rc->max_reminders)
		return 0;
	return s_add(c, k, d->last_notice_ms, rc->reminder_every_h * HOUR_MS);
}

enum rt_dl_action rt_dl_step(const struct qf_community *c, const struct rt_conf *rc,
			     const struct rt_case *k, int clock, int64_t now,
			     unsigned *stage)
{
	if (!rt_dl_active(k, clock))
		return RT_DL_NONE;
	const struct rt_deadline *d = &k->dl[clock];
	if (d->breached) {
		int64_t t = s_next_reminder(c, rc, k, d);
		return t && t <= now ? RT_DL_REMIND : RT_DL_NONE;
	}
	if (d->due_ms <= now)
		return RT_DL_BREACH;
	int found = -1;
	for (unsigned i = d->stage; i < rc->nwarn; i++) {
		if (rt_dl_point(c, k, clock, rc->warn[i]) > now)
			break;
		found = (int)i;
	}
	if (found < 0)
		return RT_DL_NONE;
	*stage = (unsigned)found;
	return RT_DL_WARN;
}

static void s_min(int64_t *best, int64_t t)
{
	if (t > 0 && (!*best || t < *best))
		*best = t;
}

int64_t rt_dl_next(const struct qf_community *c, const struct rt_conf *rc,
		   const struct rt_case *k)
{
	int64_t best = 0;
	for (int clock = 0; clock < 2; clock++) {
		if (!rt_dl_active(k, clock))
			continue;
		const struct rt_deadline *d = &k->dl[clock];
		if (d->breached)
			s_min(&best, s_next_reminder(c, rc, k, d));
		else if (d->stage < rc->nwarn)
			s_min(&best, rt_dl_point(c, k, clock, rc->warn[d->stage]));
		else
			s_min(&best, d->due_ms);
	}
	if (k->state == RT_RESOLVED && k->resolved_ms)
		s_min(&best,
		      k->resolved_ms + (int64_t)rc->close_after_days * 24 * HOUR_MS);
	return best;
}

void rt_dl_extend(const struct qf_community *c, const struct rt_conf *rc,
		  struct rt_case *k, int64_t now)
{
	struct rt_deadline *d = &k->dl[RT_RESOLVE];
	d->due_ms = rt_dl_point(c, k, RT_RESOLVE, 1000);
	if (d->due_ms > now) {
		d->breached = 0;
		d->reminders = 0;
		d->last_notice_ms = 0;
	}
	unsigned stage = 0;
	while (stage < rc->nwarn && rt_dl_point(c, k, RT_RESOLVE, rc->warn[stage]) <= now)
		stage++;
	d->stage = (uint8_t)stage;
}
