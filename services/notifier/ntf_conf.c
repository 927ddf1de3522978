/* ntf_conf.c: loading and checking the notifier's configuration
 * (ntf_conf.h).
 *
 * The flat settings go through the qf_cfg table; the lists (channels,
 * templates, rules, staff contacts, groups) through custom parsers that
 * check every member's name and type and remember each item's line. The
 * cross-references (rule -> template, channel, category, staff, group;
 * template placeholders -> what the rule's event provides) are checked in a
 * second pass against the community file, reported with the remembered
 * line, so one run of --check-config lists every problem. */
#include "ntf_conf.h"
#include "ntf_format.h"
#include "qf_url.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_event.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_rk_names[NTF_RK_COUNT] = {
    "petitioner", "assignee",  "previous_assignee", "building_head",
    "supervisor", "secretary", "escalated_to",	    "duty_staff",
    "staff",	  "group",     "case_followers",    "building_followers",
    "channel"};

const char *ntf_rk_name(enum ntf_rk k)
{
	return (unsigned)k < NTF_RK_COUNT ? s_rk_names[k] : "?";
}

/* Families in which each recipient kind can be resolved. */
static const unsigned s_rk_fams[NTF_RK_COUNT] = {
    [NTF_RK_PETITIONER] = F_P | F_C | F_D | F_R | F_A | F_F,
    [NTF_RK_ASSIGNEE] = F_C | F_D | F_R | F_A | F_F,
    [NTF_RK_PREVIOUS_ASSIGNEE] = F_C,
    [NTF_RK_BUILDING_HEAD] = F_P | F_C | F_D | F_H | F_R | F_A | F_F,
    [NTF_RK_SUPERVISOR] = NTF_FAM_ALL,
    [NTF_RK_SECRETARY] = NTF_FAM_ALL,
    [NTF_RK_ESCALATED_TO] = F_D,
    [NTF_RK_DUTY_STAFF] = F_Q,
    [NTF_RK_STAFF] = NTF_FAM_ALL,
    [NTF_RK_GROUP] = NTF_FAM_ALL,
    [NTF_RK_CASE_FOLLOWERS] = F_C | F_D | F_R | F_A | F_F,
    [NTF_RK_BUILDING_FOLLOWERS] = F_P | F_C | F_D | F_H | F_R | F_F,
    [NTF_RK_CHANNEL] = NTF_FAM_ALL,
};

unsigned ntf_event_family(int type)
{
	switch (type) {
	case QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED:
		return NTF_FAM_PETITION;
	case QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED:
	case QINGFENG__V1__EVENT_TYPE__CASE_ACCEPTED:
	case QINGFENG__V1__EVENT_TYPE__CASE_TRANSFERRED:
	case QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS:
	case QINGFENG__V1__EVENT_TYPE__CASE_RESOLVED:
	case QINGFENG__V1__EVENT_TYPE__CASE_REJECTED:
	case QINGFENG__V1__EVENT_TYPE__CASE_REOPENED:
	case QINGFENG__V1__EVENT_TYPE__CASE_MERGED:
	case QINGFENG__V1__EVENT_TYPE__CASE_CLOSED:
	case QINGFENG__V1__EVENT_TYPE__CASE_ESCALATED:
	case QINGFENG__V1__EVENT_TYPE__EXTENSION_REQUESTED:
	case QINGFENG__V1__EVENT_TYPE__EXTENSION_DECIDED:
	case QINGFENG__V1__EVENT_TYPE__CASE_RATED:
		return NTF_FAM_CASE;
	case QINGFENG__V1__EVENT_TYPE__DEADLINE_WARNING:
		return NTF_FAM_DEADLINE;
	case QINGFENG__V1__EVENT_TYPE__HOTSPOT_WARNING:
		return NTF_FAM_HOTSPOT;
	case QINGFENG__V1__EVENT_TYPE__REPEAT_LINKED:
		return NTF_FAM_REPEAT;
	case QINGFENG__V1__EVENT_TYPE__AUDIT_ALERT:
		return NTF_FAM_ALERT;
	case QINGFENG__V1__EVENT_TYPE__FEEDBACK_GIVEN:
		return NTF_FAM_FEEDBACK;
	case QINGFENG__V1__EVENT_TYPE__DUTY_QUOTA:
		return NTF_FAM_QUOTA;
	default:
		return 0;
	}
}

int ntf_strlist_has(const struct qf_strlist *l, const char *s)
{
	for (unsigned i = 0; i < l->n; i++)
		if (s && strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void ntf_strlist_free(struct qf_strlist *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* An error at a remembered line of the configuration file. */
static void s_err_at(struct qf_cfg_errors *errs, const char *file, unsigned line,
		     const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void s_err_at(struct qf_cfg_errors *errs, const char *file, unsigned line,
		     const char *path, const char *fmt, ...)
{
	if (errs->n >= QF_CFG_MAX_ERRORS)
		return;
	char what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(errs->msg[errs->n++], sizeof errs->msg[0], "%s:%u: setting '%s': %s",
		 file ? file : "(none)", line, path, what);
}

/* ------------------------------------------------------------ parsing */

int ntf_conf_strlist(config_setting_t *s, struct qf_strlist *l,
		     struct qf_cfg_errors *errs)
{
	ntf_strlist_free(l);
	if (!s)
		return 0;
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_STRING) {
		l->v = calloc(1, sizeof *l->v);
		if (!l->v || !(l->v[0] = strdup(config_setting_get_string(s))))
			return QF_ERR_NOMEM;
		l->n = 1;
		return 0;
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL, "must be a list of strings [\"a\", \"b\"]");
		return QF_ERR_CONFIG;
	}
	int n = config_setting_length(s);
	l->v = calloc((size_t)n + 1, sizeof *l->v);
	if (!l->v)
		return QF_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			qf_cfg_error(errs, e, NULL, "must be a string");
			return QF_ERR_CONFIG;
		}
		if (!(l->v[l->n] = strdup(config_setting_get_string(e))))
			return QF_ERR_NOMEM;
		l->n++;
	}
	return 0;
}

/* Every member of group g must be one of names[]. */
static int s_members_known(config_setting_t *g, const char *const *names,
			   struct qf_cfg_errors *errs)
{
	int rc = 0;
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *mn = config_setting_name(m);
		int ok = 0;
		for (const char *const *n = names; *n; n++)
			if (mn && strcmp(mn, *n) == 0)
				ok = 1;
		if (!ok) {
			qf_cfg_error(errs, m, NULL, "unknown setting (misspelt?)");
			rc = QF_ERR_CONFIG;
		}
	}
	return rc;
}

static int s_str(config_setting_t *g, const char *name, int optional, const char *def,
		 char **out, struct qf_cfg_errors *errs)
{
	const char *v = def;
	if (qf_cfg_member_str(g, name, optional, &v, errs))
		return QF_ERR_CONFIG;
	free(*out);
	*out = strdup(v ? v : "");
	return *out ? 0 : QF_ERR_NOMEM;
}

static int s_int(config_setting_t *g, const char *name, long long def, long long min,
		 long long max, long long *out, struct qf_cfg_errors *errs)
{
	*out = def;
	return qf_cfg_member_int(g, name, 1, min, max, out, errs);
}

