/* routing.c: assignment, escalation and exclusion (routing.h).
 *
 * Every decision is a walk over a short candidate list, first eligible wins,
 * so the order of the list is the whole policy and reads like the rules the
 * community wrote down.
 */
#include "routing.h"

#include <stdio.h>
#include <string.h>

void rt_route_facts(const struct qf_community *c, const struct rt_case *k,
		    struct qf_case_facts *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", k->id);
	snprintf(f->building, sizeof f->building, "%s", k->building);
	snprintf(f->assignee, sizeof f->assignee, "%s", k->assignee);
	snprintf(f->owner, sizeof f->owner, "%s", k->owner);
	snprintf(f->escalated_to, sizeof f->escalated_to, "%s", k->escalated_to);
	snprintf(f->concerns, sizeof f->concerns, "%s", k->concerns);
	for (unsigned i = 0; i < k->nparties && i < QF_FACT_PARTIES; i++)
		snprintf(f->parties[f->nparties++], QF_FACT_ID, "%s", k->parties[i]);
	const struct qf_category *cat = qf_community_category(c, k->category);
	f->sensitive = (k->flags & RT_F_INTEGRITY) || (cat && cat->sensitive);
}

int rt_route_excluded(const struct qf_community *c, const struct rt_case *k,
		      const char *who)
{
	const struct qf_staff *s = who && *who ? qf_community_staff(c, who) : NULL;
	if (!s)
		return 0;
	struct qf_case_facts f;
	rt_route_facts(c, k, &f);
	return qf_policy_conflict(c, s, &f);
}

static int s_rank(const struct qf_community *c, const char *role)
{
	for (unsigned i = 0; role && i < c->nescalation; i++)
		if (strcmp(c->escalation[i], role) == 0)
			return (int)i;
	return -1;
}

const struct qf_staff *rt_route_role_holder(const struct qf_community *c,
					    const struct rt_case *k, const char *role)
{
	if (strcmp(role, "building_head") == 0) {
		/* the head of this building, never some other building's */
		const struct qf_building *b = qf_community_building(c, k->building);
		return b ? qf_community_staff(c, b->head) : NULL;
	}
	const struct qf_staff *first = NULL;
	for (unsigned i = 0; i < c->nstaff; i++) {
		const struct qf_staff *s = &c->staff[i];
		if (strcmp(s->role, role))
			continue;
		if (k->assignee[0] && qf_community_supervises(c, s->id, k->assignee))
			return s;
		if (!first)
			first = s;
	}
	return first;
}

static const struct qf_staff *s_ok(const struct qf_community *c, const struct rt_case *k,
				   const struct qf_staff *s)
{
	return s && !rt_route_excluded(c, k, s->id) ? s : NULL;
}

const struct qf_staff *rt_route_assign(const struct qf_community *c,
				       const struct rt_conf *rc, const struct rt_case *k,
				       char *why, size_t n)
{
	const struct qf_staff *s;
	const struct qf_route *route = qf_community_route(c, k->category);
	const struct qf_category *cat = qf_community_category(c, k->category);
	const char *catname = cat ? cat->name : k->category;
	if (k->flags & RT_F_INTEGRITY) {
		if (route && (s = s_ok(c, k, qf_community_staff(c, route->to)))) {
			snprintf(why, n, "作风问题举报按特殊路由交%s办理（回避被举报人）",
				 s->post);
			return s;
		}
		if ((s = s_ok(c, k, qf_community_role(c, "supervisor")))) {
			snprintf(why, n, "作风问题举报交%s办理（回避被举报人）", s->post);
			return s;
		}
		if ((s = s_ok(c, k,
			      rt_route_role_holder(c, k, rc->integrity_fallback_role)))) {
			snprintf(why, n, "廉勤监督员需回避，作风问题举报交%s办理",
				 s->post);
			return s;
		}
	} else {
		if (route && (s = s_ok(c, k, qf_community_staff(c, route->to)))) {
			snprintf(why, n, "按特殊路由分派：%s交%s", catname, s->post);
			return s;
		}
		const struct qf_building *b = qf_community_building(c, k->building);
		if (b && (s = s_ok(c, k, qf_community_staff(c, b->head)))) {
			snprintf(why, n, "按楼院分派：%s交%s", b->name, s->post);
			return s;
		}
		for (unsigned i = 0; i < c->nescalation; i++) {
			if ((s = s_ok(c, k,
				      rt_route_role_holder(c, k, c->escalation[i])))) {
				snprintf(why, n, "%s，按升级链分派给%s",
					 b ? "楼院负责人需回避" : "未知楼院", s->post);
				return s;
			}
		}
		if ((s = s_ok(c, k, qf_community_role(c, "secretary")))) {
			snprintf(why, n, "无其他可分派人员，交%s", s->post);
			return s;
		}
	}
	for (unsigned i = 0; i < c->nstaff; i++)
		if ((s = s_ok(c, k, &c->staff[i]))) {
			snprintf(why, n, "其他人员均需回避，交%s", s->post);
			return s;
		}
	snprintf(why, n, "所有工作人员均需回避，无法分派");
	return NULL;
}

const struct qf_staff *rt_route_escalate(const struct qf_community *c,
					 const struct rt_case *k, int *level)
{
	if (!c->nescalation)
		return NULL;
	const struct qf_staff *a = qf_community_staff(c, k->assignee);
	int rank = a ? s_rank(c, a->role) : -1;
	int start;
	if (rank < 0 && k->esc_level < 0)
		start = (int)c->nescalation - 1; /* outside the chain: to the top */
	else
		start = (rank > k->esc_level ? rank : k->esc_level) + 1;
	for (int i = start; i < (int)c->nescalation; i++) {
		const struct qf_staff *s = rt_route_role_holder(c, k, c->escalation[i]);
		if (!s || rt_route_excluded(c, k, s->id) ||
		    strcmp(s->id, k->assignee) == 0)
			continue;
		*level = i;
		return s;
	}
	return NULL;
}
