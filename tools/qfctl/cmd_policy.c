/* cmd_policy.c: qfctl policy: the access policy as people read it: every
 * action of the catalogue with what it means and each role's scope, from a
 * community file (docs/SECURITY.md embeds this table; a test keeps it true).
 *
 *   qfctl policy [--community FILE]     Markdown table on stdout
 */
#include <stdio.h>
#include <string.h>

#include "qf_community.h"
#include "qf_policy.h"
#include "qfctl.h"

int qfctl_policy(int argc, char **argv)
{
	const char *file = "config/community.cfg";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--community") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: qfctl policy [--community FILE]\n"
			       "  print every action of the access policy and each role's "
			       "scope (Markdown)\n");
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
	printf("| action | what it allows | on |");
	for (unsigned r = 0; r < c->nroles; r++)
		printf(" %s |", c->roles[r].name);
	printf("\n| --- | --- | --- |");
	for (unsigned r = 0; r < c->nroles; r++)
		printf(" --- |");
	printf("\n");
	static const char *const on[] = {"role", "a case", "own record"};
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
