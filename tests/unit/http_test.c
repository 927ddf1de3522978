/* http_test: qf_http against real sockets: routing, captures, JSON errors,
 * 404/405/413/415, malformed JSON, suspend + reply from another thread,
 * health/ready/metrics, and 256 simultaneous keep-alive connections (the
 * libmicrohttpd 0.9.75 epoll stall at >= 128 must not happen). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qf_err.h"
#include "qf_http.h"
#include "qf_metrics.h"

static void h_hello(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	const char *name = qf_http_query(r, "name");
	qf_http_reply_json(r, 200, json_pack("{s:s}", "hello", name ? name : "world"));
}

/* Which worker thread serves this connection. */
static void h_whoami(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	char id[32];
	snprintf(id, sizeof id, "%ld", (long)gettid());
	qf_http_reply_json(r, 200, json_pack("{s:s}", "thread", id));
}

static void h_case(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	qf_http_reply_json(r, 200, json_pack("{s:s}", "id", qf_http_param(r, "id")));
}

static void h_echo(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	json_t *j = qf_http_json_body(r);
	if (!j)
		return;
	qf_http_reply_json(r, 201, j);
}

static void *s_later(void *arg)
{
	usleep(50000);
	qf_http_reply_json(arg, 202, json_pack("{s:b}", "late", 1));
	return NULL;
}

static void h_slow(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	pthread_t t;
	qf_http_suspend(r);
	pthread_create(&t, NULL, s_later, r);
	pthread_detach(t);
}

static const struct qf_http_route s_routes[] = {
	{"GET", "/hello", h_hello, 0, 0, NULL},
	{"GET", "/cases/:id", h_case, 0, 0, NULL},
	{"POST", "/echo", h_echo, QF_HTTP_JSON, 64, NULL},
	{"GET", "/slow", h_slow, 0, 0, NULL},
	{"GET", "/whoami", h_whoami, 0, 0, NULL},
};

static struct qf_http *s_http;
static struct qf_metrics *s_metrics;
static uint16_t s_port;

struct buf {
	char d[65536];
	size_t n;
};

static size_t s_write(char *p, size_t sz, size_t nm, void *u)
{
	struct buf *b = u;
	size_t n = sz * nm;
	if (b->n + n >= sizeof b->d)
		n = sizeof b->d - 1 - b->n;
	memcpy(b->d + b->n, p, n);
	b->n += n;
	b->d[b->n] = '\0';
	return sz * nm;
}

