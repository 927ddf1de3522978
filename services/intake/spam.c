/* spam.c: the spam score of one text (spam.h).
 *
 * Design: two tables are the whole policy. s_signals gives each signal its
 * rule name and weight; s_terms lists the advertising and complaint terms
 * with their own weights. The scanners only find things (plain loops over
 * UTF-8, no regular expressions, each linear in the text, so none can blow
 * up on hostile input); every decision is the sum of the table's weights
 * against spam.threshold. Everything is matched on the shared normaliser's
 * output (qf_norm: full-width forms, digits in any script, Chinese numerals
 * in numbers, separators inside mobile numbers, spaces between Han
 * characters), lower-cased, so "ＶＸ", "贷 款" and "壹叁捌 壹贰叁肆 伍陆柒捌"
 * match like "vx", "贷款" and 13812345678. The weights were tuned on the
 * first half of tests/data/spam-corpus.tsv (spam_corpus_test.c reports both
 * halves). */
#include "spam.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_norm.h"

/* ------------------------------------------------------------ weights */

static const struct {
	const char *rule;
	int weight;
} s_signals[INTAKE_SPAM_NSIGNALS] = {
    [INTAKE_SPAM_AD_STRONG] = {"keyword", 6},
    [INTAKE_SPAM_AD_WEAK] = {"keyword", 4},
    [INTAKE_SPAM_KEYWORD] = {"keyword", 6}, /* spam.keyword_weight */
    [INTAKE_SPAM_LINK] = {"link", 6},
    [INTAKE_SPAM_CONTACT_ID] = {"contact_id", 7},
    [INTAKE_SPAM_GROUP] = {"group_invite", 8},
    [INTAKE_SPAM_PHONE] = {"phone_number", 4},
    [INTAKE_SPAM_REPEAT] = {"repeat", 10},
    [INTAKE_SPAM_REPEAT_PHRASE] = {"repeat_phrase", 10},
    [INTAKE_SPAM_DUPLICATE] = {"duplicate", 4},
    [INTAKE_SPAM_COMPLAINT] = {"complaint", -4},
};

/* Terms, normalised and lower-case. Strong: an offer on its own (loans,
 * order brushing, invoices, gambling, sex, fake papers, "add my WeChat").
 * Weak: words that sell. Complaint: a resident describing spam or fraud
 * they suffered ("楼道贴满贷款小广告") rather than sending it. */
