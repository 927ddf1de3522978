/* qf_community.h: the community file: categories with deadlines, staff and
 * roles, buildings and their heads, special routes, the escalation chain and
 * the working calendar.
 *
 * Shared by intake (validation), router (routing, deadlines), notifier
 * (recipients) and disclosure-publisher (names for the roster). Loaded once
 * at start (and on SIGHUP) into an immutable struct qf_community; lookups
 * return pointers owned by it, valid until qf_community_free().
 */
#ifndef QF_COMMUNITY_H
#define QF_COMMUNITY_H

#include <stdint.h>

#include "qf_cfg.h"

#define QF_MAX_SPANS 4
#define QF_MAX_FOOTPRINT 64 /* vertices of a building's footprint */
#define QF_MAX_ALIASES	 16 /* names residents write for a building */

struct qf_category {
	char *code, *name;
	int respond_h, resolve_h; /* hours to respond / to resolve */
	char *priority;           /* urgent, normal, low, sensitive */
	int urgent;               /* priority == urgent */
	int sensitive;            /* priority == sensitive: integrity reports,
				     whose public part says nothing that
				     identifies reporter or reported
				     (common/qf_privacy.h) */
	int working_hours;        /* clock = "working": count calendar hours */
	int disclosure_query;     /* used to question a disclosure item */
};

struct qf_staff {
	char *id, *name, *post, *role, *duty, *phone, *responsibilities;
	char **supervises; /* staff ids this person supervises */
	unsigned nsupervises;
};

/* A building's place: a point, an optional footprint polygon (vertices in
 * order, not closed) and the names residents write for it. */
struct qf_building {
	char *id, *name, *head; /* head: staff id */
	int has_point;		/* lat/lng given */
	double lat, lng;	/* WGS 84 degrees */
	double *footprint;	/* nfootprint (lat, lng) pairs; NULL if none */
	unsigned nfootprint;
	char **aliases; /* as written in the file: "3栋", "三栋", "3号楼" */
	unsigned naliases;
};

struct qf_route {
	char *category, *to, *note;
};

struct qf_calendar {
	unsigned workdays;           /* bit d set: weekday d works (1 Mon .. 7 Sun) */
	int span_start[QF_MAX_SPANS]; /* minutes after local midnight */
	int span_end[QF_MAX_SPANS];
	unsigned nspans;
	int64_t *holidays;           /* local day numbers (days since 1970-01-01) */
	unsigned nholidays;
	int64_t *extra_workdays;     /* make-up working days on weekends */
	unsigned nextra;
};

struct qf_community {
	char *code, *name, *timezone;
	int utc_offset_min;
	struct qf_category *categories;
	unsigned ncategories;
	struct qf_staff *staff;
	unsigned nstaff;
	struct qf_building *buildings;
	unsigned nbuildings;
	struct qf_route *routes;
	unsigned nroutes;
	struct qf_role *roles; /* the access policy's roles and grants */
	unsigned nroles;
	char **escalation; /* roles in order */
	unsigned nescalation;
	struct qf_calendar calendar;
};

/* Load and validate (unique ids, heads and route targets exist, known roles
 * and priorities). Every problem goes to errs with file and line. Returns 0
 * or QF_ERR_CONFIG; *out is the caller's (qf_community_free). */
int qf_community_load(const char *file, struct qf_community **out,
		      struct qf_cfg_errors *errs);
void qf_community_free(struct qf_community **c);

const struct qf_category *qf_community_category(const struct qf_community *c,
						const char *code);
const struct qf_staff *qf_community_staff(const struct qf_community *c,
					  const char *id);
const struct qf_building *qf_community_building(const struct qf_community *c,
						const char *id);
/* The special route of a category, or NULL. */
const struct qf_route *qf_community_route(const struct qf_community *c,
					  const char *category);
/* The first staff member with this role, or NULL. */
const struct qf_staff *qf_community_role(const struct qf_community *c,
					 const char *role);
/* True if `boss` supervises `who`, directly or through others. */
int qf_community_supervises(const struct qf_community *c, const char *boss,
			    const char *who);

/* Working time: is local minute `ms` inside working hours? And the Unix ms
 * reached after adding `hours` of working time starting at `from_ms`. */
int qf_calendar_is_working(const struct qf_community *c, int64_t ms);
int64_t qf_calendar_add_working(const struct qf_community *c, int64_t from_ms,
				int64_t add_ms);
/* Working milliseconds between two instants (a <= b). */
int64_t qf_calendar_working_between(const struct qf_community *c, int64_t a,
				    int64_t b);

#endif