static long s_req(const char *method, const char *path, const char *ctype,
		  const char *body, struct buf *out)
{
	CURL *c = curl_easy_init();
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s_port, path);
	struct curl_slist *h = NULL;
	if (ctype) {
		char line[128];
		snprintf(line, sizeof line, "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	out->n = 0;
	out->d[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	long code = 0;
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

static int setup(void **state)
{
	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	qf_metrics_new(&s_metrics);
	char err[256];
	struct qf_http_opts o = {.port = 0, .threads = 2, .routes = s_routes,
				 .nroutes = sizeof s_routes / sizeof s_routes[0],
				 .metrics = s_metrics};
	if (qf_http_start(&s_http, &o, err, sizeof err))
		return -1;
	s_port = qf_http_port(s_http);
	return s_port ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	qf_http_stop(&s_http);
	qf_metrics_destroy(&s_metrics);
	curl_global_cleanup();
	return 0;
}

static void test_routes(void **state)
{
	(void)state;
	struct buf b;
	assert_int_equal(s_req("GET", "/hello?name=%E6%B8%85%E9%A3%8E", NULL, NULL, &b), 200);
	assert_non_null(strstr(b.d, "\"hello\":\"清风\""));
	assert_int_equal(s_req("GET", "/cases/C42", NULL, NULL, &b), 200);
	assert_non_null(strstr(b.d, "\"id\":\"C42\""));
	assert_int_equal(s_req("GET", "/nope", NULL, NULL, &b), 404);
	assert_non_null(strstr(b.d, "\"code\":\"not_found\""));
	assert_non_null(strstr(b.d, "\"field\":null"));
	assert_int_equal(s_req("DELETE", "/hello", NULL, NULL, &b), 405);
	assert_non_null(strstr(b.d, "method_not_allowed"));
}

static void test_bodies(void **state)
{
	(void)state;
	struct buf b;
	assert_int_equal(s_req("POST", "/echo", "application/json", "{\"a\":1}", &b), 201);
	assert_string_equal(b.d, "{\"a\":1}");
	assert_int_equal(
		s_req("POST", "/echo", "application/json; charset=utf-8", "{\"b\":2}", &b), 201);
	assert_int_equal(s_req("POST", "/echo", "text/plain", "{\"a\":1}", &b), 415);
	assert_non_null(strstr(b.d, "\"field\":\"Content-Type\""));
	assert_int_equal(s_req("POST", "/echo", "application/json",
			       "{\"a\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
			       &b),
			 413);
	assert_int_equal(s_req("POST", "/echo", "application/json", "{\"a\":", &b), 400);
	assert_non_null(strstr(b.d, "malformed_json"));
	assert_int_equal(s_req("POST", "/echo", "application/json", "{\"a\":\"\xff\"}", &b),
			 400);
	assert_non_null(strstr(b.d, "invalid_utf8"));
	assert_int_equal(s_req("POST", "/echo", "application/json", "[1]", &b), 400);
	assert_non_null(strstr(b.d, "not_an_object"));
}

static void test_suspend(void **state)
{
	(void)state;
	struct buf b;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(s_req("GET", "/slow", NULL, NULL, &b), 202);
		assert_string_equal(b.d, "{\"late\":true}");
	}
}

static void test_builtins(void **state)
{
	(void)state;
	struct buf b;
	assert_int_equal(s_req("GET", "/healthz", NULL, NULL, &b), 200);
	assert_int_equal(s_req("GET", "/readyz", NULL, NULL, &b), 200);
	assert_int_equal(s_req("GET", "/metrics", NULL, NULL, &b), 200);
	assert_non_null(strstr(b.d, "qf_http_requests_total{route=\"/hello\",code=\"200\"}"));
	assert_non_null(strstr(b.d, "qf_http_request_seconds_bucket"));
}

/* 256 connections opened at once, each sending two requests on the same
 * connection (keep-alive); every one must be answered. */
static void test_256_keepalive(void **state)
{
	(void)state;
	enum { N = 256 };
	int fds[N];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(s_port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	for (int i = 0; i < N; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(fds[i] >= 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof sa), 0);
	}
	static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++)
			assert_int_equal(write(fds[i], req, sizeof req - 1), (ssize_t)sizeof req - 1);
		struct timeval tv = {10, 0};
		for (int i = 0; i < N; i++) {
			setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			char buf[1024];
			size_t got = 0;
			/* read until the body has arrived */
			while (!strstr(buf, "\"hello\":\"world\"}")) {
				ssize_t r = read(fds[i], buf + got, sizeof buf - 1 - got);
				assert_true(r > 0);
				got += (size_t)r;
				buf[got] = '\0';
			}
			assert_non_null(strstr(buf, "HTTP/1.1 200"));
			buf[0] = '\0';
		}
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
}

/* Early answers (404, built-ins, 415 with its body) keep the connection. */
static void test_early_answers_keep_alive(void **state)
{
	(void)state;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(s_port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	static const char *const reqs[] = {
		"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
		"Content-Length: 5\r\n\r\nhello",
		"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	static const char *const want[] = {"404", "200", "415", "200"};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(write(fd, reqs[i], strlen(reqs[i])), (ssize_t)strlen(reqs[i]));
		char buf[2048];
		size_t got = 0;
		buf[0] = '\0';
		/* headers, then the JSON body (ends with '}') */
		while (!strstr(buf, "\r\n\r\n") || buf[got - 1] != '}') {
			ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
			assert_true(r > 0); /* the connection stays open */
			got += (size_t)r;
			buf[got] = '\0';
		}
		char status[16];
		snprintf(status, sizeof status, "HTTP/1.1 %s", want[i]);
		assert_non_null(strstr(buf, status));
		assert_null(strstr(buf, "Connection: close"));
	}
	close(fd);
}

/* After qf_http_close_begin, a request on a connection already open gets a
 * clear 503 instead of reaching a handler (runs last: it closes the server). */
static void test_close_begin_answers_503(void **state)
{
	(void)state;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(s_port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[2048];
	assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1);
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	assert_true(n > 0);
	qf_http_close_begin(s_http);
	assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1);
	size_t got = 0;
	buf[0] = '\0';
	while (!strstr(buf, "shutting_down")) {
		n = read(fd, buf + got, sizeof buf - 1 - got);
		assert_true(n > 0);
		got += (size_t)n;
		buf[got] = '\0';
	}
	assert_non_null(strstr(buf, "HTTP/1.1 503"));
	assert_non_null(strstr(buf, "Retry-After: 1"));
	close(fd);
}

/* A second server on a port already served is refused, although the
 * workers share their port with SO_REUSEPORT. */
static void test_port_in_use(void **state)
{
	(void)state;
	struct qf_http *h2 = NULL;
	char err[256] = "";
	struct qf_http_opts o = {.port = s_port, .threads = 2, .routes = s_routes,
				 .nroutes = sizeof s_routes / sizeof s_routes[0]};
	assert_int_equal(qf_http_start(&h2, &o, err, sizeof err), QF_ERR_HTTP);
	assert_null(h2);
	assert_non_null(strstr(err, "already in use"));
}

/* Connections are spread over the worker threads: of 16 concurrent
 * connections, the two workers each serve some (a pool on one shared socket
 * could give all of them to one). */
static void test_connections_spread(void **state)
{
	(void)state;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(s_port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fds[16];
	char threads[16][32];
	for (int i = 0; i < 16; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof sa), 0);
	}
	static const char req[] = "GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n";
	for (int i = 0; i < 16; i++) {
		char buf[2048];
		size_t got = 0;
		assert_int_equal(write(fds[i], req, sizeof req - 1), (ssize_t)sizeof req - 1);
		buf[0] = '\0';
		while (!strstr(buf, "\"thread\":\"") || !strchr(strstr(buf, "\"thread\":\"") + 10, '}')) {
			ssize_t n = read(fds[i], buf + got, sizeof buf - 1 - got);
			assert_true(n > 0);
			got += (size_t)n;
			buf[got] = '\0';
		}
		snprintf(threads[i], sizeof threads[i], "%s", strstr(buf, "\"thread\":\"") + 10);
		close(fds[i]);
	}
	int distinct = 0;
	for (int i = 0; i < 16; i++) {
		int seen = 0;
		for (int k = 0; k < i; k++)
			seen |= !strcmp(threads[k], threads[i]);
		distinct += !seen;
	}
	assert_int_equal(distinct, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),  cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_suspend), cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_256_keepalive),
		cmocka_unit_test(test_early_answers_keep_alive),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_connections_spread),
		cmocka_unit_test(test_close_begin_answers_503),
	};
	return cmocka_run_group_tests_name("http", tests, setup, teardown);
}
