/* private_test.c: private parts in the audit service (services/audit/
 * private.c) on a real store: an event's private part is kept sealed
 * beside its leaf (never in clear in the store file) and opens back to the
 * exact PrivatePart; PRIVATE_EXPIRED forgets the subject's key and drops the
 * case's sealed copies while the tree and its roots stay as they were; the
 * subjects of events without a case; the access policy; alerts are stored
 * as their public part; a store of the previous log format refuses to
 * start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"
#include "audit.h"
#include "qf_community.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_vault.h"

#define SECRET "葛春兰家楼下的下水道口每晚冒出异味-unique-7f3a9c"

struct fx {
	char *dir;
	void *zctx;
	struct qf_clock clock;
	struct audit_conf conf;
	struct audit a;
	uint64_t seq;
	const char *producer; /* of the next events (NULL: by type) */
};

static int fx_open(struct fx *f)
{
	memset(&f->a, 0, sizeof f->a);
	f->a.conf = &f->conf;
	f->a.clock = &f->clock;
	struct qf_store_opts so = {.path = f->dir, .no_sync = 1};
	if (qf_store_open(&f->a.store, &so, NULL, 0))
		return -1;
	static unsigned n;
	char pub[64], replay[64];
	snprintf(pub, sizeof pub, "inproc://priv-test-pub-%u", ++n);
	snprintf(replay, sizeof replay, "inproc://priv-test-replay-%u", n);
	struct qf_bus_producer_opts po = {
	    .name = "audit", .pub_endpoint = pub, .replay_endpoint = replay};
	if (qf_bus_producer_new(&f->a.prod, f->zctx, f->a.store, &f->clock, &po, NULL, 0))
		return -1;
	if (audit_ingest_open(&f->a) || audit_rules_open(&f->a) ||
	    audit_private_open(&f->a) || audit_keys_load(&f->a))
		return -1;
	return audit_ckpt_open(&f->a);
}

