/* summary.c: one line of Chinese per event, for a case's history as people
 * read it ("派单给 李建国（s04）"). The full decoded event goes beside it;
 * this line is only the gist, so unknown or undecodable events still get
 * their type's label. It reads the public payload only (the history is
 * public): a field left out of the public part shows as empty.
 */
#include "audit.h"
#include "qf_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct label {
	int type;
	const char *text;
};

#define T(x) QINGFENG__V1__EVENT_TYPE__##x
static const struct label s_labels[] = {
    {T(PETITION_SUBMITTED), "提交诉求"},
    {T(STAFF_ACTION_REQUESTED), "请求处理操作"},
    {T(FEEDBACK_GIVEN), "诉求人回访评价"},
    {T(DISCLOSURE_SUBMITTED), "提交公开事项"},
    {T(CONTACT_VIEWED), "查看诉求人联系方式"},
    {T(VISIT_RECORDED), "记录走访"},
    {T(SPAM_HELD), "疑似垃圾信息被拦截"},
    {T(SPAM_RELEASED), "放行被拦截的诉求"},
    {T(PETITION_SUPPLEMENTED), "诉求人补充材料"},
    {T(CASE_ASSIGNED), "派单"},
    {T(CASE_ACCEPTED), "受理"},
    {T(CASE_TRANSFERRED), "转办"},
    {T(CASE_PROGRESS), "处理进度"},
    {T(CASE_RESOLVED), "办结"},
    {T(CASE_REJECTED), "不予受理"},
    {T(CASE_REOPENED), "重新办理"},
    {T(CASE_MERGED), "合并"},
    {T(CASE_CLOSED), "结案"},
    {T(DEADLINE_WARNING), "时限预警"},
    {T(CASE_ESCALATED), "升级督办"},
    {T(ACTION_RESULT), "操作结果"},
    {T(HOTSPOT_WARNING), "聚集预警"},
    {T(REPEAT_LINKED), "重复诉求关联"},
    {T(EXTENSION_REQUESTED), "申请延期"},
    {T(EXTENSION_DECIDED), "延期审批"},
    {T(DUTY_QUOTA), "履职进度"},
    {T(CASE_RATED), "评价记录"},
    {T(DELIVERY_DELIVERED), "通知已送达"},
    {T(DELIVERY_FAILED), "通知发送失败"},
    {T(DELIVERY_DEAD_LETTERED), "通知转入死信"},
    {T(DELIVERY_RELEASED), "死信通知重发"},
    {T(SUBSCRIPTION_CHANGED), "订阅变更"},
    {T(SNAPSHOT_PUBLISHED), "发布公开快照"},
    {T(AUDIT_ALERT), "审计告警"},
    {T(AUDIT_CHECKPOINT), "审计检查点"},
    {T(DATA_EXPORTED), "导出案件数据"},
    {T(PRIVATE_EXPIRED), "非公开内容保存期满删除"},
    {T(PRIVATE_READ), "查阅非公开内容"},
};

static const char *s_label(int type)
{
	for (size_t i = 0; i < sizeof s_labels / sizeof s_labels[0]; i++)
		if (s_labels[i].type == type)
			return s_labels[i].text;
	return NULL;
}

static const char *s_str(const char *s) { return s ? s : ""; }

/* "名字（id）", "id" or "系统" */
static const char *s_who(const Qingfeng__V1__Actor *a, char *buf, size_t n)
{
	if (!a || (!s_str(a->staff_id)[0] && !s_str(a->name)[0]))
		return "系统";
	if (s_str(a->name)[0] && s_str(a->staff_id)[0])
		snprintf(buf, n, "%s（%s）", a->name, a->staff_id);
	else
		snprintf(buf, n, "%s", s_str(a->name)[0] ? a->name : a->staff_id);
	return buf;
}

