/* affairs.c: the three-affairs disclosure (affairs.h): records with every
 * version, the ledger's running balance and reconciliation, notices, lists
 * and the roster.
 *
 * A record's versions live under (record id, version); disc_cur names the
 * current one and the group it belongs to (a quarter, an affair), and
 * disc_group lists the records of each group. Views are computed on read
 * from the current versions, so a correction changes every derived figure
 * (running balances, totals, reconciliation) at once. The same functions
 * build the snapshot content, so what is hashed is what is shown. */
#include "affairs.h"
#include "live.h"
#include "qf_mask.h"
#include "snapshot.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_log.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K(x)	   QINGFENG__V1__DISCLOSURE_KIND__##x
#define AMOUNT_MAX 10000000000000LL /* 1e13 fen: far above any community budget */

static const struct {
	int kind;
	char byte;
	const char *code, *label;
} s_kinds[] = {
    {K(DISCLOSURE_LEDGER_ENTRY), AK_LEDGER, "ledger_entry", "财务收支"},
    {K(DISCLOSURE_BALANCE), AK_BALANCE, "balance", "余额公告"},
    {K(DISCLOSURE_NOTICE), AK_NOTICE, "notice", "公告"},
    {K(DISCLOSURE_LIST), AK_LIST, "list", "公示名单"},
    {K(DISCLOSURE_ROSTER), AK_ROSTER, "roster", "干部名册"},
};
#define NKINDS (sizeof s_kinds / sizeof s_kinds[0])

static const struct {
	const char *code, *label;
} s_affairs[] = {
    {"party", "党务公开"},
    {"residential", "居务公开"},
    {"financial", "财务公开"},
};

const char *affairs_affair_label(const char *affair)
{
	for (size_t i = 0; i < sizeof s_affairs / sizeof s_affairs[0]; i++)
		if (affair && !strcmp(affair, s_affairs[i].code))
			return s_affairs[i].label;
	return affair ? affair : "";
}

const char *affairs_kind_label(const char *kind)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kind && !strcmp(kind, s_kinds[i].code))
			return s_kinds[i].label;
	return kind ? kind : "";
}

static char s_kind_byte(const char *code)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcmp(code, s_kinds[i].code))
			return s_kinds[i].byte;
	return 0;
}

int affairs_quarter_ok(const char *q)
{
	return q && strlen(q) == 6 && q[0] >= '1' && q[0] <= '9' && q[1] >= '0' &&
	       q[1] <= '9' && q[2] >= '0' && q[2] <= '9' && q[3] >= '0' && q[3] <= '9' &&
	       q[4] == 'Q' && q[5] >= '1' && q[5] <= '4';
}

/* YYYY-MM-DD, a real date. */
static int s_date_ok(const char *d)
{
	int64_t ms;
	if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
		return 0;
	if (qf_time_parse(d, 0, &ms))
		return 0;
	char back[32];
	qf_time_fmt(ms, 0, back, sizeof back);
	return strncmp(back, d, 10) == 0; /* 2026-02-30 does not come back */
}

static void s_quarter_of(const char *date, char out[16])
{
	int m = (date[5] - '0') * 10 + (date[6] - '0');
	snprintf(out, 16, "%.4sQ%d", date, ((m - 1) / 3 + 1) % 10);
}

static void s_prev_quarter(const char *q, char out[16])
{
	int y = atoi(q) % 10000, n = q[5] - '0';
	if (n == 1)
		snprintf(out, 16, "%04dQ4", y - 1);
	else
		snprintf(out, 16, "%04dQ%d", y, (n - 1) % 10);
}

static const char *s_js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static int64_t s_ji(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* ------------------------------------------------------------ keys */

static size_t s_ver_key(uint8_t *k, const char *id, uint32_t version)
{
	size_t l = strlen(id);
	memcpy(k, id, l);
	k[l] = 0;
	qf_be32_put(k + l + 1, version);
	return l + 5;
}

static size_t s_group_key(uint8_t *k, char kind, const char *group, const char *id)
{
	size_t gl = strlen(group), il = strlen(id);
	k[0] = (uint8_t)kind;
	memcpy(k + 1, group, gl);
	k[1 + gl] = 0;
	memcpy(k + 2 + gl, id, il);
	return 2 + gl + il;
}

static json_t *s_get_json(struct qf_txn *t, MDB_dbi dbi, const void *k, size_t kl)
{
	MDB_val v;
	if (qf_txn_get(t, dbi, k, kl, &v) != QF_OK)
		return NULL;
	return json_loadb(v.mv_data, v.mv_size, 0, NULL);
}

static int s_put_json(struct qf_txn *t, MDB_dbi dbi, const void *k, size_t kl, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!txt)
		return QF_ERR_NOMEM;
	int rc = qf_txn_put(t, dbi, k, kl, txt, strlen(txt), 0);
	free(txt);
	return rc;
}

