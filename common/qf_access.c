/* qf_access.c: the access gate (qf_access.h). */
#include "qf_access.h"
#include "qf_err.h"

#include <string.h>

void qf_access_deny(struct qf_http_req *r, enum qf_verdict v)
{
	switch (v) {
	case QF_DENY_AUTH: {
		const char *h = qf_http_header(r, "Authorization");
		qf_http_add_header(r, "WWW-Authenticate", "Bearer realm=\"qingfeng\"");
		qf_http_reply_error(r, 401, h ? "invalid_token" : "missing_token",
				    h ? "身份令牌无效"
				      : "需要工作人员身份令牌（Authorization: Bearer ...）",
				    "Authorization");
		return;
	}
	case QF_DENY_ROLE:
		qf_http_reply_error(r, 403, "forbidden_role", "您的岗位无权进行此操作", NULL);
		return;
	default:
		qf_http_reply_error(r, 404, "not_found", "没有这个案件", NULL);
		return;
	}
}

static void s_deny(const struct qf_access *a, struct qf_http_req *r, enum qf_verdict v)
{
	if (!a->deny || !a->deny(a->svc, r, v))
		qf_access_deny(r, v);
}

int qf_access_gate(void *ctx, struct qf_http_req *r)
{
	const struct qf_access *a = ctx;
	int action = qf_action_parse(qf_http_action(r));
	const struct qf_community *c = NULL;
	const struct qf_tokens *t = NULL;
	a->world(a->svc, &c, &t);
	const char *authz = qf_http_header(r, "Authorization");
	const struct qf_staff *s = authz && t ? qf_tokens_auth(t, c, authz) : NULL;
	if (!authz && a->session && a->session(a->svc, r, c, &s))
		return 1;
	if (action == QF_ACT_PUBLIC) {
		/* anyone may; a credential that does not hold is still an error
		   (RFC 6750), never silently read as "nobody", where the service
		   knows staff at all */
		if (authz && t && !s) {
			qf_access_deny(r, QF_DENY_AUTH);
			return 1;
		}
		if (s)
			qf_http_set_user(r, s, c);
		return 0;
	}
	if (!t && !s) {
		/* nobody can prove who they are here: say so, not "bad token" */
		qf_http_reply_error(r, 503, "staff_access_off",
				    "本服务未配置工作人员令牌（access.tokens_file），"
				    "不受理需要工作人员身份的请求",
				    NULL);
		return 1;
	}
	enum qf_verdict v = qf_policy_role_allows(c, s, (enum qf_action)action);
	const char *subject = qf_http_subject(r);
	if (v == QF_ALLOW && qf_action_resource(action) == QF_RES_C && subject) {
		struct qf_case_facts f;
		memset(&f, 0, sizeof f);
		int rc = a->case_facts ? a->case_facts(a->svc, subject, &f) : QF_ERR_NOTFOUND;
		if (rc && rc != QF_ERR_NOTFOUND) {
			qf_http_reply_error(r, 503, "store_unavailable", "暂时无法读取，请稍后重试",
					    NULL);
			return 1;
		}
		v = rc ? QF_DENY_HIDE : qf_policy_case(c, s, (enum qf_action)action, &f);
	}
	if (v != QF_ALLOW) {
		s_deny(a, r, v);
		return 1;
	}
	qf_http_set_user(r, s, c);
	return 0;
}

const struct qf_staff *qf_access_staff(struct qf_http_req *r)
{
	return qf_http_user(r);
}

const struct qf_community *qf_access_community(struct qf_http_req *r)
{
	return qf_http_world(r);
}
