/* routing.h: who handles a case, who it escalates to, and who must stay
 * away from it. Pure functions over the community file and the case record.
 *
 * Conflict of interest ("no self-judging"): a staff member is excluded from a
 * case when they are the person an integrity report concerns, someone who
 * supervises that person (directly or through others), or a party named on
 * the case: the access policy's rule
 * (qf_policy_conflict). Excluded staff are never assigned, never escalated
 * to, and may not see or act on the case, whatever their role.
 */
#ifndef ROUTING_H
#define ROUTING_H

#include <stddef.h>

#include "qf_community.h"
#include "rcase.h"
#include "qf_policy.h"
#include "rconf.h"

/* True if staff `who` is excluded from case k: the access policy's
 * conflict-of-interest rule (qf_policy_conflict), so routing and every view
 * exclude the same people. */
int rt_route_excluded(const struct qf_community *c, const struct rt_case *k,
		      const char *who);
/* What the access policy needs to know of case k. */
void rt_route_facts(const struct qf_community *c, const struct rt_case *k,
		    struct qf_case_facts *f);

/* The staff member to assign a new case to, or NULL when every candidate is
 * excluded. `why` receives a Chinese explanation (for the record). Order:
 * integrity reports to the special route of their category, then the
 * supervisor role, then rc->integrity_fallback_role; other cases to the
 * category's special route, then the building's head, then up the
 * escalation chain, then the secretary; finally anyone not excluded. */
const struct qf_staff *rt_route_assign(const struct qf_community *c,
				       const struct rt_conf *rc, const struct rt_case *k,
				       char *why, size_t n);

/* Who holds `role` for case k: the building's head for building_head (NULL
 * for an unknown building); otherwise the holder who supervises the assignee
 * if there is one, else the first with the role. NULL if nobody has it. */
const struct qf_staff *rt_route_role_holder(const struct qf_community *c,
					    const struct rt_case *k, const char *role);

/* The next escalation step of case k above k->esc_level and the assignee's
 * own rank: returns the staff member and sets *level to its index in the
 * chain, or NULL when the chain is exhausted. Roles outside the chain (the
 * integrity supervisor) escalate straight to the top. Excluded staff and the
 * assignee are skipped. */
const struct qf_staff *rt_route_escalate(const struct qf_community *c,
					 const struct rt_case *k, int *level);

#endif