/* The current version document of a record (new reference) or NULL. */
static json_t *s_current(struct dp *dp, struct qf_txn *t, const char *id)
{
	json_t *cur = s_get_json(t, dp->db.disc_cur, id, strlen(id));
	if (!cur)
		return NULL;
	uint8_t k[128];
	size_t kl = s_ver_key(k, id, (uint32_t)s_ji(cur, "version"));
	json_decref(cur);
	return s_get_json(t, dp->db.disc_ver, k, kl);
}

/* Current documents of every record in (kind, group), in key order. */
static json_t *s_group(struct dp *dp, struct qf_txn *t, char kind, const char *group)
{
	json_t *a = json_array();
	uint8_t pre[160];
	size_t pl = s_group_key(pre, kind, group, "");
	MDB_cursor *c;
	if (!a || mdb_cursor_open(qf_txn_mdb(t), dp->db.disc_group, &c))
		return a;
	MDB_val k = {pl, pre}, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size > pl && memcmp(k.mv_data, pre, pl) == 0) {
		char id[80];
		size_t il = k.mv_size - pl;
		if (il < sizeof id) {
			memcpy(id, (char *)k.mv_data + pl, il);
			id[il] = '\0';
			json_t *d = s_current(dp, t, id);
			if (d)
				json_array_append_new(a, d);
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return a;
}

/* Distinct groups of a kind (e.g. every quarter with entries). */
static json_t *s_groups(struct dp *dp, struct qf_txn *t, char kind)
{
	json_t *a = json_array();
	MDB_cursor *c;
	if (!a || mdb_cursor_open(qf_txn_mdb(t), dp->db.disc_group, &c))
		return a;
	uint8_t pre[1] = {(uint8_t)kind};
	MDB_val k = {1, pre}, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	char last[80] = "\x01";
	while (rc == 0 && k.mv_size > 1 && ((uint8_t *)k.mv_data)[0] == (uint8_t)kind) {
		const char *g = (const char *)k.mv_data + 1;
		const char *z = memchr(g, 0, k.mv_size - 1);
		if (z && (size_t)(z - g) < sizeof last && strncmp(last, g, sizeof last)) {
			memcpy(last, g, (size_t)(z - g));
			last[z - g] = '\0';
			json_array_append_new(a, json_string(last));
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return a;
}

/* ------------------------------------------------------------ computing */

static int s_entry_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(s_js(x, "date"), s_js(y, "date"));
	if (!c)
		c = strcmp(s_js(x, "voucher"), s_js(y, "voucher"));
	if (!c)
		c = strcmp(s_js(x, "record_id"), s_js(y, "record_id"));
	return c;
}

/* The balance statement of a quarter: the latest submitted (then highest
 * record id) among the quarter's statements. New reference or NULL. */
static json_t *s_statement(struct dp *dp, struct qf_txn *t, const char *quarter,
			   unsigned *count)
{
	json_t *all = s_group(dp, t, AK_BALANCE, quarter), *best = NULL, *x;
	size_t i;
	json_array_foreach(all, i, x)
	{
		if (!best || s_ji(x, "submitted_ms") > s_ji(best, "submitted_ms") ||
		    (s_ji(x, "submitted_ms") == s_ji(best, "submitted_ms") &&
		     strcmp(s_js(x, "record_id"), s_js(best, "record_id")) > 0))
			best = x;
	}
	if (count)
		*count = (unsigned)json_array_size(all);
	json_incref(best);
	json_decref(all);
	return best;
}

/* The quarter's figures as published content (the snapshot's canonical
 * object: ids, versions, amounts and texts, no times of reading). */
static json_t *s_quarter_content(struct dp *dp, struct qf_txn *t, const char *quarter)
{
	json_t *entries = s_group(dp, t, AK_LEDGER, quarter);
	size_t n = json_array_size(entries);
	json_t **v = calloc(n ? n : 1, sizeof *v);
	if (!v) {
		json_decref(entries);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(entries, i);
	qsort(v, n, sizeof *v, s_entry_cmp);
	unsigned nst = 0;
	json_t *st = s_statement(dp, t, quarter, &nst);
	char prev[16];
	s_prev_quarter(quarter, prev);
	json_t *pst = s_statement(dp, t, prev, NULL);
	int64_t opening = 0;
	const char *source = "unknown";
	if (st) {
		opening = s_ji(st, "opening_fen");
		source = "statement";
	} else if (pst) {
		opening = s_ji(pst, "closing_fen");
		source = "previous_statement";
	}
	json_t *rows = json_array();
	int64_t bal = opening, in = 0, out = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = v[i];
		int income = json_is_true(json_object_get(e, "income"));
		int64_t amt = s_ji(e, "amount_fen");
		bal += income ? amt : -amt;
		if (income)
			in += amt;
		else
			out += amt;
		json_t *r = json_pack(
		    "{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:I}", "record_id",
		    json_object_get(e, "record_id"), "version",
		    json_object_get(e, "version"), "date", json_object_get(e, "date"),
		    "income", json_object_get(e, "income"), "amount_fen",
		    json_object_get(e, "amount_fen"), "reason",
		    json_object_get(e, "reason"), "counterparty",
		    json_object_get(e, "counterparty"), "voucher",
		    json_object_get(e, "voucher"), "balance_fen", (json_int_t)bal);
		if (r)
			json_array_append_new(rows, r);
	}
	free(v);
	json_t *o = json_object();
	json_object_set_new(o, "quarter", json_string(quarter));
	json_object_set_new(o, "opening_fen", json_integer(opening));
	json_object_set_new(o, "opening_source", json_string(source));
	json_object_set_new(o, "entries", rows);
	json_object_set_new(o, "income_fen", json_integer(in));
	json_object_set_new(o, "expense_fen", json_integer(out));
	json_object_set_new(o, "computed_closing_fen", json_integer(bal));
	if (st) {
		json_t *s = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "record_id",
				      json_object_get(st, "record_id"), "version",
				      json_object_get(st, "version"), "opening_fen",
				      json_object_get(st, "opening_fen"), "closing_fen",
				      json_object_get(st, "closing_fen"), "account",
				      json_object_get(st, "account"), "as_of",
				      json_object_get(st, "as_of"));
		json_object_set_new(o, "statement", s ? s : json_null());
		int64_t pub = s_ji(st, "closing_fen");
		json_object_set_new(o, "published_closing_fen", json_integer(pub));
		json_object_set_new(o, "reconciled", json_boolean(pub == bal));
		json_object_set_new(o, "difference_fen", json_integer(pub - bal));
		if (pst)
			json_object_set_new(o, "opening_matches_previous",
					    json_boolean(s_ji(st, "opening_fen") ==
							 s_ji(pst, "closing_fen")));
		else
			json_object_set_new(o, "opening_matches_previous", json_null());
		json_object_set_new(o, "statements", json_integer(nst));
	} else {
		json_object_set_new(o, "statement", json_null());
		json_object_set_new(o, "published_closing_fen", json_null());
		json_object_set_new(o, "reconciled", json_null());
		json_object_set_new(o, "difference_fen", json_null());
		json_object_set_new(o, "opening_matches_previous", json_null());
		json_object_set_new(o, "statements", json_integer(0));
	}
	json_decref(st);
	json_decref(pst);
	json_decref(entries);
	return o;
}

static json_t *s_roster_content(struct dp *dp, struct qf_txn *t)
{
	json_t *all = s_group(dp, t, AK_ROSTER, ""), *rows = json_array(), *x;
	size_t i, n = json_array_size(all);
	json_t **v = calloc(n ? n : 1, sizeof *v);
	if (!v || !rows) {
		free(v);
		json_decref(rows);
		json_decref(all);
		return NULL;
	}
	n = 0;
	json_array_foreach(all, i, x)
	{
		if (!json_is_true(json_object_get(x, "removed")))
			v[n++] = x;
	}
	/* by staff id: the roster's natural order */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(s_js(v[b - 1], "staff_id"),
						   s_js(v[b], "staff_id")) > 0;
		     b--) {
			json_t *tmp = v[b];
			v[b] = v[b - 1];
			v[b - 1] = tmp;
		}
	for (size_t k = 0; k < n; k++) {
		json_t *r = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
				      "record_id", json_object_get(v[k], "record_id"),
				      "version", json_object_get(v[k], "version"),
				      "staff_id", json_object_get(v[k], "staff_id"),
				      "name", json_object_get(v[k], "name"), "post",
				      json_object_get(v[k], "post"), "responsibilities",
				      json_object_get(v[k], "responsibilities"), "duty",
				      json_object_get(v[k], "duty"), "office_phone",
				      json_object_get(v[k], "office_phone"));
		if (r)
			json_array_append_new(rows, r);
	}
	free(v);
	json_decref(all);
	json_t *o = json_object();
	json_object_set_new(o, "entries", rows);
	return o;
}

