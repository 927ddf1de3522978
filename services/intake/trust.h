/* trust.h: a trusted Open311 client's own links, as the spam check must not
 * count them.
 *
 * FixMyStreet and similar clients end every description with the URL of the
 * report on their own site; the spam filter holds any link. A client
 * configured trust = "trusted" with hosts = [ ... ] (intake.cfg, open311
 * api_keys) has the links to those hosts (and their subdomains) removed
 * from the text the spam filter reads; the petition keeps its description
 * as sent, and every other link still counts. */
#ifndef INTAKE_TRUST_H
#define INTAKE_TRUST_H

/* A malloc'd copy of text (NUL-terminated UTF-8) in which every http:// or
 * https:// URL (scheme in any case) whose host is one of hosts[0..n) or a
 * subdomain of one is replaced by a single space. A URL with user
 * information (an '@' before its path) is never removed. The caller frees
 * the result; NULL when out of memory. */
char *intake_trust_strip(const char *text, char *const *hosts, unsigned n);

#endif