static const struct {
	const char *term;
	enum intake_spam_signal sig;
} s_terms[] = {
    /* loans, cash-out */
    {"贷款", INTAKE_SPAM_AD_STRONG},
    {"放款", INTAKE_SPAM_AD_STRONG},
    {"网贷", INTAKE_SPAM_AD_STRONG},
    {"下款", INTAKE_SPAM_AD_STRONG},
    {"套现", INTAKE_SPAM_AD_STRONG},
    {"黑户", INTAKE_SPAM_AD_STRONG},
    {"借款", INTAKE_SPAM_AD_WEAK},
    {"低息", INTAKE_SPAM_AD_WEAK},
    {"无抵押", INTAKE_SPAM_AD_WEAK},
    {"秒批", INTAKE_SPAM_AD_WEAK},
    {"秒到", INTAKE_SPAM_AD_WEAK},
    {"额度", INTAKE_SPAM_AD_WEAK},
    {"利息低", INTAKE_SPAM_AD_WEAK},
    /* jobs, order brushing */
    {"刷单", INTAKE_SPAM_AD_STRONG},
    {"兼职打字", INTAKE_SPAM_AD_STRONG},
    {"打字员", INTAKE_SPAM_AD_STRONG},
    {"日赚", INTAKE_SPAM_AD_STRONG},
    {"日入", INTAKE_SPAM_AD_STRONG},
    {"网赚", INTAKE_SPAM_AD_STRONG},
    {"躺赚", INTAKE_SPAM_AD_STRONG},
    {"点赞员", INTAKE_SPAM_AD_STRONG},
    {"兼职", INTAKE_SPAM_AD_WEAK},
    {"日结", INTAKE_SPAM_AD_WEAK},
    {"佣金", INTAKE_SPAM_AD_WEAK},
    {"返利", INTAKE_SPAM_AD_WEAK},
    {"宝妈", INTAKE_SPAM_AD_WEAK},
    {"手机就能", INTAKE_SPAM_AD_WEAK},
    {"在家就能", INTAKE_SPAM_AD_WEAK},
    {"轻松月入", INTAKE_SPAM_AD_STRONG},
    {"招代理", INTAKE_SPAM_AD_STRONG},
    /* invoices, papers */
    {"代开发票", INTAKE_SPAM_AD_STRONG},
    {"发票代开", INTAKE_SPAM_AD_STRONG},
    {"代开", INTAKE_SPAM_AD_WEAK},
    {"增值税", INTAKE_SPAM_AD_WEAK},
    {"办证", INTAKE_SPAM_AD_STRONG},
    {"代办证件", INTAKE_SPAM_AD_STRONG},
    {"包过", INTAKE_SPAM_AD_STRONG},
    {"刻章", INTAKE_SPAM_AD_STRONG},
    /* gambling, sex, surrogacy */
    {"博彩", INTAKE_SPAM_AD_STRONG},
    {"赌场", INTAKE_SPAM_AD_STRONG},
    {"六合彩", INTAKE_SPAM_AD_STRONG},
    {"百家乐", INTAKE_SPAM_AD_STRONG},
    {"时时彩", INTAKE_SPAM_AD_STRONG},
    {"真人荷官", INTAKE_SPAM_AD_STRONG},
    {"彩金", INTAKE_SPAM_AD_STRONG},
    {"首充", INTAKE_SPAM_AD_STRONG},
    {"裸聊", INTAKE_SPAM_AD_STRONG},
    {"约炮", INTAKE_SPAM_AD_STRONG},
    {"上门服务", INTAKE_SPAM_AD_WEAK},
    {"代孕", INTAKE_SPAM_AD_STRONG},
    {"赌球", INTAKE_SPAM_AD_STRONG},
    {"外围投注", INTAKE_SPAM_AD_STRONG},
    /* quack medicine, private detectives */
    {"祖传秘方", INTAKE_SPAM_AD_STRONG},
    {"包治", INTAKE_SPAM_AD_STRONG},
    {"私家侦探", INTAKE_SPAM_AD_STRONG},
    /* calls to action */
    {"加微信", INTAKE_SPAM_AD_STRONG},
    {"加v", INTAKE_SPAM_AD_STRONG},
    {"加qq", INTAKE_SPAM_AD_STRONG},
    {"有意者", INTAKE_SPAM_AD_STRONG},
    {"免费领取", INTAKE_SPAM_AD_STRONG},
    {"领红包", INTAKE_SPAM_AD_WEAK},
    {"领取", INTAKE_SPAM_AD_WEAK},
    {"详情咨询", INTAKE_SPAM_AD_WEAK},
    {"咨询热线", INTAKE_SPAM_AD_WEAK},
    {"私聊", INTAKE_SPAM_AD_WEAK},
    {"私信", INTAKE_SPAM_AD_WEAK},
    {"扫码", INTAKE_SPAM_AD_WEAK},
    {"点击", INTAKE_SPAM_AD_WEAK},
    {"立即注册", INTAKE_SPAM_AD_WEAK},
    {"名额有限", INTAKE_SPAM_AD_WEAK},
    {"速来", INTAKE_SPAM_AD_WEAK},
    {"优惠", INTAKE_SPAM_AD_WEAK},
    {"特价", INTAKE_SPAM_AD_WEAK},
    {"稳赚", INTAKE_SPAM_AD_STRONG},
    {"高回报", INTAKE_SPAM_AD_STRONG},
    {"高收益", INTAKE_SPAM_AD_WEAK},
    {"内幕", INTAKE_SPAM_AD_WEAK},
    {"带你", INTAKE_SPAM_AD_WEAK},
    {"诚招", INTAKE_SPAM_AD_WEAK},
    {"欢迎咨询", INTAKE_SPAM_AD_WEAK},
    {"联系我们", INTAKE_SPAM_AD_WEAK},
    /* a resident describing spam or fraud */
    {"小广告", INTAKE_SPAM_COMPLAINT},
    {"牛皮癣", INTAKE_SPAM_COMPLAINT},
    {"被骗", INTAKE_SPAM_COMPLAINT},
    {"诈骗", INTAKE_SPAM_COMPLAINT},
    {"骚扰电话", INTAKE_SPAM_COMPLAINT},
    {"举报", INTAKE_SPAM_COMPLAINT},
};

