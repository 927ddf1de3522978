/* ntf_conf.h: the notifier's configuration: channels, templates, rules,
 * staff contacts, groups, quiet hours, following, links and secrets.
 *
 * Loaded once at start with the qf_cfg settings table (ntf_conf_table),
 * then cross-checked against the community file (ntf_conf_check): a rule
 * naming an unknown template, channel, category, staff member or group, a
 * template placeholder the rule's event cannot provide, or a secret file
 * that cannot be read is a configuration error with file:line: setting.
 * After a successful check the struct is immutable until ntf_conf_free(),
 * so the sender thread and HTTP threads read it without locks. A reload
 * (SIGHUP, ntf_reload.h) loads a new struct beside the running one; it
 * shares the running one's channels (ntf_conf_keep_channels), since the
 * dispatcher and the sender are bound to them.
 */
#ifndef NTF_CONF_H
#define NTF_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "qf_community.h"
#include "qf_svc.h"
#include "ntf_tmpl.h"

/* Lists of strings from the configuration are struct qf_strlist
 * (qf_cfg.h): v[0..n-1], v[n] NULL. */
/* True if s is in the list. */
int ntf_strlist_has(const struct qf_strlist *l, const char *s);
/* Free l's strings and empty it (safe twice). */
void ntf_strlist_free(struct qf_strlist *l);
/* Read configuration setting s, a list or array of strings or a single
   string (NULL: none), into l (emptied first; owned by l). 0,
   QF_ERR_CONFIG (in errs) or QF_ERR_NOMEM. */
int ntf_conf_strlist(config_setting_t *s, struct qf_strlist *l,
		     struct qf_cfg_errors *errs);

/* The wire format a delivery is sent in. */
enum ntf_fmt {
	NTF_FMT_WEBHOOK = 0,
	NTF_FMT_WECOM,
	NTF_FMT_DINGTALK,
	NTF_FMT_EMAIL,
	NTF_FMT_SMS
};
#define NTF_FMT_COUNT 5
/* The format's name ("webhook"...) and the format of a name, or -1; the
   formats themselves are the modules of ntf_format.h. */
const char *ntf_fmt_name(enum ntf_fmt f);
int ntf_fmt_parse(const char *s);

struct ntf_channel_conf {
	char *name;
	enum ntf_fmt type;
	char *url;    /* endpoint; "" for a follower-only hook channel */
	char *secret; /* webhook HMAC key, DingTalk signing secret, SMS
			 {secret}: read from secret_file (never logged) */
	int markdown; /* wecom/dingtalk: send markdown, not text */
	/* email */
	char *from, *from_name, *username, *password; /* password from file */
	int starttls, tls_verify;
	char *ca_file; /* trust these CA certificates (PEM; absolute path, resolved
			  against the configuration file), NULL: the system's */
	/* sms gateway request */
	char *method, *content_type;
	struct ntf_tmpl *sms_url, *sms_body;
	struct ntf_tmpl **sms_headers;
	unsigned nsms_headers;
	char *ok_contains; /* success needs this text in the answer */
	/* limits and retries */
	int concurrency;
	double rate_per_s; /* 0: unlimited */
	int max_attempts;
	int64_t backoff_ms, backoff_max_ms;
	int timeout_ms, connect_timeout_ms;
	unsigned idx; /* position in conf->channels */
	unsigned line;
};

struct ntf_template_conf {
	char *name;
	struct ntf_tmpl *subject, *text, *markdown; /* markdown may be NULL */
	unsigned line;
};

/* Recipient kinds a rule may name. */
enum ntf_rk {
	NTF_RK_PETITIONER = 0,
	NTF_RK_ASSIGNEE,
	NTF_RK_PREVIOUS_ASSIGNEE,
	NTF_RK_BUILDING_HEAD,
	NTF_RK_SUPERVISOR,
	NTF_RK_SECRETARY,
	NTF_RK_ESCALATED_TO,
	NTF_RK_DUTY_STAFF,
	NTF_RK_STAFF, /* staff:<id> */
	NTF_RK_GROUP, /* group:<name> */
	NTF_RK_CASE_FOLLOWERS,
	NTF_RK_BUILDING_FOLLOWERS,
	NTF_RK_CHANNEL, /* the rule's channels themselves (a robot group) */
	NTF_RK_COUNT
};
const char *ntf_rk_name(enum ntf_rk k);

struct ntf_recipient {
	enum ntf_rk kind;
	char *arg; /* staff id or group name */
};

struct ntf_rule {
	char *name;
	int event;	 /* EventType number */
	unsigned family; /* NTF_FAM_* of the event */
	struct ntf_recipient *recipients;
	unsigned nrecipients;
	unsigned *channels; /* indexes into conf->channels */
	unsigned nchannels;
	struct qf_strlist channel_names; /* as written, resolved in ntf_conf_check */
	char *template_name;
	unsigned tmpl; /* index into conf->templates */
	/* filters (empty: any) */
	struct qf_strlist categories, priorities, buildings, states;
	int breached;	   /* -1 any, 0, 1 */
	int deadline_kind; /* 0 any, 1 respond, 2 resolve */
	int max_rating;	   /* 0 any */
	int behind;	   /* DUTY_QUOTA: -1 any, 0, 1 */
	int by;		   /* case events: 0 any, 1 the petitioner's own step, 2 others' */
	int urgent;	   /* bypass quiet hours */
	unsigned line;
};

