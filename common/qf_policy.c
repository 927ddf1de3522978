/* qf_policy.c: the access policy (qf_policy.h): the action catalogue, the
 * roles of the community file, and the one decision function. */
#include "qf_policy.h"
#include "qf_community.h"
#include "qf_err.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *meaning;
	enum qf_resource res;
} s_actions[] = {
#define QF_ACTION_ROW(e, name, res, what) {name, what, QF_RES_##res},
    QF_ACTIONS(QF_ACTION_ROW)
#undef QF_ACTION_ROW
};

static const char *const s_scopes[] = {"none", "own", "handling", "buildings", "all"};

const char *qf_action_name(int a)
{
	return a >= 0 && a < QF_NACTIONS ? s_actions[a].name : NULL;
}

const char *qf_action_meaning(int a)
{
	return a >= 0 && a < QF_NACTIONS ? s_actions[a].meaning : NULL;
}

enum qf_resource qf_action_resource(int a)
{
	return a >= 0 && a < QF_NACTIONS ? s_actions[a].res : QF_RES_N;
}

int qf_action_parse(const char *name)
{
	for (int a = 0; a < QF_NACTIONS; a++)
		if (!strcmp(s_actions[a].name, name))
			return a;
	return -1;
}

const char *qf_scope_name(int s)
{
	return s >= 0 && s <= QF_SCOPE_ALL ? s_scopes[s] : NULL;
}

static int s_scope_parse(const char *s)
{
	for (int i = QF_SCOPE_OWN; i <= QF_SCOPE_ALL; i++)
		if (!strcmp(s_scopes[i], s))
			return i;
	return -1;
}

/* "case.read:buildings" -> action, scope; an action without ":scope" has
 * scope all. Returns 0, or -1 with a message. */
static int s_grant(const char *g, int *action, int *scope, const char **why)
{
	char name[64];
	const char *colon = strchr(g, ':');
	size_t n = colon ? (size_t)(colon - g) : strlen(g);
	if (n == 0 || n >= sizeof name) {
		*why = "is not action or action:scope";
		return -1;
	}
	memcpy(name, g, n);
	name[n] = '\0';
	if ((*action = qf_action_parse(name)) < 0) {
		*why = "names no action (the catalogue is in docs/SECURITY.md)";
		return -1;
	}
	*scope = colon ? s_scope_parse(colon + 1) : QF_SCOPE_ALL;
	if (*scope < 0) {
		*why = "has a scope that is not own, handling, buildings or all";
		return -1;
	}
	enum qf_resource r = s_actions[*action].res;
	if ((r == QF_RES_N && *scope != QF_SCOPE_ALL) ||
	    (r == QF_RES_O && *scope != QF_SCOPE_OWN && *scope != QF_SCOPE_ALL) ||
	    (r == QF_RES_C && *scope == QF_SCOPE_OWN)) {
		*why = r == QF_RES_N   ? "takes no scope (the action is the role's or not)"
		       : r == QF_RES_O ? "takes scope own or all"
				       : "takes scope handling, buildings or all";
		return -1;
	}
	if (*action == QF_ACT_PUBLIC) {
		*why = "is everyone's already (public needs no grant)";
		return -1;
	}
	return 0;
}

int qf_policy_parse_roles(struct qf_community *c, config_setting_t *list,
			  struct qf_cfg_errors *errs)
{
	int n = config_setting_length(list), rc = QF_OK;
	c->roles = calloc((size_t)n + 1, sizeof *c->roles);
	if (!c->roles)
		return QF_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *name = NULL;
		if (config_setting_type(e) != CONFIG_TYPE_GROUP ||
		    !config_setting_lookup_string(e, "name", &name) || !name[0]) {
			qf_cfg_error(errs, e, NULL, "a role is { name = \"...\"; grants = [ ... ]; }");
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (qf_policy_role(c, name)) {
			qf_cfg_error(errs, e, NULL, "role '%s' is defined twice", name);
			rc = QF_ERR_CONFIG;
			continue;
		}
		for (int k = 0; k < config_setting_length(e); k++) {
			const char *m = config_setting_name(config_setting_get_elem(e, (unsigned)k));
			if (strcmp(m, "name") && strcmp(m, "grants")) {
				qf_cfg_error(errs, config_setting_get_elem(e, (unsigned)k), NULL,
					     "unknown setting '%s' in a role (name, grants)", m);
				rc = QF_ERR_CONFIG;
			}
		}
		struct qf_role *r = &c->roles[c->nroles];
		r->name = strdup(name);
		if (!r->name)
			return QF_ERR_NOMEM;
		c->nroles++;
		config_setting_t *g = config_setting_get_member(e, "grants");
		if (!g) {
			qf_cfg_error(errs, e, NULL, "role '%s' has no grants list", name);
			rc = QF_ERR_CONFIG;
			continue;
		}
		for (int k = 0; k < config_setting_length(g); k++) {
			config_setting_t *ge = config_setting_get_elem(g, (unsigned)k);
			const char *gs = config_setting_get_string(ge), *why = NULL;
			int a, sc;
			if (!gs) {
				qf_cfg_error(errs, ge, NULL, "a grant is a string \"action:scope\"");
				rc = QF_ERR_CONFIG;
			} else if (s_grant(gs, &a, &sc, &why)) {
				qf_cfg_error(errs, ge, NULL, "grant '%s' of role '%s' %s", gs, name,
					     why);
				rc = QF_ERR_CONFIG;
			} else if (r->scope[a]) {
				qf_cfg_error(errs, ge, NULL, "role '%s' grants '%s' twice", name,
					     qf_action_name(a));
				rc = QF_ERR_CONFIG;
			} else {
				r->scope[a] = (unsigned char)sc;
			}
		}
	}
	return rc;
}

const struct qf_role *qf_policy_role(const struct qf_community *c, const char *name)
{
	for (unsigned i = 0; c && name && i < c->nroles; i++)
		if (!strcmp(c->roles[i].name, name))
			return &c->roles[i];
	return NULL;
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
