/* notifier_receiver: a fast webhook receiver for the notifier benchmark
 * (libmicrohttpd, thread pool). It answers 503 to a chosen share of
 * requests (transient failures: decided by a hash of the delivery id and
 * the attempt, so a retry may succeed), 200 to the rest, and counts
 * requests, successes and distinct delivery ids accepted, so the benchmark
 * can check that every delivery arrived and none twice.
 *
 *   notifier_receiver --port P [--fail-permille 100] [--threads 2]
 *   GET /stats -> {"requests":..,"ok":..,"failed":..,"unique":..,"dup":..}
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SET_BITS 22 /* 4M slots: room for 2M distinct ids */

static unsigned s_fail_permille = 100;
static uint64_t *s_set;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long s_requests, s_ok, s_failed, s_unique, s_dup;
static volatile sig_atomic_t s_stop;

static uint64_t s_fnv64(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

/* 1 if new */
static int s_add(uint64_t h)
{
	uint64_t mask = (1ULL << SET_BITS) - 1;
	for (uint64_t i = h & mask;; i = (i + 1) & mask) {
		if (s_set[i] == h)
			return 0;
		if (!s_set[i]) {
			s_set[i] = h;
			return 1;
		}
	}
}

static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned status,
			       const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version,
				 const char *data, size_t *size, void **state)
{
	(void)cls;
	(void)version;
	(void)data;
	if (!*state) {
		*state = (void *)1;
		return MHD_YES;
	}
	if (*size) { /* the body is not needed: drop it */
		*size = 0;
		return MHD_YES;
	}
	if (!strcmp(method, "GET") && !strcmp(url, "/stats")) {
		char b[256];
		pthread_mutex_lock(&s_lock);
		snprintf(b, sizeof b,
			 "{\"requests\":%lu,\"ok\":%lu,\"failed\":%lu,\"unique\":%lu,"
			 "\"dup\":%lu}",
			 s_requests, s_ok, s_failed, s_unique, s_dup);
		pthread_mutex_unlock(&s_lock);
		return s_reply(c, 200, b);
	}
	const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-QF-Delivery");
	const char *att = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-QF-Attempt");
	if (!id)
		return s_reply(c, 400, "{\"error\":\"no delivery id\"}");
	uint64_t h = s_fnv64(id, strlen(id));
	uint64_t a = att ? strtoull(att, NULL, 10) : 1;
	int fail = ((h ^ (a * 0x9E3779B97F4A7C15ULL)) % 1000) < s_fail_permille;
	pthread_mutex_lock(&s_lock);
	s_requests++;
	if (fail) {
		s_failed++;
	} else {
		s_ok++;
		if (s_add(h))
			s_unique++;
		else
			s_dup++;
	}
	pthread_mutex_unlock(&s_lock);
	return fail ? s_reply(c, 503, "{\"error\":\"busy\"}")
		    : s_reply(c, 200, "{\"ok\":true}");
}

static void s_on_term(int sig)
{
	(void)sig;
	s_stop = 1;
}

int main(int argc, char **argv)
{
	unsigned port = 0, threads = 2;
	static const struct option longs[] = {{"port", 1, 0, 'p'},
					      {"fail-permille", 1, 0, 'f'},
					      {"threads", 1, 0, 't'},
					      {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'p':
			port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			s_fail_permille = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			threads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (!port || s_fail_permille > 1000) {
		fprintf(stderr, "usage: notifier_receiver --port P [--fail-permille N] "
				"[--threads T]\n");
		return 2;
	}
	s_set = calloc(1ULL << SET_BITS, sizeof *s_set);
	if (!s_set)
		return 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = s_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(0x7f000001);
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, (uint16_t)port, NULL, NULL,
	    s_handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_SOCK_ADDR,
	    &addr, MHD_OPTION_CONNECTION_LIMIT, 4096, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
	    MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "notifier_receiver: cannot listen on %u\n", port);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!s_stop)
		pause();
	MHD_stop_daemon(d);
	free(s_set);
	return 0;
}
