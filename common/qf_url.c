/* qf_url.c: URL parts through libcurl's URL API (qf_url.h). */
#include "qf_url.h"
#include "qf_err.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_part(CURLU *h, CURLUPart what, unsigned flags, char *out, size_t n)
{
	char *v = NULL;
	CURLUcode rc = curl_url_get(h, what, &v, flags);
	if (rc != CURLUE_OK) {
		out[0] = '\0';
		return rc == CURLUE_NO_USER || rc == CURLUE_NO_PASSWORD || rc == CURLUE_NO_PORT
			       ? 0
			       : -1;
	}
	size_t l = strlen(v);
	int ok = l < n;
	if (ok)
		memcpy(out, v, l + 1);
	curl_free(v);
	return ok ? 0 : -1;
}

int qf_url_parse(const char *s, struct qf_url *u)
{
	memset(u, 0, sizeof *u);
	CURLU *h = curl_url();
	if (!h)
		return QF_ERR_NOMEM;
	char port[16], user[256], pass[256];
	int rc = QF_ERR_INVAL;
	if (s && curl_url_set(h, CURLUPART_URL, s, 0) == CURLUE_OK &&
	    !s_part(h, CURLUPART_SCHEME, 0, u->scheme, sizeof u->scheme) &&
	    !s_part(h, CURLUPART_HOST, 0, u->host, sizeof u->host) &&
	    !s_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT, port, sizeof port) &&
	    !s_part(h, CURLUPART_PATH, 0, u->path, sizeof u->path) &&
	    !s_part(h, CURLUPART_USER, 0, user, sizeof user) &&
	    !s_part(h, CURLUPART_PASSWORD, 0, pass, sizeof pass)) {
		for (char *p = u->scheme; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		for (char *p = u->host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		u->port = (unsigned)strtoul(port, NULL, 10);
		u->userinfo = user[0] || pass[0];
		if (!u->path[0])
			snprintf(u->path, sizeof u->path, "/");
		if ((!strcmp(u->scheme, "http") || !strcmp(u->scheme, "https")) &&
		    u->host[0] && u->port)
			rc = QF_OK;
	}
	curl_url_cleanup(h);
	return rc;
}

int qf_url_allowed(const char *url, const char *allow)
{
	struct qf_url u, a;
	if (qf_url_parse(url, &u) || qf_url_parse(allow, &a) || u.userinfo || a.userinfo)
		return 0;
	if (strcmp(u.scheme, a.scheme) || strcmp(u.host, a.host) || u.port != a.port)
		return 0;
	size_t pl = strlen(a.path);
	if (strncmp(u.path, a.path, pl))
		return 0;
	/* a prefix ends on a segment boundary */
	return a.path[pl - 1] == '/' || u.path[pl] == '\0' || u.path[pl] == '/';
}
