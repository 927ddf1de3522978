/* qf_policy.h: who may see and do what. One table, the same in every
 * service.
 *
 * The actions are a fixed catalogue (below: what the code can do); the
 * grants are data: the community file's `roles` list gives each role the
 * actions it may take and in which scope. Every HTTP route names its action
 * in its route table (qf_http.h), and common/qf_access.c answers 401, 403
 * or 404 from this table before any handler runs; handlers that list many
 * cases filter each row with qf_policy_case().
 *
 * A decision on a case, in order:
 *  1. Conflict of interest, not configurable: the staff member a report
 *     concerns, anyone who supervises them (directly or through others: the
 *     community file's `supervises`), and the parties named on the case
 *     never see it or act on it. The case is
 *     answered as not found (404), which does not confirm it exists.
 *  2. The action: on a sensitive case (an integrity report) the case.*
 *     actions are checked as their integrity.* twins, so a role's grants on
 *     ordinary cases never open integrity reports.
 *  3. The scope of the role's grant for that action:
 *       all       any case
 *       buildings cases in buildings the person heads, and those they handle
 *       handling  cases they handle: assignee, owner (first responder)
 *                 or escalation target
 *       own       resources that are theirs (their roster entry)
 *     A role with the action but a scope that does not cover the case gets
 *     404 (the case is not theirs to know of); a role without the action at
 *     all gets 403.
 * Scopes extend to many communities by adding a scope (a street-office role
 * over the communities it oversees) without changing any route.
 */
#ifndef QF_POLICY_H
#define QF_POLICY_H

#include <stddef.h>

#include "qf_cfg.h"

struct qf_community;
struct qf_staff;

/* X(enum suffix, name, resource, meaning). Resource: N none (the role
 * decides), C a case (scope and conflict), O a staff member's own record. */
#define QF_ACTIONS(X)                                                              \
	X(PUBLIC, "public", N, "anyone, without a token")                          \
	X(SELF_READ, "self.read", N, "see who one is signed in as")                \
	X(CASE_READ, "case.read", C, "read a case with its full text")             \
	X(CASE_ACT, "case.act", C, "act on a case (accept, note, resolve ...)")    \
	X(CASE_CONTACT, "case.contact", C, "read the petitioner's contact details")\
	X(INTEGRITY_READ, "integrity.read", C, "read an integrity report")         \
	X(INTEGRITY_ACT, "integrity.act", C, "act on an integrity report")         \
	X(INTEGRITY_CONTACT, "integrity.contact", C,                               \
	  "read the contact details of an integrity report's author")              \
	X(CASE_ENTER, "case.enter", N, "enter a petition taken at the counter, "   \
	  "by phone or on patrol")                                                 \
	X(QUEUE_READ, "queue.read", N, "read one's own queue")                     \
	X(OVERSIGHT_READ, "oversight.read", N,                                     \
	  "read other people's queues and every alert")                            \
	X(COMMUNITY_READ, "community.read", N,                                     \
	  "read duty quotas and hotspots of the community")                        \
	X(SPAM_REVIEW, "spam.review", N, "list, release and dismiss held items")  \
	X(DISPATCH_ASSIGN, "dispatch.assign", N,                                   \
	  "list petitions received without a building and assign one")             \
	X(VISIT_RECORD, "visit.record", N, "record a household or office visit")   \
	X(VISIT_READ, "visit.read", O, "read a visit log (own: one's own)")       \
	X(LEDGER_WRITE, "disclosure.ledger", N,                                    \
	  "enter ledger entries and balances")                                     \
	X(NOTICE_WRITE, "disclosure.notice", N, "publish notices")                 \
	X(LIST_WRITE, "disclosure.list", N, "publish lists (medical aid ...)")     \
	X(ROSTER_WRITE, "disclosure.roster", O, "publish a roster entry")          \
	X(DISCLOSURE_READ, "disclosure.read", N, "read disclosure records")        \
	X(DELIVERY_READ, "delivery.read", C,                                       \
	  "read the notifier's deliveries about a case")                           \
	X(DELIVERY_OPERATE, "delivery.operate", N,                                 \
	  "release dead letters, pause and resume dispatch")                       \
	X(CHECKPOINT_SIGN, "checkpoint.sign", N, "ask the log to sign now")        \
	X(ACCOUNT_MANAGE, "account.manage", N,                                     \
	  "create staff sign-in accounts and reset their passwords")               \
	X(PRIVATE_READ, "private.read", C,                                         \
	  "read the private part of a logged event")                               \
	X(CASE_DECIDE, "case.decide", N,                                           \
	  "decide a case in its handler's place: accept or handle another's "      \
	  "case, transfer past the limit, approve extensions, close")              \
	X(CASE_REOPEN, "case.reopen", N, "reopen a resolved or closed case")

