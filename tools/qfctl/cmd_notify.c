/* cmd_notify.c: `qfctl notify`: the notifier's dead letters and deliveries
 * over its HTTP API, for operators.
 *
 *   qfctl notify [--url URL] [--token T] dead-letters [--limit N] [--json]
 *   qfctl notify [--url URL] [--token T] release ID... | --all [--channel C]
 *   qfctl notify [--url URL] [--token T] show ID
 *   qfctl notify [--url URL] [--token T] case CASE_ID [--json]
 *   qfctl notify [--url URL] [--token T] status | pause | resume
 *
 * URL defaults to $QF_NOTIFIER_URL or http://127.0.0.1:8082; the staff token
 * to $QF_TOKEN. Lists follow the API's cursor to the end (or --limit).
 * Exit: 0 done, 1 the service refused or something was not released, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "qfctl.h"

struct ctl {
	const char *url;
	const char *token;
	int json;
	long limit;
};

struct resp {
	char *d;
	size_t n;
};

static size_t s_write(char *p, size_t sz, size_t nm, void *arg)
{
	struct resp *r = arg;
	size_t add = sz * nm;
	char *nd = realloc(r->d, r->n + add + 1);
	if (!nd)
		return 0;
	r->d = nd;
	memcpy(r->d + r->n, p, add);
	r->n += add;
	r->d[r->n] = '\0';
	return add;
}

/* One request; returns the HTTP status (0 when unreachable) and the JSON
 * answer in *out (may be NULL). */
static long s_call(const struct ctl *c, const char *method, const char *path,
		   const char *body, json_t **out)
{
	*out = NULL;
	CURL *e = curl_easy_init();
	if (!e)
		return 0;
	char url[2048], auth[512];
	snprintf(url, sizeof url, "%s%s", c->url, path);
	struct curl_slist *h = NULL;
	if (c->token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, auth);
	}
	if (body)
		h = curl_slist_append(h, "Content-Type: application/json");
	struct resp r = {NULL, 0};
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
	}
	long status = 0;
	CURLcode rc = curl_easy_perform(e);
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	else
		fprintf(stderr, "qfctl notify: %s: %s\n", c->url, curl_easy_strerror(rc));
	if (r.d)
		*out = json_loads(r.d, 0, NULL);
	free(r.d);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return status;
}

static int s_refused(long status, json_t *j)
{
	if (!status)
		return 1;
	const char *msg = json_string_value(json_object_get(j, "message"));
	const char *code = json_string_value(json_object_get(j, "code"));
	fprintf(stderr, "qfctl notify: HTTP %ld %s %s\n", status, code ? code : "",
		msg ? msg : "");
	return 1;
}

static const char *s_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "-";
}

static void s_row(json_t *d)
{
	char subj[200];
	snprintf(subj, sizeof subj, "%s", s_str(d, "subject"));
	printf("%-32s %-8s %-12s %-10s %-20s %3lld  %s  %s\n", s_str(d, "id"),
	       s_str(d, "state"), s_str(d, "channel"), s_str(d, "recipient_kind"),
	       s_str(d, "recipient"),
	       (long long)json_integer_value(json_object_get(d, "attempts")),
	       s_str(d, "last_error"), subj);
}

/* Walk a list endpoint to the end (or the limit). */
static int s_list(const struct ctl *c, const char *path)
{
	char p[1024];
	const char *after = NULL; /* the previous page's next_cursor */
	char cursor[600] = "";
	long shown = 0;
	json_t *all = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-32s %-8s %-12s %-10s %-20s %3s  %s  %s\n", "ID", "STATE",
		       "CHANNEL", "KIND", "RECIPIENT", "ATT", "LAST_ERROR", "SUBJECT");
	for (;;) {
		long want =
		    c->limit > 0 && c->limit - shown < 1000 ? c->limit - shown : 1000;
		snprintf(p, sizeof p, "%s%slimit=%ld%s%s", path,
			 strchr(path, '?') ? "&" : "?", want, after ? "&cursor=" : "",
			 after ? after : "");
		json_t *j;
		long st = s_call(c, "GET", p, NULL, &j);
		if (st != 200) {
			int rc = s_refused(st, j);
			json_decref(j);
			json_decref(all);
			return rc;
		}
		size_t i;
		json_t *d;
		json_array_foreach(json_object_get(j, "items"), i, d)
		{
			if (all)
				json_array_append(all, d);
			else
				s_row(d);
			shown++;
		}
		const char *next = json_string_value(json_object_get(j, "next_cursor"));
		if (next && (c->limit <= 0 || shown < c->limit)) {
			snprintf(cursor, sizeof cursor, "%s", next);
			after = cursor;
			json_decref(j);
			continue;
		}
		json_decref(j);
		break;
	}
	if (all) {
		char *s = json_dumps(all, JSON_INDENT(2));
		printf("%s\n", s ? s : "[]");
		free(s);
		json_decref(all);
	} else {
		fprintf(stderr, "%ld deliveries\n", shown);
	}
	return 0;
}