static json_t *s_notices_content(struct dp *dp, struct qf_txn *t, const char *affair)
{
	json_t *all = s_group(dp, t, AK_NOTICE, affair), *rows = json_array(), *x;
	size_t i;
	json_array_foreach(all, i, x)
	{
		json_t *r = json_pack("{s:O, s:O, s:O, s:O, s:O}", "record_id",
				      json_object_get(x, "record_id"), "version",
				      json_object_get(x, "version"), "title",
				      json_object_get(x, "title"), "body",
				      json_object_get(x, "body"), "date",
				      json_object_get(x, "date"));
		if (r)
			json_array_append_new(rows, r);
	}
	json_decref(all);
	json_t *o = json_object();
	json_object_set_new(o, "affair", json_string(affair));
	json_object_set_new(o, "notices", rows);
	return o;
}

static json_t *s_list_content(json_t *d)
{
	return json_pack(
	    "{s:O, s:O, s:O, s:O, s:O, s:O}", "record_id",
	    json_object_get(d, "record_id"), "version", json_object_get(d, "version"),
	    "title", json_object_get(d, "title"), "list_kind",
	    json_object_get(d, "list_kind"), "period", json_object_get(d, "period"),
	    "items", json_object_get(d, "items"));
}

/* ------------------------------------------------------------ apply */

