/* ntf_follow.c: follow, confirm, unsubscribe over HTTP (ntf_follow.h).
 *
 * Handlers validate on the HTTP thread (shape, address, allowed URL
 * prefixes, token) and hand the decision that needs the store to the
 * group-commit writer: the follow record, its target index and the
 * confirmation delivery are written in one transaction, and the answer is
 * given after the commit. Asking again for the same follow resends the
 * confirmation at most every ten minutes, so nobody can use this endpoint
 * to flood an address. */
#include "ntf_follow.h"
#include "qf_privacy.h"
#include "qf_url.h"
#include "ntf.h"
#include "ntf_queue.h"
#include "ntf_format.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESEND_MS 600000 /* ten minutes between confirmation messages */

enum { F_CREATE, F_CONFIRM, F_UNSUB };

struct fjob {
	struct qf_gc_job job;
	struct ntf *n;
	struct qf_http_req *r;
	int action;
	int html; /* answer with a page (links opened in a browser) */
	char target[200];
	int fmt;
	char *address, *secret; /* wiped */
	char id[NTF_FOLLOW_ID_LEN + 8];
	/* verdict */
	unsigned status;
	const char *code, *msg, *field;
	char state[16];
	int resent;
	int newly_active; /* counted after the commit */
	char typed[8];	  /* sms follows: the code typed (confirm) */
};

/* The keyed hash of an sms follow's code (keyed by the follow's id, so one
 * code's hash says nothing about another follow). */
static void s_code_hash(const char *id, const char *code, uint8_t out[32])
{
	uint8_t key[32];
	crypto_generichash(key, sizeof key, (const uint8_t *)id, strlen(id),
			   (const uint8_t *)"qingfeng-follow-code-v1", 23);
	crypto_generichash(out, 32, (const uint8_t *)code, strlen(code), key, sizeof key);
	sodium_memzero(key, sizeof key);
}

static void s_fjob_free(struct fjob *j)
{
	if (j->address) {
		sodium_memzero(j->address, strlen(j->address));
		free(j->address);
	}
	if (j->secret) {
		sodium_memzero(j->secret, strlen(j->secret));
		free(j->secret);
	}
	sodium_memzero(j->typed, sizeof j->typed);
	free(j);
}

static void s_verdict(struct fjob *j, unsigned status, const char *code, const char *msg,
		      const char *field)
{
	j->status = status;
	j->code = code;
	j->msg = msg;
	j->field = field;
}

static const char *s_page(const char *title, const char *text)
{
	static __thread char buf[1024];
	snprintf(buf, sizeof buf,
		 "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width\">"
		 "<title>%s</title></head><body><h1>%s</h1><p>%s</p></body></html>\n",
		 title, title, text);
	return buf;
}

/* ------------------------------------------------------------ create */

static int s_count(void *arg, const char *id)
{
	(void)id;
	(*(unsigned *)arg)++;
	return 0;
}

