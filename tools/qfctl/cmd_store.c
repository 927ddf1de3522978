/* cmd_store.c: `qfctl store stat DIR`: a service store's streams (outbox
 * seq ranges per partition), consumer checkpoints and epochs, and the entry
 * count of every named database. Opens the store read-only in spirit: only
 * read transactions are used, so it is safe beside a running service. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_bus.h"
#include "qf_err.h"
#include "qf_store.h"
#include "qfctl.h"

/* arg: NULL to print lines, or the JSON object to fill (--json) */
static void s_row(void *arg, const struct qf_bus_stat_row *r)
{
	json_t *o = arg;
	if (o) {
		char ep[17];
		snprintf(ep, sizeof ep, "%016" PRIx64, r->epoch);
		const char *list = !strcmp(r->kind, "outbox")	    ? "streams"
				   : !strcmp(r->kind, "checkpoint") ? "checkpoints"
								    : "epochs";
		json_t *row = json_pack("{s:s, s:s, s:s}", "kind", r->kind, "producer",
					r->producer, "epoch", ep);
		if (strcmp(list, "epochs"))
			json_object_set_new(row, "partition", json_integer(r->partition));
		if (!strcmp(list, "streams")) {
			json_object_set_new(row, "seq", json_integer((json_int_t)r->high));
			json_object_set_new(row, "retained_from",
					    json_integer((json_int_t)r->low));
		} else if (!strcmp(list, "checkpoints")) {
			json_object_set_new(row, "applied", json_integer((json_int_t)r->high));
		}
		json_array_append_new(json_object_get(o, list), row);
		return;
	}
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
	json_t *o = arg;
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
		if (mdb_dbi_open(txn, name, 0, &d) == 0 && mdb_stat(txn, d, &st) == 0) {
			if (o)
				json_array_append_new(
				    json_object_get(o, "databases"),
				    json_pack("{s:s, s:I}", "name", name, "entries",
					      (json_int_t)st.ms_entries));
			else
				printf("database   name=%s entries=%zu\n", name, st.ms_entries);
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return QF_OK;
}

int qfctl_store(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: qfctl store stat [--json] DIR\n"
		       "  Prints the store's streams, consumer checkpoints and each\n"
		       "  database with its entries (read-only; the service may keep\n"
		       "  running); --json: one object.\n");
		return 0;
	}
	int as_json = argc == 4 && !strcmp(argv[2], "--json");
	if (as_json) {
		argv[2] = argv[3];
		argc = 3;
	}
	if (argc != 3 || strcmp(argv[1], "stat")) {
		fprintf(stderr, "usage: qfctl store stat [--json] DIR\n");
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
	json_t *o = NULL;
	if (as_json)
		o = json_pack("{s:s, s:I, s:I, s:[], s:[], s:[], s:[]}", "path", argv[2],
			      "used_bytes", (json_int_t)qf_store_used_bytes(s), "map_bytes",
			      (json_int_t)qf_store_map_size(s), "streams", "checkpoints",
			      "epochs", "databases");
	else
		printf("store      path=%s used_bytes=%" PRIu64 " map_bytes=%" PRIu64 "\n",
		       argv[2], qf_store_used_bytes(s), qf_store_map_size(s));
	int rc = as_json && !o ? QF_ERR_NOMEM : qf_bus_store_stat(s, s_row, o);
	if (!rc)
		rc = qf_store_read(s, s_dbs, o);
	qf_store_destroy(&s);
	if (!rc && o) {
		char *text = json_dumps(o, JSON_INDENT(1));
		if (text)
			printf("%s\n", text);
		else
			rc = QF_ERR_NOMEM;
		free(text);
	}
	json_decref(o);
	if (rc) {
		fprintf(stderr, "qfctl store: %s\n", qf_strerror(rc));
		return 1;
	}
	return 0;
}
