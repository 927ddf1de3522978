/* pipeline_test: events -> deliveries -> outcomes against a real LMDB store
 * and a real bus producer (inproc sockets): the configuration loader and
 * its cross-checks, the consumer's apply (deliveries written with stable
 * ids, idempotent on replay, the subject of an integrity report never
 * told, robot groups consolidated, public surfaces told from the public
 * part only and never of a sensitive case), outcome transitions with their
 * DELIVERY_* events, dead letters and release, quiet hours and backoff, the
 * records' encodings, and PRIVATE_EXPIRED forgetting a case's texts and
 * contact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "../testutil.h"
#include "ntf.h"
#include "ntf_channel.h"
#include "ntf_dispatch.h"
#include "ntf_plan.h"
#include "ntf_queue.h"
#include "ntf_store.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_privacy.h"
#include "qf_vault.h"
#include <jansson.h>

static const char *s_find_config(void)
{
	static const char *const tries[] = {"config/community.cfg",
					    "../../../../config/community.cfg",
					    "../../../config/community.cfg"};
	for (size_t i = 0; i < sizeof tries / sizeof *tries; i++)
		if (access(tries[i], R_OK) == 0)
			return tries[i];
	return NULL;
}

struct fx {
	char *dir;
	struct ntf_conf conf;
	struct ntf n;
	struct qf_clock clock;
	void *zctx;
	struct qf_vault *vault;
};

static const char *s_cfg =
    "service = { node = \"t\"; community = \"%s\"; data_dir = \"data\"; };\n"
    "contact = { secret_key_file = \"seal.key\"; required = true; };\n"
    "admin = { tokens_file = \"none\"; };\n"
    "quiet_hours = { enabled = true; start = \"22:00\"; end = \"07:00\"; };\n"
    "follow = { enabled = false; };\n"
    "channels = (\n"
    "  { name = \"hook\"; type = \"webhook\"; url = \"http://127.0.0.1:1/h\"; "
    "secret_file = \"w.secret\";\n"
    "    max_attempts = 3; backoff_ms = 1000; backoff_max_ms = 4000; },\n"
    "  { name = \"mail\"; type = \"email\"; url = \"smtp://127.0.0.1:1\"; from = "
    "\"n@lsj.example.cn\"; },\n"
    "  { name = \"wecom\"; type = \"wecom\"; url = \"http://127.0.0.1:1/w?key=k\"; }\n"
    ");\n"
    "staff_contacts = ( { staff = \"s04\"; email = \"s04@lsj.example.cn\"; } );\n"
    "templates = (\n"
    "  { name = \"t\"; subject = \"派单 {tracking_code}\"; text = "
    "\"{recipient}：{category}，{building}\"; },\n"
    "  { name = \"p\"; subject = \"受理 {tracking_code}\"; text = \"{name} {summary} "
    "{deadline}\"; },\n"
    "  { name = \"u\"; subject = \"紧急 {building}\"; text = \"{address}|{summary}|"
    "{name}\"; }\n"
    ");\n"
    "rules = (\n"
    "  { name = \"a\"; event = \"CASE_ASSIGNED\"; recipients = [ \"assignee\", "
    "\"supervisor\" ];\n"
    "    channels = [ \"hook\", \"mail\", \"wecom\" ]; template = \"t\"; },\n"
    "  { name = \"a2\"; event = \"CASE_ASSIGNED\"; recipients = [ \"assignee\" ]; "
    "channels = [ \"hook\" ];\n"
    "    template = \"t\"; },\n"
    "  { name = \"p\"; event = \"PETITION_SUBMITTED\"; recipients = [ \"petitioner\" ];\n"
    "    channels = [ \"mail\", \"hook\" ]; template = \"p\"; },\n"
    "  { name = \"u\"; event = \"PETITION_SUBMITTED\"; categories = [ \"safety_hazard\" "
    "];\n"
    "    recipients = [ \"building_head\" ]; channels = [ \"mail\", \"wecom\" ];\n"
    "    template = \"u\"; }\n"
    ");\n";

static int s_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *com = s_find_config();
	if (!f || !com)
		return -1;
	f->dir = tu_tmpdir("ntf");
	char path[512], comabs[PATH_MAX], text[8192];
	if (!realpath(com, comabs))
		return -1;
	snprintf(text, sizeof text, s_cfg, comabs);
	snprintf(path, sizeof path, "%s/n.cfg", f->dir);
	FILE *fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	uint8_t pk[32], sk[32];
	crypto_box_keypair(pk, sk);
	char hex[65];
	snprintf(text, sizeof text, "%s/seal.key", f->dir);
	fp = fopen(text, "w");
	fprintf(fp, "%s\n", qf_hex(sk, 32, hex));
	fclose(fp);
	snprintf(text, sizeof text, "%s/w.secret", f->dir);
	fp = fopen(text, "w");
	fputs("secret\n", fp);
	fclose(fp);
	struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	if (ntf_conf_load(path, &f->conf, &errs) ||
	    qf_community_load(comabs, &f->n.com, &errs) ||
	    ntf_conf_check(&f->conf, f->n.com, &errs)) {
		for (unsigned i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		return -1;
	}
	char err[256];
	if (ntf_keys_load(&f->n.keys, path, "seal.key", err, sizeof err))
		return -1;
	f->n.conf = &f->conf;
	qf_clock_init_fake(&f->clock, 1795600800000LL); /* 18:00 in China */
	f->n.clock = &f->clock;
	snprintf(text, sizeof text, "%s/data", f->dir);
	struct qf_store_opts so = {.path = text};
	if (qf_store_open(&f->n.store, &so, err, sizeof err) ||
	    ntf_db_open(f->n.store, &f->n.db))
		return -1;
	f->zctx = zmq_ctx_new();
	char pub[64], rep[64];
	snprintf(pub, sizeof pub, "inproc://pub-%p", (void *)f);
	snprintf(rep, sizeof rep, "inproc://rep-%p", (void *)f);
	if (qf_vault_open(&f->vault, f->n.store))
		return -1;
	struct qf_bus_producer_opts po = {.name = "notifier",
					  .partitions = 16,
					  .pub_endpoint = pub,
					  .replay_endpoint = rep,
					  .vault = f->vault};
	if (qf_bus_producer_new(&f->n.prod, f->zctx, f->n.store, &f->clock, &po, err,
				sizeof err))
		return -1;
	*state = f;
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	qf_bus_producer_destroy(&f->n.prod);
	zmq_ctx_term(f->zctx);
	qf_vault_destroy(&f->vault);
	ntf_db_close(&f->n.db);
	qf_store_destroy(&f->n.store);
	qf_community_free(&f->n.com);
	ntf_conf_free(&f->conf);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* ------------------------------------------------------------ events */