/* Messenger markers: an id must follow (contact_id); group markers: a
 * number must follow (group_invite). ASCII markers must stand alone. */
static const struct {
	const char *mark;
	enum intake_spam_signal sig;
} s_marks[] = {
    {"微信", INTAKE_SPAM_CONTACT_ID},	{"威信", INTAKE_SPAM_CONTACT_ID},
    {"薇信", INTAKE_SPAM_CONTACT_ID},	{"维信", INTAKE_SPAM_CONTACT_ID},
    {"徽信", INTAKE_SPAM_CONTACT_ID},	{"v信", INTAKE_SPAM_CONTACT_ID},
    {"vx", INTAKE_SPAM_CONTACT_ID},	{"wx", INTAKE_SPAM_CONTACT_ID},
    {"weixin", INTAKE_SPAM_CONTACT_ID}, {"wechat", INTAKE_SPAM_CONTACT_ID},
    {"加v", INTAKE_SPAM_CONTACT_ID},	{"薇", INTAKE_SPAM_CONTACT_ID},
    {"qq", INTAKE_SPAM_CONTACT_ID},	{"扣扣", INTAKE_SPAM_CONTACT_ID},
    {"企鹅", INTAKE_SPAM_CONTACT_ID},	{"telegram", INTAKE_SPAM_CONTACT_ID},
    {"tg", INTAKE_SPAM_CONTACT_ID},	{"电报", INTAKE_SPAM_CONTACT_ID},
    {"飞机号", INTAKE_SPAM_CONTACT_ID}, {"whatsapp", INTAKE_SPAM_CONTACT_ID},
    {"qq群", INTAKE_SPAM_GROUP},	{"q群", INTAKE_SPAM_GROUP},
    {"扣群", INTAKE_SPAM_GROUP},	{"企鹅群", INTAKE_SPAM_GROUP},
    {"微信群", INTAKE_SPAM_GROUP},	{"群号", INTAKE_SPAM_GROUP},
    {"进群", INTAKE_SPAM_GROUP},	{"加群", INTAKE_SPAM_GROUP},
    {"tg群", INTAKE_SPAM_GROUP},	{"电报群", INTAKE_SPAM_GROUP},
};

/* Words between a marker and its id: "微信号：", "QQ是", "薇 = ". */
static const char *const s_joiners[] = {" ",  ":",  "：", "-",	"=", "号",
					"是", "为", "码", "；", ";", "「",
					"」", "【", "】", "@",	"+"};

/* ------------------------------------------------------------ config */

int intake_spam_parse_keywords(const struct qf_cfg_setting *def, config_setting_t *s,
			       void *conf, struct qf_cfg_errors *errs)
{
	struct intake_spam_conf *c =
	    (struct intake_spam_conf *)((char *)conf + def->offset);
	c->keywords = NULL;
	c->nkeywords = 0;
	if (!s)
		return QF_OK;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL, "must be a list of strings [ \"...\", ... ]");
		return QF_ERR_CONFIG;
	}
	int n = config_setting_length(s);
	if (n > INTAKE_SPAM_MAX_KEYWORDS) {
		qf_cfg_error(errs, s, NULL, "at most %d keywords",
			     INTAKE_SPAM_MAX_KEYWORDS);
		return QF_ERR_CONFIG;
	}
	c->keywords = calloc((size_t)n + 1, sizeof *c->keywords);
	if (!c->keywords)
		return QF_ERR_NOMEM;
	int rc = QF_OK;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (!v || !*v || strlen(v) >= INTAKE_SPAM_TERM) {
			qf_cfg_error(errs, e, NULL,
				     "each keyword must be a string of 1..%d bytes",
				     INTAKE_SPAM_TERM - 1);
			rc = QF_ERR_CONFIG;
			continue;
		}
		char *k = qf_norm_str(v, strlen(v), QF_NORM_ALL);
		if (!k)
			return QF_ERR_NOMEM;
		for (char *p = k; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!*k) {
			free(k);
			qf_cfg_error(errs, e, NULL,
				     "keyword \"%s\" has no visible characters", v);
			rc = QF_ERR_CONFIG;
			continue;
		}
		c->keywords[c->nkeywords++] = k;
	}
	return rc;
}

