/* cstate.c: the case vocabulary of the public board (cstate.h): states
 * with their codes and Chinese labels, which are open, and the labels of
 * timeline entries. */
#include "cstate.h"
#include "qf_event.h"

#include <stddef.h>
#include <string.h>

#define S(x) QINGFENG__V1__CASE_STATE__##x

static const struct {
	const char *code, *label;
} s_states[] = {
    {"", "未知"},	    {"submitted", "待派单"},   {"assigned", "已派单"},
    {"accepted", "已受理"}, {"in_progress", "处理中"}, {"resolved", "已办结"},
    {"closed", "已结案"},   {"rejected", "不予受理"},  {"reopened", "重新办理"},
    {"merged", "已合并"},
};
#define NSTATES (sizeof s_states / sizeof s_states[0])
_Static_assert(NSTATES == CASE_NSTATES, "cstate.h counts the states");

const char *case_state_code(unsigned state)
{
	return state < NSTATES ? s_states[state].code : "";
}

const char *case_state_label(unsigned state)
{
	return state < NSTATES ? s_states[state].label : "未知";
}

int case_state_parse(const char *code)
{
	for (unsigned i = 1; i < NSTATES; i++)
		if (strcmp(code, s_states[i].code) == 0)
			return (int)i;
	return -1;
}

int case_state_open(unsigned state)
{
	return state == S(STATE_SUBMITTED) || state == S(STATE_ASSIGNED) ||
	       state == S(STATE_ACCEPTED) || state == S(STATE_IN_PROGRESS) ||
	       state == S(STATE_REOPENED);
}

static const struct {
	const char *type, *label;
} s_labels[] = {
    {"PETITION_SUBMITTED", "群众提交诉求"},
    {"CASE_ASSIGNED", "派单"},
    {"CASE_ACCEPTED", "受理"},
    {"CASE_TRANSFERRED", "转办"},
    {"CASE_PROGRESS", "处理进展"},
    {"CASE_RESOLVED", "办结"},
    {"CASE_REJECTED", "不予受理"},
    {"CASE_REOPENED", "重新办理"},
    {"CASE_MERGED", "合并办理"},
    {"CASE_CLOSED", "结案"},
    {"CASE_ESCALATED", "升级督办"},
    {"EXTENSION_REQUESTED", "申请延期"},
    {"EXTENSION_DECIDED", "延期审批"},
    {"CASE_RATED", "群众评价"},
    {"DEADLINE_WARNING", "时限预警"},
    {"REPEAT_LINKED", "关联重复诉求"},
};

const char *case_event_label(const char *type)
{
	for (size_t i = 0; i < sizeof s_labels / sizeof s_labels[0]; i++)
		if (strcmp(type, s_labels[i].type) == 0)
			return s_labels[i].label;
	return type;
}
