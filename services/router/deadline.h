/* deadline.h: the arithmetic of a case's two clocks (respond, resolve).
 *
 * Both clocks are anchored to submission: a point at p permille of a clock is
 * submission + p/1000 of its hours, counted on the wall clock or, for
 * categories with clock = "working", in the community calendar's working
 * hours (qf_calendar_*). Transfers and reopenings never move them; approved
 * extensions lengthen the resolve clock only. Pure functions: the caller
 * passes the time.
 */
#ifndef DEADLINE_H
#define DEADLINE_H

#include <stdint.h>

#include "qf_community.h"
#include "rcase.h"
#include "rconf.h"

/* What a clock needs at a given time. */
enum rt_dl_action {
	RT_DL_NONE = 0,
	RT_DL_WARN,   /* an early warning (stage advances) */
	RT_DL_BREACH, /* the deadline passed: notice and escalation */
	RT_DL_REMIND, /* still overdue: another reminder */
};

/* Hours of a clock, extensions included. */
int64_t rt_dl_hours(const struct rt_case *k, int clock);
/* The instant at `permille` of clock `clock` (1000: the due time). */
int64_t rt_dl_point(const struct qf_community *c, const struct rt_case *k, int clock,
		    uint32_t permille);
/* Set both due times from the hours (call after creation or an extension). */
void rt_dl_set_dues(const struct qf_community *c, struct rt_case *k);
/* Permille of a clock used at `now` (working time for working clocks); may
 * exceed 1000 when overdue. */
uint32_t rt_dl_used(const struct qf_community *c, const struct rt_case *k, int clock,
		    int64_t now);
/* Is the clock running (the case still owes that step)? */
int rt_dl_active(const struct rt_case *k, int clock);
/* What clock `clock` needs at `now`. For RT_DL_WARN, *stage is the warning's
 * index in rc->warn (the latest one passed: stale earlier ones are skipped). */
enum rt_dl_action rt_dl_step(const struct qf_community *c, const struct rt_conf *rc,
			     const struct rt_case *k, int clock, int64_t now,
			     unsigned *stage);
/* The next time anything is due for the case (warnings, breach, reminders,
 * closure without feedback), or 0 for nothing. */
int64_t rt_dl_next(const struct qf_community *c, const struct rt_conf *rc,
		   const struct rt_case *k);
/* After an approved extension: recompute the resolve due time; warnings
 * already passed under the new time are not repeated, a breach that is no
 * longer one is cleared. */
void rt_dl_extend(const struct qf_community *c, const struct rt_conf *rc,
		  struct rt_case *k, int64_t now);

#endif
