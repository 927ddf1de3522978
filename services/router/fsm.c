/* fsm.c: the case state machine table and its guards (fsm.h).
 *
 * The table below is the workflow: read it top to bottom to know what may
 * happen to a case. Guards are named bits, checked in one fixed order, each
 * with its own machine code and Chinese message, so a refused action always
 * says which rule refused it.
 */
#include "fsm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qf_event.h"
#include "qf_policy.h"
#include "routing.h"

#define CT(x)  QINGFENG__V1__EVENT_TYPE__CASE_##x
#define EXT(x) QINGFENG__V1__EVENT_TYPE__EXTENSION_##x
/* guard sets */
#define P	 (RT_G_STAFF | RT_G_NO_CONFLICT)
#define ACCEPT	 (P | RT_G_MAY_ACCEPT)
#define ASSIGN	 (P | RT_G_SECRETARY | RT_G_TARGET)
#define TRANSFER (P | RT_G_HANDLER | RT_G_TRANSFER_LIMIT | RT_G_REASON | RT_G_TARGET)
#define NOTE	 (P | RT_G_HANDLER | RT_G_NOTE)
#define RESOLVE	 (P | RT_G_HANDLER | RT_G_RESULT)
#define REJECT	 (P | RT_G_HANDLER | RT_G_REJECT)
#define REOPEN	 (P | RT_G_REOPENER | RT_G_REASON | RT_G_RETAINED)
#define EXTREQ	 (P | RT_G_HANDLER | RT_G_REASON | RT_G_EXT_HOURS | RT_G_NO_PENDING)
#define EXTDEC	 (P | RT_G_SECRETARY | RT_G_PENDING | RT_G_NOT_REQUESTER)
#define MERGE	 (P | RT_G_HANDLER | RT_G_RELATED)
#define CLOSE	 (P | RT_G_SECRETARY)
#define RATED	 (RT_G_NOT_RATED | RT_G_RETAINED)

/* effect sets */
#define F_ACCEPT   (RT_E_TAKE | RT_E_RESPOND_STOP)
#define F_TRANSFER (RT_E_HAND_OVER | RT_E_TRANSFER)
#define F_REJECT   (RT_E_RESPOND_STOP | RT_E_LINK | RT_E_END)
#define F_MERGE	   (F_REJECT | RT_E_MERGE_INTO)
#define F_REOPEN   (RT_E_RESTART | RT_E_UNRATE)
#define F_APPROVE  (RT_E_EXT_GRANT | RT_E_EXT_CLEAR)
#define F_RATE_END (RT_E_RATE | RT_E_END)
#define F_RATE_BAD (RT_E_RATE | RT_E_RESTART)
/* reasons of a second output */
#define W_GOOD "诉求人评价满意，结案"
#define W_POOR "诉求人评价不满意，重新办理"