static int s_confirm_delivery(struct fjob *j, struct qf_txn *t, const struct ntf_sub *s,
			      const char *display, const char *case_id, const char *pkey,
			      const char *code, int64_t now)
{
	struct ntf *n = j->n;
	const struct ntf_template_conf *tm =
	    &n->conf->templates[n->conf->follow_template_idx];
	char *confirm =
	    ntf_keys_follow_link(&n->keys, n->conf->base_url, s->id, "confirm");
	char *unsub =
	    ntf_keys_follow_link(&n->keys, n->conf->base_url, s->id, "unsubscribe");
	const char *vals[NTF_PH_COUNT] = {0};
	char when[32];
	vals[NTF_PH_CONFIRM] = confirm;
	vals[NTF_PH_UNSUBSCRIBE] = unsub;
	vals[NTF_PH_FOLLOW_TARGET] = display;
	vals[NTF_PH_TIME] =
	    ntf_local_time(now, n->com->utc_offset_min, when, sizeof when);
	vals[NTF_PH_EVENT] = "关注确认";
	vals[NTF_PH_RECIPIENT] = "关注者";
	struct ntf_delivery d;
	memset(&d, 0, sizeof d);
	char rkey[64], chkey[32];
	snprintf(rkey, sizeof rkey, "sub:%s", s->id);
	snprintf(chkey, sizeof chkey, "confirm:%d", s->confirms);
	ntf_delivery_id((const uint8_t *)s->id, strlen(s->id), rkey, chkey, d.id);
	int idx = ntf_conf_follow_channel(n->conf, s->fmt);
	d.to = NTF_TO_FOLLOWER;
	d.fmt = s->fmt;
	d.confirm = 1;
	d.urgent = 1; /* the follower is waiting for it */
	d.quiet = 1;
	d.channel = strdup(n->conf->channels[idx].name);
	d.rk = strdup("follower");
	d.rid = strdup(s->id);
	d.rdisp = strdup(s->masked);
	d.case_id = strdup(case_id ? case_id : "");
	d.tracking_code = strdup("");
	d.pkey = strdup(pkey);
	d.rule = strdup("follow_confirm");
	d.event = strdup("");
	d.subject = confirm && unsub ? ntf_tmpl_render(tm->subject, vals) : NULL;
	if (ntf_fmt_addr(s->fmt) == NTF_ADDR_PHONE && code) {
		/* a code, never the link: only the phone's owner reads it */
		char text[300];
		snprintf(text, sizeof text,
			 "【清风】您正在关注%s的办理进展，验证码 %s，请在页面上输入。"
			 "如非本人操作，请忽略本短信。",
			 display, code);
		d.text = strdup(text);
		sodium_memzero(text, sizeof text);
	} else {
		d.text = confirm && unsub ? ntf_tmpl_render(tm->text, vals) : NULL;
	}
	if (tm->markdown && confirm && unsub && ntf_fmt_addr(s->fmt) != NTF_ADDR_PHONE)
		d.markdown = ntf_tmpl_render(tm->markdown, vals);
	free(confirm);
	free(unsub);
	int rc;
	if (!d.channel || !d.rk || !d.rid || !d.rdisp || !d.case_id || !d.tracking_code ||
	    !d.pkey || !d.rule || !d.event || !d.subject || !d.text ||
	    (tm->markdown && ntf_fmt_addr(s->fmt) != NTF_ADDR_PHONE && !d.markdown))
		rc = QF_ERR_NOMEM;
	else
		rc = ntf_queue_add(n, t, &d, now);
	ntf_delivery_clear(&d);
	return rc == QF_ERR_EXISTS ? 0 : rc;
}

