/* qf_case.c: the case vocabulary (qf_case.h). */
#include "qf_case.h"
#include "qingfeng/v1/events.pb-c.h"

#include <string.h>

static const struct {
	const char *code, *label, *hint;
	int open, final;
} s_states[] = {
    [QF_CASE_UNKNOWN] = {"unknown", "未知", "", 0, 0},
#define QF_CASE_ROW(e, code, label, open, final, hint)                          \
	[QF_CASE_##e] = {code, label, hint, open, final},
    QF_CASE_STATES(QF_CASE_ROW)
#undef QF_CASE_ROW
};

_Static_assert((int)QF_CASE_SUBMITTED == (int)QINGFENG__V1__CASE_STATE__STATE_SUBMITTED &&
		       (int)QF_CASE_MERGED == (int)QINGFENG__V1__CASE_STATE__STATE_MERGED,
	       "qf_case states follow events.proto's CaseState");

static int s_valid(int state)
{
	return state > QF_CASE_UNKNOWN && state < QF_CASE_NSTATES;
}

/* Staff actions per state, as bits of ActionKind (router/fsm.c's rows). */
#define AK(x) (1u << QINGFENG__V1__ACTION_KIND__ACTION_##x)
#define EXT   (AK(EXTEND_REQUEST) | AK(EXTEND_APPROVE) | AK(EXTEND_DENY))
static const unsigned s_admits[QF_CASE_NSTATES] = {
    [QF_CASE_ASSIGNED] = AK(ACCEPT) | AK(ASSIGN) | AK(TRANSFER) | AK(REJECT) | AK(MERGE),
    [QF_CASE_ACCEPTED] = AK(TRANSFER) | AK(PROGRESS) | AK(RESOLVE) | AK(REJECT) | EXT |
			 AK(MERGE),
    [QF_CASE_IN_PROGRESS] = AK(TRANSFER) | AK(PROGRESS) | AK(RESOLVE) | AK(REJECT) | EXT |
			    AK(MERGE),
    [QF_CASE_RESOLVED] = AK(REOPEN) | AK(CLOSE),
    [QF_CASE_CLOSED] = AK(REOPEN),
    [QF_CASE_REJECTED] = AK(REOPEN),
    [QF_CASE_REOPENED] = AK(ACCEPT) | AK(TRANSFER) | AK(REJECT) | EXT | AK(MERGE),
};
#undef EXT
#undef AK

int qf_case_admits(int state, int action_kind)
{
	return s_valid(state) && action_kind > 0 && action_kind < 32 &&
	       (s_admits[state] >> action_kind & 1u);
}

const char *qf_case_state_code(int state)
{
	return s_states[s_valid(state) ? state : 0].code;
}

const char *qf_case_state_label(int state)
{
	return s_states[s_valid(state) ? state : 0].label;
}

const char *qf_case_state_hint(int state)
{
	return s_states[s_valid(state) ? state : 0].hint;
}

int qf_case_state_parse(const char *code)
{
	for (int i = 1; code && i < QF_CASE_NSTATES; i++)
		if (!strcmp(code, s_states[i].code))
			return i;
	return -1;
}

int qf_case_state_open(int state)
{
	return s_valid(state) && s_states[state].open;
}

int qf_case_state_final(int state)
{
	return s_valid(state) && s_states[state].final;
}

#define ET(x) QINGFENG__V1__EVENT_TYPE__##x
static const struct {
	int type;
	const char *label;
} s_events[] = {
    {ET(PETITION_SUBMITTED), "诉求已提交"},   {ET(STAFF_ACTION_REQUESTED), "办理操作"},
    {ET(FEEDBACK_GIVEN), "居民评价"},	      {ET(DISCLOSURE_SUBMITTED), "公开事项"},
    {ET(CONTACT_VIEWED), "查看联系方式"},     {ET(VISIT_RECORDED), "走访记录"},
    {ET(SPAM_HELD), "疑似广告待审核"},	      {ET(SPAM_RELEASED), "审核通过"},
    {ET(DATA_EXPORTED), "个人信息导出"},
    {ET(PETITION_SUPPLEMENTED), "居民补充"},      {ET(CASE_ASSIGNED), "案件派单"},
    {ET(CASE_ACCEPTED), "案件受理"},	      {ET(CASE_TRANSFERRED), "案件转办"},
    {ET(CASE_PROGRESS), "处理进展"},	      {ET(CASE_RESOLVED), "案件办结"},
    {ET(CASE_REJECTED), "不予受理"},	      {ET(CASE_REOPENED), "重新办理"},
    {ET(CASE_MERGED), "案件合并"},	      {ET(CASE_CLOSED), "案件结案"},
    {ET(DEADLINE_WARNING), "时限预警"},	      {ET(CASE_ESCALATED), "案件上报"},
    {ET(ACTION_RESULT), "操作结果"},	      {ET(HOTSPOT_WARNING), "集中诉求预警"},
    {ET(REPEAT_LINKED), "重复诉求"},	      {ET(EXTENSION_REQUESTED), "延期申请"},
    {ET(EXTENSION_DECIDED), "延期审批"},      {ET(DUTY_QUOTA), "履职提醒"},
    {ET(CASE_RATED), "居民评价"},	      {ET(PRIVATE_EXPIRED), "个人信息到期删除"},
    {ET(DELIVERY_DELIVERED), "通知已送达"},   {ET(DELIVERY_FAILED), "通知发送失败"},
    {ET(DELIVERY_DEAD_LETTERED), "通知无法送达"}, {ET(DELIVERY_RELEASED), "通知重新发送"},
    {ET(SUBSCRIPTION_CHANGED), "关注变更"},   {ET(SNAPSHOT_PUBLISHED), "公开快照"},
    {ET(AUDIT_ALERT), "审计提示"},	      {ET(AUDIT_CHECKPOINT), "日志签名"},
    {ET(PRIVATE_READ), "查阅个人信息"},
};
#undef ET

const char *qf_case_event_label(int type)
{
	for (size_t i = 0; i < sizeof s_events / sizeof s_events[0]; i++)
		if (s_events[i].type == type)
			return s_events[i].label;
	return "通知";
}

const char *qf_case_priority_label(const char *p)
{
	static const char *const t[][2] = {
	    {"urgent", "紧急"}, {"normal", "一般"}, {"low", "较低"}, {"sensitive", "敏感"}};
	if (!p)
		return "";
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(p, t[i][0]))
			return t[i][1];
	return p;
}