/* clang-format off */
static const struct rt_row s_rows[] = {
	/* from           input              guards    to              effects            outputs                        why2 */
	{RT_SUBMITTED,   RT_IN_ROUTE,       0,        RT_ASSIGNED,    0,                 {CT(ASSIGNED), 0},             NULL},
	{RT_ASSIGNED,    RT_IN_ACCEPT,      ACCEPT,   RT_ACCEPTED,    F_ACCEPT,          {CT(ACCEPTED), 0},             NULL},
	{RT_REOPENED,    RT_IN_ACCEPT,      ACCEPT,   RT_ACCEPTED,    F_ACCEPT,          {CT(ACCEPTED), 0},             NULL},
	{RT_ASSIGNED,    RT_IN_ASSIGN,      ASSIGN,   RT_SAME,        RT_E_HAND_OVER,    {CT(ASSIGNED), 0},             NULL},
	{RT_ASSIGNED,    RT_IN_TRANSFER,    TRANSFER, RT_SAME,        F_TRANSFER,        {CT(TRANSFERRED), 0},          NULL},
	{RT_ACCEPTED,    RT_IN_TRANSFER,    TRANSFER, RT_SAME,        F_TRANSFER,        {CT(TRANSFERRED), 0},          NULL},
	{RT_IN_PROGRESS, RT_IN_TRANSFER,    TRANSFER, RT_SAME,        F_TRANSFER,        {CT(TRANSFERRED), 0},          NULL},
	{RT_REOPENED,    RT_IN_TRANSFER,    TRANSFER, RT_SAME,        F_TRANSFER,        {CT(TRANSFERRED), 0},          NULL},
	{RT_ACCEPTED,    RT_IN_NOTE,        NOTE,     RT_IN_PROGRESS, 0,                 {CT(PROGRESS), 0},             NULL},
	{RT_IN_PROGRESS, RT_IN_NOTE,        NOTE,     RT_SAME,        0,                 {CT(PROGRESS), 0},             NULL},
	{RT_ACCEPTED,    RT_IN_RESOLVE,     RESOLVE,  RT_RESOLVED,    RT_E_RESOLVE_STOP, {CT(RESOLVED), 0},             NULL},
	{RT_IN_PROGRESS, RT_IN_RESOLVE,     RESOLVE,  RT_RESOLVED,    RT_E_RESOLVE_STOP, {CT(RESOLVED), 0},             NULL},
	{RT_ASSIGNED,    RT_IN_REJECT,      REJECT,   RT_REJECTED,    F_REJECT,          {CT(REJECTED), 0},             NULL},
	{RT_ACCEPTED,    RT_IN_REJECT,      REJECT,   RT_REJECTED,    F_REJECT,          {CT(REJECTED), 0},             NULL},
	{RT_IN_PROGRESS, RT_IN_REJECT,      REJECT,   RT_REJECTED,    F_REJECT,          {CT(REJECTED), 0},             NULL},
	{RT_REOPENED,    RT_IN_REJECT,      REJECT,   RT_REJECTED,    F_REJECT,          {CT(REJECTED), 0},             NULL},
	{RT_RESOLVED,    RT_IN_REOPEN,      REOPEN,   RT_REOPENED,    F_REOPEN,          {CT(REOPENED), 0},             NULL},
	{RT_CLOSED,      RT_IN_REOPEN,      REOPEN,   RT_REOPENED,    F_REOPEN,          {CT(REOPENED), 0},             NULL},
	{RT_REJECTED,    RT_IN_REOPEN,      REOPEN,   RT_REOPENED,    F_REOPEN,          {CT(REOPENED), 0},             NULL},
	{RT_ACCEPTED,    RT_IN_EXT_REQUEST, EXTREQ,   RT_SAME,        RT_E_EXT_PEND,     {EXT(REQUESTED), 0},           NULL},
	{RT_IN_PROGRESS, RT_IN_EXT_REQUEST, EXTREQ,   RT_SAME,        RT_E_EXT_PEND,     {EXT(REQUESTED), 0},           NULL},
	{RT_REOPENED,    RT_IN_EXT_REQUEST, EXTREQ,   RT_SAME,        RT_E_EXT_PEND,     {EXT(REQUESTED), 0},           NULL},
	{RT_ACCEPTED,    RT_IN_EXT_APPROVE, EXTDEC,   RT_SAME,        F_APPROVE,         {EXT(DECIDED), 0},             NULL},
	{RT_IN_PROGRESS, RT_IN_EXT_APPROVE, EXTDEC,   RT_SAME,        F_APPROVE,         {EXT(DECIDED), 0},             NULL},
	{RT_REOPENED,    RT_IN_EXT_APPROVE, EXTDEC,   RT_SAME,        F_APPROVE,         {EXT(DECIDED), 0},             NULL},
	{RT_ACCEPTED,    RT_IN_EXT_DENY,    EXTDEC,   RT_SAME,        RT_E_EXT_CLEAR,    {EXT(DECIDED), 0},             NULL},
	{RT_IN_PROGRESS, RT_IN_EXT_DENY,    EXTDEC,   RT_SAME,        RT_E_EXT_CLEAR,    {EXT(DECIDED), 0},             NULL},
	{RT_REOPENED,    RT_IN_EXT_DENY,    EXTDEC,   RT_SAME,        RT_E_EXT_CLEAR,    {EXT(DECIDED), 0},             NULL},
	{RT_ASSIGNED,    RT_IN_MERGE,       MERGE,    RT_MERGED,      F_MERGE,           {CT(MERGED), 0},               NULL},
	{RT_ACCEPTED,    RT_IN_MERGE,       MERGE,    RT_MERGED,      F_MERGE,           {CT(MERGED), 0},               NULL},
	{RT_IN_PROGRESS, RT_IN_MERGE,       MERGE,    RT_MERGED,      F_MERGE,           {CT(MERGED), 0},               NULL},
	{RT_REOPENED,    RT_IN_MERGE,       MERGE,    RT_MERGED,      F_MERGE,           {CT(MERGED), 0},               NULL},
	{RT_RESOLVED,    RT_IN_CLOSE,       CLOSE,    RT_CLOSED,      RT_E_END,          {CT(CLOSED), 0},               NULL},
	{RT_RESOLVED,    RT_IN_RATE_GOOD,   RATED,    RT_CLOSED,      F_RATE_END,        {CT(RATED), CT(CLOSED)},       W_GOOD},
	{RT_RESOLVED,    RT_IN_RATE_MID,    RATED,    RT_SAME,        RT_E_RATE,         {CT(RATED), 0},                NULL},
	{RT_RESOLVED,    RT_IN_RATE_POOR,   RATED,    RT_REOPENED,    F_RATE_BAD,        {CT(RATED), CT(REOPENED)},     W_POOR},
	{RT_CLOSED,      RT_IN_RATE_GOOD,   RATED,    RT_SAME,        RT_E_RATE,         {CT(RATED), 0},                NULL},
	{RT_CLOSED,      RT_IN_RATE_MID,    RATED,    RT_SAME,        RT_E_RATE,         {CT(RATED), 0},                NULL},
	{RT_CLOSED,      RT_IN_RATE_POOR,   RATED,    RT_REOPENED,    F_RATE_BAD,        {CT(RATED), CT(REOPENED)},     W_POOR},
	{RT_RESOLVED,    RT_IN_AUTO_CLOSE,  0,        RT_CLOSED,      RT_E_END,          {CT(CLOSED), 0},               NULL},
	{RT_SUBMITTED,   RT_IN_SUPPLEMENT,  0,        RT_SAME,        0,                 {CT(PROGRESS), 0},             NULL},
	{RT_ASSIGNED,    RT_IN_SUPPLEMENT,  0,        RT_SAME,        0,                 {CT(PROGRESS), 0},             NULL},
	{RT_ACCEPTED,    RT_IN_SUPPLEMENT,  0,        RT_SAME,        0,                 {CT(PROGRESS), 0},             NULL},
	{RT_IN_PROGRESS, RT_IN_SUPPLEMENT,  0,        RT_SAME,        0,                 {CT(PROGRESS), 0},             NULL},
	{RT_REOPENED,    RT_IN_SUPPLEMENT,  0,        RT_SAME,        0,                 {CT(PROGRESS), 0},             NULL},
};
/* clang-format on */