static int s_text(json_t *o, const char *k, const char *v, struct dp *dp, int masked,
		  size_t max)
{
	char *m;
	if (masked) {
		struct qf_mask_opts mo = {.allow = (const char *const *)dp->allow,
				       .nallow = dp->nallow,
				       .max_chars = max};
		m = qf_mask_text(v ? v : "", v ? strlen(v) : 0, &mo);
	} else {
		m = qf_mask_clean(v ? v : "", v ? strlen(v) : 0, max);
	}
	if (!m)
		return QF_ERR_NOMEM;
	int rc = json_object_set_new(o, k, json_string(m));
	free(m);
	return rc ? QF_ERR_NOMEM : QF_OK;
}

/* Build the version document from the event; NULL with *why on bad input. */
static json_t *s_version_doc(struct dp *dp, const Qingfeng__V1__Envelope *env,
			     const Qingfeng__V1__DisclosureSubmitted *d,
			     const char **kind, char *group, size_t gn, const char **why)
{
	json_t *o = json_object();
	*kind = NULL;
	group[0] = '\0';
	for (size_t i = 0; i < NKINDS; i++)
		if ((int)d->kind == s_kinds[i].kind)
			*kind = s_kinds[i].code;
	if (!*kind) {
		*why = "unknown_kind";
		goto bad;
	}
	json_object_set_new(o, "record_id", json_string(d->record_id));
	json_object_set_new(o, "version", json_integer(d->version));
	json_object_set_new(o, "kind", json_string(*kind));
	json_object_set_new(
	    o, "submitted_ms",
	    json_integer(d->submitted_ms ? d->submitted_ms : env->time_ms));
	if (d->actor) {
		json_t *a = json_object();
		if (dp_id_ok(d->actor->staff_id))
			json_object_set_new(a, "staff_id",
					    json_string(d->actor->staff_id));
		s_text(a, "name", d->actor->name, dp, 0, 32);
		json_object_set_new(o, "actor", a);
	}
	if (d->version > 1 &&
	    s_text(o, "correction_reason", d->correction_reason, dp, 1, 500))
		goto nomem;
	switch (d->kind) {
	case K(DISCLOSURE_LEDGER_ENTRY): {
		const Qingfeng__V1__LedgerEntry *e = d->ledger;
		if (!e) {
			*why = "missing_ledger";
			goto bad;
		}
		if (!s_date_ok(e->date)) {
			*why = "bad_date";
			goto bad;
		}
		if (e->amount_fen <= 0 || e->amount_fen > AMOUNT_MAX) {
			*why = "bad_amount";
			goto bad;
		}
		s_quarter_of(e->date, group);
		json_object_set_new(o, "date", json_string(e->date));
		json_object_set_new(o, "quarter", json_string(group));
		json_object_set_new(o, "income", json_boolean(e->income));
		json_object_set_new(o, "amount_fen", json_integer(e->amount_fen));
		if (s_text(o, "reason", e->reason, dp, 1, 500) ||
		    s_text(o, "counterparty", e->counterparty, dp, 1, 200) ||
		    s_text(o, "voucher", e->voucher, dp, 0, 64))
			goto nomem;
		break;
	}
	case K(DISCLOSURE_BALANCE): {
		const Qingfeng__V1__BalanceStatement *b = d->balance;
		if (!b) {
			*why = "missing_balance";
			goto bad;
		}
		if (!affairs_quarter_ok(b->quarter)) {
			*why = "bad_quarter";
			goto bad;
		}
		if (b->opening_fen < -AMOUNT_MAX || b->opening_fen > AMOUNT_MAX ||
		    b->closing_fen < -AMOUNT_MAX || b->closing_fen > AMOUNT_MAX) {
			*why = "bad_amount";
			goto bad;
		}
		if (b->as_of && *b->as_of && !s_date_ok(b->as_of)) {
			*why = "bad_date";
			goto bad;
		}
		snprintf(group, gn, "%s", b->quarter);
		json_object_set_new(o, "quarter", json_string(b->quarter));
		json_object_set_new(o, "opening_fen", json_integer(b->opening_fen));
		json_object_set_new(o, "closing_fen", json_integer(b->closing_fen));
		json_object_set_new(o, "as_of", json_string(b->as_of ? b->as_of : ""));
		if (s_text(o, "account", b->account, dp, 1, 100))
			goto nomem;
		break;
	}
	case K(DISCLOSURE_NOTICE): {
		const Qingfeng__V1__Notice *nt = d->notice;
		if (!nt) {
			*why = "missing_notice";
			goto bad;
		}
		const char *af = nt->affair ? nt->affair : "";
		if (strcmp(af, "party") && strcmp(af, "residential") &&
		    strcmp(af, "financial")) {
			*why = "bad_affair";
			goto bad;
		}
		if (!nt->title || !*nt->title) {
			*why = "missing_title";
			goto bad;
		}
		if (nt->date && *nt->date && !s_date_ok(nt->date)) {
			*why = "bad_date";
			goto bad;
		}
		snprintf(group, gn, "%s", af);
		json_object_set_new(o, "affair", json_string(af));
		json_object_set_new(o, "date", json_string(nt->date ? nt->date : ""));
		if (s_text(o, "title", nt->title, dp, 1, 200) ||
		    s_text(o, "body", nt->body, dp, 1, 20000))
			goto nomem;
		break;
	}
	case K(DISCLOSURE_LIST): {
		const Qingfeng__V1__DisclosureList *l = d->list;
		if (!l) {
			*why = "missing_list";
			goto bad;
		}
		if (!l->title || !*l->title) {
			*why = "missing_title";
			goto bad;
		}
		if (l->n_items > 10000) {
			*why = "too_many_items";
			goto bad;
		}
		if (s_text(o, "title", l->title, dp, 1, 200) ||
		    s_text(o, "period", l->period, dp, 0, 64))
			goto nomem;
		json_object_set_new(
		    o, "list_kind",
		    json_string(dp_id_ok(l->list_kind) ? l->list_kind : ""));
		json_t *items = json_array();
		json_object_set_new(o, "items", items);
		for (size_t i = 0; i < l->n_items; i++) {
			const Qingfeng__V1__ListItem *it = l->items[i];
			if (it->amount_fen < 0 || it->amount_fen > AMOUNT_MAX) {
				*why = "bad_amount";
				goto bad;
			}
			json_t *x = json_object();
			json_array_append_new(items, x);
			char bn[128] = "";
			if (dp_id_ok(it->building))
				dp_building_name(dp, it->building, bn, sizeof bn);
			/* names are published by staff on purpose (neighbours check
			 * the list); numbers and e-mails in them are still masked */
			if (s_text(x, "name", it->name, dp, 1, 32) ||
			    s_text(x, "detail", it->detail, dp, 1, 500))
				goto nomem;
			json_object_set_new(
			    x, "building",
			    json_string(dp_id_ok(it->building) ? it->building : ""));
			json_object_set_new(x, "building_name", json_string(bn));
			json_object_set_new(x, "amount_fen",
					    json_integer(it->amount_fen));
		}
		break;
	}
	case K(DISCLOSURE_ROSTER): {
		const Qingfeng__V1__RosterEntry *r = d->roster;
		if (!r) {
			*why = "missing_roster";
			goto bad;
		}
		if (!dp_id_ok(r->staff_id)) {
			*why = "bad_staff_id";
			goto bad;
		}
		if (!r->removed && (!r->name || !*r->name)) {
			*why = "missing_name";
			goto bad;
		}
		json_object_set_new(o, "staff_id", json_string(r->staff_id));
		json_object_set_new(o, "removed", json_boolean(r->removed));
		if (s_text(o, "name", r->name, dp, 0, 32) ||
		    s_text(o, "post", r->post, dp, 0, 64) ||
		    s_text(o, "responsibilities", r->responsibilities, dp, 0, 500) ||
		    s_text(o, "duty", r->duty, dp, 0, 100) ||
		    s_text(o, "office_phone", r->office_phone, dp, 0, 32))
			goto nomem;
		break;
	}
	default:
		*why = "unknown_kind";
		goto bad;
	}
	return o;
nomem:
	*why = "nomem";
bad:
	json_decref(o);
	return NULL;
}

