/* fuzz_notifier_event: the consumer's whole path on arbitrary events: an
 * envelope of any notifiable type with arbitrary payload bytes (and
 * arbitrary case id and partition key) goes through ntf_consume_apply on a
 * real store: payload decoding, the case record, facts, every rule of the
 * repository's configuration, rendering, and delivery records. It must
 * never crash, never fail the transaction for bad input (that would stall
 * the stream forever), and every record it writes must read back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ntf.h"
#include "ntf_conf.h"
#include "qf_err.h"
#include "qf_id.h"

static struct ntf_conf s_conf;
static struct ntf s_n;
static struct qf_clock s_clock;

static const int s_types[] = {QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED,
			      QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED,
			      QINGFENG__V1__EVENT_TYPE__CASE_TRANSFERRED,
			      QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS,
			      QINGFENG__V1__EVENT_TYPE__CASE_RESOLVED,
			      QINGFENG__V1__EVENT_TYPE__CASE_CLOSED,
			      QINGFENG__V1__EVENT_TYPE__DEADLINE_WARNING,
			      QINGFENG__V1__EVENT_TYPE__HOTSPOT_WARNING,
			      QINGFENG__V1__EVENT_TYPE__REPEAT_LINKED,
			      QINGFENG__V1__EVENT_TYPE__AUDIT_ALERT,
			      QINGFENG__V1__EVENT_TYPE__FEEDBACK_GIVEN,
			      QINGFENG__V1__EVENT_TYPE__DUTY_QUOTA,
			      QINGFENG__V1__EVENT_TYPE__CASE_RATED,
			      QINGFENG__V1__EVENT_TYPE__EXTENSION_REQUESTED,
			      QINGFENG__V1__EVENT_TYPE__SPAM_HELD,
			      999};

static char s_dir[64];

/* the store and configuration are scratch: gone when the run ends */
static void s_cleanup(void)
{
	qf_store_destroy(&s_n.store);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
	if (s_dir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s_dir);
}

static void s_die(const char *what)
{
	fprintf(stderr, "fuzz_notifier_event setup: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || qf_id_init())
		s_die("sodium");
	/* the repository's rules and templates, with a key of our own */
	char dir[] = "/tmp/qf-fuzz-ntf-XXXXXX";
	if (!mkdtemp(dir))
		s_die("mkdtemp");
	snprintf(s_dir, sizeof s_dir, "%s", dir);
	atexit(s_cleanup);
	const char *root = getenv("QF_ROOT");
	char src[4096], cfg[4096], com[4096];
	snprintf(com, sizeof com, "%s/config/community.cfg", root ? root : "..");
	if (access(com, R_OK))
		snprintf(com, sizeof com, "%s/config/community.cfg",
			 root ? root : "../..");
	snprintf(src, sizeof src, "%.*s/notifier.cfg", (int)(strlen(com) - 14), com);
	FILE *in = fopen(src, "r");
	if (!in)
		s_die("config/notifier.cfg not found (run from the repository or set "
		      "QF_ROOT)");
	snprintf(cfg, sizeof cfg, "%s/n.cfg", dir);
	FILE *out = fopen(cfg, "w");
	char line[4096];
	while (fgets(line, sizeof line, in)) {
		if (strstr(line, "secret_key_file"))
			fprintf(out, "  secret_key_file = \"%s/k\";\n", dir);
		else if (strstr(line, "community = \"community.cfg\""))
			fprintf(out, "  community = \"%s\";\n", com);
		else if (strstr(line, "tokens_file"))
			fprintf(out, "  tokens_file = \"none\";\n");
		else if (strstr(line, "secret_file = \"notifier-dev"))
			fputs("    secret_file = \"w\";\n", out);
		else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	char p[4200];
	snprintf(p, sizeof p, "%s/k", dir);
	out = fopen(p, "w");
	fputs("0707070707070707070707070707070707070707070707070707070707070707\n", out);
	fclose(out);
	snprintf(p, sizeof p, "%s/w", dir);
	out = fopen(p, "w");
	fputs("secret\n", out);
	fclose(out);
	struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	if (ntf_conf_load(cfg, &s_conf, &errs) ||
	    qf_community_load(com, &s_n.com, &errs) ||
	    ntf_conf_check(&s_conf, s_n.com, &errs)) {
		for (unsigned i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		s_die("configuration");
	}
	char err[256];
	snprintf(p, sizeof p, "%s/k", dir);
	if (ntf_keys_load(&s_n.keys, cfg, p, err, sizeof err))
		s_die(err);
	s_n.conf = &s_conf;
	qf_clock_init_fake(&s_clock, 1795600800000LL);
	s_n.clock = &s_clock;
	snprintf(p, sizeof p, "%s/data", dir);
	struct qf_store_opts so = {.path = p, .no_sync = 1};
	if (qf_store_open(&s_n.store, &so, err, sizeof err) ||
	    ntf_db_open(s_n.store, &s_n.db))
		s_die("store");
	return 0;
}

struct one {
	Qingfeng__V1__Envelope env;
	int rc;
};

static int s_txn(struct qf_txn *t, void *arg)
{
	struct one *o = arg;
	struct qf_bus_msg m = {&o->env, NULL, 0};
	o->rc = ntf_consume_apply(&s_n, t, &m);
	return 0;
}

/* Empty every database now and then, so long runs stay small (LMDB reuses
 * the freed pages). */
static int s_reset_txn(struct qf_txn *t, void *arg)
{
	(void)arg;
	MDB_dbi dbs[] = {s_n.db.deliveries, s_n.db.due,	   s_n.db.dead,
			 s_n.db.by_case,    s_n.db.expire, s_n.db.cases,
			 s_n.db.tracking,   s_n.db.subs,   s_n.db.sub_target};
	for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++)
		if (mdb_drop(qf_txn_mdb(t), dbs[i], 0))
			return QF_ERR_STORE;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned runs;
	if (++runs % 20000 == 0 && qf_store_write(s_n.store, s_reset_txn, NULL))
		abort();
	if (size < 3)
		return 0;
	struct one o;
	memset(&o, 0, sizeof o);
	qingfeng__v1__envelope__init(&o.env);
	o.env.schema_version = 1;
	o.env.producer = "fuzz";
	o.env.type = s_types[data[0] % (sizeof s_types / sizeof *s_types)];
	/* a short case id and partition key taken from the input, the rest is
	   the payload */
	char cid[24] = "", key[8] = "";
	size_t cl = data[1] % 20, kl = data[2] % 6;
	const uint8_t *p = data + 3;
	size_t left = size - 3;
	if (cl > left)
		cl = left;
	memcpy(cid, p, cl);
	p += cl;
	left -= cl;
	if (kl > left)
		kl = left;
	memcpy(key, p, kl);
	p += kl;
	left -= kl;
	o.env.case_id = cid[0] && !memchr(cid, 0, cl) ? cid : (char *)"C1";
	o.env.partition_key = key;
	uint8_t id[16];
	memset(id, 0, sizeof id);
	memcpy(id, data, size < 16 ? size : 16);
	o.env.event_id.data = id;
	o.env.event_id.len = 16;
	o.env.payload.data = (uint8_t *)p;
	o.env.payload.len = left;
	s_clock.fake_ms += 60000;
	int rc = qf_store_write(s_n.store, s_txn, &o);
	if (rc || (o.rc && o.rc != QF_ERR_MAPFULL))
		abort(); /* bad input must never fail the consumer's transaction */
	return 0;
}
