/* fuzz_audit_ingest: any envelope a producer could send, through the audit
 * service's whole write path (leaf append, stream and case indexes, every
 * alert rule, which decodes the payload) and the summary line a case
 * history shows. Properties: an envelope that decodes is appended as
 * exactly one leaf holding exactly its bytes; nothing crashes or leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_vault.h"

static struct audit s_a;
static struct audit_conf s_conf;
static struct qf_clock s_clock;
static struct qf_vault *s_vault;
static char s_dir[64];

static void s_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s_dir);
}

static int s_init(void)
{
	snprintf(s_dir, sizeof s_dir, "/tmp/qf-fuzz-audit-XXXXXX");
	if (!mkdtemp(s_dir) || qf_id_init())
		return -1;
	atexit(s_cleanup);
	s_conf.max_transfers = 2;
	s_conf.every_entries = 64; /* checkpoints are signed inside the batches */
	s_conf.view_grace_s = 1;
	s_conf.view_max_wait_s = 60;
	s_conf.skew_ms = 5000;
	s_conf.view_roles = "supervisor";
	s_a.conf = &s_conf;
	qf_clock_init_real(&s_clock);
	s_a.clock = &s_clock;
	struct qf_store_opts so = {.path = s_dir, .no_sync = 1};
	if (qf_store_open(&s_a.store, &so, NULL, 0))
		return -1;
	/* alerts with a private part are sealed in the outbox, as the
	 * service does (qf_svc opens the vault) */
	if (qf_vault_open(&s_vault, s_a.store))
		return -1;
	void *z = zmq_ctx_new();
	struct qf_bus_producer_opts po = {.name = "audit",
					  .pub_endpoint = "inproc://fuzz-pub",
					  .replay_endpoint = "inproc://fuzz-replay",
					  .vault = s_vault};
	if (qf_bus_producer_new(&s_a.prod, z, s_a.store, &s_clock, &po, NULL, 0))
		return -1;
	if (audit_ingest_open(&s_a) || audit_rules_open(&s_a) ||
	    qf_note_signer_generate(&s_a.signer, "fuzz.example/audit"))
		return -1;
	snprintf(s_a.origin, sizeof s_a.origin, "%s", s_a.signer.name);
	qf_note_signer_verifier(&s_a.signer, &s_a.verifier);
	return 0;
}

struct one {
	const struct qf_bus_msg *m;
	uint64_t before;
};

static int s_apply(struct qf_txn *t, void *arg)
{
	struct one *o = arg;
	qf_merkle_log_size(s_a.log, t, &o->before);
	return audit_apply(&s_a, t, o->m);
}

static int s_check(struct qf_txn *t, void *arg)
{
	struct one *o = arg;
	const uint8_t *d;
	size_t l;
	uint64_t size;
	if (qf_merkle_log_size(s_a.log, t, &size) || size != o->before + 1 ||
	    qf_merkle_log_leaf(s_a.log, t, o->before, &d, &l) || l != o->m->len ||
	    memcmp(d, o->m->raw, l))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready = -1;
	if (ready < 0)
		ready = s_init() == 0;
	if (!ready)
		abort();
	Qingfeng__V1__Envelope *env = qf_bus_decode(data, size);
	if (!env)
		return 0;
	char *sum = audit_summary(env);
	if (!sum)
		abort();
	free(sum);
	struct qf_bus_msg m = {env, data, size};
	struct one o = {&m, 0};
	int rc = qf_store_write(s_a.store, s_apply, &o);
	if (rc == QF_OK)
		qf_store_read(s_a.store, s_check, &o);
	else if (rc != QF_ERR_TOOBIG)
		abort();
	qingfeng__v1__envelope__free_unpacked(env, NULL);
	return 0;
}
