/* bus_private_test: private parts on the backbone. A consumer receives each
 * private part beside its envelope, live and by replay, with the commitment
 * checked; a public_only consumer never does; the outbox keeps the private
 * part only sealed (no plaintext in the store file) and, once retention
 * forgets the subject, replay carries the public part alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_vault.h"
#include "testutil.h"

#define N 40
#define SECRET "秘密13912345678"

struct app {
	unsigned count, with_priv, bad;
	int public_only;
};

static int app_apply(void *a, struct qf_txn *t, const struct qf_bus_msg *m)
{
	(void)t;
	struct app *app = a;
	app->count++;
	if (!m->priv)
		return QF_OK;
	app->with_priv++;
	uint8_t h[32];
	qf_bus_commitment(m->nonce, m->priv, m->priv_len, h);
	if (m->env->private_commitment.len != 32 ||
	    memcmp(h, m->env->private_commitment.data, 32) ||
	    !memmem(m->priv, m->priv_len, SECRET, strlen(SECRET)) ||
	    memmem(m->env->payload.data, m->env->payload.len, SECRET, strlen(SECRET)))
		app->bad++;
	return QF_OK;
}

struct fx {
	void *z;
	struct qf_clock clock;
	char *pdir, *cdir;
	struct qf_store *ps, *cs;
	struct qf_vault *vault;
	struct qf_bus_producer *p;
	struct qf_bus_consumer *c;
	struct app app;
	char pub[96], rep[96];
};

static void open_consumer(struct fx *f, int public_only)
{
	if (f->cdir)
		tu_rmdir(f->cdir);
	f->cdir = tu_tmpdir("busprivc");
	struct qf_store_opts so = {.path = f->cdir, .no_sync = 1};
	assert_int_equal(qf_store_open(&f->cs, &so, NULL, 0), QF_OK);
	struct qf_bus_source src = {f->pub, f->rep, NULL};
	memset(&f->app, 0, sizeof f->app);
	struct qf_bus_consumer_opts co = {.name = "cons", .sources = &src, .nsources = 1,
					  .public_only = public_only, .apply = app_apply,
					  .app = &f->app};
	assert_int_equal(qf_bus_consumer_new(&f->c, f->z, f->cs, &f->clock, &co, NULL, 0),
			 QF_OK);
}

static void close_consumer(struct fx *f)
{
	qf_bus_consumer_destroy(&f->c);
	qf_store_destroy(&f->cs);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	qf_id_init();
	f->z = zmq_ctx_new();
	qf_clock_init_real(&f->clock);
	f->pdir = tu_tmpdir("busprivp");
	snprintf(f->pub, sizeof f->pub, "ipc://%s/pub", f->pdir);
	snprintf(f->rep, sizeof f->rep, "ipc://%s/rep", f->pdir);
	struct qf_store_opts so = {.path = f->pdir, .no_sync = 1};
	if (qf_store_open(&f->ps, &so, NULL, 0) || qf_vault_open(&f->vault, f->ps))
		return -1;
	struct qf_bus_producer_opts po = {.name = "prod", .partitions = 4,
					  .pub_endpoint = f->pub, .replay_endpoint = f->rep,
					  .heartbeat_ms = 50, .vault = f->vault};
	if (qf_bus_producer_new(&f->p, f->z, f->ps, &f->clock, &po, NULL, 0))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close_consumer(f);
	qf_bus_producer_destroy(&f->p);
	qf_vault_destroy(&f->vault);
	qf_store_destroy(&f->ps);
	zmq_ctx_term(f->z);
	tu_rmdir(f->pdir);
	tu_rmdir(f->cdir);
	free(f);
	return 0;
}

/* Even events have a private part (subject "C<i%4>"), odd ones none. */
static int emit_fn(struct qf_txn *t, void *arg)
{
	struct fx *f = arg;
	for (int i = 0; i < N; i++) {
		char pub[32], full[64], subject[8];
		snprintf(pub, sizeof pub, "public %d", i);
		snprintf(full, sizeof full, "public %d %s", i, SECRET);
		snprintf(subject, sizeof subject, "C%d", i % 4);
		struct qf_bus_event ev = {QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS, subject,
					  subject, NULL, pub, strlen(pub), 0};
		if (i % 2 == 0) {
			ev.private_payload = full;
			ev.private_len = strlen(full);
		}
		int rc = qf_bus_emit(f->p, t, &ev, NULL, NULL, NULL);
		if (rc)
			return rc;
	}
	return QF_OK;
}

static int forget_fn(struct qf_txn *t, void *arg)
{
	struct fx *f = arg;
	return qf_vault_forget(f->vault, t, "C0");
}

static void pump(struct fx *f, unsigned want)
{
	int64_t end = qf_mono_ms() + 10000;
	while (qf_mono_ms() < end) {
		qf_bus_producer_tick(f->p);
		qf_bus_producer_serve(f->p);
		qf_bus_consumer_tick(f->c);
		zmq_pollitem_t it[2];
		int n = qf_bus_consumer_pollitems(f->c, it, 2);
		zmq_poll(it, n, 5);
		qf_bus_consumer_process(f->c);
		if (f->app.count >= want && qf_bus_consumer_caught_up(f->c))
			break;
	}
}

static int s_file_has(const char *dir, const char *needle)
{
	char path[512];
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *b = malloc((size_t)n);
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	int found = memmem(b, (size_t)n, needle, strlen(needle)) != NULL;
	free(b);
	return found;
}

static void test_private_parts(void **state)
{
	struct fx *f = *state;
	/* live */
	open_consumer(f, 0);
	pump(f, 0);
	assert_int_equal(qf_store_write(f->ps, emit_fn, f), QF_OK);
	pump(f, N);
	assert_int_equal(f->app.count, N);
	assert_int_equal(f->app.with_priv, N / 2);
	assert_int_equal(f->app.bad, 0);
	/* the outbox holds them only sealed */
	assert_false(s_file_has(f->pdir, SECRET));
	close_consumer(f);

	/* replay: a fresh consumer reads the whole history */
	open_consumer(f, 0);
	pump(f, N);
	assert_int_equal(f->app.count, N);
	assert_int_equal(f->app.with_priv, N / 2);
	assert_int_equal(f->app.bad, 0);
	close_consumer(f);

	/* a public surface never sees them, live or by replay */
	open_consumer(f, 1);
	pump(f, N);
	assert_int_equal(f->app.count, N);
	assert_int_equal(f->app.with_priv, 0);
	close_consumer(f);

	/* retention forgets C0: its events replay public only */
	assert_int_equal(qf_store_write(f->ps, forget_fn, f), QF_OK);
	open_consumer(f, 0);
	pump(f, N);
	assert_int_equal(f->app.count, N);
	/* even events with i%4==0 belonged to C0: N/4 of them lost their part */
	assert_int_equal(f->app.with_priv, N / 2 - N / 4);
	assert_int_equal(f->app.bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_private_parts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