static void s_transition(char *o, size_t n, const char *label, int type,
			 const Qingfeng__V1__CaseTransition *t)
{
	char w[160];
	const char *who = s_who(t->actor, w, sizeof w);
	const char *assignee =
	    s_str(t->assignee_name)[0] ? t->assignee_name : s_str(t->assignee);
	switch (type) {
	case T(CASE_ASSIGNED):
		snprintf(o, n, "%s给 %s（%s）", label, assignee, s_str(t->assignee));
		break;
	case T(CASE_TRANSFERRED):
		snprintf(o, n, "%s：%s 转给 %s（第 %u 次）", label,
			 s_str(t->previous_assignee), assignee, t->transfer_count);
		break;
	case T(CASE_PROGRESS):
		snprintf(o, n, "%s：%s %s", label, who, s_str(t->progress));
		break;
	case T(CASE_RESOLVED):
		snprintf(o, n, "%s：%s %s", label, who, s_str(t->result));
		break;
	case T(CASE_CLOSED):
		snprintf(o, n, "%s%s", label,
			 t->closed_without_feedback ? "（未经诉求人回访）" : "");
		break;
	case T(CASE_MERGED):
		snprintf(o, n, "%s：并入案件 %s", label, s_str(t->related_case));
		break;
	case T(CASE_RATED):
		snprintf(o, n, "%s：%u 分", label, t->rating);
		break;
	case T(EXTENSION_REQUESTED):
		snprintf(o, n, "%s：%s 申请延期 %u 小时", label, who, t->extension_hours);
		break;
	case T(EXTENSION_DECIDED):
		snprintf(o, n, "%s：%s%s", label, who,
			 t->extension_approved ? "批准" : "驳回");
		break;
	case T(CASE_ESCALATED):
		snprintf(o, n, "%s：升级至 %s", label, s_str(t->escalation_role));
		break;
	default:
		snprintf(o, n, "%s：%s%s%s", label, who, s_str(t->reason)[0] ? "，" : "",
			 s_str(t->reason));
		break;
	}
}

char *audit_summary(const Qingfeng__V1__Envelope *env)
{
	char o[1024], w[160];
	const char *label = s_label(env->type);
	if (!label) {
		snprintf(o, sizeof o, "未知事件类型 %d", env->type);
		return strdup(o);
	}
	ProtobufCMessage *m = qf_event_payload(env);
	if (!m)
		return strdup(label);
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &qingfeng__v1__case_transition__descriptor) {
		s_transition(o, sizeof o, label, env->type, (void *)m);
	} else if (d == &qingfeng__v1__petition_submitted__descriptor) {
		Qingfeng__V1__PetitionSubmitted *p = (void *)m;
		snprintf(o, sizeof o, "%s：%s，%s，渠道 %s，跟踪码 %s", label,
			 s_str(p->category), s_str(p->building), s_str(p->channel),
			 s_str(p->tracking_code));
	} else if (d == &qingfeng__v1__staff_action_requested__descriptor) {
		Qingfeng__V1__StaffActionRequested *r = (void *)m;
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
		    &qingfeng__v1__action_kind__descriptor, r->action);
		snprintf(o, sizeof o, "%s：%s 请求 %s", label,
			 s_who(r->actor, w, sizeof w), ev ? ev->name : "?");
	} else if (d == &qingfeng__v1__contact_viewed__descriptor) {
		Qingfeng__V1__ContactViewed *c = (void *)m;
		snprintf(o, sizeof o, "%s：%s%s%s", label, s_who(c->actor, w, sizeof w),
			 s_str(c->reason)[0] ? "，理由：" : "", s_str(c->reason));
	} else if (d == &qingfeng__v1__feedback_given__descriptor) {
		snprintf(o, sizeof o, "%s：%u 分", label,
			 ((Qingfeng__V1__FeedbackGiven *)m)->rating);
	} else if (d == &qingfeng__v1__action_result__descriptor) {
		Qingfeng__V1__ActionResult *r = (void *)m;
		snprintf(o, sizeof o, "%s：%u %s", label, r->status, s_str(r->message));
	} else if (d == &qingfeng__v1__deadline_warning__descriptor) {
		Qingfeng__V1__DeadlineWarning *dw = (void *)m;
		snprintf(o, sizeof o, "%s：%s时限已用 %u‰%s", label,
			 dw->kind == QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESPOND
			     ? "响应"
			     : "办结",
			 dw->permille, dw->breached ? "，已超时" : "");
	} else if (d == &qingfeng__v1__delivery_outcome__descriptor) {
		Qingfeng__V1__DeliveryOutcome *dl = (void *)m;
		snprintf(o, sizeof o, "%s：%s 经 %s", label, s_str(dl->recipient_kind),
			 s_str(dl->channel));
	} else if (d == &qingfeng__v1__private_read__descriptor) {
		Qingfeng__V1__PrivateRead *pr = (void *)m;
		snprintf(o, sizeof o, "%s：%s 查阅了第 %llu 条记录的非公开部分", label,
			 pr->actor ? s_who(pr->actor, w, sizeof w) : "（不公开）",
			 (unsigned long long)pr->leaf_index);
	} else if (d == &qingfeng__v1__private_expired__descriptor) {
		Qingfeng__V1__PrivateExpired *pe = (void *)m;
		snprintf(o, sizeof o, "%s：保存 %u 天期满", label, pe->retention_days);
	} else if (d == &qingfeng__v1__audit_alert__descriptor) {
		snprintf(o, sizeof o, "%s：%s", label,
			 s_str(((Qingfeng__V1__AuditAlert *)m)->detail));
	} else {
		snprintf(o, sizeof o, "%s", label);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return strdup(o);
}
#undef T
