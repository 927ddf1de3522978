/* qf_url.h: URLs parsed by libcurl's URL API, and allow-lists compared by
 * their parts.
 *
 * Why: an allow-list entry compared as a string prefix admits
 * "https://host.evil.net/" and "https://host@evil.net/" for "https://host".
 * Here both sides are parsed (scheme, host, port with its default, path)
 * and compared part by part; a URL carrying user information is never
 * allowed; a path prefix ends on a segment boundary.
 */
#ifndef QF_URL_H
#define QF_URL_H

#include <stddef.h>

struct qf_url {
	char scheme[16];  /* lower case */
	char host[256];   /* lower case; IPv6 in brackets */
	unsigned port;    /* the scheme's default when none is given */
	char path[1024];  /* "/" at least */
	int userinfo;     /* the URL names a user or password */
};

/* Parse an absolute http or https URL. 0, or QF_ERR_INVAL (not a URL
 * libcurl accepts, another scheme, or a part too long). */
int qf_url_parse(const char *s, struct qf_url *u);
/* 1 when url is allowed by the entry allow (both absolute http(s) URLs):
 * same scheme, host and port, no user information, and allow's path is a
 * prefix of url's ending at a "/" (an entry's path "/hooks" admits
 * "/hooks" and "/hooks/x", never "/hooksx"). 0 otherwise, also when either
 * does not parse. */
int qf_url_allowed(const char *url, const char *allow);

#endif
