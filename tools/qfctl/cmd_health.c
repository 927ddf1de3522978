/* cmd_health.c: `qfctl health URL...`: GET each URL (a service's /healthz or
 * /readyz) and exit 0 only if every one answers 200 within the timeout.
 * Container health checks use it, so the runtime image needs no curl. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "qfctl.h"

static size_t s_discard(char *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

int qfctl_health(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: qfctl health URL...   (exit 0 when every URL answers 200)\n");
		return argc < 2 ? 2 : 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		CURL *c = curl_easy_init();
		long code = 0;
		curl_easy_setopt(c, CURLOPT_URL, argv[i]);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
		CURLcode res = curl_easy_perform(c);
		if (res == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200) {
			fprintf(stderr, "qfctl health: %s: %s\n", argv[i],
				res != CURLE_OK ? curl_easy_strerror(res) : "not 200");
			rc = 1;
		}
		curl_easy_cleanup(c);
	}
	curl_global_cleanup();
	return rc;
}
