/* rconf.h: the router's configuration: the common sections (qf_svc.h) plus
 * the workflow rules (warning fractions, reminders, closure, ratings,
 * transfers, extensions), early warnings (hotspot, repeat), duties and the
 * retention of private data.
 *
 * Loaded once at start from a libconfig file through one settings table
 * (rconf.c); the strings are owned by the struct until rt_conf_free().
 */
#ifndef RCONF_H
#define RCONF_H

#include <stdint.h>

#include "qf_community.h"
#include "qf_svc.h"
#include "rcase.h"

#define RT_MAX_WARN   8
#define RT_MAX_DUTIES 8
#define RT_MAX_CHECKS 8

/* A monthly duty: every staff member with `role` (or the one `staff`) must
 * reach `target` of `name` per month. Pace is checked at local midnight
 * starting each day of check_days; the month's result is recorded at its
 * end. The only kind counted today is "household_visits" (VISIT_RECORDED
 * with household = true, each household once a month by its key). */
struct rt_duty_conf {
	char name[32];
	char role[32];
	char staff[RT_STAFF_MAX];
	uint32_t target;
	uint8_t check_days[RT_MAX_CHECKS];
	unsigned nchecks;
};

struct rt_conf {
	char *tokens_file;	    /* router.tokens (relative to the config file) */
	uint32_t warn[RT_MAX_WARN]; /* router.warn_permille, ascending, < 1000 */
	unsigned nwarn;
	int reminder_every_h;	       /* router.reminder_every_h */
	int max_reminders;	       /* router.max_reminders */
	int close_after_days;	       /* router.close_after_days */
	int good_rating;	       /* router.good_rating: >= closes */
	int poor_rating;	       /* router.poor_rating: <= reopens */
	int max_extension_h;	       /* router.max_extension_h */
	int max_transfers;	       /* router.max_transfers (0: no limit) */
	char *integrity_category;      /* router.integrity_category */
	char *integrity_fallback_role; /* router.integrity_fallback_role */
	int fallback_respond_h, fallback_resolve_h; /* unknown categories */
	int timer_batch;	/* router.timer_batch: timers per transaction */
	int catch_up_hold_ms;	/* router.catch_up_hold_ms */
	int scan_budget;	/* router.scan_budget: records a view may read */
	int hotspot_count;	/* hotspot.count */
	int hotspot_window_h;	/* hotspot.window_h */
	int repeat_window_days; /* repeat.window_days */
	int retention_days;	/* retention.days: a final case's data */
	int visit_days;		/* retention.visit_days */
	struct rt_duty_conf duties[RT_MAX_DUTIES]; /* duties */
	unsigned nduties;
};

struct router_conf {
	struct qf_svc_conf svc;
	struct rt_conf rt;
};

/* Load `file` into conf (defaults for what is missing) and print every error
 * (file:line: setting) to stderr. Returns 0 or QF_ERR_CONFIG. */
int rt_conf_load(const char *file, struct router_conf *conf);
/* Print the settings table (--settings). */
void rt_conf_describe(FILE *f);
/* Checks that need the community file (roles and staff of duties, the
 * fallback role). Adds errors; returns 0 or QF_ERR_CONFIG. */
int rt_conf_check(const struct rt_conf *rc, const struct qf_community *c,
		  struct qf_cfg_errors *errs);
/* Free what loading allocated; safe twice. */
void rt_conf_free(struct router_conf *conf);
/* Defaults only (unit tests); returns 0 or QF_ERR_CONFIG. */
int rt_conf_defaults(struct router_conf *conf);

#endif
