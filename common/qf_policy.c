/* qf_policy.c: the access policy (qf_policy.h): the decisions, over the
 * roles and grants that qf_roles.c reads from the community file. */
#include "qf_policy.h"
#include "qf_community.h"
#include "qf_err.h"

#include <stdlib.h>
#include <string.h>

const struct qf_role *qf_policy_role(const struct qf_community *c, const char *name)
{
	return c ? qf_roles_find(c->roles, c->nroles, name) : NULL;
}

enum qf_scope qf_policy_scope(const struct qf_community *c, const struct qf_staff *s,
			      enum qf_action a)
{
	const struct qf_role *r = s ? qf_policy_role(c, s->role) : NULL;
	if (!r || (int)a < 0 || a >= QF_NACTIONS)
		return QF_SCOPE_NONE;
	return (enum qf_scope)r->scope[a];
}

enum qf_verdict qf_policy_role_allows(const struct qf_community *c,
				      const struct qf_staff *s, enum qf_action a)
{
	if (a == QF_ACT_PUBLIC)
		return QF_ALLOW;
	if (!s)
		return QF_DENY_AUTH;
	return qf_policy_scope(c, s, a) != QF_SCOPE_NONE ? QF_ALLOW : QF_DENY_ROLE;
}

static int s_eq(const char *a, const char *b)
{
	return a[0] && b && !strcmp(a, b);
}

int qf_policy_conflict(const struct qf_community *c, const struct qf_staff *s,
		       const struct qf_case_facts *f)
{
	if (f->concerns[0] &&
	    (s_eq(f->concerns, s->id) || qf_community_supervises(c, s->id, f->concerns)))
		return 1;
	for (unsigned i = 0; i < f->nparties && i < QF_FACT_PARTIES; i++)
		if (s_eq(f->parties[i], s->id))
			return 1;
	return 0;
}

static int s_handles(const struct qf_staff *s, const struct qf_case_facts *f)
{
	return s_eq(f->assignee, s->id) || s_eq(f->owner, s->id) ||
	       s_eq(f->escalated_to, s->id);
}

static int s_heads(const struct qf_community *c, const struct qf_staff *s,
		   const struct qf_case_facts *f)
{
	const struct qf_building *b =
		f->building[0] ? qf_community_building(c, f->building) : NULL;
	return b && b->head && !strcmp(b->head, s->id);
}

/* The integrity twin of a case action. */
static enum qf_action s_twin(enum qf_action a)
{
	switch (a) {
	case QF_ACT_CASE_READ:
		return QF_ACT_INTEGRITY_READ;
	case QF_ACT_CASE_ACT:
		return QF_ACT_INTEGRITY_ACT;
	case QF_ACT_CASE_CONTACT:
		return QF_ACT_INTEGRITY_CONTACT;
	default:
		return a;
	}
}

enum qf_verdict qf_policy_case(const struct qf_community *c, const struct qf_staff *s,
			       enum qf_action a, const struct qf_case_facts *f)
{
	if (a == QF_ACT_PUBLIC)
		return QF_ALLOW;
	if (!s)
		return QF_DENY_AUTH;
	enum qf_verdict v = qf_policy_role_allows(c, s, a);
	if (v != QF_ALLOW)
		return v;
	if (qf_policy_conflict(c, s, f))
		return QF_DENY_HIDE;
	enum qf_action eff = f->sensitive ? s_twin(a) : a;
	switch (qf_policy_scope(c, s, eff)) {
	case QF_SCOPE_ALL:
		return QF_ALLOW;
	case QF_SCOPE_BUILDINGS:
		/* a building says nothing about an integrity report's reader */
		return s_handles(s, f) || (!f->sensitive && s_heads(c, s, f)) ? QF_ALLOW
									       : QF_DENY_HIDE;
	case QF_SCOPE_HANDLING:
		return s_handles(s, f) ? QF_ALLOW : QF_DENY_HIDE;
	default:
		return QF_DENY_HIDE;
	}
}

enum qf_verdict qf_policy_own(const struct qf_community *c, const struct qf_staff *s,
			      enum qf_action a, const char *owner)
{
	if (!s)
		return QF_DENY_AUTH;
	switch (qf_policy_scope(c, s, a)) {
	case QF_SCOPE_ALL:
		return QF_ALLOW;
	case QF_SCOPE_OWN:
		return owner && !strcmp(owner, s->id) ? QF_ALLOW : QF_DENY_ROLE;
	case QF_SCOPE_NONE:
		return QF_DENY_ROLE;
	default:
		return QF_DENY_ROLE;
	}
}