/* Republish the snapshot a group belongs to. */
static int s_republish(struct dp *dp, struct qf_txn *t, char kind, const char *group,
		       const char *record_id, int64_t at)
{
	json_t *c = NULL;
	const char *sk;
	char key[80];
	unsigned items = 0;
	int rec = -1;
	switch (kind) {
	case AK_LEDGER:
	case AK_BALANCE:
		sk = "ledger_quarter";
		snprintf(key, sizeof key, "%s", group);
		{
			/* the hash covers the quarter's own published records; derived
			 * figures (running balances, the previous quarter's closing used
			 * when there is no statement) are views anyone can recompute, and
			 * keeping them out makes the content independent of the order in
			 * which other quarters' records arrive */
			json_t *view = s_quarter_content(dp, t, group);
			if (!view)
				return QF_ERR_NOMEM;
			if (json_is_boolean(json_object_get(view, "reconciled")))
				rec = json_is_true(json_object_get(view, "reconciled"));
			json_t *rows = json_array();
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(view, "entries"), i, e)
			{
				json_t *r = json_deep_copy(e);
				json_object_del(r, "balance_fen");
				json_array_append_new(rows, r);
			}
			c = json_pack("{s:s, s:o, s:O}", "quarter", group, "entries",
				      rows, "statement",
				      json_object_get(view, "statement"));
			items = (unsigned)json_array_size(rows);
			json_decref(view);
			break;
		}
	case AK_NOTICE:
		sk = "notices";
		snprintf(key, sizeof key, "%s", group);
		c = s_notices_content(dp, t, group);
		items = (unsigned)json_array_size(json_object_get(c, "notices"));
		break;
	case AK_LIST: {
		sk = "list";
		snprintf(key, sizeof key, "%s", record_id);
		json_t *d = s_current(dp, t, record_id);
		c = d ? s_list_content(d) : NULL;
		items = (unsigned)json_array_size(json_object_get(d, "items"));
		json_decref(d);
		break;
	}
	case AK_ROSTER:
		sk = "roster";
		snprintf(key, sizeof key, "current");
		c = s_roster_content(dp, t);
		items = (unsigned)json_array_size(json_object_get(c, "entries"));
		break;
	default:
		return QF_OK;
	}
	if (!c)
		return QF_ERR_NOMEM;
	int rc = snapshot_publish(dp, t, sk, key, c, items, rec, at);
	json_decref(c);
	return rc;
}