static const struct {
	const char *name, *label;
	int action; /* ActionKind, 0 for inputs that are not staff actions */
} s_inputs[RT_IN_MAX] = {
    [RT_IN_ROUTE] = {"route", "分派", 0},
    [RT_IN_ACCEPT] = {"accept", "受理", QINGFENG__V1__ACTION_KIND__ACTION_ACCEPT},
    [RT_IN_ASSIGN] = {"assign", "派单", QINGFENG__V1__ACTION_KIND__ACTION_ASSIGN},
    [RT_IN_TRANSFER] = {"transfer", "转办", QINGFENG__V1__ACTION_KIND__ACTION_TRANSFER},
    [RT_IN_NOTE] = {"progress", "记录进度", QINGFENG__V1__ACTION_KIND__ACTION_PROGRESS},
    [RT_IN_RESOLVE] = {"resolve", "办结", QINGFENG__V1__ACTION_KIND__ACTION_RESOLVE},
    [RT_IN_REJECT] = {"reject", "驳回", QINGFENG__V1__ACTION_KIND__ACTION_REJECT},
    [RT_IN_REOPEN] = {"reopen", "重新办理", QINGFENG__V1__ACTION_KIND__ACTION_REOPEN},
    [RT_IN_EXT_REQUEST] = {"extend_request", "申请延期",
			   QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_REQUEST},
    [RT_IN_EXT_APPROVE] = {"extend_approve", "批准延期",
			   QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_APPROVE},
    [RT_IN_EXT_DENY] = {"extend_deny", "驳回延期",
			QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_DENY},
    [RT_IN_MERGE] = {"merge", "合并", QINGFENG__V1__ACTION_KIND__ACTION_MERGE},
    [RT_IN_CLOSE] = {"close", "结案", QINGFENG__V1__ACTION_KIND__ACTION_CLOSE},
    [RT_IN_RATE_GOOD] = {"rate_good", "评价", 0},
    [RT_IN_RATE_MID] = {"rate_mid", "评价", 0},
    [RT_IN_RATE_POOR] = {"rate_poor", "评价", 0},
    [RT_IN_AUTO_CLOSE] = {"auto_close", "自动结案", 0},
    [RT_IN_SUPPLEMENT] = {"supplement", "补充材料", 0},
};