enum qf_action {
#define QF_ACTION_ENUM(e, name, res, what) QF_ACT_##e,
	QF_ACTIONS(QF_ACTION_ENUM)
#undef QF_ACTION_ENUM
	QF_NACTIONS
};

enum qf_scope {
	QF_SCOPE_NONE = 0,
	QF_SCOPE_OWN,
	QF_SCOPE_HANDLING,
	QF_SCOPE_BUILDINGS,
	QF_SCOPE_ALL,
};

enum qf_resource { QF_RES_N, QF_RES_C, QF_RES_O };

/* One role of the community file: its grants, by action. */
struct qf_role {
	char *name;
	unsigned char scope[QF_NACTIONS]; /* enum qf_scope per action */
};

enum qf_verdict {
	QF_ALLOW = 0,
	QF_DENY_AUTH = 401, /* no valid token */
	QF_DENY_ROLE = 403, /* the role may never do this */
	QF_DENY_HIDE = 404, /* not theirs to know of */
};

#define QF_FACT_ID 64
#define QF_FACT_PARTIES 8

/* What the policy needs to know of a case; each service fills it from its
 * own store (empty strings where unknown). */
struct qf_case_facts {
	char id[QF_FACT_ID];
	char building[QF_FACT_ID];
	char assignee[QF_FACT_ID], owner[QF_FACT_ID], escalated_to[QF_FACT_ID];
	char concerns[QF_FACT_ID];   /* integrity report: the staff reported */
	char parties[QF_FACT_PARTIES][QF_FACT_ID];
	unsigned nparties;
	int sensitive;               /* integrity report or sensitive category */
};

/* The catalogue: name ("case.read"), meaning, resource kind; -1 / NULL for
 * values out of range. qf_action_parse: the action of a name, or -1. */
const char *qf_action_name(int a);
const char *qf_action_meaning(int a);
enum qf_resource qf_action_resource(int a);
int qf_action_parse(const char *name);
const char *qf_scope_name(int s);

/* Parse the community file's roles list into c->roles (called by
 * qf_community_load). Errors go to errs with file and line. */
int qf_policy_parse_roles(struct qf_community *c, config_setting_t *list,
			  struct qf_cfg_errors *errs);
/* The role named, or NULL. */
const struct qf_role *qf_policy_role(const struct qf_community *c, const char *name);

/* The scope s's role grants for action a (QF_SCOPE_NONE: not at all). */
enum qf_scope qf_policy_scope(const struct qf_community *c, const struct qf_staff *s,
			      enum qf_action a);
/* Role level: QF_ALLOW if s may take action a in some scope, else
 * QF_DENY_ROLE (QF_DENY_AUTH when s is NULL). */
enum qf_verdict qf_policy_role_allows(const struct qf_community *c,
				      const struct qf_staff *s, enum qf_action a);
/* On a case (facts f): the whole decision above. */
enum qf_verdict qf_policy_case(const struct qf_community *c, const struct qf_staff *s,
			       enum qf_action a, const struct qf_case_facts *f);
/* On a staff member's own record (owner: a staff id). */
enum qf_verdict qf_policy_own(const struct qf_community *c, const struct qf_staff *s,
			      enum qf_action a, const char *owner);
/* The conflict-of-interest rule alone: 1 when s may never touch the case. */
int qf_policy_conflict(const struct qf_community *c, const struct qf_staff *s,
		       const struct qf_case_facts *f);

#endif