void intake_spam_conf_free(struct intake_spam_conf *c)
{
	for (unsigned i = 0; i < c->nkeywords; i++)
		free(c->keywords[i]);
	free(c->keywords);
	c->keywords = NULL;
	c->nkeywords = 0;
}

const char *intake_spam_rule(enum intake_spam_signal sig)
{
	return sig < INTAKE_SPAM_NSIGNALS ? s_signals[sig].rule : "unknown";
}

int intake_spam_weight(enum intake_spam_signal sig)
{
	return sig < INTAKE_SPAM_NSIGNALS ? s_signals[sig].weight : 0;
}

/* ------------------------------------------------------------ verdict */

void intake_spam_add(struct intake_spam_verdict *v, enum intake_spam_signal sig,
		     const char *term, int weight)
{
	v->score += weight;
	if (v->n >= INTAKE_SPAM_MAX_HITS)
		return;
	struct intake_spam_hit *h = &v->hit[v->n++];
	h->signal = sig;
	snprintf(h->term, sizeof h->term, "%s", term ? term : "");
	h->weight = weight;
}

void intake_spam_set_weight(struct intake_spam_verdict *v, unsigned i, int weight)
{
	if (i >= v->n)
		return;
	v->score += weight - v->hit[i].weight;
	v->hit[i].weight = weight;
}

/* Is (sig, term) already in v? Each term counts once per submission. */
static int s_seen(const struct intake_spam_verdict *v, enum intake_spam_signal sig,
		  const char *term)
{
	for (unsigned i = 0; i < v->n; i++)
		if (v->hit[i].signal == sig && !strcmp(v->hit[i].term, term ? term : ""))
			return 1;
	return 0;
}

static void s_hit(struct intake_spam_verdict *v, enum intake_spam_signal sig,
		  const char *term, int weight)
{
	if (!s_seen(v, sig, term))
		intake_spam_add(v, sig, term, weight);
}

int intake_spam_decide(const struct intake_spam_conf *c,
		       const struct intake_spam_verdict *v, char *rule, size_t rn,
		       char *detail, size_t dn)
{
	if (dn)
		detail[0] = '\0';
	if (!c->enabled || v->score < c->threshold)
		return 0;
	unsigned best = 0;
	for (unsigned i = 1; i < v->n; i++)
		if (v->hit[i].weight > v->hit[best].weight)
			best = i;
	snprintf(rule, rn, "%s", v->n ? intake_spam_rule(v->hit[best].signal) : "score");
	if (v->n && dn)
		snprintf(detail, dn, "%s", v->hit[best].term);
	return 1;
}

/* ------------------------------------------------------------ scanners */

static int s_alnum(char c) { return isalnum((unsigned char)c); }

static int s_wordish(uint32_t c)
{
	return (c < 0x80 && isalnum((int)c)) || qf_norm_is_han(c);
}

/* http://, https://, www., or a bare domain name with a common TLD. */
static int s_has_link(const char *t)
{
	if (strstr(t, "http://") || strstr(t, "https://") || strstr(t, "www."))
		return 1;
	static const char *const tlds[] = {"com",  "cn",   "net",  "org", "top", "xyz",
					   "cc",   "vip",  "info", "io",  "me",	 "shop",
					   "club", "site", "link", "ltd"};
	for (const char *p = t; *p; p++) {
		if (*p != '.' || p == t || !s_alnum(p[-1]))
			continue;
		for (size_t i = 0; i < sizeof tlds / sizeof tlds[0]; i++) {
			size_t l = strlen(tlds[i]);
			if (!strncmp(p + 1, tlds[i], l) && !s_alnum(p[1 + l]))
				return 1;
		}
	}
	return 0;
}

/* After a marker: joiners, then an id of 5..20 letters, digits, '_' or '-'
 * starting with a letter or digit (a group's: with a digit). */
