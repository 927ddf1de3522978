/* qfctl: the operator's command line for qingfeng.
 *
 *   qfctl watch [--from-start] [--json] [--type T,...] SOURCE...
 *   qfctl store stat DIR
 *   qfctl keygen [--seal] [--out PREFIX] CURVE (or contact-sealing) key pair
 *   qfctl health URL...                  exit 0 when every URL answers 200
 *   qfctl audit keygen|verify ...        (see qfctl audit --help)
 *   qfctl notify dead-letters|release ... (see qfctl notify --help)
 *   qfctl policy [--community FILE]      the access policy as a table
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_id.h"
#include "qf_version.h"
#include "qfctl.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static void s_usage(FILE *f, const struct cmd *cmds, size_t n)
{
	fprintf(f, "usage: qfctl COMMAND [ARGS]\n       qfctl --version\n\ncommands:\n");
	for (size_t i = 0; i < n; i++)
		if (cmds[i].fn)
			fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	const struct cmd cmds[] = {
		{"watch", qfctl_watch, "print every event of some producers, live"},
		{"store", qfctl_store, "inspect a service's store (stat)"},
		{"keygen", qfctl_keygen, "make a CURVE (or --seal) key pair"},
		{"health", qfctl_health, "check services' /healthz or /readyz URLs"},
		{"audit", qfctl_audit, "audit log: keygen, verify"},
		{"notify", qfctl_notify, "notifier: dead letters, release"},
		{"policy", qfctl_policy, "the access policy: actions and each role's scope"},
	};
	size_t n = sizeof cmds / sizeof cmds[0];
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		s_usage(argc < 2 ? stderr : stdout, cmds, n);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("qfctl (qingfeng) %s, event catalogue %s\n", QF_VERSION, QF_CATALOGUE);
		return 0;
	}
	if (qf_id_init()) {
		fprintf(stderr, "qfctl: cannot initialise libsodium\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			if (!cmds[i].fn) {
				fprintf(stderr, "qfctl: '%s' is not part of this build\n",
					argv[1]);
				return 2;
			}
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "qfctl: unknown command '%s'\n\n", argv[1]);
	s_usage(stderr, cmds, n);
	return 2;
}
