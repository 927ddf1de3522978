/* dp.c: the store's databases and the small shared helpers of the service
 * (dp.h): community names under the reload lock, counters, id checks. */
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
	    {"dp.case_doc", &d->case_doc},
	    {"dp.case_head", &d->case_head},
	    {"dp.by_time", &d->by_time},
	    {"dp.by_cat", &d->by_cat},
	    {"dp.by_bld", &d->by_bld},
	    {"dp.by_state", &d->by_state},
	    {"dp.by_due", &d->by_due},
	    {"dp.by_code", &d->by_code},
	    {"dp.case_names", &d->case_names},
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

static void s_copy(char *out, size_t n, const char *v)
{
	snprintf(out, n, "%s", v ? v : "");
}

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

int64_t dp_count_get(struct qf_txn *t, MDB_dbi dbi, const char *key)
{
	MDB_val v;
	if (qf_txn_get(t, dbi, key, strlen(key), &v) != QF_OK || v.mv_size != 8)
		return 0;
	return (int64_t)qf_be64_get(v.mv_data);
}

int dp_count_add(struct qf_txn *t, MDB_dbi dbi, const char *key, int64_t delta)
{
	int64_t n = dp_count_get(t, dbi, key) + delta;
	if (n <= 0) {
		int rc = qf_txn_del(t, dbi, key, strlen(key));
		return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
	}
	uint8_t b[8];
	qf_be64_put(b, (uint64_t)n);
	return qf_txn_put(t, dbi, key, strlen(key), b, 8, 0);
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
