/* ntf_tmpl.h: message templates with named placeholders.
 *
 * A template is Chinese text with placeholders such as {tracking_code} or
 * {deadline}; "{{" and "}}" stand for literal braces. Templates are parsed
 * once at start: an unknown placeholder is a configuration error, and each
 * placeholder declares which event families provide it, so a rule whose
 * template asks for something its event cannot give ({rating} on
 * CASE_ASSIGNED) is refused at start too. Rendering takes an array of values
 * indexed by placeholder id (NULL renders as nothing).
 */
#ifndef NTF_TMPL_H
#define NTF_TMPL_H

#include <stddef.h>
#include <stdint.h>

/* Event families: which payload an event carries, hence which facts. */
#define NTF_FAM_PETITION 0x001u /* PETITION_SUBMITTED */
#define NTF_FAM_CASE	 0x002u /* CaseTransition events */
#define NTF_FAM_DEADLINE 0x004u /* DEADLINE_WARNING */
#define NTF_FAM_HOTSPOT	 0x008u /* HOTSPOT_WARNING */
#define NTF_FAM_REPEAT	 0x010u /* REPEAT_LINKED */
#define NTF_FAM_ALERT	 0x020u /* AUDIT_ALERT */
#define NTF_FAM_FEEDBACK 0x040u /* FEEDBACK_GIVEN */
#define NTF_FAM_QUOTA	 0x080u /* DUTY_QUOTA */
#define NTF_FAM_FOLLOW	 0x100u /* a follow confirmation (no event) */
#define NTF_FAM_ALL	 0x1ffu

#define F_P NTF_FAM_PETITION
#define F_C NTF_FAM_CASE
#define F_D NTF_FAM_DEADLINE
#define F_H NTF_FAM_HOTSPOT
#define F_R NTF_FAM_REPEAT
#define F_A NTF_FAM_ALERT
#define F_F NTF_FAM_FEEDBACK
#define F_Q NTF_FAM_QUOTA
#define F_W NTF_FAM_FOLLOW
/* id, name, families providing it, meaning */
#define NTF_PLACEHOLDERS(X)                                                              \
	X(TRACKING_CODE, "tracking_code", F_P | F_C | F_D | F_R | F_A | F_F, "查询码")   \
	X(CASE_ID, "case_id", F_P | F_C | F_D | F_R | F_A | F_F, "案件编号")             \
	X(LINK, "link", F_P | F_C | F_D | F_R | F_A | F_F, "案件查询链接")               \
	X(CATEGORY, "category", F_P | F_C | F_D | F_H | F_R | F_A | F_F, "诉求类别")     \
	X(CATEGORY_CODE, "category_code", F_P | F_C | F_D | F_H | F_R | F_A | F_F,       \
	  "类别代码")                                                                    \
	X(BUILDING, "building", F_P | F_C | F_D | F_H | F_R | F_A | F_F, "楼栋/院落")    \
	X(BUILDING_ID, "building_id", F_P | F_C | F_D | F_H | F_R | F_A | F_F,           \
	  "楼栋编号")                                                                    \
	X(PRIORITY, "priority", F_P | F_C | F_D | F_R | F_A | F_F, "紧急程度")           \
	X(ADDRESS, "address", F_P, "地点")                                               \
	X(SUMMARY, "summary", F_P, "诉求内容（仅在同意公开时）")                         \
	X(NAME, "name", F_P, "诉求人（脱敏）")                                           \
	X(STATUS, "status", F_C, "案件状态")                                             \
	X(FROM_STATUS, "from_status", F_C, "原状态")                                     \
	X(HANDLER, "handler", F_C | F_D | F_R | F_A | F_F, "承办人")                     \
	X(HANDLER_POST, "handler_post", F_C, "承办人岗位")                               \
	X(PREVIOUS_HANDLER, "previous_handler", F_C, "原承办人")                         \
	X(DEADLINE, "deadline", F_P | F_C | F_D, "办结时限")                             \
	X(RESPOND_DEADLINE, "respond_deadline", F_P | F_C, "响应时限")                   \
	X(CAUSE, "cause", F_C, "原因")                                                   \
	X(PROGRESS, "progress", F_C, "进展")                                             \
	X(RESULT, "result", F_C, "处理结果")                                             \
	X(REASON, "reason", F_C, "说明")                                                 \
	X(ACTOR, "actor", F_C, "操作人")                                                 \
	X(RATING, "rating", F_C | F_F, "评价分")                                         \
	X(COMMENT, "comment", F_C | F_F, "评价意见")                                     \
	X(RELATED_CASE, "related_case", F_C | F_R, "关联案件")                           \
	X(EXTENSION_HOURS, "extension_hours", F_C, "延期小时数")                         \
	X(KIND, "kind", F_D, "时限类型（响应/办结）")                                    \
	X(PERCENT, "percent", F_D, "已用时限百分比")                                     \
	X(BREACHED, "breached", F_D, "是否超时")                                         \
	X(REMINDER, "reminder", F_D, "第几次催办")                                       \
	X(ESCALATED_TO, "escalated_to", F_D, "上报对象")                                 \
	X(NUMBER, "count", F_H | F_R, "件数")                                            \
	X(WINDOW_HOURS, "window_hours", F_H, "统计时段（小时）")                         \
	X(ALERT, "alert", F_A, "审计提示类型")                                           \
	X(DETAIL, "detail", F_A, "详情")                                                 \
	X(STAFF, "staff", F_A | F_Q, "相关工作人员")                                     \
	X(MONTH, "month", F_Q, "月份")                                                   \
	X(DONE, "done", F_Q, "已完成")                                                   \
	X(TARGET, "target", F_Q, "目标")                                                 \
	X(EXPECTED, "expected", F_Q, "截至目前应完成")                                   \
	X(TIME, "time", NTF_FAM_ALL, "时间")                                             \
	X(EVENT, "event", NTF_FAM_ALL, "事件名称")                                       \
	X(RECIPIENT, "recipient", NTF_FAM_ALL, "收件人称呼")                             \
	X(UNSUBSCRIBE, "unsubscribe", NTF_FAM_ALL, "退订链接（仅关注者）")               \
	X(CONFIRM, "confirm", F_W, "确认关注链接")                                       \
	X(FOLLOW_TARGET, "follow_target", F_W, "关注对象")