struct ntf_staff_contact {
	char *staff, *email, *phone, *webhook_id;
	unsigned line;
};

struct ntf_group {
	char *name;
	struct qf_strlist staff;
	unsigned line;
};

struct ntf_conf {
	struct qf_svc_conf svc;
	/* contact sealing */
	char *seal_secret_file; /* contact.secret_key_file */
	char *seal_recipient;	/* contact.recipient ("notifier") */
	int seal_required;	/* contact.required: a missing key is an error */
	int seal_key_missing;	/* checked: the key file does not exist yet */
	/* operators */
	char *tokens_file; /* admin.tokens_file */
	/* links */
	char *base_url;	 /* links.base_url: this service, public */
	char *case_link; /* links.case: with {tracking_code} */
	struct ntf_tmpl *case_link_t;
	/* quiet hours for residents */
	int quiet_enabled;
	char *quiet_start_s, *quiet_end_s;
	int quiet_start, quiet_end;	/* minutes after local midnight */
	struct qf_strlist quiet_bypass; /* categories that bypass (besides urgent) */
	/* following */
	int follow_enabled;
	char *follow_email_channel, *follow_hook_channel, *follow_sms_channel;
	int follow_email_idx, follow_hook_idx; /* -1: not offered */
	int follow_sms_idx; /* -1: not offered; confirmed by a code, not a link */
	struct qf_strlist follow_url_allow; /* URL prefixes followers may use */
	int follow_confirm_ttl_h;
	int follow_max_per_target;
	char *follow_template; /* template for confirmations */
	int follow_template_idx;
	/* dispatch and retention */
	int dispatch_batch;	 /* deliveries picked per turn and channel */
	int retention_days;	 /* delivered/skipped records kept */
	int case_retention_days; /* case records kept after closing */
	/* parsed lists */
	struct ntf_channel_conf *channels;
	unsigned nchannels;
	int channels_shared; /* channels belong to another conf (not freed here) */
	struct ntf_template_conf *templates;
	unsigned ntemplates;
	struct ntf_rule *rules;
	unsigned nrules;
	struct ntf_staff_contact *contacts;
	unsigned ncontacts;
	struct ntf_group *groups;
	unsigned ngroups;
	char *file; /* the configuration file (copy) */
};

/* The family (NTF_FAM_*) of an event type, or 0 when the notifier does not
 * notify about it. */
unsigned ntf_event_family(int type);

/* The settings table (QF_SVC_SETTINGS rows first). */
extern const struct qf_cfg_setting ntf_conf_table[];
extern const size_t ntf_conf_table_len;

/* Load `file` into c (zeroed by the caller). Prints nothing; every error is
 * in errs. Returns 0 or QF_ERR_CONFIG. */
int ntf_conf_load(const char *file, struct ntf_conf *c, struct qf_cfg_errors *errs);
/* Cross-check against the community (references, placeholders per event,
 * secret files, key file). Returns 0 or QF_ERR_CONFIG with errs filled. */
int ntf_conf_check(struct ntf_conf *c, const struct qf_community *com,
		   struct qf_cfg_errors *errs);
/* Free everything loaded; safe twice. Shared channels are left alone. */
void ntf_conf_free(struct ntf_conf *c);

/* Reload: replace the channels c just loaded (between ntf_conf_load and
 * ntf_conf_check) by those of the running configuration `run`, shared, not
 * copied (c->channels_shared; `run` must outlive c). Before that, the
 * differences are written into diff as space-separated names, "+name"
 * added, "-name" removed, "~name" changed (any setting, a secret file's
 * content included); the order of the list does not count. Returns the
 * number of differences (0: the same channels). */
unsigned ntf_conf_keep_channels(struct ntf_conf *c, const struct ntf_conf *run,
				char *diff, size_t n);

const struct ntf_channel_conf *ntf_conf_channel(const struct ntf_conf *c,
						const char *name);
/* The channel (index in c->channels) that carries follows by format fmt
 * (by its kind of address), or -1 when the community does not offer it. */
int ntf_conf_follow_channel(const struct ntf_conf *c, int fmt);
const struct ntf_staff_contact *ntf_conf_contact(const struct ntf_conf *c,
						 const char *staff);
const struct ntf_group *ntf_conf_group(const struct ntf_conf *c, const char *name);

/* Read a one-line secret file (trailing newline removed) into *out
 * (malloc'd). Returns 0, or an errno-style message in err. */
int ntf_read_secret(const char *base_file, const char *file, char **out, char *err,
		    size_t n);

#endif
