/* report.h: --json for the qfctl commands that check something and say so
 * in Chinese sentences (audit verify, case, receipt).
 *
 * Why: the JSON must say what the text says, never something else. So the
 * command runs unchanged while its standard output is captured (a temporary
 * file under the process's fd 1); the JSON object carries those very lines
 * under "lines", the exit status as "ok", and the facts the command set on
 * the report (sizes, roots, counts) beside them.
 */
#ifndef QFCTL_REPORT_H
#define QFCTL_REPORT_H

#include <jansson.h>

struct qfctl_report {
	json_t *facts; /* NULL in text mode: qfctl_fact then does nothing */
	int saved_fd;  /* the real standard output while capturing */
	FILE *tmp;     /* where standard output goes meanwhile */
};

/* Remove "--json" from argv (in place, *argc adjusted) and return 1 when it
 * was there. */
int qfctl_report_flag(int *argc, char **argv);
/* Start a JSON report: capture standard output. 0, or -1 (message on
 * stderr; r stays in text mode). */
int qfctl_report_begin(struct qfctl_report *r);
/* Set a fact (takes the reference v; nothing in text mode). */
void qfctl_fact(struct qfctl_report *r, const char *key, json_t *v);
/* End the report for exit status rc: restore standard output and print the
 * JSON object (facts + "ok" + "exit" + "lines") on one line; a usage error
 * (rc 2) prints the captured text as it was instead. Returns rc. */
int qfctl_report_end(struct qfctl_report *r, int rc);

#endif