struct ev {
	struct fx *f;
	Qingfeng__V1__Envelope env;
	uint8_t id[16];
	uint8_t payload[4096];
	int rc;
};

static void s_env(struct ev *e, int type, const char *key, const char *case_id,
		  const ProtobufCMessage *m)
{
	memset(&e->env, 0, sizeof e->env);
	qingfeng__v1__envelope__init(&e->env);
	e->env.schema_version = 1;
	e->env.producer = "router";
	e->env.type = type;
	e->env.partition_key = (char *)key;
	e->env.case_id = (char *)case_id;
	e->env.event_id.data = e->id;
	e->env.event_id.len = 16;
	e->env.time_ms = 1795600800000LL;
	e->env.payload.len = protobuf_c_message_pack(m, e->payload);
	e->env.payload.data = e->payload;
}

static int s_apply_txn(struct qf_txn *t, void *arg)
{
	struct ev *e = arg;
	struct qf_bus_msg m = {&e->env, NULL, 0};
	return ntf_consume_apply(&e->f->n, t, &m);
}

/* As a producer emits it (qf_privacy_emit): the envelope carries the
 * public part made with context pc, the whole message travels beside it. */
struct split {
	struct ev *e;
	uint8_t *pub;
	size_t pub_len;
};

static int s_split_txn(struct qf_txn *t, void *arg)
{
	struct split *sp = arg;
	Qingfeng__V1__Envelope env = sp->e->env;
	env.payload.data = sp->pub;
	env.payload.len = sp->pub_len;
	struct qf_bus_msg m = {&env, NULL, 0};
	m.priv = sp->e->env.payload.data;
	m.priv_len = sp->e->env.payload.len;
	return ntf_consume_apply(&sp->e->f->n, t, &m);
}

static void s_apply_split(struct ev *e, int consent, int sensitive)
{
	struct qf_privacy pc = {consent, sensitive, NULL};
	struct split sp = {e, NULL, 0};
	int differs = 0;
	assert_int_equal(qf_privacy_public(qf_event_payload_descriptor(e->env.type),
					   e->env.payload.data, e->env.payload.len, &pc,
					   &sp.pub, &sp.pub_len, &differs),
			 0);
	assert_int_equal(qf_store_write(e->f->n.store, s_split_txn, &sp), 0);
	free(sp.pub);
}

static void s_apply(struct ev *e)
{
	assert_int_equal(qf_store_write(e->f->n.store, s_apply_txn, e), 0);
}

struct list {
	struct fx *f;
	const char *case_id;
	struct ntf_delivery d[32];
	unsigned n;
};