static int s_id_follows(const char *q, int group)
{
	for (int moved = 1; moved;) {
		moved = 0;
		for (size_t j = 0; j < sizeof s_joiners / sizeof s_joiners[0]; j++) {
			size_t l = strlen(s_joiners[j]);
			if (!strncmp(q, s_joiners[j], l)) {
				q += l;
				moved = 1;
			}
		}
	}
	size_t n = 0, digits = 0;
	if (!s_alnum(q[0]))
		return 0;
	while (s_alnum(q[n]) || q[n] == '_' || q[n] == '-') {
		digits += isdigit((unsigned char)q[n]) != 0;
		n++;
	}
	if (group)
		return n >= 5 && n <= 20 && digits;
	/* an id has a digit or is long: "vx abcdef" is not "vx 说过" */
	return n >= 5 && n <= 20 && (digits || n >= 6);
}

static void s_contacts(const char *t, struct intake_spam_verdict *v)
{
	for (size_t i = 0; i < sizeof s_marks / sizeof s_marks[0]; i++) {
		const char *m = s_marks[i].mark;
		size_t ml = strlen(m);
		for (const char *p = strstr(t, m); p; p = strstr(p + 1, m)) {
			if (s_alnum(m[0]) && p > t && s_alnum(p[-1]))
				continue;
			if (s_alnum(m[ml - 1]) && s_alnum(p[ml]))
				continue; /* "tg" of "tgabc" is not a marker */
			if (s_id_follows(p + ml, s_marks[i].sig == INTAKE_SPAM_GROUP)) {
				s_hit(v, s_marks[i].sig, NULL,
				      s_signals[s_marks[i].sig].weight);
				break;
			}
		}
	}
}

/* A mainland mobile number (11 digits from 1[3-9], not inside a longer run
 * of digits; the normaliser has removed separators inside it) or a
 * landline written area-number. */
static int s_has_phone(const char *t)
{
	for (const char *p = t; *p; p++) {
		if (!isdigit((unsigned char)*p) ||
		    (p > t && isdigit((unsigned char)p[-1])))
			continue;
		size_t n = 0;
		while (isdigit((unsigned char)p[n]))
			n++;
		if (n == 11 && p[0] == '1' && p[1] >= '3' && p[1] <= '9')
			return 1;
		if (p[0] == '0' && (n == 3 || n == 4) && p[n] == '-') {
			size_t m = 0;
			while (isdigit((unsigned char)p[n + 1 + m]))
				m++;
			if (m >= 7 && m <= 8)
				return 1;
		}
	}
	return 0;
}

/* Repetition looks at this many code points at most. */
#define S_REPEAT_SCAN 4000

/* Longest run of one code point in cp[0..n). */
static size_t s_longest_run(const uint32_t *cp, size_t n)
{
	size_t best = n ? 1 : 0, run = 1;
	for (size_t i = 1; i < n; i++) {
		run = cp[i] == cp[i - 1] ? run + 1 : 1;
		if (run > best)
			best = run;
	}
	return best;
}

/* A unit of 2..8 code points repeated back to back at least five times
 * over at least twelve code points ("刷单刷单刷单刷单刷单刷单"), in the
 * text's letters, digits and Han characters (punctuation and spaces
 * between the repeats do not hide them). */
static int s_repeated_phrase(const uint32_t *cp, size_t n)
{
	for (size_t l = 2; l <= 8; l++) {
		size_t same = 0; /* positions i with cp[i] == cp[i - l] in a row */
		for (size_t i = l; i < n; i++) {
			same = cp[i] == cp[i - l] ? same + 1 : 0;
			/* same + l code points are k = (same + l) / l repeats */
			if (same + l >= 12 && (same + l) / l >= 5)
				return 1;
		}
	}
	return 0;
}

/* Code points of t: all (cp) and letters, digits and Han only (w). */
static void s_decode(const char *t, uint32_t *cp, size_t *ncp, uint32_t *w, size_t *nw)
{
	size_t len = strlen(t), i = 0;
	*ncp = *nw = 0;
	while (i < len && *ncp < S_REPEAT_SCAN) {
		uint32_t c = qf_norm_decode((const unsigned char *)t, len, &i);
		cp[(*ncp)++] = c;
		if (s_wordish(c))
			w[(*nw)++] = c;
	}
}

