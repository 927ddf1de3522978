/* dp.c: the store's databases and the small shared helpers of the service
 * (dp.h): community names under the reload lock, counters, id checks, and
 * the per-transaction state written once at commit.
 *
 * Counters are the hottest keys of the store (every case touches "all",
 * its category, building and state): inside a write transaction their
 * changes add up in a small table and are written once, at commit. */
#include "dp.h"

#include "qf_err.h"
#include "qf_store.h"

#include <stdio.h>
#include <string.h>

int dp_db_open(struct dp *dp)
{
	struct qf_store *s = dp->store;
	struct dp_db *d = &dp->db;
	const struct {
		const char *name;
		MDB_dbi *dbi;
	} t[] = {
	    {"dp.case", &d->cases},
	    {"dp.case_names", &d->case_names},
	    {"dp.by_time", &d->by_time},
	    {"dp.by_cat", &d->by_cat},
	    {"dp.by_bld", &d->by_bld},
	    {"dp.by_state", &d->by_state},
	    {"dp.by_due", &d->by_due},
	    {"dp.by_code", &d->by_code},
	    {"dp.counts", &d->counts},
	    {"dp.disc_ver", &d->disc_ver},
	    {"dp.disc_cur", &d->disc_cur},
	    {"dp.disc_group", &d->disc_group},
	    {"dp.disc_time", &d->disc_time},
	    {"dp.snap", &d->snap},
	    {"dp.snap_cur", &d->snap_cur},
	    {"dp.ckpt", &d->ckpt},
	    {"dp.snap_pending", &d->snap_pending},
	    {"dp.alerts", &d->alerts},
	    {"dp.hotspots", &d->hotspots},
	    {"dp.quota", &d->quota},
	    {"dp.live", &d->live},
	    {"dp.meta", &d->meta},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int rc = qf_store_dbi(s, t[i].name, 0, t[i].dbi);
		if (rc)
			return rc;
	}
	return QF_OK;
}

void dp_cat(char *out, size_t n, const char *a, const char *b)
{
	size_t o = 0;
	for (const char *s = a ? a : ""; *s && o + 1 < n; s++)
		out[o++] = *s;
	for (const char *s = b ? b : ""; *s && o + 1 < n; s++)
		out[o++] = *s;
	out[o] = '\0';
}

static void s_copy(char *out, size_t n, const char *v) { dp_cat(out, n, v, NULL); }

void dp_category_name(struct dp *dp, const char *code, char *out, size_t n)
{
	pthread_rwlock_rdlock(&dp->community_lock);
	const struct qf_category *c = qf_community_category(dp->community, code);
	s_copy(out, n, c ? c->name : code);
	pthread_rwlock_unlock(&dp->community_lock);
}

void dp_building_name(struct dp *dp, const char *id, char *out, size_t n)
{
	pthread_rwlock_rdlock(&dp->community_lock);
	const struct qf_building *b = qf_community_building(dp->community, id);
	s_copy(out, n, b ? b->name : id);
	pthread_rwlock_unlock(&dp->community_lock);
}

void dp_staff_name(struct dp *dp, const char *id, char *out, size_t n)
{
	pthread_rwlock_rdlock(&dp->community_lock);
	const struct qf_staff *s = qf_community_staff(dp->community, id);
	s_copy(out, n, s ? s->name : id);
	pthread_rwlock_unlock(&dp->community_lock);
}

int dp_tz(struct dp *dp)
{
	pthread_rwlock_rdlock(&dp->community_lock);
	int tz = dp->community->utc_offset_min;
	pthread_rwlock_unlock(&dp->community_lock);
	return tz;
}

/* ------------------------------------------------------------ counters */

#define COUNT_KEY 96
struct count_slot {
	MDB_dbi dbi;
	int used;
	int64_t delta;
	char key[COUNT_KEY];
};
struct dp_counts {
	struct count_slot *s;
	unsigned cap, n;
};