static int s_list_txn(struct qf_txn *t, void *arg)
{
	struct list *l = arg;
	MDB_cursor *c;
	mdb_cursor_open(qf_txn_mdb(t), l->f->n.db.deliveries, &c);
	MDB_val k, v;
	int r = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (r == 0 && l->n < 32) {
		struct ntf_delivery d;
		char id[NTF_ID_LEN + 1];
		snprintf(id, sizeof id, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
		if (ntf_delivery_get(t, &l->f->n.db, id, &d) == 0) {
			if (!strcmp(d.case_id, l->case_id))
				l->d[l->n++] = d;
			else
				ntf_delivery_clear(&d);
		}
		r = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return 0;
}

static void s_list(struct fx *f, const char *case_id, struct list *l)
{
	memset(l, 0, sizeof *l);
	l->f = f;
	l->case_id = case_id;
	assert_int_equal(qf_store_read(f->n.store, s_list_txn, l), 0);
}

static void s_list_free(struct list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		ntf_delivery_clear(&l->d[i]);
}

static void s_assigned(struct ev *e, const char *case_id, const char *assignee,
		       const char *concerns)
{
	Qingfeng__V1__CaseTransition t = QINGFENG__V1__CASE_TRANSITION__INIT;
	t.case_id = (char *)case_id;
	t.tracking_code = "LSJ-TEST01";
	t.assignee = (char *)assignee;
	t.category = "facility_repair";
	t.building = "B03";
	t.to_state = QINGFENG__V1__CASE_STATE__STATE_ASSIGNED;
	t.concerns_staff = (char *)(concerns ? concerns : "");
	s_env(e, QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED, "B03", case_id, &t.base);
}

static void t_assigned_plans_each_recipient_and_channel_once(void **state)
{
	struct fx *f = *state;
	struct ev e = {.f = f};
	randombytes_buf(e.id, 16);
	s_assigned(&e, "C1", "s04", NULL);
	s_apply(&e);
	struct list l;
	s_list(f, "C1", &l);
	/* hook: s04 + s02 (rule a2's s04/hook is the same id); mail: s04 only
	   (s02 has no address); wecom: one group message mentioning both */
	assert_int_equal(l.n, 4);
	int hooks = 0, mails = 0, groups = 0;
	for (unsigned i = 0; i < l.n; i++) {
		struct ntf_delivery *d = &l.d[i];
		assert_int_equal(d->state, NTF_ST_PENDING);
		assert_string_equal(d->pkey, "B03");
		assert_string_equal(d->tracking_code, "LSJ-TEST01");
		if (!strcmp(d->channel, "hook"))
			hooks++;
		if (!strcmp(d->channel, "mail")) {
			mails++;
			assert_string_equal(d->rid, "s04");
			assert_string_equal(d->text, "李建国：设施报修，3栋");
		}
		if (!strcmp(d->channel, "wecom")) {
			groups++;
			assert_int_equal(d->nmentions, 2);
			assert_string_equal(d->rk, "robot");
		}
		/* the id is hash(event, recipient, channel) */
		char want[NTF_ID_LEN + 1], rk[32];
		snprintf(rk, sizeof rk, d->to == NTF_TO_GROUP ? "group" : "staff:%s",
			 d->rid);
		ntf_delivery_id(e.id, 16, rk, d->channel, want);
		assert_string_equal(d->id, want);
	}
	assert_int_equal(hooks, 2);
	assert_int_equal(mails, 1);
	assert_int_equal(groups, 1);
	s_list_free(&l);
	/* the same event again (a replay): nothing new */
	s_apply(&e);
	s_list(f, "C1", &l);
	assert_int_equal(l.n, 4);
	s_list_free(&l);
}

static void t_subject_of_a_report_is_never_told(void **state)
{
	struct fx *f = *state;
	struct ev e = {.f = f};
	randombytes_buf(e.id, 16);
	s_assigned(&e, "C2", "s04", "s04");
	s_apply(&e);
	struct list l;
	s_list(f, "C2", &l);
	for (unsigned i = 0; i < l.n; i++) {
		assert_string_not_equal(l.d[i].rid, "s04");
		for (unsigned k = 0; k < l.d[i].nmentions; k++)
			assert_string_not_equal(l.d[i].mentions[k], "s04");
	}
	/* the supervisor by hook only: a report about a staff member is
	   sensitive, and a robot group is read by everyone in it */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.d[0].to, NTF_TO_STAFF);
	assert_string_equal(l.d[0].rid, "s02");
	s_list_free(&l);
}

static int s_case_txn(struct qf_txn *t, void *arg)
{
	void **a = arg;
	struct fx *f = a[0];
	return ntf_case_get(t, &f->n.db, a[1], a[2]);
}

/* no database of the store contains the needle in clear */
struct raw {
	struct fx *f;
	const char *needle;
	int found;
};

static int s_raw_txn(struct qf_txn *t, void *arg)
{
	struct raw *r = arg;
	MDB_dbi dbs[] = {r->f->n.db.deliveries, r->f->n.db.cases, r->f->n.db.due,
			 r->f->n.db.by_case};
	size_t nl = strlen(r->needle);
	for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++) {
		MDB_cursor *c;
		mdb_cursor_open(qf_txn_mdb(t), dbs[i], &c);
		MDB_val k, v;
		int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		while (rc == 0) {
			if (memmem(v.mv_data, v.mv_size, r->needle, nl) ||
			    memmem(k.mv_data, k.mv_size, r->needle, nl))
				r->found = 1;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(c);
	}
	return 0;
}

static void t_petition_keeps_the_sealed_contact_and_respects_quiet_hours(void **state)
{
	struct fx *f = *state;
	/* 23:00 in China: quiet */
	f->clock.fake_ms = 1795600800000LL + 5 * 3600000LL;
	Qingfeng__V1__PetitionSubmitted p = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	Qingfeng__V1__SealedContact sc = QINGFENG__V1__SEALED_CONTACT__INIT,
				    *scs[] = {&sc};
	uint8_t box[200];
	const char *contact = "{\"email\":\"a@example.cn\"}";
	crypto_box_seal(box, (const uint8_t *)contact, strlen(contact), f->n.keys.pk);
	sc.recipient = "notifier";
	sc.sealed.data = box;
	sc.sealed.len = strlen(contact) + crypto_box_SEALBYTES;
	p.case_id = "C3";
	p.tracking_code = "LSJ-TEST03";
	p.category = "facility_repair";
	p.building = "B05";
	p.description = "私人细节";
	p.consent_public = 0;
	p.name_masked = "王**";
	p.submitted_ms = 1795600800000LL;
	p.n_contact = 1;
	p.contact = scs;
	struct ev e = {.f = f};
	randombytes_buf(e.id, 16);
	s_env(&e, QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED, "B05", "C3", &p.base);
	s_apply(&e);
	struct list l;
	s_list(f, "C3", &l);
	assert_int_equal(l.n, 2);
	for (unsigned i = 0; i < l.n; i++) {
		assert_int_equal(l.d[i].to, NTF_TO_PETITIONER);
		assert_true(l.d[i].quiet);
		/* held until 07:00 local (next day) */
		assert_int_equal(l.d[i].due, 1795600800000LL + 13 * 3600000LL);
		/* the description is private (no consent): the category instead;
		   the promised deadline is 72 h after submission */
		assert_string_equal(l.d[i].text, "王** 设施报修 2026-11-28 18:00");
	}
	s_list_free(&l);
	/* the case record holds the box exactly as sealed, never the clear text */
	struct ntf_case c;
	void *a[3] = {f, "C3", &c};
	assert_int_equal(qf_store_read(f->n.store, s_case_txn, a), 0);
	assert_int_equal(c.sealed_len, sc.sealed.len);
	assert_memory_equal(c.sealed, box, c.sealed_len);
	assert_true(c.petition_seen);
	assert_string_equal(c.tracking_code, "LSJ-TEST03");
	ntf_case_clear(&c);
	struct raw r = {f, "a@example.cn", 0};
	assert_int_equal(qf_store_read(f->n.store, s_raw_txn, &r), 0);
	assert_false(r.found);
	/* nor intake's box as such: it is sealed again under the case's key */
	char hex[33];
	qf_hex(box, 16, hex);
	r = (struct raw){f, hex, 0};
	assert_int_equal(qf_store_read(f->n.store, s_raw_txn, &r), 0);
	assert_false(r.found);
	f->clock.fake_ms = 1795600800000LL;
}

/* ------------------------------------------------------------ outcomes */

struct oc {
	struct fx *f;
	struct ntf_job *j;
	const char *id;
	int rc;
};

static int s_outcome_txn(struct qf_txn *t, void *arg)
{
	struct oc *o = arg;
	return ntf_queue_outcome(&o->f->n, t, o->j, qf_now_ms(o->f->n.clock));
}

static int s_release_txn(struct qf_txn *t, void *arg)
{
	struct oc *o = arg;
	o->rc = ntf_queue_release(&o->f->n, t, o->id, "s01", qf_now_ms(o->f->n.clock));
	return 0;
}

static int s_get_txn(struct qf_txn *t, void *arg)
{
	void **a = arg;
	struct fx *f = a[0];
	return ntf_delivery_get(t, &f->n.db, a[1], a[2]);
}

static void s_get(struct fx *f, const char *id, struct ntf_delivery *d)
{
	void *a[3] = {f, (void *)id, d};
	assert_int_equal(qf_store_read(f->n.store, s_get_txn, a), 0);
}

static uint64_t s_events(struct fx *f)
{
	uint64_t n = 0;
	for (uint32_t p = 0; p < 16; p++)
		n += qf_bus_producer_high(f->n.prod, p);
	return n;
}

static void t_retries_dead_letters_and_release(void **state)
{
	struct fx *f = *state;
	struct ev e = {.f = f};
	randombytes_buf(e.id, 16);
	s_assigned(&e, "C4", "s04", NULL);
	s_apply(&e);
	struct list l;
	s_list(f, "C4", &l);
	struct ntf_delivery *hook = NULL;
	for (unsigned i = 0; i < l.n; i++)
		if (!strcmp(l.d[i].channel, "hook") && !strcmp(l.d[i].rid, "s04"))
			hook = &l.d[i];
	assert_non_null(hook);
	struct ntf_job j;
	memset(&j, 0, sizeof j);
	memcpy(j.id, hook->id, sizeof j.id);
	j.ch = ntf_conf_channel(&f->conf, "hook");
	j.outcome = NTF_OUT_TRANSIENT;
	snprintf(j.err, sizeof j.err, "http 500");
	struct oc o = {f, &j, hook->id, 0};
	uint64_t ev0 = s_events(f);
	/* attempt 1 and 2 fail: rescheduled within the jittered backoff */
	for (int a = 1; a <= 2; a++) {
		int64_t now = qf_now_ms(&f->clock);
		assert_int_equal(qf_store_write(f->n.store, s_outcome_txn, &o), 0);
		struct ntf_delivery d;
		s_get(f, hook->id, &d);
		assert_int_equal(d.state, NTF_ST_PENDING);
		assert_int_equal(d.attempts, a);
		int64_t full = a == 1 ? 1000 : 2000;
		assert_true(d.due >= now + full / 2 && d.due <= now + full);
		assert_string_equal(d.last_err, "http 500");
		ntf_delivery_clear(&d);
	}
	assert_int_equal(s_events(f), ev0 + 2); /* two DELIVERY_FAILED */
	/* the third is the last allowed: dead letter */
	assert_int_equal(qf_store_write(f->n.store, s_outcome_txn, &o), 0);
	struct ntf_delivery d;
	s_get(f, hook->id, &d);
	assert_int_equal(d.state, NTF_ST_DEAD);
	assert_int_equal(d.attempts, 3);
	ntf_delivery_clear(&d);
	assert_int_equal(s_events(f), ev0 + 3);
	/* a late duplicate outcome changes nothing */
	assert_int_equal(qf_store_write(f->n.store, s_outcome_txn, &o), 0);
	assert_int_equal(s_events(f), ev0 + 3);
	/* release: pending again, attempts from zero, one DELIVERY_RELEASED */
	assert_int_equal(qf_store_write(f->n.store, s_release_txn, &o), 0);
	assert_int_equal(o.rc, 0);
	s_get(f, hook->id, &d);
	assert_int_equal(d.state, NTF_ST_PENDING);
	assert_int_equal(d.attempts, 0);
	ntf_delivery_clear(&d);
	assert_int_equal(s_events(f), ev0 + 4);
	assert_int_equal(qf_store_write(f->n.store, s_release_txn, &o), 0);
	assert_int_equal(o.rc, QF_ERR_CONFLICT);
	/* success */
	j.outcome = NTF_OUT_OK;
	j.err[0] = 0;
	assert_int_equal(qf_store_write(f->n.store, s_outcome_txn, &o), 0);
	s_get(f, hook->id, &d);
	assert_int_equal(d.state, NTF_ST_DELIVERED);
	assert_int_equal(d.attempts, 1);
	ntf_delivery_clear(&d);
	assert_int_equal(s_events(f), ev0 + 5);
	s_list_free(&l);
}

/* ------------------------------------------------------------ retention */

static int s_exists_txn(struct qf_txn *t, void *arg)
{
	void **a = arg;
	struct fx *f = a[0];
	MDB_val v;
	*(int *)a[3] = qf_txn_get(t, *(MDB_dbi *)a[2], a[1], strlen(a[1]), &v) == 0;
	(void)f;
	return 0;
}

static int s_exists(struct fx *f, MDB_dbi dbi, const char *key)
{
	int yes = 0;
	void *a[4] = {f, (void *)key, &dbi, &yes};
	assert_int_equal(qf_store_read(f->n.store, s_exists_txn, a), 0);
	return yes;
}

static void t_retention(void **state)
{
	struct fx *f = *state;
	struct ev e = {.f = f};
	randombytes_buf(e.id, 16);
	s_assigned(&e, "C5", "s04", NULL);
	s_apply(&e);
	struct list l;
	s_list(f, "C5", &l);
	assert_true(l.n >= 2);
	/* one delivered, the others still pending */
	struct ntf_job j;
	memset(&j, 0, sizeof j);
	memcpy(j.id, l.d[0].id, sizeof j.id);
	j.ch = ntf_conf_channel(&f->conf, l.d[0].channel);
	j.outcome = NTF_OUT_OK;
	struct oc o = {f, &j, l.d[0].id, 0};
	assert_int_equal(qf_store_write(f->n.store, s_outcome_txn, &o), 0);
	/* the case closes */
	Qingfeng__V1__CaseTransition t = QINGFENG__V1__CASE_TRANSITION__INIT;
	t.case_id = "C5";
	t.tracking_code = "LSJ-TEST05";
	t.building = "B03";
	t.to_state = QINGFENG__V1__CASE_STATE__STATE_CLOSED;
	struct ev e2 = {.f = f};
	randombytes_buf(e2.id, 16);
	s_env(&e2, QINGFENG__V1__EVENT_TYPE__CASE_CLOSED, "B03", "C5", &t.base);
	s_apply(&e2);
	assert_true(s_exists(f, f->n.db.cases, "C5"));
	assert_true(s_exists(f, f->n.db.tracking, "LSJ-TEST05"));
	struct ntf_dispatch *d;
	assert_int_equal(ntf_dispatch_new(&d, &f->n), 0);
	ntf_dispatch_pause(d, 1); /* retention only: nothing is sent */
	/* 29 days later: nothing expired yet */
	f->clock.fake_ms += 29 * 86400000LL;
	ntf_dispatch_tick(d);
	assert_true(s_exists(f, f->n.db.cases, "C5"));
	ntf_dispatch_destroy(&d);
	/* 91 days later: the closed case (and its sealed contact) and the
	   delivered record are gone; pending deliveries stay */
	f->clock.fake_ms += 62 * 86400000LL;
	assert_int_equal(ntf_dispatch_new(&d, &f->n), 0);
	ntf_dispatch_pause(d, 1);
	ntf_dispatch_tick(d);
	ntf_dispatch_destroy(&d);
	assert_false(s_exists(f, f->n.db.cases, "C5"));
	assert_false(s_exists(f, f->n.db.tracking, "LSJ-TEST05"));
	assert_false(s_exists(f, f->n.db.deliveries, l.d[0].id));
	for (unsigned i = 1; i < l.n; i++)
		assert_true(s_exists(f, f->n.db.deliveries, l.d[i].id));
	s_list_free(&l);
	f->clock.fake_ms = 1795600800000LL;
}

/* ------------------------------------------------------------ privacy */

static void s_urgent(struct ev *e, const char *id, int consent)
{
	Qingfeng__V1__PetitionSubmitted p = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	p.case_id = (char *)id;
	p.tracking_code = "LSJ-URGENT";
	p.category = "safety_hazard";
	p.building = "B03";
	p.address = "3栋2单元五〇一室";
	p.description = "楼道里有煤气味";
	p.consent_public = consent;
	p.name_masked = "赵**";
	p.submitted_ms = 1795600800000LL;
	randombytes_buf(e->id, 16);
	s_env(e, QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED, "B03", id, &p.base);
}

static const struct ntf_delivery *s_find(const struct list *l, int to)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->d[i].to == to)
			return &l->d[i];
	return NULL;
}