int affairs_apply(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		  const Qingfeng__V1__DisclosureSubmitted *d)
{
	const char *id = d->record_id;
	if (!dp_id_ok(id) || d->version == 0) {
		qf_warn("event_skipped", "type=DISCLOSURE_SUBMITTED reason=%s seq=%llu",
			dp_id_ok(id) ? "bad_version" : "bad_record_id",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	const char *kind, *why = "";
	char group[80];
	json_t *doc = s_version_doc(dp, env, d, &kind, group, sizeof group, &why);
	if (!doc) {
		if (!strcmp(why, "nomem"))
			return QF_ERR_NOMEM;
		qf_warn("event_skipped",
			"type=DISCLOSURE_SUBMITTED reason=%s record=%s version=%u", why,
			id, d->version);
		return QF_OK;
	}
	uint8_t k[256];
	size_t kl = s_ver_key(k, id, d->version);
	json_t *cur = s_get_json(t, dp->db.disc_cur, id, strlen(id));
	MDB_val have;
	int rc = QF_OK;
	if (qf_txn_get(t, dp->db.disc_ver, k, kl, &have) == QF_OK) {
		qf_warn("event_skipped",
			"type=DISCLOSURE_SUBMITTED reason=duplicate record=%s version=%u",
			id, d->version);
		goto out;
	}
	if (cur && strcmp(s_js(cur, "kind"), kind)) {
		qf_warn(
		    "event_skipped",
		    "type=DISCLOSURE_SUBMITTED reason=kind_changed record=%s version=%u",
		    id, d->version);
		goto out;
	}
	char kb = s_kind_byte(kind);
	if ((rc = s_put_json(t, dp->db.disc_ver, k, kl, doc)))
		goto out;
	/* the feed's index of every version */
	{
		uint8_t tk[256];
		int64_t sub = s_ji(doc, "submitted_ms");
		qf_be64_put(tk, (uint64_t)sub);
		size_t tl = 8 + s_ver_key(tk + 8, id, d->version);
		if ((rc = qf_txn_put(t, dp->db.disc_time, tk, tl, "", 0, 0)))
			goto out;
	}
	if (cur && (uint32_t)s_ji(cur, "version") > d->version)
		goto out; /* an older version arriving late: history only */
	char old_group[80] = "";
	if (cur)
		snprintf(old_group, sizeof old_group, "%s", s_js(cur, "group"));
	json_t *nc = json_pack("{s:i, s:s, s:s}", "version", (int)d->version, "kind",
			       kind, "group", group);
	if (!nc) {
		rc = QF_ERR_NOMEM;
		goto out;
	}
	rc = s_put_json(t, dp->db.disc_cur, id, strlen(id), nc);
	json_decref(nc);
	if (rc)
		goto out;
	if (cur && strcmp(old_group, group)) {
		size_t gl = s_group_key(k, kb, old_group, id);
		rc = qf_txn_del(t, dp->db.disc_group, k, gl);
		if (rc && rc != QF_ERR_NOTFOUND)
			goto out;
	}
	size_t gl = s_group_key(k, kb, group, id);
	if ((rc = qf_txn_put(t, dp->db.disc_group, k, gl, "", 0, 0)))
		goto out;
	int64_t at = s_ji(doc, "submitted_ms");
	if ((rc = s_republish(dp, t, kb, group, id, at)))
		goto out;
	if (cur && strcmp(old_group, group) &&
	    (rc = s_republish(dp, t, kb, old_group, id, at)))
		goto out;
	{
		const char *title = s_js(doc, "title");
		char tb[160];
		if (kb == AK_LEDGER) {
			snprintf(tb, sizeof tb, "%s %s", s_js(doc, "date"),
				 s_js(doc, "reason"));
			title = tb;
		} else if (kb == AK_BALANCE) {
			snprintf(tb, sizeof tb, "%s 余额公告", group);
			title = tb;
		} else if (kb == AK_ROSTER) {
			snprintf(tb, sizeof tb, "%s %s", s_js(doc, "name"),
				 s_js(doc, "post"));
			title = tb;
		}
		json_t *ev = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I}", "record_id", id,
				       "version", (int)d->version, "kind", kind,
				       "kind_name", affairs_kind_label(kind), "title",
				       title, "at_ms", (json_int_t)at);
		rc = live_note(dp, t, "disclosure", ev);
	}
out:
	json_decref(cur);
	json_decref(doc);
	return rc;
}