static int s_create_apply(struct qf_txn *t, void *arg)
{
	struct fjob *j = arg;
	struct ntf *n = j->n;
	int64_t now = qf_now_ms(n->clock);
	char target[200], display[160], case_id[128] = "", pkey[128];
	/* the handler checked these against the configuration of its time; a
	   reload (SIGHUP) may have come since */
	if (!n->conf->follow_enabled || n->conf->follow_template_idx < 0) {
		s_verdict(j, 404, "follow_disabled", "本社区未开放关注功能", NULL);
		return 0;
	}
	if (ntf_conf_follow_channel(n->conf, j->fmt) < 0) {
		s_verdict(j, 400, "channel_not_offered", "本社区未开放该关注渠道",
			  "channel");
		return 0;
	}
	if (strncmp(j->target, "case:", 5) == 0) {
		const char *given = j->target + 5;
		struct ntf_case c;
		int rc = ntf_case_get(t, &n->db, given, &c);
		if (rc == QF_ERR_NOTFOUND) {
			char cid[128];
			if (ntf_tracking_get(t, &n->db, given, cid, sizeof cid) == 0)
				rc = ntf_case_get(t, &n->db, cid, &c);
		}
		if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO) {
			s_verdict(j, 404, "case_unknown",
				  "没有找到这个案件（请核对查询码）", "target");
			return 0;
		}
		if (rc)
			return rc;
		int sensitive = c.priority && strcmp(c.priority, "sensitive") == 0;
		int closed = c.closed_ms != 0;
		snprintf(case_id, sizeof case_id, "%s", c.case_id);
		snprintf(display, sizeof display, "案件 %s",
			 c.tracking_code && c.tracking_code[0] ? c.tracking_code
							       : c.case_id);
		snprintf(pkey, sizeof pkey, "%s",
			 c.building && c.building[0] ? c.building : "");
		ntf_case_clear(&c);
		if (sensitive) {
			s_verdict(j, 403, "not_followable",
				  "此类诉求涉及个人信息，不支持关注", "target");
			return 0;
		}
		if (closed) {
			s_verdict(j, 409, "case_closed", "该案件已办结关闭，无需关注",
				  "target");
			return 0;
		}
		snprintf(target, sizeof target, "case:%s", case_id);
	} else {
		const struct qf_building *b =
		    qf_community_building(n->com, j->target + 9);
		snprintf(display, sizeof display, "%s", b ? b->name : j->target + 9);
		snprintf(target, sizeof target, "%s", j->target);
		pkey[0] = '\0';
	}
	/* the follow id: the same target, channel and address, the same follow */
	char norm[1100];
	snprintf(norm, sizeof norm, "%s", j->address);
	if (ntf_fmt_addr(j->fmt) == NTF_ADDR_EMAIL)
		for (char *p = norm; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	ntf_keys_follow_id(&n->keys, target, ntf_fmt_name((enum ntf_fmt)j->fmt), norm,
			   j->id);
	sodium_memzero(norm, sizeof norm);
	if (!pkey[0])
		snprintf(pkey, sizeof pkey, "%s", j->id);
	struct ntf_sub s;
	int rc = ntf_sub_get(t, &n->db, j->id, &s);
	if (rc && rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
		return rc;
	if (rc == 0 && s.state == NTF_SUB_ACTIVE) {
		snprintf(j->state, sizeof j->state, "active");
		s_verdict(j, 200, NULL, "已在关注中", NULL);
		ntf_sub_clear(&s);
		return 0;
	}
	if (rc == 0 && s.state == NTF_SUB_PENDING && s.confirm_sent + RESEND_MS > now) {
		snprintf(j->state, sizeof j->state, "pending");
		s_verdict(j, 202, NULL,
			  ntf_fmt_addr(j->fmt) == NTF_ADDR_PHONE
			      ? "验证码已发送（十分钟内不再重发），请输入验证码"
			      : "确认消息已发送，请查收后点击确认链接",
			  NULL);
		ntf_sub_clear(&s);
		return 0;
	}
	if (rc) {
		/* a new follow */
		unsigned count = 0;
		int x = ntf_sub_target_each(t, &n->db, target, s_count, &count);
		if (x < 0)
			return x;
		if (count >= (unsigned)n->conf->follow_max_per_target) {
			s_verdict(j, 409, "too_many_followers", "关注人数已达上限",
				  "target");
			return 0;
		}
		memset(&s, 0, sizeof s);
		char masked[160];
		if (ntf_fmt_addr(j->fmt) == NTF_ADDR_EMAIL)
			ntf_mask_email(j->address, masked, sizeof masked);
		else if (ntf_fmt_addr(j->fmt) == NTF_ADDR_PHONE)
			ntf_mask_phone(j->address, masked, sizeof masked);
		else
			ntf_mask_url(j->address, masked, sizeof masked);
		s.id = strdup(j->id);
		s.target = strdup(target);
		s.masked = strdup(masked);
		s.fmt = j->fmt;
		if (!s.id || !s.target || !s.masked ||
		    ntf_keys_seal(&n->keys, j->address, &s.addr, &s.addr_len) ||
		    (j->secret &&
		     ntf_keys_seal(&n->keys, j->secret, &s.secret, &s.secret_len))) {
			ntf_sub_clear(&s);
			return QF_ERR_NOMEM;
		}
	} else {
		j->resent = 1;
	}
	if (s.state != NTF_SUB_PENDING || !s.created)
		s.created = now;
	s.state = NTF_SUB_PENDING;
	s.removed = 0;
	s.confirms++;
	s.confirm_sent = now;
	char code[8] = "";
	if (ntf_fmt_addr(s.fmt) == NTF_ADDR_PHONE) { /* a new code with each message */
		snprintf(code, sizeof code, "%06u",
			 (unsigned)randombytes_uniform(1000000));
		s_code_hash(s.id, code, s.code_hash);
		s.has_code = 1;
		s.code_tries = 0;
	}
	if ((rc = ntf_sub_put(t, &n->db, &s)) ||
	    (rc = ntf_sub_target_put(t, &n->db, s.target, s.id)) ||
	    (rc = ntf_expire_put(t, &n->db,
				 now + (int64_t)n->conf->follow_confirm_ttl_h * 3600000,
				 's', s.id)) ||
	    (rc = s_confirm_delivery(j, t, &s, display, case_id[0] ? case_id : NULL, pkey,
				     code[0] ? code : NULL, now))) {
		sodium_memzero(code, sizeof code);
		ntf_sub_clear(&s);
		if (rc != QF_ERR_GONE)
			return rc;
		/* the case's retention has ended: nothing is kept about it */
		s_verdict(j, 404, "case_unknown", "没有找到这个案件（请核对查询码）",
			  "target");
		return 0;
	}
	sodium_memzero(code, sizeof code);
	ntf_sub_clear(&s);
	snprintf(j->state, sizeof j->state, "pending");
	s_verdict(j, 202, NULL,
		  ntf_fmt_addr(j->fmt) == NTF_ADDR_PHONE
		      ? "验证码已通过短信发送，请输入验证码确认关注"
		      : "确认消息已发送，请查收后点击确认链接",
		  NULL);
	return 0;
}

static void s_done(void *arg, int rc)
{
	struct fjob *j = arg;
	struct qf_http_req *r = j->r;
	if (!rc && j->newly_active)
		qf_metric_inc(j->n->m_follows);
	if (rc) {
		char eb[64];
		qf_error("follow_write_failed", "error=%s",
			 qf_log_q(qf_strerror(rc), eb, sizeof eb));
		qf_http_reply_error(r, 503, "unavailable", "暂时无法处理，请稍后重试",
				    NULL);
	} else if (j->code) {
		if (j->html) {
			const char *p = s_page("无法处理", j->msg);
			qf_http_reply(r, j->status, "text/html; charset=utf-8", p,
				      strlen(p));
		} else {
			qf_http_reply_error(r, j->status, j->code, j->msg, j->field);
		}
	} else if (j->html) {
		const char *title = j->action == F_CONFIRM ? "关注已确认" : "已退订";
		const char *p = s_page(title, j->msg);
		qf_http_reply(r, j->status, "text/html; charset=utf-8", p, strlen(p));
	} else {
		qf_http_reply_json(r, j->status,
				   json_pack("{s:s,s:s,s:s}", "id", j->id, "state",
					     j->state, "message", j->msg));
	}
	s_fjob_free(j);
}

/* A mainland mobile number as a follower types it: 11 digits from 1. */
static int s_mobile_ok(const char *p)
{
	if (strlen(p) != 11 || p[0] != '1' || p[1] < '3')
		return 0;
	return strspn(p, "0123456789") == 11;
}

static int s_url_ok(const struct ntf_conf *conf, const char *url)
{
	size_t l = strlen(url);
	if (l < 10 || l > 1024)
		return 0;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\' ||
		    *p == 0x7f)
			return 0;
	/* by parts (scheme, host, port, path prefix), never as a string
	   prefix: "https://host" must not admit https://host.evil.net/ */
	for (size_t i = 0; i < conf->follow_url_allow.n; i++)
		if (qf_url_allowed(url, conf->follow_url_allow.v[i]))
			return 1;
	return 0;
}