/* An urgent alert: the building head reads the whole petition; the robot
 * group (a public surface) reads its public part: without consent the
 * building, never the room, and no words or name. */
static void t_public_surfaces_read_the_public_part(void **state)
{
	struct fx *f = *state;
	const char *ids[] = {"U1", "U2", "U3"};
	for (int i = 0; i < 3; i++) {
		struct ev e = {.f = f};
		s_urgent(&e, ids[i], i == 2);
		if (i == 1)
			s_apply(&e); /* an envelope carrying everything: filtered here */
		else
			s_apply_split(&e, i == 2, 0);
		struct list l;
		s_list(f, ids[i], &l);
		assert_int_equal(l.n, 2);
		const struct ntf_delivery *mail = s_find(&l, NTF_TO_STAFF);
		const struct ntf_delivery *group = s_find(&l, NTF_TO_GROUP);
		assert_non_null(mail);
		assert_non_null(group);
		assert_string_equal(mail->rid, "s04");
		if (i < 2) {
			/* no consent: the head still sees where, the group only
			   the building */
			assert_string_equal(mail->text, "3栋2单元五〇一室|安全隐患|赵**");
			assert_string_equal(group->text, "3栋|安全隐患|匿名");
		} else {
			/* consent: the address and the words (through the masker) */
			assert_string_equal(group->text,
					    "3栋2单元五〇一室|楼道里有煤气味|赵**");
		}
		assert_string_equal(group->subject, "紧急 3栋");
		s_list_free(&l);
	}
}