static int s_double(config_setting_t *g, const char *name, double def, double min,
		    double max, double *out, struct qf_cfg_errors *errs)
{
	*out = def;
	config_setting_t *m = config_setting_get_member(g, name);
	if (!m)
		return 0;
	int t = config_setting_type(m);
	if (t != CONFIG_TYPE_FLOAT && t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		qf_cfg_error(errs, m, NULL, "must be a number");
		return QF_ERR_CONFIG;
	}
	double v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(m)
					  : (double)config_setting_get_int64(m);
	if (v < min || v > max) {
		qf_cfg_error(errs, m, NULL, "%g is outside %g..%g", v, min, max);
		return QF_ERR_CONFIG;
	}
	*out = v;
	return 0;
}

static int s_list_check(config_setting_t *s, struct qf_cfg_errors *errs)
{
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL, "must be a list ( { ... }, { ... } )");
		return QF_ERR_CONFIG;
	}
	return 0;
}

static int s_group_check(config_setting_t *g, struct qf_cfg_errors *errs)
{
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		qf_cfg_error(errs, g, NULL, "must be a group { name = ...; ... }");
		return QF_ERR_CONFIG;
	}
	return 0;
}

/* One kind of list of groups in the file (channels, templates, rules,
 * contacts, groups). Each element is parsed into the next slot of an array
 * allocated for the whole list; an element that fails is reported, freed and
 * its slot reused, so that every error in the file is reported in one go and
 * the array holds only good elements. */
struct list_kind {
	const char *what; /* "channel": for the duplicate-name message */
	size_t size;	  /* of one element */
	int (*parse)(config_setting_t *g, void *el, struct qf_cfg_errors *errs);
	void (*free)(void *el);		     /* frees and zeroes the element */
	const char *(*name)(const void *el); /* NULL: names need not be unique */
};

/* Parses list s into *arr (allocated here; the caller owns it, also on
 * error) and *count. */
static int s_parse_list(config_setting_t *s, const struct list_kind *k, void **arr,
			unsigned *count, struct qf_cfg_errors *errs)
{
	if (!s)
		return 0;
	if (s_list_check(s, errs))
		return QF_ERR_CONFIG;
	int n = config_setting_length(s);
	char *a = calloc((size_t)n + 1, k->size);
	if (!a)
		return QF_ERR_NOMEM;
	*arr = a;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (s_group_check(g, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		void *el = a + (size_t)*count * k->size;
		int r = k->parse(g, el, errs);
		if (r == QF_ERR_NOMEM)
			return r;
		if (r) {
			k->free(el);
			rc = QF_ERR_CONFIG;
			continue;
		}
		for (unsigned e = 0; k->name && e < *count; e++)
			if (strcmp(k->name(a + (size_t)e * k->size), k->name(el)) == 0) {
				qf_cfg_error(errs, g, NULL, "duplicate %s name '%s'",
					     k->what, k->name(el));
				rc = QF_ERR_CONFIG;
			}
		(*count)++;
	}
	return rc;
}

/* Secrets are read relative to the file being parsed. */
static const char *s_file_of(config_setting_t *s, struct qf_cfg_errors *errs)
{
	const char *f = s ? config_setting_source_file(s) : NULL;
	return f ? f : errs->file;
}

int ntf_read_secret(const char *base_file, const char *file, char **out, char *err,
		    size_t n)
{
	*out = NULL;
	char *path = qf_cfg_resolve(base_file, file);
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f) {
		snprintf(err, n, "cannot read '%s': %s", file,
			 path ? strerror(errno) : "no memory");
		free(path);
		return QF_ERR_CONFIG;
	}
	char buf[4096];
	size_t got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	free(path);
	buf[got] = '\0';
	/* the first line that is not a comment */
	char *line = buf;
	while (*line == '#') {
		char *nl = strchr(line, '\n');
		if (!nl) {
			line += strlen(line);
			break;
		}
		line = nl + 1;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0]) {
		snprintf(err, n, "'%s' is empty", file);
		return QF_ERR_CONFIG;
	}
	*out = strdup(line);
	memset(buf, 0, sizeof buf);
	return *out ? 0 : QF_ERR_NOMEM;
}

static void s_channel_free(struct ntf_channel_conf *ch)
{
	free(ch->name);
	free(ch->url);
	if (ch->secret) {
		memset(ch->secret, 0, strlen(ch->secret));
		free(ch->secret);
	}
	free(ch->from);
	free(ch->from_name);
	free(ch->username);
	if (ch->password) {
		memset(ch->password, 0, strlen(ch->password));
		free(ch->password);
	}
	free(ch->method);
	free(ch->content_type);
	ntf_tmpl_free(&ch->sms_url);
	ntf_tmpl_free(&ch->sms_body);
	for (unsigned i = 0; i < ch->nsms_headers; i++)
		ntf_tmpl_free(&ch->sms_headers[i]);
	free(ch->sms_headers);
	free(ch->ok_contains);
	free(ch->ca_file);
	memset(ch, 0, sizeof *ch);
}

