/* report.c: --json by capturing what a command prints (report.h). */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int qfctl_report_flag(int *argc, char **argv)
{
	int found = 0, out = 0;
	for (int i = 0; i < *argc; i++) {
		if (i > 0 && !strcmp(argv[i], "--json") && !found) {
			found = 1;
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return found;
}

int qfctl_report_begin(struct qfctl_report *r)
{
	r->facts = NULL;
	r->saved_fd = -1;
	fflush(stdout);
	if (!(r->tmp = tmpfile()) || (r->saved_fd = dup(STDOUT_FILENO)) < 0 ||
	    dup2(fileno(r->tmp), STDOUT_FILENO) < 0 || !(r->facts = json_object())) {
		fprintf(stderr, "qfctl: cannot capture the output for --json\n");
		if (r->saved_fd >= 0) {
			dup2(r->saved_fd, STDOUT_FILENO);
			close(r->saved_fd);
		}
		if (r->tmp)
			fclose(r->tmp);
		r->tmp = NULL;
		return -1;
	}
	return 0;
}

void qfctl_fact(struct qfctl_report *r, const char *key, json_t *v)
{
	if (r && r->facts)
		json_object_set_new(r->facts, key, v);
	else
		json_decref(v);
}

int qfctl_report_end(struct qfctl_report *r, int rc)
{
	if (!r->facts)
		return rc;
	fflush(stdout);
	dup2(r->saved_fd, STDOUT_FILENO);
	close(r->saved_fd);
	rewind(r->tmp);
	json_t *lines = json_array();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, r->tmp)) >= 0) {
		if (rc == 2) {
			fwrite(line, 1, (size_t)n, stdout);
			continue;
		}
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		json_array_append_new(lines, json_stringn(line, (size_t)n));
	}
	free(line);
	fclose(r->tmp);
	if (rc != 2) {
		json_object_set_new(r->facts, "ok", json_boolean(rc == 0));
		json_object_set_new(r->facts, "exit", json_integer(rc));
		json_object_set_new(r->facts, "lines", lines);
		lines = NULL;
		char *s = json_dumps(r->facts, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		else
			rc = 1;
		free(s);
	}
	json_decref(lines);
	json_decref(r->facts);
	r->facts = NULL;
	return rc;
}