/* The case_assigned rule posts to the shared WeCom robot; never for an
 * integrity report (a sensitive category, keyed "sensitive"), whatever the
 * rules say: its staff still hear by their own channels. */
static void t_sensitive_never_reaches_a_public_surface(void **state)
{
	struct fx *f = *state;
	const char *keys[] = {"sensitive", "B03"};
	const char *ids[] = {"R1", "R2"};
	for (int i = 0; i < 2; i++) {
		Qingfeng__V1__CaseTransition t = QINGFENG__V1__CASE_TRANSITION__INIT;
		t.case_id = (char *)ids[i];
		t.tracking_code = "LSJ-REPORT";
		t.assignee = "s02";
		t.category = "integrity_report";
		t.to_state = QINGFENG__V1__CASE_STATE__STATE_ASSIGNED;
		struct ev e = {.f = f};
		randombytes_buf(e.id, 16);
		s_env(&e, QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED, keys[i], ids[i],
		      &t.base);
		s_apply_split(&e, 0, 1);
		struct list l;
		s_list(f, ids[i], &l);
		assert_int_equal(l.n, 1); /* the supervisor's hook */
		assert_int_equal(l.d[0].to, NTF_TO_STAFF);
		assert_null(s_find(&l, NTF_TO_GROUP));
		s_list_free(&l);
	}
	/* an ordinary case is still posted to the group */
	struct ev e = {.f = f};
	randombytes_buf(e.id, 16);
	s_assigned(&e, "R3", "s04", NULL);
	s_apply(&e);
	struct list l;
	s_list(f, "R3", &l);
	assert_non_null(s_find(&l, NTF_TO_GROUP));
	s_list_free(&l);
}

