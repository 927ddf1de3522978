/* spam.h: the advertising and false-information filter, as a judgement.
 *
 * No single rule holds a petition: each text is scored over signals
 * (advertising terms, links, WeChat/QQ/Telegram/WhatsApp ids and group
 * numbers, phone numbers, repeated characters and phrases, words that
 * describe a complaint rather than an offer), all found on the shared
 * normaliser's output (qf_norm), with weights from one table (spam.c).
 * The caller adds what a single text cannot show (the same text sent many
 * times: spamdup.h) and the supervisor's past decisions (spamadj.c), then
 * holds the submission when the score reaches spam.threshold. A hold does
 * not lose the submission: the supervisor releases or dismisses it
 * (holds.c); this module only scores.
 */
#ifndef INTAKE_SPAM_H
#define INTAKE_SPAM_H

#include <stddef.h>

#include "qf_cfg.h"

#define INTAKE_SPAM_MAX_KEYWORDS 256
#define INTAKE_SPAM_MAX_HITS	 24 /* signals kept per verdict (more are summed) */
#define INTAKE_SPAM_TERM	 64 /* bytes of a hit's term, NUL included */

struct intake_spam_conf {
	int enabled;	 /* spam.enabled */
	char **keywords; /* spam.keywords: extra terms (malloc'd, normalised;
			    intake_spam_conf_free) */
	unsigned nkeywords;
	int keyword_weight;  /* spam.keyword_weight: weight of each extra term */
	int links;	     /* spam.links: links count */
	int wechat;	     /* spam.wechat: messenger ids and group numbers count */
	int phone_numbers;   /* spam.phone_numbers: phone numbers count */
	int max_repeat;	     /* spam.max_repeat: longest run of one character
				that does not count (0: no limit) */
	int threshold;	     /* spam.threshold: hold at this score */
	int dup_copies;	     /* spam.duplicate_copies: copies of one text that
				count (0: off) */
	int dup_window_s;    /* spam.duplicate_window_s */
	int adjust_releases; /* spam.adjust_releases: releases after which a
				term stops counting (0: never) */
};

/* The signals, in the order of the weight table (spam.c). */
enum intake_spam_signal {
	INTAKE_SPAM_AD_STRONG, /* an offer term: 贷款, 刷单, 代开发票 ... */
	INTAKE_SPAM_AD_WEAK,   /* a selling word: 低息, 扫码, 名额有限 ... */
	INTAKE_SPAM_KEYWORD,   /* a term from spam.keywords */
	INTAKE_SPAM_LINK,      /* http(s)://, www., a bare domain */
	INTAKE_SPAM_CONTACT_ID, /* 微信/威信/vx/薇/QQ/扣扣/企鹅/TG/WhatsApp + id */
	INTAKE_SPAM_GROUP,	/* QQ群/微信群/群号/进群 + number */
	INTAKE_SPAM_PHONE,	/* a phone number in the text */
	INTAKE_SPAM_REPEAT,	/* one character repeated past max_repeat */
	INTAKE_SPAM_REPEAT_PHRASE, /* a word or phrase repeated back to back */
	INTAKE_SPAM_DUPLICATE,	   /* the same text from many submissions */
	INTAKE_SPAM_COMPLAINT,	   /* words of a complaint (negative weight) */
	INTAKE_SPAM_NSIGNALS
};

/* One signal found: its rule name (what a 422 answer and SPAM_HELD carry),
 * the term that matched (keywords; "" for structural signals) and its
 * weight (0 once the supervisor's releases have switched it off). */
struct intake_spam_hit {
	enum intake_spam_signal signal;
	char term[INTAKE_SPAM_TERM];
	int weight;
};

/* A text's score. Zero-initialise; intake_spam_eval adds to it, so the
 * description's and the address's signals can be summed. */
struct intake_spam_verdict {
	int score; /* sum of every hit's weight (also those not kept) */
	unsigned n;
	struct intake_spam_hit hit[INTAKE_SPAM_MAX_HITS];
};

/* qf_cfg custom parser for spam.keywords (a list of non-empty strings). */
int intake_spam_parse_keywords(const struct qf_cfg_setting *def, config_setting_t *s,
			       void *conf, struct qf_cfg_errors *errs);
void intake_spam_conf_free(struct intake_spam_conf *c);

/* Rule name of a signal ("keyword", "link", "contact_id", ...); static. */
const char *intake_spam_rule(enum intake_spam_signal sig);
/* Default weight of a signal (the table); for keyword signals the term's
 * own weight is in its hit. */
int intake_spam_weight(enum intake_spam_signal sig);

/* Score text (any bytes; invalid UTF-8 is read as U+FFFD) into v: every
 * signal's hits, each term once. Nothing when c->enabled is 0 or text is
 * NULL. Linear in the text (repeats are looked for in its first 4000
 * characters). Never fails: out of memory scores the text as written. */
void intake_spam_eval(const struct intake_spam_conf *c, const char *text,
		      struct intake_spam_verdict *v);
/* Add a hit (the duplicate signal, from the caller); term may be NULL. */
void intake_spam_add(struct intake_spam_verdict *v, enum intake_spam_signal sig,
		     const char *term, int weight);
/* Set hit i's weight (the adjustment), keeping score the sum. */
void intake_spam_set_weight(struct intake_spam_verdict *v, unsigned i, int weight);
/* Does v hold under c (score >= threshold)? When it does, rule gets the rule
 * name of the heaviest hit and detail its term (may be ""). */
int intake_spam_decide(const struct intake_spam_conf *c,
		       const struct intake_spam_verdict *v, char *rule, size_t rn,
		       char *detail, size_t dn);

/* eval + decide on one text: 1 (held, rule and detail set) or 0. */
int intake_spam_check(const struct intake_spam_conf *c, const char *text, char *rule,
		      size_t rn, char *detail, size_t dn);

/* The normalised fingerprint text of the duplicate signal: letters, digits
 * and Han characters of text's normalised form, lower-cased, at most max
 * code points; malloc'd (caller frees), NULL when out of memory. */
char *intake_spam_fingerprint_text(const char *text, size_t max);

#endif
