/* http_convention_test: the one HTTP convention every service gets from
 * qf_http: RFC 9457 problem+json errors, X-Request-Id echoed or made, an
 * access-log line per request, ETag + Cache-Control + 304 and CORS on
 * public GETs only (with OPTIONS preflight), the access gate running before
 * a handler, and a route table that names no action refused at start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qf_err.h"
#include "qf_http.h"

static int s_handled;

static void h_pub(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	s_handled++;
	qf_http_reply_json(r, 200, json_pack("{s:s}", "board", "公开"));
}

static void h_case(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	s_handled++;
	qf_http_reply_json(r, 200, json_pack("{s:s}", "id", qf_http_param(r, "id")));
}

static void h_bad(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	qf_http_reply_error(r, 422, "bad_thing", "内容有误", "thing");
}

/* A gate that admits only requests carrying "X-Test: ok". */
static int s_gate(void *ctx, struct qf_http_req *r)
{
	(void)ctx;
	if (!strcmp(qf_http_action(r), "public"))
		return 0;
	const char *h = qf_http_header(r, "X-Test");
	if (h && !strcmp(h, "ok"))
		return 0;
	qf_http_reply_error(r, 401, "missing_token", "需要令牌", "Authorization");
	return 1;
}

static char s_last_log[256];
static void s_log(void *ctx, const struct qf_http_log_line *l)
{
	(void)ctx;
	snprintf(s_last_log, sizeof s_last_log, "%s %s %s %u", l->request_id, l->method,
		 l->route, l->status);
}

static const struct qf_http_route s_routes[] = {
    {"GET", "/pub", h_pub, 0, 0, NULL, "public", NULL},
    {"GET", "/cases/:id", h_case, 0, 0, NULL, "case.read", "id"},
    {"POST", "/bad", h_bad, 0, 0, NULL, "public", NULL},
};

static struct qf_http *s_http;
static uint16_t s_port;

struct resp {
	long status;
	char body[8192], headers[8192];
	size_t nb, nh;
};

static size_t s_wb(char *p, size_t sz, size_t nm, void *u)
{
	struct resp *r = u;
	size_t n = sz * nm;
	if (r->nb + n < sizeof r->body) {
		memcpy(r->body + r->nb, p, n);
		r->nb += n;
		r->body[r->nb] = '\0';
	}
	return sz * nm;
}

static size_t s_wh(char *p, size_t sz, size_t nm, void *u)
{
	struct resp *r = u;
	size_t n = sz * nm;
	if (r->nh + n < sizeof r->headers) {
		memcpy(r->headers + r->nh, p, n);
		r->nh += n;
		r->headers[r->nh] = '\0';
	}
	return sz * nm;
}

/* The value of a response header (case-insensitive name), into out. */
static int s_header(const struct resp *r, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	for (const char *p = r->headers; *p;) {
		const char *e = strstr(p, "\r\n");
		if (!e)
			break;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(out, n, "%.*s", (int)(e - v), v);
			return 1;
		}
		p = e + 2;
	}
	return 0;
}

static void s_req(const char *method, const char *path, const char *h1, const char *h2,
		  struct resp *out)
{
	CURL *c = curl_easy_init();
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s_port, path);
	struct curl_slist *h = NULL;
	if (h1)
		h = curl_slist_append(h, h1);
	if (h2)
		h = curl_slist_append(h, h2);
	memset(out, 0, sizeof *out);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_wb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_wh);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	struct qf_http_opts o = {.routes = s_routes,
				 .nroutes = sizeof s_routes / sizeof s_routes[0],
				 .threads = 1,
				 .gate = s_gate,
				 .access_log = s_log};
	if (qf_http_start(&s_http, &o, err, sizeof err))
		return -1;
	s_port = qf_http_port(s_http);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	qf_http_stop(&s_http);
	return 0;
}

