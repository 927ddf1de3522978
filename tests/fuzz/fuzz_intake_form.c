/* fuzz_intake_form: form bodies end to end through the HTTP layer: each
 * input is POSTed over loopback to an in-process qf_http server whose route
 * runs intake's form decoder (libmicrohttpd's post processor, then
 * intake_form_read, then the petition decoder), as /v1/petitions does.
 * The first byte picks the content type (multipart with a fixed boundary,
 * or urlencoded); the rest is the body. The answer must be a well-formed
 * HTTP status below 500; the process must not crash. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "form.h"
#include "intake.h"
#include "petition.h"

static struct qf_community *s_com;
static struct qf_http *s_http;
static uint16_t s_port;

static void h_form(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	struct intake_form f;
	struct intake_err e = {0};
	intake_form_init(&f);
	if (intake_form_read(r, &f, 4096, 4, &e)) {
		intake_form_free(&f);
		intake_reply_err(r, &e);
		return;
	}
	struct intake_petition p;
	struct intake_petition_opts o = {s_com, 4, 4096, 0};
	if (intake_petition_decode(f.fields, f.uploads, f.nuploads, &o, &p, &e)) {
		intake_form_free(&f);
		intake_reply_err(r, &e);
		return;
	}
	intake_form_free(&f);
	intake_petition_free(&p);
	qf_http_reply(r, 200, "text/plain", "ok", 2);
}

static const struct qf_http_route s_routes[] = {
    {"POST", "/f", h_form, QF_HTTP_FORM | QF_HTTP_MULTIPART, 1 << 20, "f"},
};

static void s_init(void)
{
	static const char *const tries[] = {"config/community.cfg",
					    "../config/community.cfg",
					    "../../config/community.cfg"};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0] && !s_com; i++) {
		struct qf_cfg_errors e;
		memset(&e, 0, sizeof e);
		if (access(tries[i], R_OK) == 0)
			qf_community_load(tries[i], &s_com, &e);
	}
	char err[256];
	struct qf_http_opts o = {.bind_addr = "127.0.0.1",
				 .port = 0,
				 .threads = 2,
				 .routes = s_routes,
				 .nroutes = 1};
	if (!s_com || qf_http_start(&s_http, &o, err, sizeof err)) {
		fprintf(stderr, "fuzz_intake_form: cannot start (%s)\n",
			s_com ? err : "community");
		abort();
	}
	s_port = qf_http_port(s_http);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s_http)
		s_init();
	if (size < 1)
		return 0;
	const char *ct = data[0] & 1 ? "application/x-www-form-urlencoded"
				     : "multipart/form-data; boundary=XyZ";
	data++;
	size--;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(s_port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	char head[256];
	int hl = snprintf(head, sizeof head,
			  "POST /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			  "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
			  ct, size);
	if (write(fd, head, (size_t)hl) != hl ||
	    (size && write(fd, data, size) != (ssize_t)size)) {
		close(fd);
		return 0;
	}
	char buf[8192];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof buf - 1 &&
	       (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	int status = 0;
	if (got && sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		abort(); /* not HTTP */
	if (status >= 500)
		abort(); /* a form is the client's problem, never the server's */
	return 0;
}