static int s_create_apply(struct qf_txn *t, void *arg);
static int s_confirm_apply(struct qf_txn *t, void *arg);

/* the apply of every follow job (runs on the core thread, in the batch) */
static int s_apply(struct qf_txn *t, void *arg)
{
	struct fjob *j = arg;
	return j->action == F_CREATE ? s_create_apply(t, arg) : s_confirm_apply(t, arg);
}

static void s_submit(struct fjob *j)
{
	j->job.apply = s_apply;
	j->job.done = s_done;
	j->job.arg = j;
	qf_http_suspend(j->r);
	int rc = qf_gc_submit(qf_svc_gc(j->n->svc), &j->job);
	if (rc) {
		qf_http_reply_error(j->r, 503, "unavailable", "服务正在停止，请稍后重试",
				    NULL);
		s_fjob_free(j);
	}
}

void ntf_follow_create(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;
	/* an HTTP thread: one generation for every check of this request */
	const struct ntf_gen *g = ntf_cur(n);
	const struct ntf_conf *conf = &g->conf;
	if (!conf->follow_enabled) {
		qf_http_reply_error(r, 404, "follow_disabled", "本社区未开放关注功能",
				    NULL);
		return;
	}
	if (!ntf_keys_ready(&n->keys)) {
		qf_http_reply_error(r, 503, "unavailable", "关注功能暂不可用，请稍后重试",
				    NULL);
		return;
	}
	json_t *b = qf_http_json_body(r);
	if (!b)
		return;
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		if (strcmp(key, "target") && strcmp(key, "channel") &&
		    strcmp(key, "address") && strcmp(key, "secret")) {
			qf_http_reply_error(r, 400, "unknown_field",
					    "请求中有不认识的字段", key);
			json_decref(b);
			return;
		}
		if (!json_is_string(v)) {
			qf_http_reply_error(r, 400, "invalid_type", "该字段必须是字符串",
					    key);
			json_decref(b);
			return;
		}
	}
	const char *target = json_string_value(json_object_get(b, "target"));
	const char *channel = json_string_value(json_object_get(b, "channel"));
	const char *address = json_string_value(json_object_get(b, "address"));
	const char *secret = json_string_value(json_object_get(b, "secret"));
	const char *miss = !target    ? "target"
			   : !channel ? "channel"
			   : !address ? "address"
				      : NULL;
	if (miss) {
		qf_http_reply_error(r, 400, "missing_field", "缺少必填字段", miss);
		json_decref(b);
		return;
	}
	int fmt = ntf_fmt_parse(channel);
	if (fmt < 0) {
		qf_http_reply_error(r, 400, "invalid_channel",
				    "渠道必须是 email、sms、webhook、wecom 或 dingtalk",
				    "channel");
		json_decref(b);
		return;
	}
	if (ntf_conf_follow_channel(conf, fmt) < 0) {
		qf_http_reply_error(r, 400, "channel_not_offered",
				    "本社区未开放该关注渠道", "channel");
		json_decref(b);
		return;
	}
	size_t tl = strlen(target);
	int is_case = strncmp(target, "case:", 5) == 0 && tl > 5 && tl <= 105;
	int is_bld = strncmp(target, "building:", 9) == 0 &&
		     qf_community_building(g->com, target + 9) != NULL;
	if ((!is_case && !is_bld) || !ntf_text_valid(target, tl) || strchr(target, ' ')) {
		qf_http_reply_error(r, 400, "invalid_target",
				    "关注对象应为 case:查询码 或 building:楼栋编号",
				    "target");
		json_decref(b);
		return;
	}
	/* with several instances, a building's events (and so its followers)
	   belong to the instance that owns the building's partition */
	if (is_bld && conf->svc.instances > 1) {
		uint32_t p = qf_partition_of(target + 9, (uint32_t)conf->svc.partitions);
		int owner = (int)(p % (uint32_t)conf->svc.instances);
		if (owner != conf->svc.instance) {
			char msg[160];
			snprintf(msg, sizeof msg,
				 "该楼栋由第 %d 个通知服务实例负责，请向该实例提交",
				 owner);
			qf_http_reply_error(r, 421, "wrong_instance", msg, "target");
			json_decref(b);
			return;
		}
	}
	/* the refusal's words for each kind of address */
	static const char *const bad_addr[] = {
	    [NTF_ADDR_URL] = "该网址不在允许的范围内",
	    [NTF_ADDR_EMAIL] = "电子邮箱地址格式不正确",
	    [NTF_ADDR_PHONE] = "手机号码应为 11 位数字",
	};
	enum ntf_addr kind = ntf_fmt_addr(fmt);
	if (kind == NTF_ADDR_EMAIL   ? !ntf_email_valid(address)
	    : kind == NTF_ADDR_PHONE ? !s_mobile_ok(address)
				     : !s_url_ok(conf, address)) {
		qf_http_reply_error(r, 400, "invalid_address", bad_addr[kind], "address");
		json_decref(b);
		return;
	}
	if (secret &&
	    (strlen(secret) < 8 || strlen(secret) > 200 ||
	     !ntf_text_valid(secret, strlen(secret)) || strpbrk(secret, "\r\n"))) {
		qf_http_reply_error(r, 400, "invalid_secret",
				    "签名密钥长度应为 8 到 200 个字符", "secret");
		json_decref(b);
		return;
	}
	if (secret && kind != NTF_ADDR_URL) {
		qf_http_reply_error(r, 400, "invalid_secret",
				    "电子邮件和短信关注不需要签名密钥", "secret");
		json_decref(b);
		return;
	}
	struct fjob *j = calloc(1, sizeof *j);
	if (!j || !(j->address = strdup(address)) ||
	    (secret && !(j->secret = strdup(secret)))) {
		if (j)
			s_fjob_free(j);
		qf_http_reply_error(r, 503, "unavailable", "服务繁忙，请稍后重试", NULL);
		json_decref(b);
		return;
	}
	j->n = n;
	j->r = r;
	j->action = F_CREATE;
	j->fmt = fmt;
	snprintf(j->target, sizeof j->target, "%s", target);
	json_decref(b); /* target pointed into it */
	s_submit(j);
}