/* ------------------------------------------------------------ reading */

json_t *affairs_record(struct dp *dp, struct qf_txn *t, const char *record_id)
{
	if (!dp_id_ok(record_id))
		return NULL;
	json_t *cur = s_get_json(t, dp->db.disc_cur, record_id, strlen(record_id));
	if (!cur)
		return NULL;
	uint32_t curv = (uint32_t)s_ji(cur, "version");
	json_t *versions = json_array();
	uint8_t pre[80];
	size_t pl = strlen(record_id) + 1;
	memcpy(pre, record_id, pl);
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dp->db.disc_ver, &c) == 0) {
		MDB_val k = {pl, pre}, v;
		int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && k.mv_size == pl + 4 &&
		       memcmp(k.mv_data, pre, pl) == 0) {
			json_t *d = json_loadb(v.mv_data, v.mv_size, 0, NULL);
			if (d) {
				uint32_t ver = (uint32_t)s_ji(d, "version");
				json_object_set_new(d, "status",
						    json_string(ver == curv ? "current"
								: ver < curv
								    ? "superseded"
								    : "pending"));
				json_array_insert_new(versions, 0, d);
			}
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(c);
	}
	json_t *o = json_object();
	json_object_set_new(o, "record_id", json_string(record_id));
	json_object_set(o, "kind", json_object_get(cur, "kind"));
	json_object_set_new(o, "kind_name",
			    json_string(affairs_kind_label(s_js(cur, "kind"))));
	json_object_set_new(o, "current_version", json_integer(curv));
	json_object_set(o, "group", json_object_get(cur, "group"));
	json_object_set_new(o, "versions", versions);
	json_decref(cur);
	return o;
}

/* Attach the superseded version (if any) of each row: "previous". */
static void s_attach_previous(struct dp *dp, struct qf_txn *t, json_t *rows)
{
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		uint32_t ver = (uint32_t)s_ji(r, "version");
		if (ver <= 1)
			continue;
		const char *id = s_js(r, "record_id");
		for (uint32_t pv = ver - 1; pv >= 1; pv--) {
			uint8_t k[128];
			size_t kl = s_ver_key(k, id, pv);
			json_t *p = s_get_json(t, dp->db.disc_ver, k, kl);
			if (p) {
				json_object_set_new(r, "previous", p);
				json_t *now = s_get_json(t, dp->db.disc_ver, k,
							 s_ver_key(k, id, ver));
				if (now) {
					json_object_set(
					    r, "correction_reason",
					    json_object_get(now, "correction_reason"));
					json_decref(now);
				}
				break;
			}
			if (pv == 1)
				break;
		}
	}
}

json_t *affairs_ledger_quarter(struct dp *dp, struct qf_txn *t, const char *quarter)
{
	if (!affairs_quarter_ok(quarter))
		return NULL;
	json_t *o = s_quarter_content(dp, t, quarter);
	if (!o)
		return NULL;
	if (!json_array_size(json_object_get(o, "entries")) &&
	    json_is_null(json_object_get(o, "statement"))) {
		json_decref(o);
		return NULL;
	}
	s_attach_previous(dp, t, json_object_get(o, "entries"));
	json_t *st = json_object_get(o, "statement");
	if (json_is_object(st) && s_ji(st, "version") > 1) {
		json_t *one = json_array();
		json_array_append(one, st);
		s_attach_previous(dp, t, one);
		json_decref(one);
	}
	json_object_set_new(o, "snapshot",
			    snapshot_current(dp, t, "ledger_quarter", quarter));
	return o;
}

json_t *affairs_ledger_index(struct dp *dp, struct qf_txn *t)
{
	json_t *qs = s_groups(dp, t, AK_LEDGER), *bs = s_groups(dp, t, AK_BALANCE);
	size_t i;
	json_t *x;
	/* union, newest quarter first */
	json_array_foreach(bs, i, x)
	{
		int found = 0;
		size_t j;
		json_t *y;
		json_array_foreach(qs, j, y) found |= json_equal(x, y);
		if (!found)
			json_array_append(qs, x);
	}
	json_decref(bs);
	size_t n = json_array_size(qs);
	const char **names = calloc(n ? n : 1, sizeof *names);
	for (i = 0; names && i < n; i++)
		names[i] = json_string_value(json_array_get(qs, i));
	for (size_t a = 1; names && a < n; a++)
		for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) < 0; b--) {
			const char *tmp = names[b];
			names[b] = names[b - 1];
			names[b - 1] = tmp;
		}
	json_t *out = json_array();
	for (i = 0; names && i < n; i++) {
		json_t *c = s_quarter_content(dp, t, names[i]);
		if (!c)
			continue;
		json_object_set_new(c, "entry_count",
				    json_integer((json_int_t)json_array_size(
					json_object_get(c, "entries"))));
		json_object_del(c, "entries");
		json_object_set_new(c, "snapshot",
				    snapshot_current(dp, t, "ledger_quarter", names[i]));
		json_array_append_new(out, c);
	}
	free(names);
	json_decref(qs);
	return out;
}

