/* qf_roles.c: the access policy's vocabulary (qf_roles.h): the action
 * catalogue, the scopes, and the community file's roles with their grants. */
#include "qf_roles.h"
#include "qf_err.h"

#include <stdlib.h>
#include <string.h>

const struct qf_role *qf_roles_find(const struct qf_role *roles, unsigned n,
				    const char *name)
{
	for (unsigned i = 0; roles && name && i < n; i++)
		if (!strcmp(roles[i].name, name))
			return &roles[i];
	return NULL;
}

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

int qf_roles_parse(config_setting_t *list, struct qf_role **roles, unsigned *nroles,
		   struct qf_cfg_errors *errs)
{
	int n = config_setting_length(list), rc = QF_OK;
	*roles = calloc((size_t)n + 1, sizeof **roles);
	if (!*roles)
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
		if (qf_roles_find(*roles, *nroles, name)) {
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
		struct qf_role *r = &(*roles)[*nroles];
		r->name = strdup(name);
		if (!r->name)
			return QF_ERR_NOMEM;
		(*nroles)++;
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