const struct rt_row *rt_fsm_table(size_t *n)
{
	*n = sizeof s_rows / sizeof s_rows[0];
	return s_rows;
}

const struct rt_row *rt_fsm_row(int state, int input)
{
	for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++)
		if (s_rows[i].from == state && s_rows[i].input == input)
			return &s_rows[i];
	return NULL;
}

const char *rt_input_name(int input)
{
	return input > 0 && input < RT_IN_MAX ? s_inputs[input].name : "unknown";
}

const char *rt_input_label(int input)
{
	return input > 0 && input < RT_IN_MAX ? s_inputs[input].label : "操作";
}

int rt_input_of_action(int action_kind)
{
	for (int i = 1; i < RT_IN_MAX; i++)
		if (s_inputs[i].action && s_inputs[i].action == action_kind)
			return i;
	return 0;
}

/* Names of the guard and effect bits, in bit order (for the docs). */
static const char *const s_guard_names[RT_G_NBITS] = {
    "staff",	"no_conflict",	  "may_accept", "handler",   "secretary",
    "reopener", "transfer_limit", "reason",	"target",    "note",
    "result",	"reject",	  "related",	"ext_hours", "no_pending",
    "pending",	"not_requester",  "not_rated",	"retained",
};
static const char *const s_effect_names[RT_E_NBITS] = {
    "take", "hand_over", "transfer", "respond_stop", "resolve_stop",
    "link", "end",	 "ext_pend", "ext_grant",    "ext_clear",
    "rate", "restart",	 "unrate",   "merge_into",
};

static const char *s_bit_name(const char *const *names, size_t n, uint32_t bit)
{
	for (size_t i = 0; i < n; i++)
		if (bit == (1u << i))
			return names[i];
	return "unknown";
}

const char *rt_guard_name(uint32_t guard)
{
	return s_bit_name(s_guard_names, RT_G_NBITS, guard);
}

const char *rt_effect_name(uint32_t effect)
{
	return s_bit_name(s_effect_names, RT_E_NBITS, effect);
}

/* "a, b, c" of the bits set in mask, "—" for none. */
static void s_bits(FILE *out, uint32_t mask, const char *(*name)(uint32_t))
{
	if (!mask) {
		fputs("—", out);
		return;
	}
	const char *sep = "";
	for (uint32_t b = 1; b; b <<= 1)
		if (mask & b) {
			fprintf(out, "%s%s", sep, name(b));
			sep = ", ";
		}
}

void rt_fsm_describe(FILE *out)
{
	fputs("| from | input | guards (who may, rules) | to | effects | emits |\n"
	      "| --- | --- | --- | --- | --- | --- |\n",
	      out);
	for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
		const struct rt_row *r = &s_rows[i];
		fprintf(out, "| %s | %s | ", rt_state_name(r->from),
			rt_input_name(r->input));
		s_bits(out, r->guards, rt_guard_name);
		fprintf(out, " | %s | ",
			r->to == RT_SAME ? "same" : rt_state_name(r->to));
		s_bits(out, r->effects, rt_effect_name);
		fputs(" | ", out);
		for (int j = 0; j < 2 && r->out[j]; j++)
			fprintf(out, "%s%s", j ? ", " : "",
				qf_event_type_name(r->out[j]));
		fputs(" |\n", out);
	}
}

/* ------------------------------------------------------------ guards */

