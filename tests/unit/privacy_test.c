/* privacy_test: the visibility table covers every field, the public part of
 * an event follows consent and sensitivity and keeps what it shows byte for
 * byte, and the vault seals, opens and forgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_event.h"
#include "qf_privacy.h"
#include "qf_store.h"
#include "qf_vault.h"
#include "testutil.h"

static void test_table_complete(void **state)
{
	(void)state;
	char err[256] = "";
	assert_int_equal(qf_privacy_check(err, sizeof err), QF_OK);
	/* every row names a field that exists, under its number */
	const ProtobufCMessageDescriptor *d;
	unsigned seen = 0;
	for (unsigned i = 0; (d = qf_event_catalogue(i, NULL)); i++)
		for (unsigned f = 0; f < d->n_fields; f++) {
			assert_int_not_equal(qf_privacy_field(d, d->fields[f].id),
					     QF_VIS_UNKNOWN);
			seen++;
		}
	assert_true(seen > 100);
	assert_int_equal(qf_privacy_field(&qingfeng__v1__petition_submitted__descriptor, 999),
			 QF_VIS_UNKNOWN);
}

/* A petition with everything personal in it. */
static uint8_t *s_petition(size_t *len, int consent, const char *concerns)
{
	Qingfeng__V1__PetitionSubmitted p = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	Qingfeng__V1__Attachment a = QINGFENG__V1__ATTACHMENT__INIT, *ap = &a;
	a.sha256 = "ab12";
	a.content_type = "image/jpeg";
	p.case_id = "C1";
	p.tracking_code = "LSJ-ABCD";
	p.category = "sanitation";
	p.building = "B05";
	p.address = "5栋2单元402室 王秀兰家";
	p.description = "楼道堆满杂物，电话13812345678";
	p.text = "楼道堆满杂物，电话13812345678";
	p.consent_public = consent;
	p.has_location = 1;
	p.lat = 39.9;
	p.lng = 116.4;
	p.name_masked = "王**";
	p.phone_masked = "138****5678";
	static uint8_t pseud[32] = {1, 2, 3};
	p.petitioner_pseudonym.data = pseud;
	p.petitioner_pseudonym.len = 32;
	p.n_media = 1;
	p.media = &ap;
	p.concerns_staff = (char *)concerns;
	*len = protobuf_c_message_get_packed_size(&p.base);
	uint8_t *b = malloc(*len);
	protobuf_c_message_pack(&p.base, b);
	return b;
}

static Qingfeng__V1__PetitionSubmitted *s_public(const uint8_t *full, size_t len,
						  const struct qf_privacy *c, int *differs)
{
	uint8_t *pub;
	size_t pl;
	assert_int_equal(qf_privacy_public(&qingfeng__v1__petition_submitted__descriptor,
					   full, len, c, &pub, &pl, differs),
			 QF_OK);
	Qingfeng__V1__PetitionSubmitted *p =
		qingfeng__v1__petition_submitted__unpack(NULL, pl, pub);
	free(pub);
	assert_non_null(p);
	return p;
}

static void test_public_part(void **state)
{
	(void)state;
	size_t len;
	int differs;
	/* no consent: no text, no address, no place, no photo, no identity */
	uint8_t *full = s_petition(&len, 0, "");
	struct qf_privacy none = {0, 0, NULL};
	Qingfeng__V1__PetitionSubmitted *p = s_public(full, len, &none, &differs);
	assert_true(differs);
	assert_string_equal(p->case_id, "C1");
	assert_string_equal(p->category, "sanitation");
	assert_string_equal(p->building, "B05");
	assert_string_equal(p->address, "");
	assert_string_equal(p->description, "");
	assert_string_equal(p->text, "");
	assert_string_equal(p->name_masked, "");
	assert_string_equal(p->phone_masked, "");
	assert_int_equal(p->petitioner_pseudonym.len, 0);
	assert_int_equal(p->n_media, 0);
	assert_false(p->has_location);
	assert_true(p->lat == 0 && p->lng == 0);
	qingfeng__v1__petition_submitted__free_unpacked(p, NULL);
	free(full);

	/* consent: the text goes out, masked; the phone and pseudonym never */
	full = s_petition(&len, 1, "");
	struct qf_privacy yes = {1, 0, NULL};
	p = s_public(full, len, &yes, &differs);
	assert_non_null(strstr(p->description, "楼道堆满杂物"));
	assert_null(strstr(p->description, "12345678"));
	assert_string_equal(p->text, "");
	assert_string_equal(p->phone_masked, "");
	assert_int_equal(p->petitioner_pseudonym.len, 0);
	assert_int_equal(p->n_media, 1);
	assert_string_equal(p->media[0]->sha256, "ab12");
	assert_true(p->lat == 39.9);
	qingfeng__v1__petition_submitted__free_unpacked(p, NULL);

	/* sensitive (an integrity report): consent does not matter, and
	   nothing places it */
	struct qf_privacy sens = {1, 1, NULL};
	p = s_public(full, len, &sens, &differs);
	assert_string_equal(p->description, "");
	assert_string_equal(p->building, "");
	assert_string_equal(p->concerns_staff, "");
	assert_int_equal(p->n_media, 0);
	qingfeng__v1__petition_submitted__free_unpacked(p, NULL);
	/* the NULL context is the strictest */
	p = s_public(full, len, NULL, &differs);
	assert_string_equal(p->building, "");
	assert_string_equal(p->description, "");
	qingfeng__v1__petition_submitted__free_unpacked(p, NULL);
	free(full);
	assert_string_equal(qf_privacy_partition_key("B05", 1), "sensitive");
	assert_string_equal(qf_privacy_partition_key("B05", 0), "B05");
}