static int s_parse_channel(config_setting_t *g, struct ntf_channel_conf *ch,
			   struct qf_cfg_errors *errs)
{
	static const char *const known[] = {"name",
					    "type",
					    "url",
					    "secret_file",
					    "format",
					    "from",
					    "from_name",
					    "username",
					    "password_file",
					    "starttls",
					    "tls_verify",
					    "ca_file",
					    "method",
					    "content_type",
					    "body",
					    "headers",
					    "ok_contains",
					    "concurrency",
					    "rate_per_s",
					    "max_attempts",
					    "backoff_ms",
					    "backoff_max_ms",
					    "timeout_ms",
					    "connect_timeout_ms",
					    NULL};
	int rc = s_members_known(g, known, errs);
	ch->line = (unsigned)config_setting_source_line(g);
	const char *type = NULL, *fmt = "text", *secret_file = "", *pw_file = "",
		   *ca = "";
	if (s_str(g, "name", 0, NULL, &ch->name, errs) ||
	    qf_cfg_member_str(g, "type", 0, &type, errs))
		return QF_ERR_CONFIG;
	int t = ntf_fmt_parse(type);
	const struct ntf_format *fm = ntf_format_of(t);
	if (!fm) {
		qf_cfg_error(errs, config_setting_get_member(g, "type"), NULL,
			     "'%s' is not webhook, wecom, dingtalk, email or sms", type);
		return QF_ERR_CONFIG;
	}
	ch->type = (enum ntf_fmt)t;
	size_t nl = strlen(ch->name);
	if (nl < 1 || nl > 40 ||
	    strspn(ch->name, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != nl) {
		qf_cfg_error(errs, config_setting_get_member(g, "name"), NULL,
			     "'%s': 1 to 40 letters, digits, '_' or '-'", ch->name);
		rc = QF_ERR_CONFIG;
	}
	long long v;
	double d;
	if (s_str(g, "url", fm->url_optional, "", &ch->url, errs) ||
	    qf_cfg_member_str(g, "secret_file", 1, &secret_file, errs) ||
	    qf_cfg_member_str(g, "format", 1, &fmt, errs) ||
	    s_str(g, "from", 1, "", &ch->from, errs) ||
	    s_str(g, "from_name", 1, "", &ch->from_name, errs) ||
	    s_str(g, "username", 1, "", &ch->username, errs) ||
	    qf_cfg_member_str(g, "password_file", 1, &pw_file, errs) ||
	    qf_cfg_member_bool(g, "starttls", 1, &ch->starttls, errs) ||
	    qf_cfg_member_str(g, "ca_file", 1, &ca, errs) ||
	    s_str(g, "method", 1, "POST", &ch->method, errs) ||
	    s_str(g, "content_type", 1, "application/json", &ch->content_type, errs) ||
	    s_str(g, "ok_contains", 1, "", &ch->ok_contains, errs))
		return QF_ERR_CONFIG;
	ch->tls_verify = 1;
	if (qf_cfg_member_bool(g, "tls_verify", 1, &ch->tls_verify, errs))
		rc = QF_ERR_CONFIG;
	if (s_int(g, "concurrency", fm->concurrency, 1, 1024, &v, errs))
		rc = QF_ERR_CONFIG;
	ch->concurrency = (int)v;
	if (s_double(g, "rate_per_s", fm->rate_per_s, 0, 1e6, &d, errs))
		rc = QF_ERR_CONFIG;
	ch->rate_per_s = d;
	if (s_int(g, "max_attempts", 8, 1, 1000, &v, errs))
		rc = QF_ERR_CONFIG;
	ch->max_attempts = (int)v;
	if (s_int(g, "backoff_ms", 2000, 1, 86400000, &v, errs))
		rc = QF_ERR_CONFIG;
	ch->backoff_ms = v;
	if (s_int(g, "backoff_max_ms", 3600000, 1, 7 * 86400000LL, &v, errs))
		rc = QF_ERR_CONFIG;
	ch->backoff_max_ms = v;
	if (s_int(g, "timeout_ms", 10000, 100, 600000, &v, errs))
		rc = QF_ERR_CONFIG;
	ch->timeout_ms = (int)v;
	if (s_int(g, "connect_timeout_ms", 3000, 100, 600000, &v, errs))
		rc = QF_ERR_CONFIG;
	ch->connect_timeout_ms = (int)v;
	if (ch->backoff_max_ms < ch->backoff_ms) {
		qf_cfg_error(errs, g, NULL,
			     "backoff_max_ms must not be below backoff_ms");
		rc = QF_ERR_CONFIG;
	}
	if (strcmp(fmt, "text") == 0)
		ch->markdown = 0;
	else if (strcmp(fmt, "markdown") == 0)
		ch->markdown = 1;
	else {
		qf_cfg_error(errs, config_setting_get_member(g, "format"), NULL,
			     "'%s' is not text or markdown", fmt);
		rc = QF_ERR_CONFIG;
	}
	const char *base = s_file_of(g, errs);
	char err[300];
	if (secret_file[0]) {
		if (ntf_read_secret(base, secret_file, &ch->secret, err, sizeof err)) {
			qf_cfg_error(errs, config_setting_get_member(g, "secret_file"),
				     NULL, "%s", err);
			rc = QF_ERR_CONFIG;
		}
	}
	if (ca[0]) {
		/* checked now: a missing CA file would otherwise fail every send */
		ch->ca_file = qf_cfg_resolve(base, ca);
		if (!ch->ca_file)
			return QF_ERR_NOMEM;
		if (access(ch->ca_file, R_OK)) {
			qf_cfg_error(errs, config_setting_get_member(g, "ca_file"), NULL,
				     "cannot read '%s': %s", ca, strerror(errno));
			rc = QF_ERR_CONFIG;
		}
	}
	if (pw_file[0]) {
		if (ntf_read_secret(base, pw_file, &ch->password, err, sizeof err)) {
			qf_cfg_error(errs, config_setting_get_member(g, "password_file"),
				     NULL, "%s", err);
			rc = QF_ERR_CONFIG;
		}
	}
	/* the rest is the format's own */
	int frc = fm->parse(g, ch, errs);
	if (frc == QF_ERR_NOMEM)
		return frc;
	return frc ? frc : rc;
}

static int s_channel_parse(config_setting_t *g, void *el, struct qf_cfg_errors *errs)
{
	return s_parse_channel(g, el, errs);
}

static void s_channel_free_el(void *el) { s_channel_free(el); }

static const char *s_channel_name(const void *el)
{
	return ((const struct ntf_channel_conf *)el)->name;
}

static int s_parse_channels(const struct qf_cfg_setting *def, config_setting_t *s,
			    void *conf, struct qf_cfg_errors *errs)
{
	(void)def;
	struct ntf_conf *c = conf;
	static const struct list_kind kind = {"channel", sizeof *c->channels,
					      s_channel_parse, s_channel_free_el,
					      s_channel_name};
	void *arr = NULL;
	int rc = s_parse_list(s, &kind, &arr, &c->nchannels, errs);
	c->channels = arr;
	for (unsigned i = 0; i < c->nchannels; i++)
		c->channels[i].idx = i;
	return rc;
}

static int s_tmpl_member(config_setting_t *g, const char *name, int optional,
			 struct ntf_tmpl **out, struct qf_cfg_errors *errs)
{
	const char *text = NULL;
	if (qf_cfg_member_str(g, name, optional, &text, errs))
		return QF_ERR_CONFIG;
	if (!text)
		return 0;
	char err[160];
	int rc = ntf_tmpl_parse(text, out, err, sizeof err);
	if (rc == QF_ERR_CONFIG)
		qf_cfg_error(errs, config_setting_get_member(g, name), NULL, "%s", err);
	if (!rc && !ntf_text_valid(text, strlen(text))) {
		qf_cfg_error(errs, config_setting_get_member(g, name), NULL,
			     "not valid UTF-8 text");
		rc = QF_ERR_CONFIG;
	}
	return rc;
}

static void s_template_free(void *el)
{
	struct ntf_template_conf *t = el;
	free(t->name);
	ntf_tmpl_free(&t->subject);
	ntf_tmpl_free(&t->text);
	ntf_tmpl_free(&t->markdown);
	memset(t, 0, sizeof *t);
}

static int s_template_parse(config_setting_t *g, void *el, struct qf_cfg_errors *errs)
{
	static const char *const known[] = {"name", "subject", "text", "markdown", NULL};
	struct ntf_template_conf *t = el;
	t->line = (unsigned)config_setting_source_line(g);
	int r = s_members_known(g, known, errs);
	r |= s_str(g, "name", 0, NULL, &t->name, errs);
	r |= s_tmpl_member(g, "subject", 0, &t->subject, errs);
	r |= s_tmpl_member(g, "text", 0, &t->text, errs);
	r |= s_tmpl_member(g, "markdown", 1, &t->markdown, errs);
	return r ? QF_ERR_CONFIG : 0;
}

static const char *s_template_name(const void *el)
{
	return ((const struct ntf_template_conf *)el)->name;
}

static int s_parse_templates(const struct qf_cfg_setting *def, config_setting_t *s,
			     void *conf, struct qf_cfg_errors *errs)
{
	(void)def;
	struct ntf_conf *c = conf;
	static const struct list_kind kind = {"template", sizeof *c->templates,
					      s_template_parse, s_template_free,
					      s_template_name};
	void *arr = NULL;
	int rc = s_parse_list(s, &kind, &arr, &c->ntemplates, errs);
	c->templates = arr;
	return rc;
}

static int s_parse_recipient(const char *text, struct ntf_recipient *r)
{
	const char *colon = strchr(text, ':');
	size_t kl = colon ? (size_t)(colon - text) : strlen(text);
	for (int k = 0; k < NTF_RK_COUNT; k++) {
		if (strlen(s_rk_names[k]) != kl || strncmp(s_rk_names[k], text, kl))
			continue;
		int wants_arg = k == NTF_RK_STAFF || k == NTF_RK_GROUP;
		if (wants_arg != (colon != NULL) || (colon && !colon[1]))
			return -1;
		r->kind = (enum ntf_rk)k;
		r->arg = strdup(colon ? colon + 1 : "");
		return r->arg ? 0 : QF_ERR_NOMEM;
	}
	return -1;
}

static const char *const s_state_names[] = {
    "",		"submitted", "assigned", "accepted", "in_progress",
    "resolved", "closed",    "rejected", "reopened", "merged"};

static int s_parse_rule(config_setting_t *g, struct ntf_rule *r,
			struct qf_cfg_errors *errs)
{
	static const char *const known[] = {
	    "name",	  "event",	"recipients", "channels", "template",
	    "categories", "priorities", "buildings",  "states",	  "breached",
	    "kind",	  "max_rating", "behind",     "urgent",	  "by",
	    NULL};
	int rc = s_members_known(g, known, errs);
	r->line = (unsigned)config_setting_source_line(g);
	r->breached = -1;
	r->behind = -1;
	const char *ev = NULL, *kind = NULL;
	if (s_str(g, "name", 0, NULL, &r->name, errs) ||
	    qf_cfg_member_str(g, "event", 0, &ev, errs) ||
	    s_str(g, "template", 0, NULL, &r->template_name, errs))
		return QF_ERR_CONFIG;
	r->event = qf_event_type_parse(ev);
	r->family = r->event >= 0 ? ntf_event_family(r->event) : 0;
	if (!r->family) {
		qf_cfg_error(errs, config_setting_get_member(g, "event"), NULL,
			     "'%s' is not an event the notifier can notify about", ev);
		rc = QF_ERR_CONFIG;
	}
	struct qf_strlist rl = {0};
	config_setting_t *rs = config_setting_get_member(g, "recipients");
	if (!rs) {
		qf_cfg_error(errs, g, NULL, "missing 'recipients'");
		return QF_ERR_CONFIG;
	}
	if (ntf_conf_strlist(rs, &rl, errs))
		return QF_ERR_CONFIG;
	r->recipients = calloc(rl.n + 1, sizeof *r->recipients);
	if (!r->recipients) {
		ntf_strlist_free(&rl);
		return QF_ERR_NOMEM;
	}
	for (unsigned i = 0; i < rl.n; i++) {
		int x = s_parse_recipient(rl.v[i], &r->recipients[r->nrecipients]);
		if (x == QF_ERR_NOMEM) {
			ntf_strlist_free(&rl);
			return x;
		}
		if (x) {
			qf_cfg_error(
			    errs, rs, NULL,
			    "'%s' is not a recipient (petitioner, assignee, "
			    "previous_assignee, building_head, supervisor, secretary, "
			    "escalated_to, duty_staff, staff:<id>, group:<name>, "
			    "case_followers, building_followers, channel)",
			    rl.v[i]);
			rc = QF_ERR_CONFIG;
			continue;
		}
		r->nrecipients++;
	}
	ntf_strlist_free(&rl);
	if (!r->nrecipients && !rc) {
		qf_cfg_error(errs, rs, NULL, "names no recipient");
		rc = QF_ERR_CONFIG;
	}
	if (ntf_conf_strlist(config_setting_get_member(g, "channels"), &r->channel_names,
			     errs) ||
	    ntf_conf_strlist(config_setting_get_member(g, "categories"), &r->categories,
			     errs) ||
	    ntf_conf_strlist(config_setting_get_member(g, "priorities"), &r->priorities,
			     errs) ||
	    ntf_conf_strlist(config_setting_get_member(g, "buildings"), &r->buildings,
			     errs) ||
	    ntf_conf_strlist(config_setting_get_member(g, "states"), &r->states, errs))
		return QF_ERR_CONFIG;
	for (unsigned i = 0; i < r->states.n; i++) {
		int ok = 0;
		for (unsigned k = 1; k < sizeof s_state_names / sizeof *s_state_names;
		     k++)
			ok |= strcmp(r->states.v[i], s_state_names[k]) == 0;
		if (!ok) {
			qf_cfg_error(
			    errs, config_setting_get_member(g, "states"), NULL,
			    "'%s' is not a case state (submitted, assigned, accepted, "
			    "in_progress, resolved, closed, rejected, reopened, merged)",
			    r->states.v[i]);
			rc = QF_ERR_CONFIG;
		}
	}
	config_setting_t *b = config_setting_get_member(g, "breached");
	if (b) {
		int v = 0;
		if (qf_cfg_member_bool(g, "breached", 0, &v, errs))
			rc = QF_ERR_CONFIG;
		r->breached = v;
	}
	b = config_setting_get_member(g, "behind");
	if (b) {
		int v = 0;
		if (qf_cfg_member_bool(g, "behind", 0, &v, errs))
			rc = QF_ERR_CONFIG;
		r->behind = v;
	}
	if (qf_cfg_member_str(g, "kind", 1, &kind, errs))
		rc = QF_ERR_CONFIG;
	else if (kind) {
		if (strcmp(kind, "respond") == 0)
			r->deadline_kind = 1;
		else if (strcmp(kind, "resolve") == 0)
			r->deadline_kind = 2;
		else {
			qf_cfg_error(errs, config_setting_get_member(g, "kind"), NULL,
				     "'%s' is not respond or resolve", kind);
			rc = QF_ERR_CONFIG;
		}
	}
	const char *by = NULL;
	if (qf_cfg_member_str(g, "by", 1, &by, errs))
		rc = QF_ERR_CONFIG;
	else if (by) {
		r->by = !strcmp(by, "petitioner") ? 1 : !strcmp(by, "staff") ? 2 : 0;
		if (!r->by) {
			qf_cfg_error(errs, config_setting_get_member(g, "by"), NULL,
				     "'%s' is not petitioner or staff", by);
			rc = QF_ERR_CONFIG;
		}
	}
	long long mr = 0;
	if (qf_cfg_member_int(g, "max_rating", 1, 1, 5, &mr, errs))
		rc = QF_ERR_CONFIG;
	r->max_rating = (int)mr;
	if (qf_cfg_member_bool(g, "urgent", 1, &r->urgent, errs))
		rc = QF_ERR_CONFIG;
	return rc;
}

static void s_rule_free(struct ntf_rule *r)
{
	free(r->name);
	for (unsigned i = 0; i < r->nrecipients; i++)
		free(r->recipients[i].arg);
	free(r->recipients);
	free(r->channels);
	ntf_strlist_free(&r->channel_names);
	free(r->template_name);
	ntf_strlist_free(&r->categories);
	ntf_strlist_free(&r->priorities);
	ntf_strlist_free(&r->buildings);
	ntf_strlist_free(&r->states);
	memset(r, 0, sizeof *r);
}

static int s_rule_parse(config_setting_t *g, void *el, struct qf_cfg_errors *errs)
{
	return s_parse_rule(g, el, errs);
}

static void s_rule_free_el(void *el) { s_rule_free(el); }

static const char *s_rule_name(const void *el)
{
	return ((const struct ntf_rule *)el)->name;
}

static int s_parse_rules(const struct qf_cfg_setting *def, config_setting_t *s,
			 void *conf, struct qf_cfg_errors *errs)
{
	(void)def;
	struct ntf_conf *c = conf;
	static const struct list_kind kind = {"rule", sizeof *c->rules, s_rule_parse,
					      s_rule_free_el, s_rule_name};
	void *arr = NULL;
	int rc = s_parse_list(s, &kind, &arr, &c->nrules, errs);
	c->rules = arr;
	return rc;
}

static void s_contact_free(void *el)
{
	struct ntf_staff_contact *sc = el;
	free(sc->staff);
	free(sc->email);
	free(sc->phone);
	free(sc->webhook_id);
	memset(sc, 0, sizeof *sc);
}

static int s_contact_parse(config_setting_t *g, void *el, struct qf_cfg_errors *errs)
{
	static const char *const known[] = {"staff", "email", "phone", "webhook_id",
					    NULL};
	struct ntf_staff_contact *sc = el;
	sc->line = (unsigned)config_setting_source_line(g);
	int r = s_members_known(g, known, errs);
	r |= s_str(g, "staff", 0, NULL, &sc->staff, errs);
	r |= s_str(g, "email", 1, "", &sc->email, errs);
	r |= s_str(g, "phone", 1, "", &sc->phone, errs);
	r |= s_str(g, "webhook_id", 1, "", &sc->webhook_id, errs);
	if (!r && sc->email[0] && !ntf_email_valid(sc->email)) {
		qf_cfg_error(errs, config_setting_get_member(g, "email"), NULL,
			     "'%s' is not an e-mail address", sc->email);
		r = QF_ERR_CONFIG;
	}
	return r ? QF_ERR_CONFIG : 0;
}

static int s_parse_contacts(const struct qf_cfg_setting *def, config_setting_t *s,
			    void *conf, struct qf_cfg_errors *errs)
{
	(void)def;
	struct ntf_conf *c = conf;
	static const struct list_kind kind = {"contact", sizeof *c->contacts,
					      s_contact_parse, s_contact_free, NULL};
	void *arr = NULL;
	int rc = s_parse_list(s, &kind, &arr, &c->ncontacts, errs);
	c->contacts = arr;
	return rc;
}

static void s_group_free(void *el)
{
	struct ntf_group *gr = el;
	free(gr->name);
	ntf_strlist_free(&gr->staff);
	memset(gr, 0, sizeof *gr);
}

static int s_group_parse(config_setting_t *g, void *el, struct qf_cfg_errors *errs)
{
	static const char *const known[] = {"name", "staff", NULL};
	struct ntf_group *gr = el;
	gr->line = (unsigned)config_setting_source_line(g);
	int r = s_members_known(g, known, errs);
	r |= s_str(g, "name", 0, NULL, &gr->name, errs);
	config_setting_t *m = config_setting_get_member(g, "staff");
	if (!m) {
		qf_cfg_error(errs, g, NULL, "missing 'staff'");
		r = QF_ERR_CONFIG;
	} else {
		r |= ntf_conf_strlist(m, &gr->staff, errs);
	}
	return r ? QF_ERR_CONFIG : 0;
}

static int s_parse_groups(const struct qf_cfg_setting *def, config_setting_t *s,
			  void *conf, struct qf_cfg_errors *errs)
{
	(void)def;
	struct ntf_conf *c = conf;
	static const struct list_kind kind = {"group", sizeof *c->groups, s_group_parse,
					      s_group_free, NULL};
	void *arr = NULL;
	int rc = s_parse_list(s, &kind, &arr, &c->ngroups, errs);
	c->groups = arr;
	return rc;
}

#define O(f) offsetof(struct ntf_conf, f)
const struct qf_cfg_setting ntf_conf_table[] = {
    QF_SVC_SETTINGS(struct ntf_conf, svc, "notifier", "8082", "tcp://127.0.0.1:5571",
		    "tcp://127.0.0.1:5572"),
    {"contact.secret_key_file", QF_CFG_STRING, O(seal_secret_file),
     "../var/keys/notifier-seal.key", 0, 4000, NULL,
     "secret half of the box key pair petitioners' contacts are sealed to"},
    {"contact.required", QF_CFG_BOOL, O(seal_required), "false", 0, 0, NULL,
     "refuse to start without the key file (else wait for it, checking every 10 s)"},
    {"contact.recipient", QF_CFG_STRING, O(seal_recipient), "notifier", 1, 63, NULL,
     "SealedContact.recipient addressed to this service"},
    {"admin.tokens_file", QF_CFG_STRING, O(tokens_file), "staff-tokens.cfg", 0, 4000,
     NULL, "staff bearer tokens (operator endpoints)"},
    {"links.base_url", QF_CFG_STRING, O(base_url), "http://127.0.0.1:8082", 1, 512, NULL,
     "this service as residents reach it (confirm/unsubscribe links)"},
    {"links.case", QF_CFG_STRING, O(case_link), "http://127.0.0.1:8080/t/{tracking_code}",
     0, 512, NULL,
     "where a resident follows a case; {tracking_code} and {case_id} allowed"},
    {"quiet_hours.enabled", QF_CFG_BOOL, O(quiet_enabled), "true", 0, 0, NULL,
     "hold non-urgent messages to residents at night"},
    {"quiet_hours.start", QF_CFG_STRING, O(quiet_start_s), "22:00", 5, 5, NULL,
     "local time quiet hours begin"},
    {"quiet_hours.end", QF_CFG_STRING, O(quiet_end_s), "07:00", 5, 5, NULL,
     "local time quiet hours end"},
    {"quiet_hours.bypass_categories", QF_CFG_STRLIST, O(quiet_bypass), "", 0, 0, NULL,
     "categories that are always sent at once (urgent ones always are)"},
    {"follow.enabled", QF_CFG_BOOL, O(follow_enabled), "true", 0, 0, NULL,
     "anyone may follow a case or a building"},
    {"follow.email_channel", QF_CFG_STRING, O(follow_email_channel), "", 0, 63, NULL,
     "email channel used for followers ('' : not offered)"},
    {"follow.hook_channel", QF_CFG_STRING, O(follow_hook_channel), "", 0, 63, NULL,
     "webhook channel (url \"\") whose limits apply to followers' webhooks and robots"},
    {"follow.sms_channel", QF_CFG_STRING, O(follow_sms_channel), "", 0, 63, NULL,
     "sms channel for followers by text message, confirmed by a 6-digit code ('' : not "
     "offered)"},
    {"follow.url_allow", QF_CFG_STRLIST, O(follow_url_allow), "", 0, 0, NULL,
     "URL prefixes a follower's webhook or robot may use"},
    {"follow.confirm_ttl_h", QF_CFG_INT, O(follow_confirm_ttl_h), "72", 1, 720, NULL,
     "unconfirmed follows are forgotten after this many hours"},
    {"follow.max_per_target", QF_CFG_INT, O(follow_max_per_target), "5000", 1, 1000000,
     NULL, "followers per case or building"},
    {"follow.template", QF_CFG_STRING, O(follow_template), "follow_confirm", 1, 63, NULL,
     "template of the confirmation message"},
    {"dispatch.batch", QF_CFG_INT, O(dispatch_batch), "256", 1, 65536, NULL,
     "deliveries started per channel and turn of the loop"},
    {"retention.delivered_days", QF_CFG_INT, O(retention_days), "90", 1, 3650, NULL,
     "delivered and skipped records are kept this long"},
    {"retention.case_days", QF_CFG_INT, O(case_retention_days), "30", 1, 3650, NULL,
     "a closed case's record (and sealed contact) is kept this long"},
    {"channels", QF_CFG_CUSTOM, 0, NULL, 0, 0, s_parse_channels, "delivery channels"},
    {"templates", QF_CFG_CUSTOM, 0, NULL, 0, 0, s_parse_templates, "message templates"},
    {"rules", QF_CFG_CUSTOM, 0, NULL, 0, 0, s_parse_rules, "who hears about what"},
    {"staff_contacts", QF_CFG_CUSTOM, 0, NULL, 0, 0, s_parse_contacts,
     "staff e-mail addresses and phones for notices"},
    {"groups", QF_CFG_CUSTOM, 0, NULL, 0, 0, s_parse_groups, "fixed groups of staff"},
};
#undef O
const size_t ntf_conf_table_len = sizeof ntf_conf_table / sizeof ntf_conf_table[0];

int ntf_conf_load(const char *file, struct ntf_conf *c, struct qf_cfg_errors *errs)
{
	int rc = qf_cfg_load(file, ntf_conf_table, ntf_conf_table_len, c, errs);
	c->file = strdup(file);
	c->svc.config_file = strdup(file);
	if (!c->file || !c->svc.config_file)
		return QF_ERR_NOMEM;
	return rc;
}

/* ------------------------------------------------------------ checking */

const struct ntf_channel_conf *ntf_conf_channel(const struct ntf_conf *c,
						const char *name)
{
	for (unsigned i = 0; i < c->nchannels; i++)
		if (name && strcmp(c->channels[i].name, name) == 0)
			return &c->channels[i];
	return NULL;
}

int ntf_conf_follow_channel(const struct ntf_conf *c, int fmt)
{
	switch (ntf_fmt_addr(fmt)) {
	case NTF_ADDR_EMAIL:
		return c->follow_email_idx;
	case NTF_ADDR_PHONE:
		return c->follow_sms_idx;
	default:
		return c->follow_hook_idx;
	}
}

const struct ntf_staff_contact *ntf_conf_contact(const struct ntf_conf *c,
						 const char *staff)
{
	for (unsigned i = 0; i < c->ncontacts; i++)
		if (staff && strcmp(c->contacts[i].staff, staff) == 0)
			return &c->contacts[i];
	return NULL;
}

const struct ntf_group *ntf_conf_group(const struct ntf_conf *c, const char *name)
{
	for (unsigned i = 0; i < c->ngroups; i++)
		if (name && strcmp(c->groups[i].name, name) == 0)
			return &c->groups[i];
	return NULL;
}

static int s_template_index(const struct ntf_conf *c, const char *name)
{
	for (unsigned i = 0; i < c->ntemplates; i++)
		if (strcmp(c->templates[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Within the case-transition family some facts exist for one event only. */
static int s_ph_event_ok(int ph, int event)
{
#define ET(x) QINGFENG__V1__EVENT_TYPE__##x
	if (event < 0 || ntf_event_family(event) != NTF_FAM_CASE)
		return 1;
	switch (ph) {
	case NTF_PH_RATING:
	case NTF_PH_COMMENT:
		return event == ET(CASE_RATED);
	case NTF_PH_EXTENSION_HOURS:
		return event == ET(EXTENSION_REQUESTED) || event == ET(EXTENSION_DECIDED);
	case NTF_PH_PREVIOUS_HANDLER:
		return event == ET(CASE_TRANSFERRED);
	default:
		return 1;
	}
#undef ET
}

/* Placeholders of template t not provided by families fam (or by that one
 * event, when given): the first one, or -1. */
static int s_missing_ph(const struct ntf_template_conf *t, unsigned fam, int event)
{
	uint64_t uses = ntf_tmpl_uses(t->subject) | ntf_tmpl_uses(t->text) |
			ntf_tmpl_uses(t->markdown);
	for (int p = 0; p < NTF_PH_COUNT; p++)
		if ((uses >> p & 1) && (!(ntf_ph_families((enum ntf_ph)p) & fam) ||
					!s_ph_event_ok(p, event)))
			return p;
	return -1;
}

static int s_check_rule(struct ntf_conf *c, const struct qf_community *com,
			struct ntf_rule *r, unsigned idx, struct qf_cfg_errors *errs)
{
	int rc = 0;
	char path[64];
	const char *file = c->file;
	snprintf(path, sizeof path, "rules.[%u]", idx);
	int ti = s_template_index(c, r->template_name);
	if (ti < 0) {
		s_err_at(errs, file, r->line, path, "template '%s' is not defined",
			 r->template_name);
		rc = QF_ERR_CONFIG;
	} else {
		r->tmpl = (unsigned)ti;
		int p = s_missing_ph(&c->templates[ti], r->family, r->event);
		if (p >= 0) {
			s_err_at(errs, file, r->line, path,
				 "template '%s' uses {%s}, which %s does not provide",
				 r->template_name, ntf_ph_name((enum ntf_ph)p),
				 qf_event_type_name(r->event));
			rc = QF_ERR_CONFIG;
		}
	}
	r->channels = calloc(r->channel_names.n + 1, sizeof *r->channels);
	if (!r->channels)
		return QF_ERR_NOMEM;
	int needs_channels = 0, petitioner = 0;
	for (unsigned i = 0; i < r->nrecipients; i++) {
		struct ntf_recipient *rp = &r->recipients[i];
		if (!(s_rk_fams[rp->kind] & r->family)) {
			s_err_at(errs, file, r->line, path,
				 "recipient '%s' cannot be found for %s",
				 ntf_rk_name(rp->kind), qf_event_type_name(r->event));
			rc = QF_ERR_CONFIG;
		}
		if (rp->kind == NTF_RK_STAFF && !qf_community_staff(com, rp->arg)) {
			s_err_at(errs, file, r->line, path,
				 "staff '%s' is not in the community file", rp->arg);
			rc = QF_ERR_CONFIG;
		}
		if (rp->kind == NTF_RK_GROUP && !ntf_conf_group(c, rp->arg)) {
			s_err_at(errs, file, r->line, path, "group '%s' is not defined",
				 rp->arg);
			rc = QF_ERR_CONFIG;
		}
		if (rp->kind == NTF_RK_SUPERVISOR &&
		    !qf_community_role(com, "supervisor")) {
			s_err_at(errs, file, r->line, path,
				 "no staff member has the role supervisor");
			rc = QF_ERR_CONFIG;
		}
		if (rp->kind == NTF_RK_SECRETARY &&
		    !qf_community_role(com, "secretary")) {
			s_err_at(errs, file, r->line, path,
				 "no staff member has the role secretary");
			rc = QF_ERR_CONFIG;
		}
		if (rp->kind != NTF_RK_CASE_FOLLOWERS &&
		    rp->kind != NTF_RK_BUILDING_FOLLOWERS)
			needs_channels = 1;
		petitioner |= rp->kind == NTF_RK_PETITIONER;
	}
	if (needs_channels && !r->channel_names.n) {
		s_err_at(errs, file, r->line, path, "names no channels");
		rc = QF_ERR_CONFIG;
	}
	for (unsigned i = 0; i < r->channel_names.n; i++) {
		const struct ntf_channel_conf *ch =
		    ntf_conf_channel(c, r->channel_names.v[i]);
		if (!ch) {
			s_err_at(errs, file, r->line, path, "channel '%s' is not defined",
				 r->channel_names.v[i]);
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!ch->url[0]) {
			s_err_at(errs, file, r->line, path,
				 "channel '%s' has no url (it only serves followers)",
				 ch->name);
			rc = QF_ERR_CONFIG;
		}
		if (petitioner && ntf_fmt_robot(ch->type)) {
			s_err_at(errs, file, r->line, path,
				 "channel '%s' posts to a staff group: it must not carry "
				 "messages "
				 "to petitioners",
				 ch->name);
			rc = QF_ERR_CONFIG;
		}
		r->channels[r->nchannels++] = ch->idx;
	}
	for (unsigned i = 0; i < r->categories.n; i++)
		if (!qf_community_category(com, r->categories.v[i])) {
			s_err_at(errs, file, r->line, path,
				 "category '%s' is not in the community file",
				 r->categories.v[i]);
			rc = QF_ERR_CONFIG;
		}
	for (unsigned i = 0; i < r->buildings.n; i++)
		if (!qf_community_building(com, r->buildings.v[i])) {
			s_err_at(errs, file, r->line, path,
				 "building '%s' is not in the community file",
				 r->buildings.v[i]);
			rc = QF_ERR_CONFIG;
		}
	for (unsigned i = 0; i < r->priorities.n; i++) {
		const char *p = r->priorities.v[i];
		if (strcmp(p, "urgent") && strcmp(p, "normal") && strcmp(p, "low") &&
		    strcmp(p, "sensitive")) {
			s_err_at(errs, file, r->line, path,
				 "priority '%s' is not urgent, normal, low or sensitive",
				 p);
			rc = QF_ERR_CONFIG;
		}
	}
	if (r->breached >= 0 || r->deadline_kind) {
		if (r->family != NTF_FAM_DEADLINE) {
			s_err_at(errs, file, r->line, path,
				 "breached and kind filter DEADLINE_WARNING only");
			rc = QF_ERR_CONFIG;
		}
	}
	if (r->max_rating && r->family != NTF_FAM_CASE && r->family != NTF_FAM_FEEDBACK) {
		s_err_at(errs, file, r->line, path,
			 "max_rating filters rated events only");
		rc = QF_ERR_CONFIG;
	}
	if (r->behind >= 0 && r->family != NTF_FAM_QUOTA) {
		s_err_at(errs, file, r->line, path, "behind filters DUTY_QUOTA only");
		rc = QF_ERR_CONFIG;
	}
	if (r->states.n && r->family != NTF_FAM_CASE) {
		s_err_at(errs, file, r->line, path,
			 "states filter case transitions only");
		rc = QF_ERR_CONFIG;
	}
	return rc;
}

int ntf_conf_check(struct ntf_conf *c, const struct qf_community *com,
		   struct qf_cfg_errors *errs)
{
	int rc = qf_svc_conf_check(&c->svc, errs);
	const char *file = c->file;
	c->quiet_start = ntf_parse_hhmm(c->quiet_start_s);
	c->quiet_end = ntf_parse_hhmm(c->quiet_end_s);
	if (c->quiet_start < 0) {
		s_err_at(errs, file, 0, "quiet_hours.start", "'%s' is not HH:MM",
			 c->quiet_start_s);
		rc = QF_ERR_CONFIG;
	}
	if (c->quiet_end < 0) {
		s_err_at(errs, file, 0, "quiet_hours.end", "'%s' is not HH:MM",
			 c->quiet_end_s);
		rc = QF_ERR_CONFIG;
	}
	for (size_t i = 0; i < c->quiet_bypass.n; i++)
		if (!qf_community_category(com, c->quiet_bypass.v[i])) {
			s_err_at(errs, file, 0, "quiet_hours.bypass_categories",
				 "category '%s' is not in the community file",
				 c->quiet_bypass.v[i]);
			rc = QF_ERR_CONFIG;
		}
	char err[160];
	if (ntf_tmpl_parse(c->case_link, &c->case_link_t, err, sizeof err)) {
		s_err_at(errs, file, 0, "links.case", "%s", err);
		rc = QF_ERR_CONFIG;
	} else if (ntf_tmpl_uses(c->case_link_t) &
		   ~((1ull << NTF_PH_TRACKING_CODE) | (1ull << NTF_PH_CASE_ID))) {
		s_err_at(errs, file, 0, "links.case",
			 "only {tracking_code} and {case_id} allowed");
		rc = QF_ERR_CONFIG;
	}
	if (strncmp(c->base_url, "http://", 7) && strncmp(c->base_url, "https://", 8)) {
		s_err_at(errs, file, 0, "links.base_url",
			 "must start with http:// or https://");
		rc = QF_ERR_CONFIG;
	}
	for (unsigned i = 0; i < c->nrules; i++) {
		int x = s_check_rule(c, com, &c->rules[i], i, errs);
		if (x == QF_ERR_NOMEM)
			return x;
		if (x)
			rc = QF_ERR_CONFIG;
	}
	for (unsigned i = 0; i < c->ncontacts; i++) {
		if (!qf_community_staff(com, c->contacts[i].staff)) {
			char path[64];
			snprintf(path, sizeof path, "staff_contacts.[%u]", i);
			s_err_at(errs, file, c->contacts[i].line, path,
				 "staff '%s' is not in the community file",
				 c->contacts[i].staff);
			rc = QF_ERR_CONFIG;
		}
	}
	for (unsigned i = 0; i < c->ngroups; i++) {
		char path[64];
		snprintf(path, sizeof path, "groups.[%u]", i);
		for (unsigned k = 0; k < c->groups[i].staff.n; k++)
			if (!qf_community_staff(com, c->groups[i].staff.v[k])) {
				s_err_at(errs, file, c->groups[i].line, path,
					 "staff '%s' is not in the community file",
					 c->groups[i].staff.v[k]);
				rc = QF_ERR_CONFIG;
			}
	}
	/* following */
	c->follow_email_idx = c->follow_hook_idx = c->follow_sms_idx = -1;
	c->follow_template_idx = -1;
	if (c->follow_enabled) {
		if (c->follow_email_channel[0]) {
			const struct ntf_channel_conf *ch =
			    ntf_conf_channel(c, c->follow_email_channel);
			if (!ch || ntf_fmt_addr(ch->type) != NTF_ADDR_EMAIL) {
				s_err_at(errs, file, 0, "follow.email_channel",
					 "'%s' is not an email channel",
					 c->follow_email_channel);
				rc = QF_ERR_CONFIG;
			} else {
				c->follow_email_idx = (int)ch->idx;
			}
		}
		if (c->follow_sms_channel[0]) {
			const struct ntf_channel_conf *ch =
			    ntf_conf_channel(c, c->follow_sms_channel);
			if (!ch || ntf_fmt_addr(ch->type) != NTF_ADDR_PHONE) {
				s_err_at(errs, file, 0, "follow.sms_channel",
					 "'%s' is not an sms channel",
					 c->follow_sms_channel);
				rc = QF_ERR_CONFIG;
			} else {
				c->follow_sms_idx = (int)ch->idx;
			}
		}
		if (c->follow_hook_channel[0]) {
			const struct ntf_channel_conf *ch =
			    ntf_conf_channel(c, c->follow_hook_channel);
			if (!ch || ntf_fmt_addr(ch->type) != NTF_ADDR_URL || ch->url[0]) {
				s_err_at(errs, file, 0, "follow.hook_channel",
					 "'%s' is not a webhook channel with url \"\"",
					 c->follow_hook_channel);
				rc = QF_ERR_CONFIG;
			} else {
				c->follow_hook_idx = (int)ch->idx;
			}
			if (!c->follow_url_allow.n) {
				s_err_at(errs, file, 0, "follow.url_allow",
					 "followers' webhooks need at least one allowed "
					 "URL prefix");
				rc = QF_ERR_CONFIG;
			}
		}
		for (size_t i = 0; i < c->follow_url_allow.n; i++) {
			const char *p = c->follow_url_allow.v[i];
			struct qf_url u;
			if (qf_url_parse(p, &u) || u.userinfo) {
				s_err_at(errs, file, 0, "follow.url_allow",
					 "'%s' is not an http:// or https:// URL without "
					 "user information",
					 p);
				rc = QF_ERR_CONFIG;
			}
		}
		int ti = s_template_index(c, c->follow_template);
		if (ti < 0) {
			s_err_at(errs, file, 0, "follow.template",
				 "template '%s' is not defined", c->follow_template);
			rc = QF_ERR_CONFIG;
		} else {
			c->follow_template_idx = ti;
			int p = s_missing_ph(&c->templates[ti], NTF_FAM_FOLLOW, -1);
			if (p >= 0) {
				s_err_at(errs, file, c->templates[ti].line,
					 "follow.template",
					 "template '%s' uses {%s}, which a confirmation "
					 "does not "
					 "provide",
					 c->follow_template, ntf_ph_name((enum ntf_ph)p));
				rc = QF_ERR_CONFIG;
			}
		}
	}
	/* the key that opens petitioners' contacts: its absence is an error,
	   since petitioners would silently never hear from us */
	char *sk = NULL;
	char *kpath = qf_cfg_resolve(c->file, c->seal_secret_file);
	c->seal_key_missing = kpath && access(kpath, F_OK) != 0;
	free(kpath);
	if (c->seal_key_missing && !c->seal_required) {
		/* like intake's seal_to: reported, and picked up when it appears */
		fprintf(stderr,
			"warning: setting 'contact.secret_key_file': '%s' missing: "
			"petitioners' "
			"contacts cannot be opened until it appears (checked every 10 s; "
			"make it "
			"with qfctl keygen --seal --out PREFIX)\n",
			c->seal_secret_file);
	} else if (ntf_read_secret(c->file, c->seal_secret_file, &sk, err, sizeof err)) {
		s_err_at(errs, file, 0, "contact.secret_key_file",
			 "%s (make one with "
			 "qfctl keygen --seal --out PREFIX)",
			 err);
		rc = QF_ERR_CONFIG;
	} else if (strlen(sk) != 64 || strspn(sk, "0123456789abcdefABCDEF") != 64) {
		s_err_at(errs, file, 0, "contact.secret_key_file",
			 "'%s' does not hold a 64-hex-digit box secret key",
			 c->seal_secret_file);
		rc = QF_ERR_CONFIG;
	}
	if (sk) {
		memset(sk, 0, strlen(sk));
		free(sk);
	}
	return rc;
}

static int s_streq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Same settings (the name and position aside). */
static int s_channel_same(const struct ntf_channel_conf *a,
			  const struct ntf_channel_conf *b)
{
	if (a->type != b->type || a->markdown != b->markdown ||
	    a->starttls != b->starttls || a->tls_verify != b->tls_verify ||
	    a->concurrency != b->concurrency || a->rate_per_s != b->rate_per_s ||
	    a->max_attempts != b->max_attempts || a->backoff_ms != b->backoff_ms ||
	    a->backoff_max_ms != b->backoff_max_ms || a->timeout_ms != b->timeout_ms ||
	    a->connect_timeout_ms != b->connect_timeout_ms ||
	    a->nsms_headers != b->nsms_headers)
		return 0;
	if (!s_streq(a->url, b->url) || !s_streq(a->secret, b->secret) ||
	    !s_streq(a->ca_file, b->ca_file) || !s_streq(a->from, b->from) ||
	    !s_streq(a->from_name, b->from_name) || !s_streq(a->username, b->username) ||
	    !s_streq(a->password, b->password) || !s_streq(a->method, b->method) ||
	    !s_streq(a->content_type, b->content_type) ||
	    !s_streq(a->ok_contains, b->ok_contains) ||
	    !s_streq(ntf_tmpl_text(a->sms_url), ntf_tmpl_text(b->sms_url)) ||
	    !s_streq(ntf_tmpl_text(a->sms_body), ntf_tmpl_text(b->sms_body)))
		return 0;
	for (unsigned i = 0; i < a->nsms_headers; i++)
		if (!s_streq(ntf_tmpl_text(a->sms_headers[i]),
			     ntf_tmpl_text(b->sms_headers[i])))
			return 0;
	return 1;
}

static void s_diff_add(char *diff, size_t n, char mark, const char *name)
{
	size_t l = strlen(diff);
	if (l + 1 < n)
		snprintf(diff + l, n - l, "%s%c%s", l ? " " : "", mark, name);
}

unsigned ntf_conf_keep_channels(struct ntf_conf *c, const struct ntf_conf *run,
				char *diff, size_t n)
{
	unsigned count = 0;
	if (n)
		diff[0] = '\0';
	for (unsigned i = 0; i < c->nchannels; i++) {
		const struct ntf_channel_conf *old =
		    ntf_conf_channel(run, c->channels[i].name);
		if (!old || !s_channel_same(old, &c->channels[i])) {
			s_diff_add(diff, n, old ? '~' : '+', c->channels[i].name);
			count++;
		}
	}
	for (unsigned i = 0; i < run->nchannels; i++)
		if (!ntf_conf_channel(c, run->channels[i].name)) {
			s_diff_add(diff, n, '-', run->channels[i].name);
			count++;
		}
	if (!c->channels_shared) {
		for (unsigned i = 0; i < c->nchannels; i++)
			s_channel_free(&c->channels[i]);
		free(c->channels);
	}
	c->channels = run->channels;
	c->nchannels = run->nchannels;
	c->channels_shared = 1;
	return count;
}

void ntf_conf_free(struct ntf_conf *c)
{
	if (!c->channels_shared) {
		for (unsigned i = 0; i < c->nchannels; i++)
			s_channel_free(&c->channels[i]);
		free(c->channels);
	}
	c->channels_shared = 0;
	for (unsigned i = 0; i < c->ntemplates; i++)
		s_template_free(&c->templates[i]);
	free(c->templates);
	for (unsigned i = 0; i < c->nrules; i++)
		s_rule_free(&c->rules[i]);
	free(c->rules);
	for (unsigned i = 0; i < c->ncontacts; i++)
		s_contact_free(&c->contacts[i]);
	free(c->contacts);
	for (unsigned i = 0; i < c->ngroups; i++)
		s_group_free(&c->groups[i]);
	free(c->groups);
	ntf_tmpl_free(&c->case_link_t);
	c->channels = NULL;
	c->templates = NULL;
	c->rules = NULL;
	c->contacts = NULL;
	c->groups = NULL;
	c->nchannels = c->ntemplates = c->nrules = c->ncontacts = c->ngroups = 0;
	qf_cfg_free(ntf_conf_table, ntf_conf_table_len, c);
	qf_svc_conf_free(&c->svc);
	free(c->file);
	c->file = NULL;
}