/* Does the store's file hold the needle anywhere (free pages included)? */
static int s_in_file(struct fx *f, const char *needle)
{
	char path[600];
	snprintf(path, sizeof path, "%s/data/data.mdb", f->dir);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	int found = memmem(buf, (size_t)n, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static int s_follow_txn(struct qf_txn *t, void *arg)
{
	struct fx *f = arg;
	struct ntf_sub s;
	memset(&s, 0, sizeof s);
	s.id = "F0123456789abcdef01234567";
	s.target = "case:C10";
	s.masked = "q***@example.cn";
	s.fmt = NTF_FMT_EMAIL;
	s.state = NTF_SUB_ACTIVE;
	s.addr = (uint8_t *)"sealed-to-us";
	s.addr_len = 12;
	int rc = ntf_sub_put(t, &f->n.db, &s);
	return rc ? rc : ntf_sub_target_put(t, &f->n.db, s.target, s.id);
}

struct sub_get {
	struct fx *f;
	int rc;
	unsigned n;
};

static int s_count_cb(void *arg, const char *id)
{
	(void)id;
	((struct sub_get *)arg)->n++;
	return 0;
}

static int s_sub_get_txn(struct qf_txn *t, void *arg)
{
	struct sub_get *g = arg;
	struct ntf_sub s;
	g->rc = ntf_sub_get(t, &g->f->n.db, "F0123456789abcdef01234567", &s);
	if (!g->rc)
		ntf_sub_clear(&s);
	g->n = 0;
	return ntf_sub_target_each(t, &g->f->n.db, "case:C10", s_count_cb, g) < 0;
}

static void t_private_expired_forgets_texts_and_contact(void **state)
{
	struct fx *f = *state;
	const char *plant = "QFPLANTk7x2q9";
	Qingfeng__V1__PetitionSubmitted p = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	Qingfeng__V1__SealedContact sc = QINGFENG__V1__SEALED_CONTACT__INIT,
				    *scs[] = {&sc};
	uint8_t box[200];
	const char *contact = "{\"email\":\"qian@example.cn\"}";
	crypto_box_seal(box, (const uint8_t *)contact, strlen(contact), f->n.keys.pk);
	sc.recipient = "notifier";
	sc.sealed.data = box;
	sc.sealed.len = strlen(contact) + crypto_box_SEALBYTES;
	char words[64];
	snprintf(words, sizeof words, "门口积水 %s", plant);
	p.case_id = "C10";
	p.tracking_code = "LSJ-TEST10";
	p.category = "facility_repair";
	p.building = "B03";
	p.description = words;
	p.consent_public = 1;
	p.name_masked = "钱**";
	p.phone_masked = "139****0000";
	p.submitted_ms = 1795600800000LL;
	p.n_contact = 1;
	p.contact = scs;
	struct ev e = {.f = f};
	randombytes_buf(e.id, 16);
	s_env(&e, QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED, "B03", "C10", &p.base);
	s_apply_split(&e, 1, 0);
	struct ev a = {.f = f};
	randombytes_buf(a.id, 16);
	s_assigned(&a, "C10", "s04", NULL);
	s_apply(&a);
	assert_int_equal(qf_store_write(f->n.store, s_follow_txn, f), 0);
	struct list l;
	s_list(f, "C10", &l);
	assert_true(l.n >= 3);
	const struct ntf_delivery *pet = s_find(&l, NTF_TO_PETITIONER);
	assert_non_null(pet);
	assert_non_null(strstr(pet->text, plant)); /* readable while retained */
	char pet_id[NTF_ID_LEN + 1];
	memcpy(pet_id, pet->id, sizeof pet_id);
	unsigned before = l.n;
	s_list_free(&l);
	assert_false(s_in_file(f, plant)); /* sealed at rest */
	assert_false(s_in_file(f, "139****0000"));
	/* the router says the retention has passed */
	Qingfeng__V1__PrivateExpired x = QINGFENG__V1__PRIVATE_EXPIRED__INIT;
	x.subject = "C10";
	x.case_id = "C10";
	x.final_ms = 1795600800000LL;
	x.retention_days = 1095;
	x.at_ms = 1795600800000LL + 1095 * 86400000LL;
	struct ev ex = {.f = f};
	randombytes_buf(ex.id, 16);
	s_env(&ex, QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED, "B03", "C10", &x.base);
	s_apply(&ex);
	/* the texts and the contact cannot be read any more */
	struct ntf_delivery d;
	s_get(f, pet_id, &d);
	assert_true(d.expired);
	assert_null(d.text);
	assert_null(d.subject);
	json_t *j = ntf_delivery_json(&d);
	assert_true(json_is_true(json_object_get(j, "private_expired")));
	json_decref(j);
	ntf_delivery_clear(&d);
	struct ntf_case c;
	void *ca[3] = {f, "C10", &c};
	assert_int_equal(qf_store_read(f->n.store, s_case_txn, ca), 0);
	assert_true(c.expired);
	assert_null(c.sealed);
	assert_null(c.phone_masked);
	assert_string_equal(c.tracking_code, "LSJ-TEST01"); /* public: kept */
	ntf_case_clear(&c);
	/* the case's follows ended with it */
	struct sub_get g = {f, 0, 0};
	assert_int_equal(qf_store_read(f->n.store, s_sub_get_txn, &g), 0);
	assert_int_equal(g.rc, QF_ERR_NOTFOUND);
	assert_int_equal(g.n, 0);
	/* nothing new is planned for the case */
	struct ev a2 = {.f = f};
	randombytes_buf(a2.id, 16);
	s_assigned(&a2, "C10", "s04", NULL);
	s_apply(&a2);
	s_list(f, "C10", &l);
	assert_int_equal(l.n, before);
	s_list_free(&l);
	/* an attempt's outcome on a forgotten delivery is still recorded (its
	   error is not kept: it could quote the contact) */
	struct ntf_job job;
	memset(&job, 0, sizeof job);
	memcpy(job.id, pet_id, sizeof job.id);
	job.ch = ntf_conf_channel(&f->conf, "mail");
	job.outcome = NTF_OUT_PERMANENT;
	snprintf(job.err, sizeof job.err, "private_expired: qian@example.cn");
	struct oc o = {f, &job, pet_id, 0};
	assert_int_equal(qf_store_write(f->n.store, s_outcome_txn, &o), 0);
	s_get(f, pet_id, &d);
	assert_int_equal(d.state, NTF_ST_DEAD);
	assert_null(d.last_err);
	ntf_delivery_clear(&d);
	assert_false(s_in_file(f, plant));
	assert_false(s_in_file(f, "qian@example.cn"));
}

/* ------------------------------------------------------------ pieces */

static void t_quiet_and_backoff(void **state)
{
	struct fx *f = *state;
	const int64_t six_pm = 1795600800000LL; /* 18:00 China */
	assert_int_equal(ntf_quiet_until(&f->conf, 480, six_pm), six_pm);
	/* 23:30 -> 07:00 next day; 06:59 -> 07:00 */
	assert_int_equal(ntf_quiet_until(&f->conf, 480, six_pm + 330 * 60000LL),
			 six_pm + 13 * 3600000LL);
	assert_int_equal(ntf_quiet_until(&f->conf, 480, six_pm + 779 * 60000LL),
			 six_pm + 13 * 3600000LL);
	assert_int_equal(ntf_quiet_until(&f->conf, 480, six_pm + 13 * 3600000LL),
			 six_pm + 13 * 3600000LL);
	f->conf.quiet_enabled = 0;
	assert_int_equal(ntf_quiet_until(&f->conf, 480, six_pm + 330 * 60000LL),
			 six_pm + 330 * 60000LL);
	f->conf.quiet_enabled = 1;
	for (int a = 1; a < 40; a++) {
		int64_t b = ntf_backoff_ms(1000, 60000, a);
		int64_t full = 1000LL << (a - 1 < 20 ? a - 1 : 20);
		if (full > 60000)
			full = 60000;
		assert_true(b >= full / 2 && b <= full);
	}
}

static void t_records(void **state)
{
	(void)state;
	struct ntf_delivery d, back;
	memset(&d, 0, sizeof d);
	memcpy(d.id, "0123456789abcdef0123456789abcdef", 33);
	d.state = NTF_ST_DEAD;
	d.to = NTF_TO_GROUP;
	d.fmt = NTF_FMT_DINGTALK;
	d.channel = "ding";
	d.rk = "robot";
	d.rid = "ding";
	d.subject = "超时";
	d.text = "文本\n\"引号\"";
	char *m[] = {"s01", "s02"};
	d.mentions = m;
	d.nmentions = 2;
	d.attempts = 7;
	d.due = 123;
	d.has_event_id = 1;
	memset(d.event_id, 0xab, 16);
	size_t len;
	char *s = ntf_delivery_encode(&d, &len);
	assert_non_null(s);
	assert_int_equal(ntf_delivery_decode(s, len, &back), 0);
	assert_string_equal(back.text, d.text);
	assert_int_equal(back.nmentions, 2);
	assert_string_equal(back.mentions[1], "s02");
	assert_int_equal(back.attempts, 7);
	assert_int_equal(back.state, NTF_ST_DEAD);
	assert_memory_equal(back.event_id, d.event_id, 16);
	ntf_delivery_clear(&back);
	free(s);
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"id\":\"x\"}",
	    "{\"id\":1}",
	    "{\"id\":\"0123456789abcdef0123456789abcdef\",\"st\":\"lost\","
	    "\"to\":\"staff\",\"fmt\":\"sms\",\"channel\":\"c\",\"rk\":\"a\"}",
	    "{\"id\":\"0123456789abcdef0123456789abcdef\",\"st\":\"dead\","
	    "\"to\":\"staff\",\"fmt\":\"sms\",\"channel\":\"c\",\"rk\":\"a\","
	    "\"att\":\"2\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(ntf_delivery_decode(bad[i], strlen(bad[i]), &back),
				 QF_ERR_PROTO);
	/* ids: stable, and different for each part */
	char a[33], b[33], c[33], e[33];
	ntf_delivery_id((const uint8_t *)"0123456789abcdef", 16, "staff:s04", "mail", a);
	ntf_delivery_id((const uint8_t *)"0123456789abcdef", 16, "staff:s04", "mail", b);
	ntf_delivery_id((const uint8_t *)"0123456789abcdef", 16, "staff:s04", "hook", c);
	ntf_delivery_id((const uint8_t *)"0123456789abcdeF", 16, "staff:s04", "mail", e);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, e);
	/* schedule keys sort by channel, then due time */
	uint8_t k1[128], k2[128];
	size_t l1 = ntf_due_key(k1, sizeof k1, "mail", 5, a);
	size_t l2 = ntf_due_key(k2, sizeof k2, "mail", 300, b);
	assert_true(l1 == l2 && memcmp(k1, k2, l1) < 0);
}

