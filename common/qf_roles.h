/* qf_roles.h: the access policy's vocabulary and data: the fixed catalogue
 * of actions, the scopes, and the roles with their grants as the community
 * file's `roles` list gives them.
 *
 * It exists apart from qf_policy so that the community loader can parse
 * and check roles without knowing the decisions, and the decisions
 * (qf_policy.h) can read the community without a circle. Nothing here
 * decides; qf_policy.h does.
 *
 * Ownership: qf_roles_parse allocates *roles (and each name); the caller
 * (qf_community_free) frees them.
 */
#ifndef QF_ROLES_H
#define QF_ROLES_H

#include "qf_cfg.h"

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

/* The catalogue: name ("case.read"), meaning, resource kind; -1 / NULL for
 * values out of range. qf_action_parse: the action of a name, or -1. */
const char *qf_action_name(int a);
const char *qf_action_meaning(int a);
enum qf_resource qf_action_resource(int a);
int qf_action_parse(const char *name);
const char *qf_scope_name(int s);

/* Parse the community file's roles list into *roles, counting them in
 * *nroles (called by qf_community_load). Errors go to errs with file and
 * line. */
int qf_roles_parse(config_setting_t *list, struct qf_role **roles, unsigned *nroles,
		   struct qf_cfg_errors *errs);
/* The role named among roles[0..n), or NULL. */
const struct qf_role *qf_roles_find(const struct qf_role *roles, unsigned n,
				    const char *name);

#endif
