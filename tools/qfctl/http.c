/* http.c: the GET client shared by qfctl's HTTP-reading commands (http.h):
 * libcurl with short connect and bounded total timeouts, redirects
 * followed, nothing sent but the path. */
#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qfctl_buf_add(struct qfctl_buf *b, const void *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 65536;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (!np)
			return -1;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static size_t s_sink(char *data, size_t size, size_t nmemb, void *arg)
{
	size_t n = size * nmemb;
	return qfctl_buf_add(arg, data, n) ? 0 : n;
}

int qfctl_http_open(struct qfctl_http *c, const char *url, const char *who)
{
	memset(c, 0, sizeof *c);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		fprintf(stderr, "%s: --url must start with http:// or https://\n", who);
		return -1;
	}
	snprintf(c->base, sizeof c->base, "%s", url);
	size_t l = strlen(c->base);
	while (l && c->base[l - 1] == '/')
		c->base[--l] = '\0';
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl = curl_easy_init();
	return c->curl ? 0 : -1;
}

void qfctl_http_close(struct qfctl_http *c)
{
	if (c->curl) {
		curl_easy_cleanup(c->curl);
		curl_global_cleanup();
	}
	c->curl = NULL;
}

long qfctl_http_get(struct qfctl_http *c, const char *path, struct qfctl_buf *b)
{
	char url[4096];
	snprintf(url, sizeof url, "%s%s", c->base, path);
	memset(b, 0, sizeof *b);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, s_sink);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "qfctl/1");
	CURLcode rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK) {
		fprintf(stderr, "无法读取 %s：%s\n", url, curl_easy_strerror(rc));
		free(b->p);
		memset(b, 0, sizeof *b);
		return 0;
	}
	long status = 0;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (!b->p) {
		b->p = calloc(1, 1);
		if (!b->p)
			return 0;
	}
	return status;
}

json_t *qfctl_http_get_json(struct qfctl_http *c, const char *path, long *status)
{
	struct qfctl_buf b;
	*status = qfctl_http_get(c, path, &b);
	json_t *j = *status ? json_loadb(b.p, b.n, 0, NULL) : NULL;
	free(b.p);
	return j;
}