/* ------------------------------------------------------------ confirm / leave */

static int s_emit_changed(struct fjob *j, struct qf_txn *t, const struct ntf_sub *s,
			  int active, int64_t now)
{
	if (!j->n->prod)
		return 0;
	Qingfeng__V1__SubscriptionChanged m = QINGFENG__V1__SUBSCRIPTION_CHANGED__INIT;
	m.subscription_id = s->id;
	m.target = s->target;
	m.channel = (char *)ntf_fmt_name((enum ntf_fmt)s->fmt);
	m.active = active;
	m.at_ms = now;
	const char *case_id = strncmp(s->target, "case:", 5) == 0 ? s->target + 5 : NULL;
	return qf_privacy_emit(j->n->prod, t,
			       QINGFENG__V1__EVENT_TYPE__SUBSCRIPTION_CHANGED, s->id,
			       case_id, NULL, &m.base, NULL);
}

static int s_confirm_apply(struct qf_txn *t, void *arg)
{
	struct fjob *j = arg;
	struct ntf *n = j->n;
	int64_t now = qf_now_ms(n->clock);
	j->newly_active = 0;
	struct ntf_sub s;
	int rc = ntf_sub_get(t, &n->db, j->id, &s);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO) {
		s_verdict(j, 404, "follow_unknown",
			  "没有这项关注（可能已过期，请重新关注）", NULL);
		return 0;
	}
	if (rc)
		return rc;
	/* an sms follow is confirmed by its code only; a code confirms
	   nothing else */
	int by_code = ntf_fmt_addr(s.fmt) == NTF_ADDR_PHONE;
	if (j->action == F_CONFIRM && (by_code || j->typed[0]) &&
	    s.state == NTF_SUB_PENDING) {
		uint8_t h[32];
		if (!by_code || !j->typed[0]) {
			if (by_code)
				s_verdict(j, 403, "code_required",
					  "请输入短信中的 6 位验证码", "code");
			else
				s_verdict(j, 403, "bad_token", "链接无效或已失效",
					  "token");
			ntf_sub_clear(&s);
			return 0;
		}
		if (!s.has_code || s.code_tries >= NTF_FOLLOW_CODE_TRIES) {
			s_verdict(j, 429, "too_many_attempts",
				  "验证码错误次数过多，请十分钟后重新获取验证码", "code");
			ntf_sub_clear(&s);
			return 0;
		}
		s_code_hash(s.id, j->typed, h);
		if (sodium_memcmp(h, s.code_hash, sizeof h) != 0) {
			s.code_tries++;
			rc = ntf_sub_put(t, &n->db, &s);
			ntf_sub_clear(&s);
			if (rc)
				return rc;
			s_verdict(j, 403, "wrong_code",
				  "验证码不正确，请核对短信后重新输入", "code");
			return 0;
		}
		s.has_code = 0;
		s.code_tries = 0;
		memset(s.code_hash, 0, sizeof s.code_hash);
	}
	if (j->action == F_CONFIRM && j->typed[0] && !by_code) {
		s_verdict(j, 403, "bad_token", "链接无效或已失效", "token");
	} else if (j->action == F_CONFIRM) {
		if (s.state == NTF_SUB_REMOVED) {
			s_verdict(j, 410, "follow_removed",
				  "这项关注已退订，如需关注请重新申请", NULL);
		} else if (s.state == NTF_SUB_ACTIVE) {
			snprintf(j->state, sizeof j->state, "active");
			s_verdict(j, 200, NULL, "关注已确认，有新进展时会通知您", NULL);
		} else {
			s.state = NTF_SUB_ACTIVE;
			s.confirmed = now;
			if ((rc = ntf_sub_put(t, &n->db, &s)) ||
			    (rc = s_emit_changed(j, t, &s, 1, now))) {
				ntf_sub_clear(&s);
				return rc;
			}
			j->newly_active = 1;
			snprintf(j->state, sizeof j->state, "active");
			s_verdict(j, 200, NULL, "关注已确认，有新进展时会通知您", NULL);
		}
	} else {
		if (s.state != NTF_SUB_REMOVED) {
			int was_active = s.state == NTF_SUB_ACTIVE;
			s.state = NTF_SUB_REMOVED;
			s.removed = now;
			if ((rc = ntf_sub_put(t, &n->db, &s)) ||
			    (rc = ntf_sub_target_del(t, &n->db, s.target, s.id)) ||
			    (was_active && (rc = s_emit_changed(j, t, &s, 0, now)))) {
				ntf_sub_clear(&s);
				return rc;
			}
		}
		snprintf(j->state, sizeof j->state, "removed");
		s_verdict(j, 200, NULL, "已退订，不会再收到这项关注的消息", NULL);
	}
	ntf_sub_clear(&s);
	return 0;
}

