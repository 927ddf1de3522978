/* trust.c: the links of a trusted Open311 client removed from the text the
 * spam check reads (contract in trust.h).
 *
 * Design: a URL runs from its scheme to the first character that cannot
 * be in one (space, control, non-ASCII, quotes, angle brackets): every
 * FixMyStreet report URL is plain ASCII. The host is compared exactly or as
 * a dot-suffix ("www.fms.example.org" is fms.example.org's), in ASCII lower
 * case; anything unusual (user information, an empty host) is left as it
 * is, so the spam filter still sees it. */
#include "trust.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int s_url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\'';
}

static int s_host_trusted(const char *h, size_t hl, char *const *hosts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		size_t tl = strlen(hosts[i]);
		if (hl == tl && !strncasecmp(h, hosts[i], tl))
			return 1;
		if (hl > tl && h[hl - tl - 1] == '.' &&
		    !strncasecmp(h + hl - tl, hosts[i], tl))
			return 1;
	}
	return 0;
}

/* Length of the URL at p if it is one to remove, else 0. */
static size_t s_trusted_url(const char *p, char *const *hosts, unsigned n)
{
	size_t sl;
	if (!strncasecmp(p, "https://", 8))
		sl = 8;
	else if (!strncasecmp(p, "http://", 7))
		sl = 7;
	else
		return 0;
	size_t len = sl;
	while (s_url_char((unsigned char)p[len]))
		len++;
	size_t h = sl, he = sl;
	while (he < len && p[he] != '/' && p[he] != '?' && p[he] != '#') {
		if (p[he] == '@')
			return 0; /* user information: never trusted */
		he++;
	}
	size_t port = h;
	while (port < he && p[port] != ':')
		port++;
	/* a trailing full stop or comma ends the sentence, not the URL */
	while (len > he && (p[len - 1] == '.' || p[len - 1] == ',' || p[len - 1] == ')'))
		len--;
	if (port == h || !s_host_trusted(p + h, port - h, hosts, n))
		return 0;
	return len;
}

char *intake_trust_strip(const char *text, char *const *hosts, unsigned n)
{
	size_t tl = strlen(text);
	char *out = malloc(tl + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		size_t u = n ? s_trusted_url(p, hosts, n) : 0;
		if (u) {
			*o++ = ' ';
			p += u;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}