static uint32_t s_hash(MDB_dbi dbi, const char *k)
{
	uint32_t h = 2166136261u ^ (uint32_t)dbi;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

static struct count_slot *s_slot(struct dp_counts *c, MDB_dbi dbi, const char *key,
				 int create)
{
	if (create && (c->n + 1) * 4 > c->cap * 3) {
		unsigned nc = c->cap ? c->cap * 2 : 64;
		struct count_slot *ns = calloc(nc, sizeof *ns);
		if (!ns)
			return NULL;
		for (unsigned i = 0; i < c->cap; i++) {
			if (!c->s[i].used)
				continue;
			uint32_t h = s_hash(c->s[i].dbi, c->s[i].key) & (nc - 1);
			while (ns[h].used)
				h = (h + 1) & (nc - 1);
			ns[h] = c->s[i];
		}
		free(c->s);
		c->s = ns;
		c->cap = nc;
	}
	if (!c->cap)
		return NULL;
	uint32_t h = s_hash(dbi, key) & (c->cap - 1);
	while (c->s[h].used) {
		if (c->s[h].dbi == dbi && !strcmp(c->s[h].key, key))
			return &c->s[h];
		h = (h + 1) & (c->cap - 1);
	}
	if (!create)
		return NULL;
	c->s[h].used = 1;
	c->s[h].dbi = dbi;
	c->s[h].delta = 0;
	snprintf(c->s[h].key, COUNT_KEY, "%s", key);
	c->n++;
	return &c->s[h];
}

static int64_t s_stored(struct qf_txn *t, MDB_dbi dbi, const char *key)
{
	MDB_val v;
	if (qf_txn_get(t, dbi, key, strlen(key), &v) != QF_OK || v.mv_size != 8)
		return 0;
	return (int64_t)qf_be64_get(v.mv_data);
}

int64_t dp_count_get(struct dp *dp, struct qf_txn *t, MDB_dbi dbi, const char *key)
{
	int64_t n = s_stored(t, dbi, key);
	/* the pending table belongs to the core thread's write transaction */
	if (!qf_txn_readonly(t) && dp->pcounts) {
		struct count_slot *s = s_slot(dp->pcounts, dbi, key, 0);
		if (s)
			n += s->delta;
	}
	return n;
}

int dp_count_add(struct dp *dp, struct qf_txn *t, MDB_dbi dbi, const char *key,
		 int64_t delta)
{
	if (strlen(key) >= COUNT_KEY)
		return QF_ERR_INVAL;
	int rc = dp_txn_track(dp, t);
	if (rc)
		return rc;
	if (!dp->pcounts && !(dp->pcounts = calloc(1, sizeof *dp->pcounts)))
		return QF_ERR_NOMEM;
	struct count_slot *s = s_slot(dp->pcounts, dbi, key, 1);
	if (!s)
		return QF_ERR_NOMEM;
	s->delta += delta;
	return QF_OK;
}

static int s_counts_flush(struct dp *dp, struct qf_txn *t)
{
	struct dp_counts *c = dp->pcounts;
	for (unsigned i = 0; c && i < c->cap; i++) {
		struct count_slot *s = &c->s[i];
		if (!s->used || !s->delta)
			continue;
		int64_t n = s_stored(t, s->dbi, s->key) + s->delta;
		int rc;
		if (n <= 0) {
			rc = qf_txn_del(t, s->dbi, s->key, strlen(s->key));
			if (rc == QF_ERR_NOTFOUND)
				rc = QF_OK;
		} else {
			uint8_t b[8];
			qf_be64_put(b, (uint64_t)n);
			rc = qf_txn_put(t, s->dbi, s->key, strlen(s->key), b, 8, 0);
		}
		if (rc)
			return rc;
	}
	return QF_OK;
}

static void s_counts_clear(struct dp *dp)
{
	if (!dp->pcounts)
		return;
	free(dp->pcounts->s);
	free(dp->pcounts);
	dp->pcounts = NULL;
}

/* ------------------------------------------------------------ transaction */

static int s_precommit(struct qf_txn *t, void *arg)
{
	struct dp *dp = arg;
	int rc = QF_OK;
	for (int i = 0; i < DP_TXN_NSLOTS && !rc; i++)
		if (dp->txn_parts[i])
			rc = dp->txn_parts[i]->flush(dp, t);
	if (!rc)
		rc = s_counts_flush(dp, t);
	return rc;
}

static void s_txn_end(void *arg, uint64_t data)
{
	(void)data;
	struct dp *dp = arg;
	for (int i = 0; i < DP_TXN_NSLOTS; i++)
		if (dp->txn_parts[i] && dp->txn_parts[i]->end)
			dp->txn_parts[i]->end(dp);
	s_counts_clear(dp);
}

int dp_txn_track(struct dp *dp, struct qf_txn *t)
{
	int rc;
	if (qf_txn_has_hook(t, s_txn_end, dp))
		return QF_OK;
	/* the live hooks (publish after commit) come after ours are known */
	if ((rc = qf_txn_before_commit(t, s_precommit, dp)) ||
	    (rc = qf_txn_on_commit(t, s_txn_end, dp, 0)) ||
	    (rc = qf_txn_on_abort(t, s_txn_end, dp, 0)))
		return rc;
	return QF_OK;
}

int dp_txn_join(struct dp *dp, struct qf_txn *t, enum dp_txn_slot slot,
		const struct dp_txn_part *p)
{
	dp->txn_parts[slot] = p;
	return dp_txn_track(dp, t);
}

int dp_utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		size_t need;
		uint32_t cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + need >= n)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

int dp_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return 0;
	/* starts with a letter or digit: never "." or ".." in a path */
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
		      c == ':'))
			return 0;
	}
	return 1;
}
