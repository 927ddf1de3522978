/* qf_policy.h: who may see and do what. One table, the same in every
 * service.
 *
 * The actions are a fixed catalogue (qf_roles.h: what the code can do); the
 * grants are data: the community file's `roles` list gives each role the
 * actions it may take and in which scope. Every HTTP route names its action
 * in its route table (qf_http.h), and common/qf_access.c answers 401, 403
 * or 404 from this table before any handler runs; handlers that list many
 * cases filter each row with qf_policy_case().
 *
 * A decision on a case, in order:
 *  1. Conflict of interest, not configurable: the staff member a report
 *     concerns, anyone who supervises them (directly or through others: the
 *     community file's `supervises`), and the parties named on the case
 *     never see it or act on it. The case is
 *     answered as not found (404), which does not confirm it exists.
 *  2. The action: on a sensitive case (an integrity report) the case.*
 *     actions are checked as their integrity.* twins, so a role's grants on
 *     ordinary cases never open integrity reports.
 *  3. The scope of the role's grant for that action:
 *       all       any case
 *       buildings cases in buildings the person heads, and those they handle
 *       handling  cases they handle: assignee, owner (first responder)
 *                 or escalation target
 *       own       resources that are theirs (their roster entry)
 *     A role with the action but a scope that does not cover the case gets
 *     404 (the case is not theirs to know of); a role without the action at
 *     all gets 403.
 * Scopes extend to many communities by adding a scope (a street-office role
 * over the communities it oversees) without changing any route.
 */
#ifndef QF_POLICY_H
#define QF_POLICY_H

#include <stddef.h>

#include "qf_roles.h"

struct qf_community;
struct qf_staff;

enum qf_verdict {
	QF_ALLOW = 0,
	QF_DENY_AUTH = 401, /* no valid token */
	QF_DENY_ROLE = 403, /* the role may never do this */
	QF_DENY_HIDE = 404, /* not theirs to know of */
};

#define QF_FACT_ID 64
#define QF_FACT_PARTIES 8

/* What the policy needs to know of a case; each service fills it from its
 * own store (empty strings where unknown). */
struct qf_case_facts {
	char id[QF_FACT_ID];
	char building[QF_FACT_ID];
	char assignee[QF_FACT_ID], owner[QF_FACT_ID], escalated_to[QF_FACT_ID];
	char concerns[QF_FACT_ID];   /* integrity report: the staff reported */
	char parties[QF_FACT_PARTIES][QF_FACT_ID];
	unsigned nparties;
	int sensitive;               /* integrity report or sensitive category */
};

/* The role named, or NULL. */
const struct qf_role *qf_policy_role(const struct qf_community *c, const char *name);

/* The scope s's role grants for action a (QF_SCOPE_NONE: not at all). */
enum qf_scope qf_policy_scope(const struct qf_community *c, const struct qf_staff *s,
			      enum qf_action a);
/* Role level: QF_ALLOW if s may take action a in some scope, else
 * QF_DENY_ROLE (QF_DENY_AUTH when s is NULL). */
enum qf_verdict qf_policy_role_allows(const struct qf_community *c,
				      const struct qf_staff *s, enum qf_action a);
/* On a case (facts f): the whole decision above. */
enum qf_verdict qf_policy_case(const struct qf_community *c, const struct qf_staff *s,
			       enum qf_action a, const struct qf_case_facts *f);
/* On a staff member's own record (owner: a staff id). */
enum qf_verdict qf_policy_own(const struct qf_community *c, const struct qf_staff *s,
			      enum qf_action a, const char *owner);
/* The conflict-of-interest rule alone: 1 when s may never touch the case. */
int qf_policy_conflict(const struct qf_community *c, const struct qf_staff *s,
		       const struct qf_case_facts *f);

#endif
