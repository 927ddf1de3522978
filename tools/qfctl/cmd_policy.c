/* cmd_policy.c: qfctl policy: the access policy as people read it: every
 * action of the catalogue with what it means and each role's scope, from a
 * community file (docs/SECURITY.md embeds this table; a test keeps it true).
 *
 *   qfctl policy [--community FILE] [--json]   Markdown table (or JSON)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_community.h"
#include "qf_policy.h"
#include "qfctl.h"

int qfctl_policy(int argc, char **argv)
{
	const char *file = "config/community.cfg";
	int as_json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--community") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			as_json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: qfctl policy [--community FILE] [--json]\n"
			       "  print every action of the access policy and each role's "
			       "scope (Markdown; --json: one object)\n");
			return 0;
		} else {
			fprintf(stderr, "qfctl policy: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	struct qf_community *c = NULL;
	struct qf_cfg_errors errs = {.file = file};
	if (qf_community_load(file, &c, &errs)) {
		for (unsigned i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		return 1;
	}
	static const char *const on[] = {"role", "a case", "own record"};
	if (as_json) {
		json_t *acts = json_array();
		for (int a = 0; a < QF_NACTIONS; a++) {
			json_t *roles = json_object();
			for (unsigned r = 0; r < c->nroles; r++) {
				int sc = a == QF_ACT_PUBLIC ? QF_SCOPE_ALL : c->roles[r].scope[a];
				if (sc != QF_SCOPE_NONE)
					json_object_set_new(roles, c->roles[r].name,
							    json_string(qf_scope_name(sc)));
			}
			json_array_append_new(
			    acts, json_pack("{s:s, s:s, s:s, s:o}", "action", qf_action_name(a),
					    "meaning", qf_action_meaning(a), "on",
					    on[qf_action_resource(a)], "roles", roles));
		}
		json_t *o = json_pack("{s:s, s:o}", "community", file, "actions", acts);
		char *s = o ? json_dumps(o, JSON_INDENT(1)) : NULL;
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
		qf_community_free(&c);
		return s ? 0 : 1;
	}
	printf("| action | what it allows | on |");
	for (unsigned r = 0; r < c->nroles; r++)
		printf(" %s |", c->roles[r].name);
	printf("\n| --- | --- | --- |");
	for (unsigned r = 0; r < c->nroles; r++)
		printf(" --- |");
	printf("\n");
	for (int a = 0; a < QF_NACTIONS; a++) {
		printf("| `%s` | %s | %s |", qf_action_name(a), qf_action_meaning(a),
		       on[qf_action_resource(a)]);
		for (unsigned r = 0; r < c->nroles; r++) {
			int sc = a == QF_ACT_PUBLIC ? QF_SCOPE_ALL : c->roles[r].scope[a];
			const char *w = sc == QF_SCOPE_NONE		 ? ""
					: qf_action_resource(a) == QF_RES_N ? "yes"
									     : qf_scope_name(sc);
			printf(" %s |", w);
		}
		printf("\n");
	}
	qf_community_free(&c);
	return 0;
}