static int s_notice_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(s_js(y, "date"), s_js(x, "date")); /* newest first */
	return c ? c : strcmp(s_js(x, "record_id"), s_js(y, "record_id"));
}

json_t *affairs_notices(struct dp *dp, struct qf_txn *t, const char *affair)
{
	json_t *all = json_array();
	for (size_t a = 0; a < sizeof s_affairs / sizeof s_affairs[0]; a++) {
		if (affair && strcmp(affair, s_affairs[a].code))
			continue;
		json_t *g = s_group(dp, t, AK_NOTICE, s_affairs[a].code);
		json_array_extend(all, g);
		json_decref(g);
	}
	size_t n = json_array_size(all);
	json_t **v = calloc(n ? n : 1, sizeof *v);
	json_t *out = json_array();
	if (!v)
		return out;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(all, i);
	qsort(v, n, sizeof *v, s_notice_cmp);
	for (size_t i = 0; i < n; i++) {
		json_object_set_new(
		    v[i], "affair_name",
		    json_string(affairs_affair_label(s_js(v[i], "affair"))));
		json_array_append(out, v[i]);
	}
	free(v);
	json_decref(all);
	s_attach_previous(dp, t, out);
	return out;
}

json_t *affairs_lists(struct dp *dp, struct qf_txn *t)
{
	json_t *all = s_group(dp, t, AK_LIST, ""), *out = json_array(), *x;
	size_t i;
	json_array_foreach(all, i, x)
	{
		json_t *s = json_pack(
		    "{s:O, s:O, s:O, s:O, s:O, s:O, s:I}", "record_id",
		    json_object_get(x, "record_id"), "version",
		    json_object_get(x, "version"), "title", json_object_get(x, "title"),
		    "list_kind", json_object_get(x, "list_kind"), "period",
		    json_object_get(x, "period"), "submitted_ms",
		    json_object_get(x, "submitted_ms"), "item_count",
		    (json_int_t)json_array_size(json_object_get(x, "items")));
		if (s) {
			json_object_set_new(
			    s, "snapshot",
			    snapshot_current(dp, t, "list", s_js(x, "record_id")));
			json_array_append_new(out, s);
		}
	}
	json_decref(all);
	return out;
}

json_t *affairs_list(struct dp *dp, struct qf_txn *t, const char *record_id)
{
	if (!dp_id_ok(record_id))
		return NULL;
	json_t *cur = s_get_json(t, dp->db.disc_cur, record_id, strlen(record_id));
	if (!cur)
		return NULL;
	int is_list = !strcmp(s_js(cur, "kind"), "list");
	json_decref(cur);
	if (!is_list)
		return NULL;
	json_t *d = s_current(dp, t, record_id);
	if (!d)
		return NULL;
	json_t *one = json_array();
	json_array_append(one, d);
	s_attach_previous(dp, t, one);
	json_decref(one);
	json_object_set_new(d, "snapshot", snapshot_current(dp, t, "list", record_id));
	return d;
}

json_t *affairs_roster(struct dp *dp, struct qf_txn *t)
{
	json_t *c = s_roster_content(dp, t);
	if (!c)
		return NULL;
	s_attach_previous(dp, t, json_object_get(c, "entries"));
	/* the duty quotas (e.g. the supervisor's household visits) */
	json_t *q = json_array();
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), dp->db.quota, &cur) == 0) {
		MDB_val k, v;
		int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		while (rc == 0) {
			json_t *j = json_loadb(v.mv_data, v.mv_size, 0, NULL);
			if (j)
				json_array_append_new(q, j);
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(cur);
	}
	json_object_set_new(c, "duties", q);
	json_object_set_new(c, "snapshot", snapshot_current(dp, t, "roster", "current"));
	return c;
}

json_t *affairs_recent(struct dp *dp, struct qf_txn *t, unsigned max)
{
	json_t *out = json_array();
	MDB_cursor *c;
	if (!out || mdb_cursor_open(qf_txn_mdb(t), dp->db.disc_time, &c))
		return out;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	while (rc == 0 && json_array_size(out) < max) {
		if (k.mv_size > 8 + 5) {
			json_t *d = s_get_json(t, dp->db.disc_ver,
					       (uint8_t *)k.mv_data + 8, k.mv_size - 8);
			if (d)
				json_array_append_new(out, d);
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	mdb_cursor_close(c);
	return out;
}
