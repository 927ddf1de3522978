/* ntf_format.h: the channel formats as a table of modules.
 *
 * Each wire format (webhook, wecom, dingtalk, email, sms) is one file,
 * ntf_fmt_<name>.c, defining one struct ntf_format: its name, what its
 * recipients' addresses are, its defaults, the parser of its part of a
 * channel's configuration section, the builder of one attempt's request
 * (URL, headers, body) and the reader of the answer's verdict (HTTP status,
 * robot errcode, SMTP reply) as delivered / retry / dead. ntf_formats[] is
 * the one table of them, indexed by enum ntf_fmt: the configuration, the
 * dispatcher, the planner and the follow pages look a format up here
 * instead of switching on its number. The pieces the modules share (a
 * header line, JSON fields, an HTTP verdict) are here too.
 */
#ifndef NTF_FORMAT_H
#define NTF_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "ntf_channel.h"
#include "ntf_conf.h"
#include "ntf_util.h"
#include "qf_cfg.h"

/* What a recipient's address on a format is. */
enum ntf_addr {
	NTF_ADDR_URL = 0, /* a hook URL (the follower's, or the channel's) */
	NTF_ADDR_EMAIL,	  /* an e-mail address */
	NTF_ADDR_PHONE,	  /* a mobile number */
};

/* Where one attempt goes, once ntf_request_build has opened what was
 * sealed. Borrowed for the build only; never logged. */
struct ntf_dest {
	const char *url;    /* endpoint (the channel's or a follower's) */
	const char *secret; /* signing secret, or NULL */
	const char *addr;   /* e-mail address or phone, or NULL */
};

/* An answer to one attempt, as the sender saw it. */
struct ntf_answer {
	int transport_err;     /* 0: an answer arrived; else NTF_OUT_* verdict */
	const char *transport; /* the transport failure, when transport_err */
	long status;	       /* HTTP status or SMTP reply code */
	const char *body;      /* start of the answer (may be NULL) */
	size_t len;
	const char *ok_contains; /* the channel's success mark, or NULL */
};

struct ntf_format {
	const char *name;   /* as in the configuration: type = "wecom" */
	enum ntf_addr addr; /* what a recipient's address is */
	int robot;	    /* a group robot: one message into the group,
			       mentioning the staff concerned */
	int url_optional;   /* a channel may have no url (follower-only hooks) */
	int concurrency;    /* default transfers at once */
	double rate_per_s;  /* default rate limit (0: unlimited) */
	/* Check and complete this format's part of channel section g (the
	   common members are already in ch). Errors go to errs with the
	   line; returns 0, QF_ERR_CONFIG or QF_ERR_NOMEM. */
	int (*parse)(config_setting_t *g, struct ntf_channel_conf *ch,
		     struct qf_cfg_errors *errs);
	/* Build job j's request to d at now_ms into r (r->masked is already
	   set). Returns NTF_OUT_OK, NTF_OUT_SKIP with a reason in err, or
	   QF_ERR_NOMEM; the caller wipes r on failure. */
	int (*build)(const struct ntf_job *j, const struct ntf_dest *d, int64_t now_ms,
		     struct ntf_request *r, char *err, size_t n);
	/* The verdict on answer a (NTF_OUT_*, with a reason in err); f is
	   this format (robots read their busy codes from it). */
	int (*verdict)(const struct ntf_format *f, const struct ntf_answer *a, char *err,
		       size_t n);
	const char *label; /* robots: the name in reasons ("WeCom") */
	long long busy[4]; /* robots: errcodes meaning busy (0 ends) */
};

/* The table, indexed by enum ntf_fmt; each entry lives in its own file. */
extern const struct ntf_format ntf_fmt_webhook, ntf_fmt_wecom, ntf_fmt_dingtalk,
    ntf_fmt_email, ntf_fmt_sms;
extern const struct ntf_format *const ntf_formats[NTF_FMT_COUNT];

/* The module of format number fmt, or NULL when out of range. */
const struct ntf_format *ntf_format_of(int fmt);

/* What a recipient's address is on format fmt (a URL when out of range). */
enum ntf_addr ntf_fmt_addr(int fmt);
/* True if fmt is a group robot's. */
int ntf_fmt_robot(int fmt);

/* ------------------------------------------------ shared by the modules */

/* Append a "Name: value" header to r. 0 or QF_ERR_NOMEM. */
int ntf_request_header(struct ntf_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* HMAC-SHA256 with key over a | b | c into out. */
void ntf_hmac_sha256(const char *key, const void *a, size_t al, const void *b, size_t bl,
		     const void *c, size_t cl, uint8_t out[32]);
/* Configuration: a url, when set, must be http:// or https://. 0 or
   QF_ERR_CONFIG (reported in errs). */
int ntf_parse_http_url(config_setting_t *g, const struct ntf_channel_conf *ch,
		       struct qf_cfg_errors *errs);
/* Configuration of a group robot (wecom, dingtalk): an http(s) url. */
int ntf_parse_robot(config_setting_t *g, struct ntf_channel_conf *ch,
		    struct qf_cfg_errors *errs);
/* Append ,"name":"v" (JSON-escaped; no comma when first) to b. */
void ntf_json_field(struct ntf_buf *b, const char *name, const char *v, int comma);
/* Append the job's mentions as JSON strings, comma-separated. */
void ntf_json_mentions(struct ntf_buf *b, const struct ntf_job *j);
/* Take b as r's body and post it as JSON to url with X-QF-Delivery.
   0 or QF_ERR_NOMEM. url NULL: r->url is left for the caller. */
int ntf_request_json(struct ntf_request *r, struct ntf_buf *b, const char *url,
		     const struct ntf_job *j);
/* The verdict of an HTTP answer: a transport failure as given, 2xx
   delivered, 408/425/429/5xx retry, other codes dead. */
int ntf_verdict_http(const struct ntf_format *f, const struct ntf_answer *a, char *err,
		     size_t n);
/* A group robot's answer: the HTTP verdict, then its JSON: errcode 0
   delivered, -1 or one of f->busy retry, any other dead; no errcode:
   retry. */
int ntf_verdict_robot(const struct ntf_format *f, const struct ntf_answer *a, char *err,
		      size_t n);

#endif
