/* cmd_health.c: `qfctl health URL...`: GET each URL (a service's /healthz or
 * /readyz) and exit 0 only if every one answers 200 within the timeout.
 * Container health checks use it, so the runtime image needs no curl. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
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
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: qfctl health [--json] URL...   (exit 0 when every URL answers "
			"200;\n  --json: one line per URL: {\"url\",\"status\",\"ok\",\"error\"})\n");
		return argc < 2 ? 2 : 0;
	}
	int as_json = !strcmp(argv[1], "--json");
	if (as_json) {
		argc--;
		argv++;
		if (argc < 2) {
			fprintf(stderr, "usage: qfctl health [--json] URL...\n");
			return 2;
		}
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
		const char *err = res != CURLE_OK ? curl_easy_strerror(res)
				  : code != 200	   ? "not 200"
						   : NULL;
		if (as_json) {
			json_t *o = json_pack("{s:s, s:i, s:b, s:s?}", "url", argv[i], "status",
					      (int)code, "ok", code == 200, "error", err);
			char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(o);
		} else if (err) {
			fprintf(stderr, "qfctl health: %s: %s\n", argv[i], err);
		}
		if (err)
			rc = 1;
		curl_easy_cleanup(c);
	}
	curl_global_cleanup();
	return rc;
}
