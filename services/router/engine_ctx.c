/* engine_ctx.c: what the router engine's modules share (engine_ctx.h):
 * the commit hooks that add a transaction's counts to the totals, who owns
 * a key, whether a case is sensitive, and emitting an event. */
#include "engine_ctx.h"

#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"

/* ------------------------------------------------------------ hooks */

static void s_on_commit(void *arg, uint64_t data)
{
	(void)data;
	struct rt_engine *e = arg;
	uint64_t *d = (uint64_t *)&e->pending, *tot = (uint64_t *)&e->total;
	for (size_t i = 0; i < sizeof e->pending / sizeof(uint64_t); i++)
		tot[i] += d[i];
	e->due_dirty = 1;
	if (e->on_commit)
		e->on_commit(e->on_commit_arg, &e->pending);
	memset(&e->pending, 0, sizeof e->pending);
}

static void s_on_abort(void *arg, uint64_t data)
{
	(void)data;
	struct rt_engine *e = arg;
	memset(&e->pending, 0, sizeof e->pending);
}

int rt_engine_touch(struct rt_engine *e, struct qf_txn *t)
{
	if (qf_txn_has_hook(t, s_on_commit, e))
		return QF_OK;
	memset(&e->pending, 0, sizeof e->pending);
	int rc = qf_txn_on_commit(t, s_on_commit, e, 0);
	return rc ? rc : qf_txn_on_abort(t, s_on_abort, e, 0);
}

int rt_engine_owns(const struct rt_engine *e, const char *key)
{
	if (e->instances <= 1)
		return 1;
	return qf_partition_of(key, e->partitions) % e->instances == e->instance;
}

int rt_engine_sensitive(const struct rt_engine *e, const struct rt_case *k)
{
	if (k->flags & RT_F_INTEGRITY)
		return 1;
	const struct qf_category *cat = qf_community_category(e->community, k->category);
	return cat && cat->sensitive;
}

int rt_engine_emit(struct rt_engine *e, struct qf_txn *t, int type, const char *key,
		   const char *case_id, const char *correlation_id,
		   const ProtobufCMessage *msg, struct rt_case *k, int listed)
{
	struct qf_privacy pc = {0, 0, NULL};
	if (k) {
		pc.consent = (k->flags & RT_F_CONSENT) != 0;
		pc.sensitive = rt_engine_sensitive(e, k);
		key = qf_privacy_partition_key(k->building, pc.sensitive);
	}
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t stack[4096];
	uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
	if (!buf)
		return QF_ERR_NOMEM;
	protobuf_c_message_pack(msg, buf);
	struct qf_bus_event ev = {
	    (Qingfeng__V1__EventType)type, key, case_id, correlation_id, buf, len, 0};
	uint32_t part = 0;
	uint64_t seq = 0;
	int rc = e->emit(e->emit_arg, t, &ev, &pc, &part, &seq);
	if (!rc && k && listed)
		rt_case_add_event(k, part, seq);
	if (buf != stack)
		free(buf);
	return rc;
}
