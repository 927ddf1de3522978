/* intake_bare: the baseline of bench-intake.sh: a bare libmicrohttpd +
 * jansson server that reads the same petition body, parses it as JSON,
 * checks it is an object and answers 201 with a small JSON object. No
 * validation, no storage, no fsync: what HTTP and JSON alone cost here, in
 * the same threading mode as qf_http (internal thread pool, poll).
 *
 *   intake_bare PORT [THREADS]     serves until SIGINT/SIGTERM
 */
#include <jansson.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct req {
	char *body;
	size_t len, cap;
};

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
	(void)sig;
	s_stop = 1;
}

static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned status,
			       const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url,
				const char *method, const char *version, const char *data,
				size_t *size, void **ptr)
{
	(void)cls;
	(void)url;
	(void)version;
	struct req *q = *ptr;
	if (!q) {
		q = calloc(1, sizeof *q);
		*ptr = q;
		return q ? MHD_YES : MHD_NO;
	}
	if (*size) {
		if (q->len + *size + 1 > q->cap) {
			size_t nc = q->cap ? q->cap * 2 : 4096;
			while (nc < q->len + *size + 1)
				nc *= 2;
			char *nb = realloc(q->body, nc);
			if (!nb)
				return MHD_NO;
			q->body = nb;
			q->cap = nc;
		}
		memcpy(q->body + q->len, data, *size);
		q->len += *size;
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST"))
		return s_reply(c, 405, "{\"code\":\"method_not_allowed\"}");
	json_error_t e;
	json_t *j =
	    q->len ? json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return s_reply(c, 400, "{\"code\":\"malformed_json\"}");
	}
	json_decref(j);
	return s_reply(c, 201, "{\"case_id\":\"C0\",\"status\":\"submitted\"}");
}

static void s_done(void *cls, struct MHD_Connection *c, void **ptr,
		   enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req *q = *ptr;
	if (q) {
		free(q->body);
		free(q);
	}
	*ptr = NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: intake_bare PORT [THREADS]\n");
		return 2;
	}
	unsigned port = (unsigned)atoi(argv[1]);
	unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
	signal(SIGINT, s_on_signal);
	signal(SIGTERM, s_on_signal);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, (uint16_t)port, NULL, NULL,
	    s_access, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
	    MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "intake_bare: cannot listen on port %u\n", port);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!s_stop)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