static void fx_close(struct fx *f)
{
	qf_bus_producer_destroy(&f->a.prod);
	qf_merkle_log_destroy(&f->a.log);
	audit_rules_close(&f->a);
	audit_private_close(&f->a);
	free(f->a.vkey);
	qf_store_destroy(&f->a.store);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tu_tmpdir("priv");
	f->zctx = zmq_ctx_new();
	qf_id_init();
	qf_clock_init_fake(&f->clock, 1790000000000LL);
	f->conf.origin = "";
	f->conf.key_file = "";
	f->conf.tokens_file = "";
	f->conf.every_entries = 1000;
	f->conf.every_seconds = 3600;
	f->conf.max_transfers = 3;
	f->conf.view_max_wait_s = 60;
	f->conf.view_roles = "";
	f->conf.svc.data_dir = f->dir;
	assert_int_equal(fx_open(f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	zmq_ctx_term(f->zctx);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* One event as a producer sends it: envelope (public part, commitment) and
 * the PrivatePart, the way qf_bus builds them. */
struct ev {
	uint8_t env[4096], part[4096], nonce[32];
	size_t env_len, part_len;
	uint8_t whole[2048];
	size_t whole_len;
	Qingfeng__V1__Envelope *decoded;
};

static void make_event(struct fx *f, struct ev *e, int type, const char *case_id,
		       const uint8_t *pub, size_t pub_len, const uint8_t *whole,
		       size_t whole_len)
{
	Qingfeng__V1__Envelope env = QINGFENG__V1__ENVELOPE__INIT;
	uint8_t id[16], c[32];
	randombytes_buf(id, sizeof id);
	env.schema_version = 1;
	/* retention is the router's */
	env.producer = f->producer ? (char *)f->producer
		       : type == QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED ? "router"
									   : "intake";
	env.epoch = 9;
	env.seq = ++f->seq;
	env.event_id.data = id;
	env.event_id.len = 16;
	env.case_id = (char *)case_id;
	env.type = type;
	env.payload.data = (uint8_t *)pub;
	env.payload.len = pub_len;
	env.time_ms = 1790000000000LL;
	e->part_len = 0;
	if (whole) {
		randombytes_buf(e->nonce, 32);
		qf_bus_commitment(e->nonce, whole, whole_len, c);
		env.private_commitment.data = c;
		env.private_commitment.len = 32;
		Qingfeng__V1__PrivatePart pp = QINGFENG__V1__PRIVATE_PART__INIT;
		pp.nonce.data = e->nonce;
		pp.nonce.len = 32;
		pp.payload.data = (uint8_t *)whole;
		pp.payload.len = whole_len;
		e->part_len = qingfeng__v1__private_part__pack(&pp, e->part);
		memcpy(e->whole, whole, whole_len);
		e->whole_len = whole_len;
	}
	e->env_len = qingfeng__v1__envelope__pack(&env, e->env);
	e->decoded = qf_bus_decode(e->env, e->env_len);
	assert_non_null(e->decoded);
}

struct apply {
	struct fx *f;
	struct ev *e;
};

static int s_apply(struct qf_txn *t, void *arg)
{
	struct apply *ap = arg;
	struct ev *e = ap->e;
	struct qf_bus_msg m = {e->decoded, e->env, e->env_len};
	if (e->part_len) {
		m.priv = e->whole;
		m.priv_len = e->whole_len;
		m.nonce = e->nonce;
		m.private_part = e->part;
		m.private_part_len = e->part_len;
	}
	return audit_apply(&ap->f->a, t, &m);
}

static void apply(struct fx *f, struct ev *e)
{
	struct apply ap = {f, e};
	assert_int_equal(qf_store_write(f->a.store, s_apply, &ap), 0);
	qingfeng__v1__envelope__free_unpacked(e->decoded, NULL);
	e->decoded = NULL;
}

/* A petition: whole with the secret text, public without it. */
static void petition(struct fx *f, struct ev *e, const char *case_id,
		     const char *concerns, const char *party)
{
	Qingfeng__V1__PetitionSubmitted p = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	p.case_id = (char *)case_id;
	p.category = "facility_repair";
	uint8_t pub[512], whole[1024];
	size_t pn = qingfeng__v1__petition_submitted__pack(&p, pub);
	p.text = SECRET;
	p.description = SECRET;
	p.concerns_staff = (char *)(concerns ? concerns : "");
	char *parties[1] = {(char *)party};
	p.n_parties = party ? 1 : 0;
	p.parties = parties;
	size_t wn = qingfeng__v1__petition_submitted__pack(&p, whole);
	make_event(f, e, QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED, case_id, pub, pn,
		   whole, wn);
}

struct peek {
	struct fx *f;
	uint64_t leaf;
	int rc;
	uint8_t *plain;
	size_t len;
	int forgotten;
	struct qf_case_facts people;
	const char *case_id;
};

static int s_peek(struct qf_txn *t, void *arg)
{
	struct peek *p = arg;
	uint8_t k[8];
	qf_be64_put(k, p->leaf);
	MDB_val v;
	p->plain = NULL;
	p->rc = qf_txn_get(t, p->f->a.privates, k, 8, &v);
	if (p->rc == QF_OK)
		p->rc = qf_vault_unseal(p->f->a.vault, t, v.mv_data, v.mv_size, k, 8,
					&p->plain, &p->len);
	p->forgotten = qf_vault_forgotten(p->f->a.vault, t, p->case_id);
	return audit_case_facts(&p->f->a, t, p->case_id, &p->people);
}

static int s_root(struct qf_txn *t, void *arg)
{
	void **a = arg;
	struct fx *f = a[0];
	return qf_merkle_log_root(f->a.log, t, *(uint64_t *)a[1], a[2]);
}

static void root_of(struct fx *f, uint64_t size, uint8_t out[32])
{
	void *a[3] = {f, &size, out};
	assert_int_equal(qf_store_read(f->a.store, s_root, a), 0);
}

/* The store file holds no byte string `s`. */
static int file_has(const char *dir, const char *s)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/data.mdb", dir);
	FILE *fp = fopen(p, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	int found = memmem(buf, (size_t)n, s, strlen(s)) != NULL;
	free(buf);
	return found;
}

static void test_kept_sealed_then_forgotten(void **state)
{
	struct fx *f = *state;
	struct ev e;
	petition(f, &e, "C-FANG-1", "s04", "s07");
	apply(f, &e);
	/* what was kept opens to the PrivatePart exactly */
	struct peek p = {f, 0, 0, NULL, 0, 0, {{0}}, "C-FANG-1"};
	assert_int_equal(qf_store_read(f->a.store, s_peek, &p), 0);
	assert_int_equal(p.rc, QF_OK);
	assert_int_equal(p.len, e.part_len);
	assert_memory_equal(p.plain, e.part, e.part_len);
	free(p.plain);
	assert_string_equal(p.people.concerns, "s04");
	assert_int_equal(p.people.nparties, 1);
	assert_string_equal(p.people.parties[0], "s07");
	assert_false(p.forgotten);
	/* never in clear in the file */
	assert_false(file_has(f->dir, "-unique-7f3a9c"));

	/* a second event of the case, then its retention */
	struct ev e2;
	petition(f, &e2, "C-FANG-1", NULL, NULL);
	apply(f, &e2);
	uint8_t before[32];
	root_of(f, 2, before);
	Qingfeng__V1__PrivateExpired pe = QINGFENG__V1__PRIVATE_EXPIRED__INIT;
	pe.subject = "C-FANG-1";
	pe.case_id = "C-FANG-1";
	pe.retention_days = 365;
	uint8_t pb[256];
	size_t pn = qingfeng__v1__private_expired__pack(&pe, pb);
	struct ev x;
	make_event(f, &x, QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED, "C-FANG-1", pb, pn,
		   NULL, 0);
	apply(f, &x);
	p.leaf = 0;
	assert_int_equal(qf_store_read(f->a.store, s_peek, &p), 0);
	assert_int_equal(p.rc, QF_ERR_NOTFOUND); /* dropped, and ... */
	assert_true(p.forgotten);		 /* ... its key forgotten */
	assert_string_equal(p.people.concerns, "");
	p.leaf = 1;
	assert_int_equal(qf_store_read(f->a.store, s_peek, &p), 0);
	assert_int_equal(p.rc, QF_ERR_NOTFOUND);
	/* the tree is as it was: same root at size 2, three leaves now */
	uint8_t after[32];
	root_of(f, 2, after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(qf_merkle_log_committed(f->a.log), 3);
	/* a late event of the forgotten case keeps no private part */
	struct ev e3;
	petition(f, &e3, "C-FANG-1", NULL, NULL);
	apply(f, &e3);
	p.leaf = 3;
	assert_int_equal(qf_store_read(f->a.store, s_peek, &p), 0);
	assert_int_equal(p.rc, QF_ERR_NOTFOUND);
}

static void test_subjects(void **state)
{
	struct fx *f = *state;
	char buf[300];
	Qingfeng__V1__VisitRecorded v = QINGFENG__V1__VISIT_RECORDED__INIT;
	v.visit_id = "V123";
	v.building = "B02";
	uint8_t pb[256];
	size_t pn = qingfeng__v1__visit_recorded__pack(&v, pb);
	struct ev e;
	make_event(f, &e, QINGFENG__V1__EVENT_TYPE__VISIT_RECORDED, "", pb, pn, NULL, 0);
	assert_string_equal(audit_subject(e.decoded, buf, sizeof buf), "visit:V123");
	qingfeng__v1__envelope__free_unpacked(e.decoded, NULL);
	make_event(f, &e, QINGFENG__V1__EVENT_TYPE__DUTY_QUOTA, "", pb, 0, NULL, 0);
	assert_string_equal(audit_subject(e.decoded, buf, sizeof buf), "-");
	qingfeng__v1__envelope__free_unpacked(e.decoded, NULL);
	make_event(f, &e, QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED, "C9", pb, 0, NULL, 0);
	assert_string_equal(audit_subject(e.decoded, buf, sizeof buf), "C9");
	qingfeng__v1__envelope__free_unpacked(e.decoded, NULL);

	/* a visit's private part, forgotten by its subject */
	Qingfeng__V1__VisitRecorded w = v;
	w.findings = SECRET;
	uint8_t wb[512];
	size_t wn = qingfeng__v1__visit_recorded__pack(&w, wb);
	make_event(f, &e, QINGFENG__V1__EVENT_TYPE__VISIT_RECORDED, "", pb, pn, wb, wn);
	apply(f, &e);
	Qingfeng__V1__PrivateExpired pe = QINGFENG__V1__PRIVATE_EXPIRED__INIT;
	pe.subject = "visit:V123";
	uint8_t xb[128];
	size_t xn = qingfeng__v1__private_expired__pack(&pe, xb);
	struct ev x;
	make_event(f, &x, QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED, "", xb, xn, NULL, 0);
	apply(f, &x);
	struct peek p = {f, 0, 0, NULL, 0, 0, {{0}}, "visit:V123"};
	assert_int_equal(qf_store_read(f->a.store, s_peek, &p), 0);
	assert_int_equal(p.rc, QF_ERR_GONE); /* kept, but nobody can open it */
	assert_true(p.forgotten);
	/* "-" is never forgotten by one message */
	pe.subject = "-";
	xn = qingfeng__v1__private_expired__pack(&pe, xb);
	make_event(f, &x, QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED, "", xb, xn, NULL, 0);
	apply(f, &x);
	p.case_id = "-";
	assert_int_equal(qf_store_read(f->a.store, s_peek, &p), 0);
	assert_false(p.forgotten);
	/* only the router decides retention */
	petition(f, &e, "C-OTHER", NULL, NULL);
	apply(f, &e);
	pe.subject = "C-OTHER";
	xn = qingfeng__v1__private_expired__pack(&pe, xb);
	f->producer = "intake";
	make_event(f, &x, QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED, "", xb, xn, NULL, 0);
	f->producer = NULL;
	apply(f, &x);
	p.case_id = "C-OTHER";
	assert_int_equal(qf_store_read(f->a.store, s_peek, &p), 0);
	assert_false(p.forgotten);
}

static int s_alert(struct qf_txn *t, void *arg)
{
	struct fx *f = arg;
	return audit_alert(&f->a, t, QINGFENG__V1__ALERT_KIND__ALERT_SELF_JUDGING,
			   "C-FANG-2", "s04", NULL, 0, NULL,
			   "被举报人 s04 处理了举报其本人的案件");
}

static int s_alert_read(struct qf_txn *t, void *arg)
{
	void **a = arg;
	struct fx *f = a[0];
	uint8_t k[8];
	qf_be64_put(k, 1);
	MDB_val v;
	int rc = qf_txn_get(t, f->a.alerts, k, 8, &v);
	if (rc)
		return rc;
	*(Qingfeng__V1__AuditAlert **)a[1] =
	    qingfeng__v1__audit_alert__unpack(NULL, v.mv_size, v.mv_data);
	return QF_OK;
}

static int s_vault_producer(struct fx *f)
{
	/* the service's producer seals private parts with the store's vault */
	qf_bus_producer_destroy(&f->a.prod);
	static unsigned n;
	char pub[64], replay[64];
	snprintf(pub, sizeof pub, "inproc://priv-test-vpub-%u", ++n);
	snprintf(replay, sizeof replay, "inproc://priv-test-vreplay-%u", n);
	struct qf_bus_producer_opts po = {.name = "audit",
					  .pub_endpoint = pub,
					  .replay_endpoint = replay,
					  .vault = f->a.vault};
	return qf_bus_producer_new(&f->a.prod, f->zctx, f->a.store, &f->clock, &po, NULL,
				   0);
}

static void test_alerts_public_part(void **state)
{
	struct fx *f = *state;
	assert_int_equal(s_vault_producer(f), 0);
	struct ev e;
	petition(f, &e, "C-FANG-2", "s04", NULL); /* an integrity report */
	apply(f, &e);
	assert_int_equal(qf_store_write(f->a.store, s_alert, f), 0);
	Qingfeng__V1__AuditAlert *al = NULL;
	void *a[2] = {f, &al};
	assert_int_equal(qf_store_read(f->a.store, s_alert_read, a), 0);
	assert_non_null(al);
	assert_string_equal(al->case_id, "C-FANG-2");
	assert_string_equal(al->staff_id, ""); /* who it concerns: not public */
	assert_string_equal(al->detail, "");
	qingfeng__v1__audit_alert__free_unpacked(al, NULL);
}

static int s_old_format(struct qf_txn *t, void *arg)
{
	struct fx *f = arg;
	return qf_txn_del(t, f->a.meta, "format", 6);
}

static void test_old_format_refused(void **state)
{
	struct fx *f = *state;
	assert_int_equal(qf_store_write(f->a.store, s_old_format, f), 0);
	fx_close(f);
	assert_int_equal(fx_open(f), QF_ERR_CONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kept_sealed_then_forgotten, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_subjects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_public_part, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_old_format_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
