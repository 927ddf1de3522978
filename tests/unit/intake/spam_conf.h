/* spam_conf.h: the spam settings of config/intake.cfg (the settings table's
 * defaults) for the unit tests, with extra keywords kw. */
#ifndef TEST_INTAKE_SPAM_CONF_H
#define TEST_INTAKE_SPAM_CONF_H

#include "spam.h"

static inline struct intake_spam_conf test_spam_conf(char **kw, unsigned n)
{
	struct intake_spam_conf c = {.enabled = 1,
				     .keywords = kw,
				     .nkeywords = n,
				     .keyword_weight = 6,
				     .links = 1,
				     .wechat = 1,
				     .phone_numbers = 1,
				     .max_repeat = 10,
				     .threshold = 10};
	return c;
}

#endif