/* A rule's `by`: the petitioner is not told of their own supplement (a
 * CASE_PROGRESS whose actor is the petitioner), the handler is. */
static void t_rule_by(void **state)
{
	(void)state;
	struct ntf_rule r;
	memset(&r, 0, sizeof r);
	r.event = QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS;
	r.breached = -1;
	r.behind = -1;
	struct ntf_facts f;
	memset(&f, 0, sizeof f);
	f.type = QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS;
	assert_true(ntf_rule_matches(&r, &f)); /* by unset: any */
	r.by = 2;			       /* staff */
	assert_true(ntf_rule_matches(&r, &f));
	f.by_petitioner = 1;
	assert_false(ntf_rule_matches(&r, &f));
	r.by = 1; /* petitioner */
	assert_true(ntf_rule_matches(&r, &f));
	f.by_petitioner = 0;
	assert_false(ntf_rule_matches(&r, &f));
}

int main(void)
{
	if (sodium_init() < 0 || qf_id_init())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_records),
	    cmocka_unit_test(t_rule_by),
	    cmocka_unit_test_setup_teardown(
		t_assigned_plans_each_recipient_and_channel_once, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(t_subject_of_a_report_is_never_told, s_setup,
					    s_teardown),
	    cmocka_unit_test_setup_teardown(
		t_petition_keeps_the_sealed_contact_and_respects_quiet_hours, s_setup,
		s_teardown),
	    cmocka_unit_test_setup_teardown(t_retries_dead_letters_and_release, s_setup,
					    s_teardown),
	    cmocka_unit_test_setup_teardown(t_quiet_and_backoff, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(t_retention, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(t_public_surfaces_read_the_public_part,
					    s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(t_sensitive_never_reaches_a_public_surface,
					    s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(t_private_expired_forgets_texts_and_contact,
					    s_setup, s_teardown),
	};
	return cmocka_run_group_tests_name("notifier pipeline", tests, NULL, NULL);
}
