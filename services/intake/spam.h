/* spam.h: the advertising and false-information filter.
 *
 * Rules come from configuration (section `spam`): keywords, links, WeChat
 * ids, phone numbers inside the text, long runs of one repeated character.
 * A match does not lose the submission: intake holds it for the supervisor
 * to review and release (holds.c); this module only decides.
 */
#ifndef INTAKE_SPAM_H
#define INTAKE_SPAM_H

#include <stddef.h>

#include "qf_cfg.h"

#define INTAKE_SPAM_MAX_KEYWORDS 256

struct intake_spam_conf {
	int enabled;	 /* spam.enabled */
	char **keywords; /* spam.keywords (malloc'd; intake_spam_conf_free) */
	unsigned nkeywords;
	int links;	   /* spam.links: http(s)://, www., bare domains */
	int wechat;	   /* spam.wechat: 微信/VX/加V followed by an id */
	int phone_numbers; /* spam.phone_numbers: a phone number in the text */
	int max_repeat;	   /* spam.max_repeat: longest allowed run of one
			      character (0: no limit) */
};

/* qf_cfg custom parser for spam.keywords (a list of non-empty strings). */
int intake_spam_parse_keywords(const struct qf_cfg_setting *def, config_setting_t *s,
			       void *conf, struct qf_cfg_errors *errs);
void intake_spam_conf_free(struct intake_spam_conf *c);

/* Check text (valid UTF-8). Returns 1 and the rule that matched in rule
 * ("keyword", "link", "wechat", "phone_number", "repeat") and, for
 * keywords, the keyword in detail; 0 when clean. */
int intake_spam_check(const struct intake_spam_conf *c, const char *text, char *rule,
		      size_t rn, char *detail, size_t dn);

#endif
