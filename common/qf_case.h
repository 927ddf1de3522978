/* qf_case.h: the case vocabulary, said once: every state of a case with
 * its one code and its one Chinese label (what a resident reads in an SMS,
 * on the board and in the follow view alike), whether it is open (still
 * needs handling) or final (nothing more will happen to it), the label of
 * every event type, and of every priority.
 *
 * State numbers are the CaseState values of events.proto. No service
 * decides a state, an event's name or whether a case is open by comparing
 * strings of its own.
 */
#ifndef QF_CASE_H
#define QF_CASE_H

/* X(enum suffix, code, label, open, final, hint for the resident) */
#define QF_CASE_STATES(X)                                                       \
	X(SUBMITTED, "submitted", "待派单", 1, 0, "已提交，等待派给负责人")       \
	X(ASSIGNED, "assigned", "已派单", 1, 0, "已派给负责人，等待受理")        \
	X(ACCEPTED, "accepted", "已受理", 1, 0, "负责人已受理")                  \
	X(IN_PROGRESS, "in_progress", "处理中", 1, 0, "正在办理")                 \
	X(RESOLVED, "resolved", "已办结", 0, 0, "已办结，请您评价")               \
	X(CLOSED, "closed", "已结案", 0, 1, "已结案")                             \
	X(REJECTED, "rejected", "不予受理", 0, 1, "不予受理（见说明）")           \
	X(REOPENED, "reopened", "重新办理", 1, 0, "重新办理中")                   \
	X(MERGED, "merged", "已合并", 0, 1, "已并入其他案件一并办理")

enum qf_case_state {
	QF_CASE_UNKNOWN = 0,
#define QF_CASE_ENUM(e, code, label, open, final, hint) QF_CASE_##e,
	QF_CASE_STATES(QF_CASE_ENUM)
#undef QF_CASE_ENUM
	QF_CASE_NSTATES
};

/* "in_progress" / "处理中" / a sentence for the resident; "unknown" / "未知"
 * / "" outside the enum. Static strings. */
const char *qf_case_state_code(int state);
const char *qf_case_state_label(int state);
const char *qf_case_state_hint(int state);
/* The state of a code, or -1. */
int qf_case_state_parse(const char *code);
/* Open: still needs handling. Final: nothing more will happen (closed,
 * rejected, merged); resolved is neither (it waits for the rating). */
int qf_case_state_open(int state);
int qf_case_state_final(int state);

/* Does a case in state admit the staff action action_kind (an ActionKind of
 * events.proto)? Which forms a staff page offers: the router's state
 * machine (services/router/fsm.c) decides, and its unit test checks this
 * table against every row, so the two cannot drift. Who may take it (the
 * handler, the secretary) is the policy's and the router's guards'. */
int qf_case_admits(int state, int action_kind);

/* The Chinese label of an event type ("案件受理"), "通知" for others. */
const char *qf_case_event_label(int type);
/* The Chinese label of a priority ("urgent" -> "紧急"); the code itself when
 * unknown, "" for NULL. */
const char *qf_case_priority_label(const char *priority);
/* An audit alert's kind (AlertKind) as its one code ("too_many_transfers",
 * "other" when unknown) and its one Chinese label ("多次转办", "审计提示");
 * qf_alert_kind_parse: the kind of a code, or 0. The board, the notifier's
 * messages and the staff pages say the same word. */
const char *qf_alert_code(int kind);
const char *qf_alert_label(int kind);
int qf_alert_kind_parse(const char *code);

#endif