static int s_release(const struct ctl *c, int argc, char **argv, int all,
		     const char *channel)
{
	json_t *req;
	if (all) {
		req = json_pack("{s:b}", "all", 1);
		if (channel)
			json_object_set_new(req, "channel", json_string(channel));
	} else {
		json_t *ids = json_array();
		for (int i = 0; i < argc; i++)
			json_array_append_new(ids, json_string(argv[i]));
		req = json_pack("{s:o}", "ids", ids);
	}
	int failed = 0;
	long total = 0;
	for (int round = 0; round < 1000; round++) {
		char *body = json_dumps(req, JSON_COMPACT);
		json_t *j;
		long st = s_call(c, "POST", "/v1/dead-letters/release", body, &j);
		free(body);
		if (st != 200) {
			int rc = s_refused(st, j);
			json_decref(j);
			json_decref(req);
			return rc;
		}
		total += (long)json_integer_value(json_object_get(j, "count"));
		const char *lists[] = {"not_found", "not_dead", "channel_missing"};
		const char *why[] = {"no such delivery", "not a dead letter",
				     "its channel is no longer configured"};
		for (int k = 0; k < 3; k++) {
			size_t i;
			json_t *v;
			json_array_foreach(json_object_get(j, lists[k]), i, v)
			{
				fprintf(stderr, "not released: %s: %s\n",
					json_string_value(v), why[k]);
				failed = 1;
			}
		}
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(j, "released"), i, v)
		    printf("released %s\n", json_string_value(v));
		int more = json_is_true(json_object_get(j, "more"));
		long count = (long)json_integer_value(json_object_get(j, "count"));
		json_decref(j);
		if (!all || !more || count == 0)
			break;
	}
	json_decref(req);
	fprintf(stderr, "%ld released\n", total);
	return failed;
}

static int s_print_json(const struct ctl *c, const char *method, const char *path)
{
	json_t *j;
	long st = s_call(c, method, path, method[0] == 'P' ? "" : NULL, &j);
	if (st != 200) {
		int rc = s_refused(st, j);
		json_decref(j);
		return rc;
	}
	char *s = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", s ? s : "{}");
	free(s);
	json_decref(j);
	return 0;
}

static void s_usage(FILE *f)
{
	fprintf(f, "usage: qfctl notify [--url URL] [--token TOKEN] COMMAND\n"
		   "  dead-letters [--limit N] [--json]   list the dead letters\n"
		   "  release ID...                       send these dead letters again\n"
		   "  release --all [--channel NAME]      send every dead letter again\n"
		   "  show ID                             one delivery\n"
		   "  case CASE_ID [--json]               every delivery of a case\n"
		   "  status | pause | resume             the dispatcher\n"
		   "URL: $QF_NOTIFIER_URL or http://127.0.0.1:8082; TOKEN: $QF_TOKEN\n");
}

int qfctl_notify(int argc, char **argv)
{
	struct ctl c = {getenv("QF_NOTIFIER_URL"), getenv("QF_TOKEN"), 0, 0};
	if (!c.url || !c.url[0])
		c.url = "http://127.0.0.1:8082";
	int all = 0;
	const char *channel = NULL;
	static const struct option longs[] = {{"url", 1, 0, 'u'},  {"token", 1, 0, 't'},
					      {"json", 0, 0, 'j'}, {"limit", 1, 0, 'n'},
					      {"all", 0, 0, 'a'},  {"channel", 1, 0, 'c'},
					      {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	optind = 1;
	int ch;
	/* GNU getopt permutes: options may come before or after the command */
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'u':
			c.url = optarg;
			break;
		case 't':
			c.token = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'n':
			c.limit = strtol(optarg, NULL, 10);
			break;
		case 'a':
			all = 1;
			break;
		case 'c':
			channel = optarg;
			break;
		case 'h':
			s_usage(stdout);
			return 0;
		default:
			s_usage(stderr);
			return 2;
		}
	}
	char **pos = argv + optind;
	int np = argc - optind;
	if (np < 1) {
		s_usage(stderr);
		return 2;
	}
	size_t ul = strlen(c.url);
	char url[1024];
	snprintf(url, sizeof url, "%.*s", (int)(ul && c.url[ul - 1] == '/' ? ul - 1 : ul),
		 c.url);
	c.url = url;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	int rc;
	const char *cmd = pos[0];
	char path[600];
	if (!strcmp(cmd, "dead-letters") && np == 1) {
		rc = s_list(&c, "/v1/dead-letters");
	} else if (!strcmp(cmd, "release") && ((all && np == 1) || (!all && np > 1))) {
		rc = s_release(&c, np - 1, pos + 1, all, channel);
	} else if (!strcmp(cmd, "show") && np == 2 && strlen(pos[1]) < 100) {
		snprintf(path, sizeof path, "/v1/deliveries/%s", pos[1]);
		rc = s_print_json(&c, "GET", path);
	} else if (!strcmp(cmd, "case") && np == 2 && strlen(pos[1]) < 200) {
		char *esc = curl_easy_escape(NULL, pos[1], 0);
		snprintf(path, sizeof path, "/v1/cases/%s/deliveries", esc ? esc : "");
		curl_free(esc);
		rc = s_list(&c, path);
	} else if (!strcmp(cmd, "status") && np == 1) {
		rc = s_print_json(&c, "GET", "/v1/status");
	} else if ((!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) && np == 1) {
		snprintf(path, sizeof path, "/v1/dispatch/%s", cmd);
		rc = s_print_json(&c, "POST", path);
	} else {
		s_usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
