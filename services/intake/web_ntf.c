/* web_ntf.c: intake's one call out over HTTP: the follow page asks the
 * notifier to start or confirm an SMS follow (the notifier owns follows and
 * the SMS gateway; docs/services/notifier.md). The resident's browser talks
 * only to intake (one origin); intake forwards the request to the
 * notifier's public follow API with short timeouts.
 *
 * Design: blocking libcurl easy calls on the HTTP worker thread, bounded by
 * a 2 s connect and 5 s total timeout; the phone number goes only in the
 * request body, never a URL or a log line. */
#include "web.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t s_write(char *p, size_t size, size_t n, void *arg)
{
	struct qf_buf *b = arg;
	if (b->len + size * n > 65536)
		return 0; /* the notifier's answers are small */
	qf_buf_add(b, p, size * n);
	return size * n;
}

int web_ntf_post(const char *base, const char *path, json_t *body, long *status,
		 json_t **answer)
{
	*status = 0;
	*answer = NULL;
	if (!base || !*base)
		return -1;
	pthread_once(&s_once, s_init);
	char url[512];
	snprintf(url, sizeof url, "%s%s", base, path);
	char *text = json_dumps(body, JSON_COMPACT);
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	struct qf_buf out;
	qf_buf_init(&out);
	int rc = -1;
	if (text && c && h) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
		if (curl_easy_perform(c) == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
			*answer = qf_buf_ok(&out) && out.len
				      ? json_loadb(out.p, out.len, 0, NULL)
				      : NULL;
			rc = 0;
		}
	}
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	qf_buf_free(&out);
	return rc;
}