/* The code of an sms follow's confirmation, {"code": "123456"}: 1 with
 * out filled, or 0. */
static int s_body_code(struct qf_http_req *r, char out[8])
{
	size_t len;
	const char *b = qf_http_body(r, &len);
	json_t *o = len ? json_loadb(b, len, 0, NULL) : NULL;
	const char *c = json_string_value(json_object_get(o, "code"));
	int ok = c && strlen(c) == 6 && strspn(c, "0123456789") == 6;
	if (ok)
		memcpy(out, c, 7);
	json_decref(o);
	return ok;
}

/* Common checks of /v1/follows/:id/...?token= (or, to confirm an sms
 * follow, {"code"}) */
static struct fjob *s_token_job(struct qf_http_req *r, struct ntf *n, int action)
{
	const char *id = qf_http_param(r, "id");
	const char *token = qf_http_query(r, "token");
	int html = strcmp(qf_http_method(r), "GET") == 0;
	if (!ntf_keys_ready(&n->keys)) {
		qf_http_reply_error(r, 503, "unavailable", "暂时无法处理，请稍后重试",
				    NULL);
		return NULL;
	}
	if (!id || strlen(id) != NTF_FOLLOW_ID_LEN || id[0] != 'F' ||
	    strspn(id + 1, "0123456789abcdef") != NTF_FOLLOW_ID_LEN - 1) {
		qf_http_reply_error(r, 404, "follow_unknown", "没有这项关注", "id");
		return NULL;
	}
	char code[8] = "";
	if (!token && !html && action == F_CONFIRM && s_body_code(r, code)) {
		/* an sms follow's code: checked against the follow in apply */
	} else if (!token || !ntf_keys_token_ok(&n->keys, id, token)) {
		if (html) {
			const char *p = s_page(
			    "链接无效", "链接不完整或已失效，请使用消息中的原始链接。");
			qf_http_reply(r, 403, "text/html; charset=utf-8", p, strlen(p));
		} else {
			qf_http_reply_error(r, 403, "bad_token", "链接无效或已失效",
					    "token");
		}
		return NULL;
	}
	struct fjob *j = calloc(1, sizeof *j);
	if (!j) {
		qf_http_reply_error(r, 503, "unavailable", "服务繁忙，请稍后重试", NULL);
		return NULL;
	}
	j->n = n;
	j->r = r;
	j->action = action;
	j->html = html;
	snprintf(j->id, sizeof j->id, "%s", id);
	memcpy(j->typed, code, sizeof j->typed);
	sodium_memzero(code, sizeof code);
	return j;
}