/* Terms and messenger ids in t (normalised, or compacted: see below). */
static void s_words(const struct intake_spam_conf *c, const char *t,
		    struct intake_spam_verdict *v)
{
	for (size_t i = 0; i < sizeof s_terms / sizeof s_terms[0]; i++)
		if (strstr(t, s_terms[i].term))
			s_hit(v, s_terms[i].sig, s_terms[i].term,
			      s_signals[s_terms[i].sig].weight);
	for (unsigned i = 0; i < c->nkeywords; i++)
		if (strstr(t, c->keywords[i]) &&
		    !s_seen(v, INTAKE_SPAM_AD_STRONG, c->keywords[i]) &&
		    !s_seen(v, INTAKE_SPAM_AD_WEAK, c->keywords[i]))
			s_hit(v, INTAKE_SPAM_KEYWORD, c->keywords[i], c->keyword_weight);
	if (c->wechat)
		s_contacts(t, v);
}

/* Keep only letters, digits and Han characters of normalised text n, in
 * place: "兼.职.打.字", "刷——单" and "扣扣 5 6 7 8 9" read as 兼职打字, 刷单
 * and 扣扣56789 (the normaliser joins only spaces between Han characters
 * and separators inside phone numbers). At most max code points. */
static void s_compact(char *n, size_t max)
{
	size_t len = strlen(n), i = 0, o = 0, k = 0;
	while (i < len && k < max) {
		size_t at = i;
		uint32_t c = qf_norm_decode((const unsigned char *)n, len, &i);
		if (!s_wordish(c))
			continue;
		memmove(n + o, n + at, i - at);
		o += i - at;
		k++;
	}
	n[o] = '\0';
}

static void s_eval_norm(const struct intake_spam_conf *c, const char *t,
			struct intake_spam_verdict *v)
{
	s_words(c, t, v);
	char *compact = strdup(t);
	if (compact) {
		s_compact(compact, SIZE_MAX);
		s_words(c, compact, v);
		free(compact);
	}
	if (c->links && s_has_link(t))
		s_hit(v, INTAKE_SPAM_LINK, NULL, s_signals[INTAKE_SPAM_LINK].weight);
	if (c->phone_numbers && s_has_phone(t))
		s_hit(v, INTAKE_SPAM_PHONE, NULL, s_signals[INTAKE_SPAM_PHONE].weight);

	static uint32_t none[1];
	uint32_t *cp = malloc(S_REPEAT_SCAN * sizeof *cp);
	uint32_t *w = malloc(S_REPEAT_SCAN * sizeof *w);
	size_t ncp = 0, nw = 0;
	if (cp && w)
		s_decode(t, cp, &ncp, w, &nw);
	if (c->max_repeat > 0 &&
	    s_longest_run(cp ? cp : none, ncp) > (size_t)c->max_repeat)
		s_hit(v, INTAKE_SPAM_REPEAT, NULL, s_signals[INTAKE_SPAM_REPEAT].weight);
	else if (c->max_repeat > 0 && s_repeated_phrase(w ? w : none, nw))
		s_hit(v, INTAKE_SPAM_REPEAT_PHRASE, NULL,
		      s_signals[INTAKE_SPAM_REPEAT_PHRASE].weight);
	free(cp);
	free(w);
}

/* The normalised, lower-cased text; NULL when out of memory. */
static char *s_norm(const char *text)
{
	char *n = qf_norm_str(text, strlen(text), QF_NORM_ALL);
	if (n)
		for (char *p = n; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return n;
}

void intake_spam_eval(const struct intake_spam_conf *c, const char *text,
		      struct intake_spam_verdict *v)
{
	if (!c->enabled || !text)
		return;
	/* out of memory: the rules still run, on the text as written */
	char *norm = s_norm(text);
	s_eval_norm(c, norm ? norm : text, v);
	free(norm);
}

int intake_spam_check(const struct intake_spam_conf *c, const char *text, char *rule,
		      size_t rn, char *detail, size_t dn)
{
	struct intake_spam_verdict v = {0};
	intake_spam_eval(c, text, &v);
	return intake_spam_decide(c, &v, rule, rn, detail, dn);
}

char *intake_spam_fingerprint_text(const char *text, size_t max)
{
	char *norm = s_norm(text ? text : "");
	if (norm)
		s_compact(norm, max);
	return norm;
}
