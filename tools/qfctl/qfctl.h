/* qfctl.h: the operator's command line: one file per command group, each
 * exporting int qfctl_<group>(int argc, char **argv) (argv[0] is the group
 * name). Commands print results to stdout, problems to stderr, and return
 * the process exit code (0 ok, 1 failure found, 2 usage). */
#ifndef QFCTL_H
#define QFCTL_H

int qfctl_watch(int argc, char **argv);
int qfctl_store(int argc, char **argv);
int qfctl_keygen(int argc, char **argv);
int qfctl_health(int argc, char **argv);
int qfctl_policy(int argc, char **argv);
/* Provided by the audit and notifier command files when built in. */
int qfctl_audit(int argc, char **argv) __attribute__((weak));
int qfctl_notify(int argc, char **argv) __attribute__((weak));

/* Resolve "intake", "router", ... or "tcp://h:p" or "tcp://h:p,tcp://h:q"
 * into PUB and replay endpoints (malloc'd into the caller's buffers).
 * Returns 0 or -1 with a message on stderr. */
int qfctl_endpoints(const char *spec, char *pub, char *replay, unsigned n);

#endif