static void test_problem_json(void **state)
{
	(void)state;
	struct resp r;
	s_req("POST", "/bad", NULL, NULL, &r);
	assert_int_equal(r.status, 422);
	char ct[128];
	assert_true(s_header(&r, "Content-Type", ct, sizeof ct));
	assert_non_null(strstr(ct, "application/problem+json"));
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
			    "urn:qingfeng:problem:bad_thing");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 422);
	assert_string_equal(json_string_value(json_object_get(j, "title")), "无法处理的内容");
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "内容有误");
	assert_string_equal(json_string_value(json_object_get(j, "code")), "bad_thing");
	assert_string_equal(json_string_value(json_object_get(j, "field")), "thing");
	json_decref(j);
	/* the built-in 404 speaks the same */
	s_req("GET", "/nowhere", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	j = json_loads(r.body, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
	json_decref(j);
}

static void test_request_id(void **state)
{
	(void)state;
	struct resp r;
	char rid[64];
	s_req("GET", "/pub", "X-Request-Id: abc-123.x_Y", NULL, &r);
	assert_true(s_header(&r, "X-Request-Id", rid, sizeof rid));
	assert_string_equal(rid, "abc-123.x_Y");
	assert_non_null(strstr(s_last_log, "abc-123.x_Y GET /pub 200"));
	/* not a plain token: a new one is made */
	s_req("GET", "/pub", "X-Request-Id: <script>", NULL, &r);
	assert_true(s_header(&r, "X-Request-Id", rid, sizeof rid));
	assert_int_equal(strlen(rid), 24);
	assert_null(strchr(rid, '<'));
	/* the log never names the path's values */
	s_req("GET", "/cases/C-secret-1", "X-Test: ok", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(s_last_log, "/cases/:id"));
	assert_null(strstr(s_last_log, "C-secret-1"));
}

static void test_etag_and_cors(void **state)
{
	(void)state;
	struct resp r;
	char etag[64], v[128], inm[96];
	s_req("GET", "/pub", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(s_header(&r, "ETag", etag, sizeof etag));
	assert_int_equal(etag[0], '"');
	assert_true(s_header(&r, "Cache-Control", v, sizeof v));
	assert_string_equal(v, "no-cache");
	assert_true(s_header(&r, "Access-Control-Allow-Origin", v, sizeof v));
	assert_string_equal(v, "*");
	snprintf(inm, sizeof inm, "If-None-Match: W/\"x\", %s", etag);
	s_req("GET", "/pub", inm, NULL, &r);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.nb, 0);
	s_req("GET", "/pub", "If-None-Match: \"other\"", NULL, &r);
	assert_int_equal(r.status, 200);
	/* preflight: public GET paths only */
	s_req("OPTIONS", "/pub", "Origin: https://verifier.example",
	      "Access-Control-Request-Method: GET", &r);
	assert_int_equal(r.status, 204);
	assert_true(s_header(&r, "Access-Control-Allow-Methods", v, sizeof v));
	s_req("OPTIONS", "/cases/C1", "Origin: https://verifier.example", NULL, &r);
	assert_int_equal(r.status, 405);
	/* staff reads are neither cached by validators nor cross-origin */
	s_req("GET", "/cases/C1", "X-Test: ok", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_false(s_header(&r, "ETag", v, sizeof v));
	assert_false(s_header(&r, "Access-Control-Allow-Origin", v, sizeof v));
}

static void test_gate_before_handler(void **state)
{
	(void)state;
	struct resp r;
	int before = s_handled;
	s_req("GET", "/cases/C1", NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_int_equal(s_handled, before);
}

static void h_none(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	qf_http_reply(r, 200, "text/plain", "x", 1);
}

static void test_unnamed_action_refused(void **state)
{
	(void)state;
	static const struct qf_http_route bad[] = {{"GET", "/x", h_none, 0, 0, NULL}};
	static const struct qf_http_route unknown[] = {
	    {"GET", "/x", h_none, 0, 0, NULL, "fly.away", NULL}};
	char err[256];
	struct qf_http *h = NULL;
	struct qf_http_opts o = {.routes = bad, .nroutes = 1, .gate = s_gate};
	assert_int_equal(qf_http_start(&h, &o, err, sizeof err), QF_ERR_INVAL);
	assert_non_null(strstr(err, "names no action"));
	o.routes = unknown;
	assert_int_equal(qf_http_start(&h, &o, err, sizeof err), QF_ERR_INVAL);
	assert_non_null(strstr(err, "unknown action"));
	assert_null(h);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_problem_json),
	    cmocka_unit_test(test_request_id),
	    cmocka_unit_test(test_etag_and_cors),
	    cmocka_unit_test(test_gate_before_handler),
	    cmocka_unit_test(test_unnamed_action_refused),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
