/* export.c: the static site (export.h). Every page comes from the same
 * renderer the server uses, with struct render.static_site set; the file
 * layout mirrors the server's paths (/cases/C1 -> cases/C1/index.html). */
#include "export.h"
#include "affairs.h"
#include "html.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_log.h"
#include "qf_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int s_mkdirs(const char *path)
{
	char tmp[4096];
	if (strlen(path) >= sizeof tmp)
		return QF_ERR_INVAL;
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return QF_ERR_IO;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return QF_ERR_IO;
	return QF_OK;
}

/* Write b to dir/rel (directories created); the buffer is reset. */
static int s_write(const char *dir, const char *rel, struct qf_buf *b, unsigned *files)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	int rc = s_mkdirs(path);
	*slash = '/';
	if (rc)
		goto fail;
	if (!qf_buf_ok(b)) {
		rc = QF_ERR_NOMEM;
		goto fail;
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		rc = QF_ERR_IO;
		goto fail;
	}
	size_t w = b->len ? fwrite(b->p, 1, b->len, f) : 0;
	if (fclose(f) || w != b->len || rename(tmp, path)) {
		remove(tmp);
		rc = QF_ERR_IO;
		goto fail;
	}
	qf_buf_reset(b);
	(*files)++;
	return QF_OK;
fail:
	qf_error("export_write_failed", "file=%s error=\"%s\"", path, qf_strerror(rc));
	qf_buf_reset(b);
	return rc;
}

struct ids {
	char **v;
	size_t n, cap;
};

static void s_ids_add(struct ids *ids, const char *id)
{
	if (ids->n == ids->cap) {
		size_t nc = ids->cap ? ids->cap * 2 : 64;
		char **nv = realloc(ids->v, nc * sizeof *nv);
		if (!nv)
			return;
		ids->v = nv;
		ids->cap = nc;
	}
	char *c = strdup(id);
	if (c)
		ids->v[ids->n++] = c;
}

static void s_ids_free(struct ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
}

static int s_case_id(void *arg, const struct case_view *v, int overdue)
{
	(void)overdue;
	s_ids_add(arg, v->id);
	return 0;
}

struct gather {
	struct dp *dp;
	int64_t now;
	struct ids cases, quarters, lists, records;
};

static int s_gather(struct qf_txn *t, void *arg)
{
	struct gather *g = arg;
	struct case_query q = {.state = CQ_STATE_ANY,
			       .limit = (unsigned)g->dp->conf->export_cases};
	int rc = cases_query(g->dp, t, &q, g->now, s_case_id, &g->cases, NULL);
	if (rc)
		return rc;
	json_t *idx = affairs_ledger_index(g->dp, t), *x;
	size_t i;
	json_array_foreach(idx, i, x) s_ids_add(&g->quarters, html_js(x, "quarter"));
	json_decref(idx);
	json_t *lists = affairs_lists(g->dp, t);
	json_array_foreach(lists, i, x) s_ids_add(&g->lists, html_js(x, "record_id"));
	json_decref(lists);
	/* records with corrections (their history pages are linked) */
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), g->dp->db.disc_cur, &c) == 0) {
		MDB_val k, v;
		int r = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		while (r == 0) {
			json_t *cur = json_loadb(v.mv_data, v.mv_size, 0, NULL);
			char id[80];
			if (cur && k.mv_size < sizeof id &&
			    json_integer_value(json_object_get(cur, "version")) > 1) {
				memcpy(id, k.mv_data, k.mv_size);
				id[k.mv_size] = '\0';
				s_ids_add(&g->records, id);
			}
			json_decref(cur);
			r = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(c);
	}
	return QF_OK;
}

int dp_export(struct dp *dp, const char *dir)
{
	struct gather g = {dp, qf_now_ms(dp->clock), {0}, {0}, {0}, {0}};
	int rc = s_mkdirs(dir);
	if (rc) {
		qf_error("export_failed", "dir=%s error=\"cannot create\"", dir);
		return rc;
	}
	if ((rc = qf_store_read(dp->store, s_gather, &g))) {
		qf_error("export_failed", "error=\"%s\"", qf_strerror(rc));
		goto out;
	}
	struct render r = {dp, g.now, 1, 0};
	struct qf_buf b;
	qf_buf_init(&b);
	unsigned files = 0;
	char rel[256];
	struct case_filter f;
	memset(&f, 0, sizeof f);
	f.q.state = CQ_STATE_ANY;
	f.q.limit = (unsigned)dp->conf->export_cases;
	f.page = 1;
	f.page_size = (unsigned)dp->conf->export_cases;
#define STEP(call, relpath)                                                              \
	do {                                                                             \
		if ((rc = (call)) || (rc = s_write(dir, relpath, &b, &files)))           \
			goto done;                                                       \
	} while (0)
	r.depth = 0;
	STEP(render_board(&r, &f, &b), "index.html");
	qf_buf_add(&b, dp_css, strlen(dp_css));
	STEP(QF_OK, "static/site.css");
	STEP(feed_cases_render(dp, &b), "feeds/cases.atom");
	STEP(feed_disclosures_render(dp, &b), "feeds/disclosures.atom");
	STEP(csv_cases_render(dp, &f.q, g.now, &b), "cases.csv");
	if ((rc = csv_ledger_render(dp, NULL, &b)) && rc != QF_ERR_NOTFOUND)
		goto done;
	STEP(QF_OK, "ledger.csv");
	r.depth = 1;
	STEP(render_affairs(&r, &b), "affairs/index.html");
	STEP(render_roster(&r, &b), "roster/index.html");
	STEP(render_stats(&r, 0, 0, "全部", &b), "stats/index.html");
	STEP(render_verify(&r, &b), "verify/index.html");
	r.depth = 2;
	for (size_t i = 0; i < g.cases.n; i++) {
		snprintf(rel, sizeof rel, "cases/%s/index.html", g.cases.v[i]);
		STEP(render_case(&r, g.cases.v[i], &b), rel);
	}
	for (size_t i = 0; i < g.records.n; i++) {
		snprintf(rel, sizeof rel, "records/%s/index.html", g.records.v[i]);
		STEP(render_record(&r, g.records.v[i], &b), rel);
	}
	r.depth = 3;
	for (size_t i = 0; i < g.quarters.n; i++) {
		snprintf(rel, sizeof rel, "affairs/ledger/%s/index.html",
			 g.quarters.v[i]);
		STEP(render_ledger(&r, g.quarters.v[i], &b), rel);
	}
	for (size_t i = 0; i < g.lists.n; i++) {
		snprintf(rel, sizeof rel, "affairs/lists/%s/index.html", g.lists.v[i]);
		STEP(render_list(&r, g.lists.v[i], &b), rel);
	}
#undef STEP
done:
	qf_buf_free(&b);
	if (rc)
		qf_error("export_failed", "dir=%s error=\"%s\"", dir, qf_strerror(rc));
	else
		qf_info("exported", "dir=%s files=%u cases=%zu quarters=%zu lists=%zu",
			dir, files, g.cases.n, g.quarters.n, g.lists.n);
out:
	s_ids_free(&g.cases);
	s_ids_free(&g.quarters);
	s_ids_free(&g.lists);
	s_ids_free(&g.records);
	return rc;
}
