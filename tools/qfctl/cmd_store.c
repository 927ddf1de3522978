/* cmd_store.c: `qfctl store stat DIR`: a service store's streams (outbox
 * seq ranges per partition), consumer checkpoints and epochs, and the entry
 * count of every named database. Opens the store read-only in spirit: only
 * read transactions are used, so it is safe beside a running service. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "qf_bus.h"
#include "qf_err.h"
#include "qf_store.h"
#include "qfctl.h"

static void s_row(void *arg, const struct qf_bus_stat_row *r)
{
	(void)arg;
	if (!strcmp(r->kind, "outbox"))
		printf("stream     producer=%s epoch=%016" PRIx64 " partition=%u seq=%" PRIu64
		       " retained_from=%" PRIu64 "\n",
		       r->producer, r->epoch, r->partition, r->high, r->low);
	else if (!strcmp(r->kind, "checkpoint"))
		printf("checkpoint producer=%s epoch=%016" PRIx64 " partition=%u applied=%" PRIu64
		       "\n",
		       r->producer, r->epoch, r->partition, r->high);
	else
		printf("%-10s producer=%s epoch=%016" PRIx64 "\n", r->kind, r->producer,
		       r->epoch);
}

static int s_dbs(struct qf_txn *t, void *arg)
{
	(void)arg;
	MDB_txn *txn = qf_txn_mdb(t);
	MDB_dbi main;
	if (mdb_dbi_open(txn, NULL, 0, &main))
		return QF_ERR_STORE;
	MDB_cursor *cur;
	MDB_val k, v;
	if (mdb_cursor_open(txn, main, &cur))
		return QF_ERR_STORE;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(k.mv_size < 255 ? k.mv_size : 255),
			 (char *)k.mv_data);
		MDB_dbi d;
		MDB_stat st;
		if (mdb_dbi_open(txn, name, 0, &d) == 0 && mdb_stat(txn, d, &st) == 0)
			printf("database   name=%s entries=%zu\n", name, st.ms_entries);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return QF_OK;
}

int qfctl_store(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: qfctl store stat DIR\n"
		       "  Prints each database of the LMDB store in DIR with its entries\n"
		       "  and pages (read-only; the service may keep running).\n");
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "stat")) {
		fprintf(stderr, "usage: qfctl store stat DIR\n");
		return 2;
	}
	char err[512];
	struct qf_store *s;
	struct qf_store_opts so = {.path = argv[2]};
	char probe[4096];
	snprintf(probe, sizeof probe, "%s/data.mdb", argv[2]);
	FILE *f = fopen(probe, "rb");
	if (!f) {
		fprintf(stderr, "qfctl store: no store at %s\n", argv[2]);
		return 1;
	}
	fclose(f);
	if (qf_store_open(&s, &so, err, sizeof err)) {
		fprintf(stderr, "qfctl store: %s\n", err);
		return 1;
	}
	printf("store      path=%s used_bytes=%" PRIu64 " map_bytes=%" PRIu64 "\n", argv[2],
	       qf_store_used_bytes(s), qf_store_map_size(s));
	int rc = qf_bus_store_stat(s, s_row, NULL);
	if (!rc)
		rc = qf_store_read(s, s_dbs, NULL);
	qf_store_destroy(&s);
	if (rc) {
		fprintf(stderr, "qfctl store: %s\n", qf_strerror(rc));
		return 1;
	}
	return 0;
}