static const struct {
	int kind;
	const char *code, *label;
} s_alerts[] = {
    {QINGFENG__V1__ALERT_KIND__ALERT_CLOSED_WITHOUT_FEEDBACK, "closed_without_feedback",
     "未经群众评价即结案"},
    {QINGFENG__V1__ALERT_KIND__ALERT_TOO_MANY_TRANSFERS, "too_many_transfers", "多次转办"},
    {QINGFENG__V1__ALERT_KIND__ALERT_SELF_JUDGING, "self_judging", "被举报人经手本人举报"},
    {QINGFENG__V1__ALERT_KIND__ALERT_CONTACT_VIEW, "contact_view", "非经办人查看联系方式"},
    {QINGFENG__V1__ALERT_KIND__ALERT_STREAM_GAP, "stream_gap", "事件流缺失"},
    {QINGFENG__V1__ALERT_KIND__ALERT_NEW_INCARNATION, "new_incarnation", "服务数据被重置"},
};

const char *qf_alert_code(int kind)
{
	for (size_t i = 0; i < sizeof s_alerts / sizeof s_alerts[0]; i++)
		if (s_alerts[i].kind == kind)
			return s_alerts[i].code;
	return "other";
}

const char *qf_alert_label(int kind)
{
	for (size_t i = 0; i < sizeof s_alerts / sizeof s_alerts[0]; i++)
		if (s_alerts[i].kind == kind)
			return s_alerts[i].label;
	return "审计提示";
}

int qf_alert_kind_parse(const char *code)
{
	for (size_t i = 0; code && i < sizeof s_alerts / sizeof s_alerts[0]; i++)
		if (!strcmp(s_alerts[i].code, code))
			return s_alerts[i].kind;
	return 0;
}
