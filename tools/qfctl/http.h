/* http.h: the small HTTP GET client of the qfctl commands that read a
 * service over HTTP (audit verify / case / receipt, watch --public --url).
 * One connection reused per client; bodies are buffered whole. */
#ifndef QFCTL_HTTP_H
#define QFCTL_HTTP_H

#include <jansson.h>
#include <stddef.h>

struct qfctl_http {
	void *curl;
	char base[2048]; /* the URL without trailing slashes */
};

/* A growing, NUL-terminated buffer; p is malloc'd (the caller frees). */
struct qfctl_buf {
	char *p;
	size_t n, cap;
};

/* Append n bytes; returns 0 or -1 (out of memory). */
int qfctl_buf_add(struct qfctl_buf *b, const void *data, size_t n);

/* Prepare a client for base URL url (http:// or https://). Returns 0, or -1
 * with a message on stderr. */
int qfctl_http_open(struct qfctl_http *c, const char *url, const char *who);
void qfctl_http_close(struct qfctl_http *c);
/* GET base+path: returns the HTTP status, or 0 on a network error (message
 * printed to stderr). The body goes to *b (b->p is always set when the
 * status is non-zero; the caller frees it). */
long qfctl_http_get(struct qfctl_http *c, const char *path, struct qfctl_buf *b);
/* GET and parse JSON: the document (new reference) or NULL; *status as
 * above. */
json_t *qfctl_http_get_json(struct qfctl_http *c, const char *path, long *status);

#endif