static void test_all_public_unchanged(void **state)
{
	(void)state;
	Qingfeng__V1__DutyQuota q = QINGFENG__V1__DUTY_QUOTA__INIT;
	q.staff_id = "s02";
	q.duty = "household_visits";
	q.done = 3;
	size_t len = protobuf_c_message_get_packed_size(&q.base);
	uint8_t buf[256], *pub;
	size_t pl;
	int differs = 1;
	protobuf_c_message_pack(&q.base, buf);
	assert_int_equal(qf_privacy_public(&qingfeng__v1__duty_quota__descriptor, buf, len,
					   NULL, &pub, &pl, &differs),
			 QF_OK);
	assert_false(differs);
	assert_int_equal(pl, len);
	assert_memory_equal(pub, buf, len);
	free(pub);
}

static void test_malformed_refused(void **state)
{
	(void)state;
	static const uint8_t bad[][4] = {{0x0a, 0x05, 'a'}, {0x0b}, {0x08, 0x80}, {0x00}};
	static const size_t lens[] = {3, 1, 2, 1};
	for (unsigned i = 0; i < 4; i++) {
		uint8_t *pub = NULL;
		size_t pl;
		int d;
		assert_int_equal(qf_privacy_public(&qingfeng__v1__petition_submitted__descriptor,
						   bad[i], lens[i], NULL, &pub, &pl, &d),
				 QF_ERR_PROTO);
		assert_null(pub);
	}
}

struct vctx {
	struct qf_vault *v;
	uint8_t *box;
	size_t blen;
	int rc;
};

static int s_seal(struct qf_txn *t, void *arg)
{
	struct vctx *c = arg;
	c->rc = qf_vault_seal(c->v, t, "C1", "ad", 2, "秘密 13812345678", 20, &c->box,
			      &c->blen);
	return QF_OK;
}

static int s_open(struct qf_txn *t, void *arg)
{
	struct vctx *c = arg;
	uint8_t *m = NULL;
	size_t ml = 0;
	c->rc = qf_vault_unseal(c->v, t, c->box, c->blen, "ad", 2, &m, &ml);
	if (c->rc == QF_OK) {
		assert_int_equal(ml, 20);
		assert_memory_equal(m, "秘密 13812345678", 20);
		free(m);
	}
	return QF_OK;
}

static int s_open_wrong_ad(struct qf_txn *t, void *arg)
{
	struct vctx *c = arg;
	uint8_t *m = NULL;
	size_t ml;
	c->rc = qf_vault_unseal(c->v, t, c->box, c->blen, "AD", 2, &m, &ml);
	return QF_OK;
}

static int s_forget(struct qf_txn *t, void *arg)
{
	struct vctx *c = arg;
	return qf_vault_forget(c->v, t, "C1");
}

static void test_vault(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("qf-unit-vault");
	struct qf_store_opts so = {.path = dir, .no_sync = 1};
	struct qf_store *s = NULL;
	assert_int_equal(qf_store_open(&s, &so, NULL, 0), QF_OK);
	struct vctx c = {0};
	assert_int_equal(qf_vault_open(&c.v, s), QF_OK);
	assert_int_equal(qf_store_write(s, s_seal, &c), QF_OK);
	assert_int_equal(c.rc, QF_OK);
	assert_null(memmem(c.box, c.blen, "13812345678", 11)); /* sealed */
	size_t sn;
	const char *subj = qf_vault_box_subject(c.box, c.blen, &sn);
	assert_int_equal(sn, 2);
	assert_memory_equal(subj, "C1", 2);
	assert_int_equal(qf_store_read(s, s_open, &c), QF_OK);
	assert_int_equal(c.rc, QF_OK);
	assert_int_equal(qf_store_read(s, s_open_wrong_ad, &c), QF_OK);
	assert_int_equal(c.rc, QF_ERR_CRYPTO);
	c.box[c.blen - 1] ^= 1;
	assert_int_equal(qf_store_read(s, s_open, &c), QF_OK);
	assert_int_equal(c.rc, QF_ERR_CRYPTO);
	c.box[c.blen - 1] ^= 1;
	/* forgotten: gone for good, and nothing new is sealed for it */
	assert_int_equal(qf_store_write(s, s_forget, &c), QF_OK);
	assert_int_equal(qf_store_read(s, s_open, &c), QF_OK);
	assert_int_equal(c.rc, QF_ERR_GONE);
	free(c.box);
	c.box = NULL;
	assert_int_equal(qf_store_write(s, s_seal, &c), QF_OK);
	assert_int_equal(c.rc, QF_ERR_GONE);
	assert_null(c.box);
	qf_vault_destroy(&c.v);
	qf_vault_destroy(&c.v); /* safe twice */
	qf_store_destroy(&s);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_complete),
	    cmocka_unit_test(test_public_part),
	    cmocka_unit_test(test_all_public_unchanged),
	    cmocka_unit_test(test_malformed_refused),
	    cmocka_unit_test(test_vault),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
