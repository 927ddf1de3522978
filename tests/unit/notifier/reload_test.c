/* reload_test: generations of the notifier's configuration (ntf_reload.h):
 * a reload keeps the running channels (shared, reported when they differ)
 * and the settings that need a restart, takes everything else from the
 * file, refuses an invalid file with every error as file:line: setting,
 * and readers on other threads always see one whole, live generation while
 * the core thread publishes new ones (run under ASan in the sanitizer
 * build: a freed or half-built generation would be reported). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"
#include "ntf.h"
#include "ntf_reload.h"
#include "qf_err.h"
#include "qf_id.h"

static const char *s_find(const char *name)
{
	static char out[PATH_MAX];
	static const char *const dirs[] = {"config", "../../../../config",
					   "../../../config"};
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dirs[i], name);
		if (access(p, R_OK) == 0 && realpath(p, out))
			return out;
	}
	return NULL;
}

struct fx {
	char *dir;
	char cfg[512];
	char com[PATH_MAX], tokens[PATH_MAX];
};

/* A configuration: `port` for http.port, `attempts` for the hook channel,
 * `text` for the template, `extra` appended (rules, channels...). */
static void s_write(struct fx *f, int port, int attempts, const char *text,
		    const char *extra)
{
	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s.tmp", f->cfg);
	FILE *fp = fopen(tmp, "w");
	assert_non_null(fp);
	fprintf(
	    fp,
	    "service = { node = \"t\"; community = \"%s\"; data_dir = \"data\"; };\n"
	    "http = { port = %d; };\n"
	    "contact = { secret_key_file = \"seal.key\"; required = true; };\n"
	    "admin = { tokens_file = \"%s\"; };\n"
	    "follow = { enabled = false; };\n"
	    "channels = (\n"
	    "  { name = \"hook\"; type = \"webhook\"; url = \"http://127.0.0.1:1/h\"; "
	    "secret_file = \"w.secret\"; max_attempts = %d; },\n"
	    "  { name = \"mail\"; type = \"email\"; url = \"smtp://127.0.0.1:1\"; "
	    "from = \"n@lsj.example.cn\"; }\n"
	    ");\n"
	    "templates = ( { name = \"t\"; subject = \"派单 {tracking_code}\"; "
	    "text = \"%s\"; } );\n"
	    "%s\n",
	    f->com, port, f->tokens, attempts, text, extra ? extra : "");
	fclose(fp);
	/* whole files only: a reader of the path never sees half of one */
	assert_int_equal(rename(tmp, f->cfg), 0);
}

static const char *s_rule =
    "rules = ( { name = \"a\"; event = \"CASE_ASSIGNED\"; recipients = [ \"assignee\" ]; "
    "channels = [ \"hook\" ]; template = \"t\"; } );";

static int s_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *com = s_find("community.cfg");
	if (!f || !com)
		return -1;
	snprintf(f->com, sizeof f->com, "%s", com);
	const char *tok = s_find("staff-tokens.cfg");
	if (!tok)
		return -1;
	snprintf(f->tokens, sizeof f->tokens, "%s", tok);
	f->dir = tu_tmpdir("ntf-reload");
	snprintf(f->cfg, sizeof f->cfg, "%s/n.cfg", f->dir);
	uint8_t pk[32], sk[32];
	crypto_box_keypair(pk, sk);
	char hex[65], p[600];
	snprintf(p, sizeof p, "%s/seal.key", f->dir);
	FILE *fp = fopen(p, "w");
	fprintf(fp, "%s\n", qf_hex(sk, 32, hex));
	fclose(fp);
	snprintf(p, sizeof p, "%s/w.secret", f->dir);
	fp = fopen(p, "w");
	fputs("secret\n", fp);
	fclose(fp);
	*state = f;
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

struct msgs {
	unsigned n;
	char all[4096];
};

static void s_collect(void *arg, const char *msg)
{
	struct msgs *m = arg;
	m->n++;
	size_t l = strlen(m->all);
	snprintf(m->all + l, sizeof m->all - l, "%s\n", msg);
}

static char *s_render_text(const struct ntf_gen *g, unsigned rule)
{
	const char *vals[NTF_PH_COUNT] = {0};
	vals[NTF_PH_RECIPIENT] = "x";
	const struct ntf_rule *r = &g->conf.rules[rule];
	return ntf_tmpl_render(g->conf.templates[r->tmpl].text, vals);
}