static void s_token_action(struct qf_http_req *r, void *ctx, int action)
{
	struct fjob *j = s_token_job(r, ctx, action);
	if (!j)
		return;
	s_submit(j);
}

void ntf_follow_confirm(struct qf_http_req *r, void *ctx)
{
	s_token_action(r, ctx, F_CONFIRM);
}

void ntf_follow_unsubscribe(struct qf_http_req *r, void *ctx)
{
	s_token_action(r, ctx, F_UNSUB);
}

struct show {
	struct ntf *n;
	const char *id;
	json_t *out;
};

static int s_show_read(struct qf_txn *t, void *arg)
{
	struct show *sh = arg;
	struct ntf_sub s;
	int rc = ntf_sub_get(t, &sh->n->db, sh->id, &s);
	if (rc)
		return rc;
	sh->out =
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", s.id, "target", s.target, "channel",
		      ntf_fmt_name((enum ntf_fmt)s.fmt), "address",
		      s.masked ? s.masked : "", "state", ntf_sub_state_name(s.state));
	ntf_sub_clear(&s);
	return sh->out ? 0 : QF_ERR_NOMEM;
}

void ntf_follow_show(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;
	const char *id = qf_http_param(r, "id");
	const char *token = qf_http_query(r, "token");
	if (!ntf_keys_ready(&n->keys)) {
		qf_http_reply_error(r, 503, "unavailable", "暂时无法处理，请稍后重试",
				    NULL);
		return;
	}
	if (!id || strlen(id) != NTF_FOLLOW_ID_LEN || !token ||
	    !ntf_keys_token_ok(&n->keys, id, token)) {
		qf_http_reply_error(r, 403, "bad_token", "链接无效或已失效", "token");
		return;
	}
	struct show sh = {n, id, NULL};
	int rc = qf_store_read(n->store, s_show_read, &sh);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO)
		qf_http_reply_error(r, 404, "follow_unknown",
				    "没有这项关注（可能已过期）", NULL);
	else if (rc)
		qf_http_reply_error(r, 503, "unavailable", "暂时无法读取，请稍后重试",
				    NULL);
	else
		qf_http_reply_json(r, 200, sh.out);
}