static int s_empty(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static int s_is(const struct qf_staff *s, const char *id)
{
	return s && id && *id && strcmp(s->id, id) == 0;
}

/* Who may decide in the handler's place (the community's secretary, in the
 * sample community) is the policy's grant case.decide, not a role name. */
static int s_decider(const struct qf_community *c, const struct qf_staff *s)
{
	return s && qf_policy_role_allows(c, s, QF_ACT_CASE_DECIDE) == QF_ALLOW;
}

static const char *s_name(const struct qf_community *c, const char *id)
{
	const struct qf_staff *s = qf_community_staff(c, id);
	return s ? s->name : (id && *id ? id : "（无）");
}

static void s_set(struct rt_verdict *v, unsigned status, const char *code,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void s_set(struct rt_verdict *v, unsigned status, const char *code,
		  const char *fmt, ...)
{
	va_list ap;
	v->status = status;
	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof v->message, fmt, ap);
	va_end(ap);
}

/* Check one guard; returns 1 when it passes, else fills v and returns 0. */
static int s_guard(uint32_t g, const struct qf_community *c, const struct rt_conf *rc,
		   const struct rt_case *k, const struct rt_cmd *cmd,
		   struct rt_verdict *v)
{
	const struct qf_staff *a = cmd->actor;
	const char *verb = rt_input_label(cmd->input);
	const char *resp = k->owner[0] ? k->owner : k->assignee;
	switch (g) {
	case RT_G_STAFF:
		if (a)
			return 1;
		s_set(v, 403, "unknown_staff", "操作人不是本社区登记的工作人员");
		return 0;
	case RT_G_NO_CONFLICT:
		if (!rt_route_excluded(c, k, a->id))
			return 1;
		s_set(v, 403, "conflict_of_interest",
		      "按回避规则，您不能处理此案件（被举报人本人、其监督的人员或案件当事"
		      "人须回避）");
		return 0;
	case RT_G_MAY_ACCEPT:
		if (s_decider(c, a))
			return 1;
		if (k->owner[0]) {
			if (s_is(a, k->owner))
				return 1;
			s_set(v, 403, "not_owner",
			      "此案件由%s首问负责，只有其本人或社区书记可以受理",
			      s_name(c, k->owner));
			return 0;
		}
		if (s_is(a, k->assignee) || s_is(a, k->escalated_to))
			return 1;
		s_set(v, 403, "not_assignee", "此案件已派给%s，您不能受理",
		      s_name(c, k->assignee));
		return 0;
	case RT_G_HANDLER:
		if (s_decider(c, a) || s_is(a, resp))
			return 1;
		s_set(v, 403, k->owner[0] ? "not_owner" : "not_assignee",
		      "此案件由%s负责，只有负责人或社区书记可以%s", s_name(c, resp),
		      verb);
		return 0;
	case RT_G_SECRETARY:
		if (s_decider(c, a))
			return 1;
		s_set(v, 403, "secretary_only", "只有社区书记可以%s", verb);
		return 0;
	case RT_G_REOPENER:
		if (qf_policy_role_allows(c, a, QF_ACT_CASE_REOPEN) == QF_ALLOW)
			return 1;
		s_set(v, 403, "reopen_not_allowed",
		      "只有社区书记或廉勤监督员可以重新办理案件");
		return 0;
	case RT_G_TRANSFER_LIMIT:
		if (!rc->max_transfers ||
		    k->transfer_count < (uint32_t)rc->max_transfers || s_decider(c, a))
			return 1;
		s_set(v, 409, "transfer_limit",
		      "此案件已转办%u次，再次转办须由社区书记决定", k->transfer_count);
		return 0;
	case RT_G_REASON:
		if (!s_empty(cmd->reason))
			return 1;
		s_set(v, 409, "reason_required", "%s必须说明理由", verb);
		return 0;
	case RT_G_TARGET: {
		if (s_empty(cmd->target)) {
			s_set(v, 409, "target_required", "请指定接办的工作人员");
			return 0;
		}
		const struct qf_staff *t = qf_community_staff(c, cmd->target);
		if (!t) {
			s_set(v, 409, "target_unknown", "找不到工作人员「%.64s」",
			      cmd->target);
			return 0;
		}
		if (strcmp(t->id, k->assignee) == 0) {
			s_set(v, 409, "same_assignee", "案件已由%s负责", t->name);
			return 0;
		}
		if (rt_route_excluded(c, k, t->id)) {
			s_set(v, 409, "target_conflict", "按回避规则，不能交给%s办理",
			      t->name);
			return 0;
		}
		return 1;
	}
	case RT_G_NOTE:
		if (!s_empty(cmd->cause) || !s_empty(cmd->progress) ||
		    !s_empty(cmd->result) || cmd->nmedia)
			return 1;
		s_set(v, 409, "empty_note", "进度记录须填写原因、进展、结果或附图之一");
		return 0;
	case RT_G_RESULT:
		if (!s_empty(cmd->result))
			return 1;
		s_set(v, 409, "result_required", "办结须填写处理结果");
		return 0;
	case RT_G_REJECT:
		if (cmd->reject_reason <= 0 ||
		    cmd->reject_reason > QINGFENG__V1__REJECT_REASON__REJECT_SPAM) {
			s_set(v, 409, "reject_reason_required",
			      "驳回须选择理由（重复、非本社区职责或垃圾信息）");
			return 0;
		}
		if (cmd->reject_reason != QINGFENG__V1__REJECT_REASON__REJECT_DUPLICATE)
			return 1;
		/* a duplicate names its original */
		__attribute__((fallthrough));
	case RT_G_RELATED:
		if (s_empty(cmd->related_id)) {
			s_set(v, 409, "related_required", "须指明%s所涉及的原案件",
			      g == RT_G_RELATED ? "合并" : "重复驳回");
			return 0;
		}
		if (strcmp(cmd->related_id, k->id) == 0) {
			s_set(v, 409, "related_self", "不能指向案件本身");
			return 0;
		}
		if (!cmd->related) {
			s_set(v, 409, "related_unknown", "找不到案件「%.64s」",
			      cmd->related_id);
			return 0;
		}
		if (strcmp(cmd->related->building, k->building)) {
			s_set(v, 409, "related_other_building",
			      "案件「%.64s」不属于同一楼院", cmd->related_id);
			return 0;
		}
		if (g == RT_G_RELATED && !rt_state_open(cmd->related->state)) {
			s_set(v, 409, "related_not_open",
			      "目标案件「%.64s」%s，不能合并进去", cmd->related_id,
			      rt_state_label(cmd->related->state));
			return 0;
		}
		return 1;
	case RT_G_EXT_HOURS:
		if (cmd->ext_hours >= 1 &&
		    cmd->ext_hours <= (uint32_t)rc->max_extension_h)
			return 1;
		s_set(v, 409, "bad_extension", "延期时长须为1至%d小时",
		      rc->max_extension_h);
		return 0;
	case RT_G_NO_PENDING:
		if (!k->ext_pending_h)
			return 1;
		s_set(v, 409, "extension_pending", "已有%u小时的延期申请待审批",
		      k->ext_pending_h);
		return 0;
	case RT_G_PENDING:
		if (k->ext_pending_h)
			return 1;
		s_set(v, 409, "no_pending_extension", "没有待审批的延期申请");
		return 0;
	case RT_G_NOT_REQUESTER:
		if (!s_is(a, k->ext_requester))
			return 1;
		s_set(v, 409, "self_approval", "不能审批本人提出的延期申请");
		return 0;
	case RT_G_NOT_RATED:
		if (!(k->flags & RT_F_FEEDBACK))
			return 1;
		s_set(v, 409, "already_rated", "本次办理结果已评价过");
		return 0;
	case RT_G_RETAINED:
		if (!(k->flags & RT_F_EXPIRED))
			return 1;
		s_set(v, 409, "private_expired",
		      "案件已超过个人信息保存期限，诉求内容和联系方式已删除，不能再%s；"
		      "如有需要请重新提交诉求",
		      verb);
		return 0;
	}
	return 1;
}

void rt_fsm_decide(const struct qf_community *c, const struct rt_conf *rc,
		   const struct rt_case *k, const struct rt_cmd *cmd,
		   struct rt_verdict *v)
{
	memset(v, 0, sizeof *v);
	const struct rt_row *row = rt_fsm_row(k->state, cmd->input);
	if (!row) {
		s_set(v, 409, "state_forbids", "案件当前状态为「%s」，不能%s",
		      rt_state_label(k->state), rt_input_label(cmd->input));
		return;
	}
	for (uint32_t g = 1; g && g <= row->guards; g <<= 1)
		if ((row->guards & g) && !s_guard(g, c, rc, k, cmd, v))
			return;
	v->status = 200;
	v->code = "ok";
	int to = row->to == RT_SAME ? k->state : row->to;
	snprintf(v->message, sizeof v->message, "已%s，案件状态：%s",
		 rt_input_label(cmd->input), rt_state_label(to));
	v->row = row;
}