static void t_reload_keeps_channels_and_restart_settings(void **state)
{
	struct fx *f = *state;
	s_write(f, 8100, 4, "一：{recipient}", s_rule);
	struct msgs m = {0};
	struct ntf_gen *g1 = NULL, *g2 = NULL;
	assert_int_equal(ntf_gen_load(f->cfg, NULL, s_collect, &m, &g1), 0);
	assert_int_equal(m.n, 0);
	assert_non_null(g1->com);
	assert_non_null(g1->tokens);
	assert_int_equal(g1->conf.svc.http_port, 8100);
	assert_true(g1->conf.svc.data_dir[0] == '/');

	/* another template, port and hook limit; a new channel; one rule more */
	char extra[1024];
	snprintf(
	    extra, sizeof extra,
	    "rules = ( { name = \"a\"; event = \"CASE_ASSIGNED\"; recipients = [ "
	    "\"assignee\" ]; channels = [ \"hook\" ]; template = \"t\"; },\n"
	    "  { name = \"b\"; event = \"CASE_ASSIGNED\"; recipients = [ \"supervisor\" "
	    "]; channels = [ \"hook\", \"mail\" ]; template = \"t\"; } );\n");
	s_write(f, 8200, 9, "二：{recipient}", extra);
	assert_int_equal(ntf_gen_load(f->cfg, g1, s_collect, &m, &g2), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(g2->conf.nrules, 2);
	char *t1 = s_render_text(g1, 0), *t2 = s_render_text(g2, 0);
	assert_string_equal(t1, "一：x");
	assert_string_equal(t2, "二：x");
	free(t1);
	free(t2);
	/* the running channels, shared (the dispatcher and the sender hold
	   pointers into them): max_attempts stays 4 */
	assert_ptr_equal(g2->conf.channels, g1->conf.channels);
	assert_int_equal(g2->conf.nchannels, 2);
	assert_true(g2->conf.channels_shared);
	assert_int_equal(ntf_conf_channel(&g2->conf, "hook")->max_attempts, 4);
	/* the rule resolved against them */
	assert_int_equal(g2->conf.rules[1].nchannels, 2);
	/* the port needs a restart: the running value is kept */
	assert_int_equal(g2->conf.svc.http_port, 8100);
	assert_string_equal(g2->conf.svc.data_dir, g1->conf.svc.data_dir);

	/* a third generation shares the same channels again, and freeing the
	   chain frees them once (ASan: no double free, no leak) */
	struct ntf_gen *g3 = NULL;
	g2->older = g1;
	assert_int_equal(ntf_gen_load(f->cfg, g2, s_collect, &m, &g3), 0);
	assert_ptr_equal(g3->conf.channels, g1->conf.channels);
	g3->older = g2;
	ntf_gen_free(&g3);
	assert_null(g3);
}

static void t_channel_differences(void **state)
{
	struct fx *f = *state;
	s_write(f, 8100, 4, "{recipient}", s_rule);
	struct ntf_conf a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	assert_int_equal(ntf_conf_load(f->cfg, &a, &errs), 0);
	/* hook changed, mail removed, sms added */
	FILE *fp = fopen(f->cfg, "w");
	fprintf(
	    fp,
	    "channels = (\n"
	    "  { name = \"hook\"; type = \"webhook\"; url = \"http://127.0.0.1:2/h\"; "
	    "secret_file = \"w.secret\"; max_attempts = 4; },\n"
	    "  { name = \"sms\"; type = \"sms\"; url = \"http://127.0.0.1:1/s\"; }\n"
	    ");\n");
	fclose(fp);
	assert_int_equal(ntf_conf_load(f->cfg, &b, &errs), 0);
	char diff[256];
	assert_int_equal(ntf_conf_keep_channels(&b, &a, diff, sizeof diff), 3);
	assert_string_equal(diff, "~hook +sms -mail");
	assert_ptr_equal(b.channels, a.channels);
	/* the same channels in another order: no difference */
	struct ntf_conf c;
	memset(&c, 0, sizeof c);
	s_write(f, 8100, 4, "{recipient}", s_rule);
	assert_int_equal(ntf_conf_load(f->cfg, &c, &errs), 0);
	struct ntf_channel_conf sw = c.channels[0];
	c.channels[0] = c.channels[1];
	c.channels[1] = sw;
	assert_int_equal(ntf_conf_keep_channels(&c, &a, diff, sizeof diff), 0);
	assert_string_equal(diff, "");
	ntf_conf_free(&c);
	ntf_conf_free(&b);
	ntf_conf_free(&a);
}

static void t_invalid_file_reports_every_error(void **state)
{
	struct fx *f = *state;
	s_write(f, 8100, 4, "{recipient}", s_rule);
	struct msgs m = {0};
	struct ntf_gen *g1 = NULL, *g2 = NULL;
	assert_int_equal(ntf_gen_load(f->cfg, NULL, s_collect, &m, &g1), 0);
	/* an unknown placeholder (found while loading) */
	s_write(f, 8100, 4, "{recipient} {nosuch}", s_rule);
	assert_int_equal(ntf_gen_load(f->cfg, g1, s_collect, &m, &g2), QF_ERR_CONFIG);
	assert_null(g2);
	assert_int_equal(m.n, 1);
	char want[700];
	snprintf(want, sizeof want,
		 "%s:10: setting 'templates[0].text': unknown placeholder {nosuch}",
		 f->cfg);
	assert_non_null(strstr(m.all, want));
	/* two cross-check errors (found after loading): both reported */
	memset(&m, 0, sizeof m);
	s_write(
	    f, 8100, 4, "{recipient}",
	    "rules = ( { name = \"a\"; event = \"CASE_ASSIGNED\"; recipients = [ "
	    "\"staff:nobody\" ]; channels = [ \"hook\" ]; template = \"t\"; },\n"
	    "  { name = \"b\"; event = \"CASE_ASSIGNED\"; recipients = [ \"assignee\" ]; "
	    "channels = [ \"hook\" ]; template = \"missing\"; } );");
	assert_int_equal(ntf_gen_load(f->cfg, g1, s_collect, &m, &g2), QF_ERR_CONFIG);
	assert_int_equal(m.n, 2);
	assert_non_null(strstr(m.all, "setting 'rules.[0]': staff 'nobody'"));
	assert_non_null(strstr(m.all, "setting 'rules.[1]': template 'missing'"));
	/* the running generation is untouched */
	assert_int_equal(g1->conf.nrules, 1);
	assert_false(g1->conf.channels_shared);
	ntf_gen_free(&g1);
}

/* ------------------------------------------------------------ threads */

struct race {
	struct ntf *n;
	atomic_int *stop;
	unsigned long reads, bad; /* this reader's */
};

/* An HTTP thread's way: one generation per operation, used whole. */
static void *s_reader(void *arg)
{
	struct race *r = arg;
	while (!atomic_load(r->stop)) {
		const struct ntf_gen *g = ntf_cur(r->n);
		/* version 1: one rule, "一"; version 2: two rules, "二" */
		unsigned want = g->conf.nrules;
		const char *mark = want == 1 ? "一" : "二";
		for (unsigned i = 0; i < g->conf.nrules; i++) {
			char *t = s_render_text(g, i);
			if (!t || strncmp(t, mark, strlen(mark)))
				r->bad++;
			free(t);
		}
		const struct qf_staff *st =
		    qf_tokens_auth(g->tokens, g->com, "Bearer qf-dev-s01");
		if (!st || strcmp(st->id, "s01") || !ntf_conf_channel(&g->conf, "hook") ||
		    ntf_conf_channel(&g->conf, "hook")->max_attempts != 4)
			r->bad++;
		r->reads++;
	}
	return NULL;
}

static void t_readers_see_whole_live_generations(void **state)
{
	struct fx *f = *state;
	char two[1024];
	snprintf(
	    two, sizeof two,
	    "rules = ( { name = \"a\"; event = \"CASE_ASSIGNED\"; recipients = [ "
	    "\"assignee\" ]; channels = [ \"hook\" ]; template = \"t\"; },\n"
	    "  { name = \"b\"; event = \"CASE_ASSIGNED\"; recipients = [ \"assignee\" "
	    "]; channels = [ \"mail\" ]; template = \"t\"; } );\n");
	s_write(f, 8100, 4, "一：{recipient}", s_rule);
	struct msgs m = {0};
	struct ntf_gen *g1 = NULL;
	assert_int_equal(ntf_gen_load(f->cfg, NULL, s_collect, &m, &g1), 0);
	g1->no = 1;
	struct ntf n;
	memset(&n, 0, sizeof n);
	n.conf = &g1->conf;
	n.com = g1->com;
	atomic_store(&n.gen, g1);
	atomic_int stop = 0;
	struct race r[2] = {{.n = &n, .stop = &stop}, {.n = &n, .stop = &stop}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, s_reader, &r[i]), 0);
	for (int i = 0; i < 40; i++) {
		if (i % 2)
			s_write(f, 8100, 4, "一：{recipient}", s_rule);
		else
			s_write(f, 8100, 9 /* refused: needs a restart */,
				"二：{recipient}", two);
		assert_int_equal(ntf_reload(&n), 0);
		/* the core thread's view moves with the published one */
		assert_ptr_equal(n.conf, &ntf_cur(&n)->conf);
		assert_ptr_equal(n.com, ntf_cur(&n)->com);
		if (i == 20) {
			/* an invalid file changes nothing */
			s_write(f, 8100, 4, "{nosuch}", s_rule);
			struct ntf_gen *before = ntf_cur(&n);
			assert_int_equal(ntf_reload(&n), QF_ERR_CONFIG);
			assert_ptr_equal(ntf_cur(&n), before);
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
		assert_true(r[i].reads > 0);
	}
	assert_int_equal(ntf_cur(&n)->no, 41);
	struct ntf_gen *cur = ntf_cur(&n);
	ntf_gen_free(&cur);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(t_reload_keeps_channels_and_restart_settings,
					    s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(t_channel_differences, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(t_invalid_file_reports_every_error, s_setup,
					    s_teardown),
	    cmocka_unit_test_setup_teardown(t_readers_see_whole_live_generations, s_setup,
					    s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