enum ntf_ph {
#define NTF_PH_ENUM(id, name, fam, help) NTF_PH_##id,
	NTF_PLACEHOLDERS(NTF_PH_ENUM)
#undef NTF_PH_ENUM
	    NTF_PH_COUNT
};

/* The placeholder's name ("tracking_code"), families and meaning. */
const char *ntf_ph_name(enum ntf_ph ph);
unsigned ntf_ph_families(enum ntf_ph ph);
const char *ntf_ph_help(enum ntf_ph ph);
/* Placeholder id of a name, or -1. */
int ntf_ph_parse(const char *name, size_t len);

struct ntf_tmpl;

/* Parse a template. Returns 0, or QF_ERR_CONFIG with a reason in err
 * ("unknown placeholder {foo}", "unclosed {"), or QF_ERR_NOMEM. *out is the
 * caller's (ntf_tmpl_free). */
int ntf_tmpl_parse(const char *text, struct ntf_tmpl **out, char *err, size_t n);
void ntf_tmpl_free(struct ntf_tmpl **t);
/* The text the template was parsed from ("" for NULL). */
const char *ntf_tmpl_text(const struct ntf_tmpl *t);
/* Bit i set: placeholder i is used (NTF_PH_COUNT <= 64). */
uint64_t ntf_tmpl_uses(const struct ntf_tmpl *t);
/* Render with vals[NTF_PH_COUNT] (NULL: empty). Returns a malloc'd string
 * the caller frees, or NULL when out of memory. */
char *ntf_tmpl_render(const struct ntf_tmpl *t, const char *const *vals);

/* A small template for channel requests (SMS gateway bodies, URLs): only
 * the names in `names` (count n) are allowed, and a brace that does not
 * open a "{name}" is literal, so JSON bodies need no escaping. Parsed form
 * reuses struct ntf_tmpl with ids = index into names. */
int ntf_tmpl_parse_names(const char *text, const char *const *names, unsigned n,
			 struct ntf_tmpl **out, char *err, size_t errn);
/* Render a names-template; each value passes through esc (may be NULL:
 * verbatim), which appends the escaped value to the buffer via put. */
typedef void (*ntf_tmpl_put)(void *buf, const char *s, size_t len);
typedef void (*ntf_tmpl_esc)(void *buf, ntf_tmpl_put put, const char *s);
void ntf_tmpl_render_to(const struct ntf_tmpl *t, const char *const *vals,
			ntf_tmpl_esc esc, void *buf, ntf_tmpl_put put);

#endif
