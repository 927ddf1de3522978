/* main.c: qf-router: parse arguments, load and check the configuration,
 * open the service, run the core loop, tear down in reverse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_access.h"
#include "qf_err.h"
#include "qf_log.h"
#include "router.h"

int main(int argc, char **argv)
{
	struct qf_svc_args args;
	int exit_code = 0;
	if (qf_svc_args_parse(argc, argv, "qf-router", "config/router.cfg", &args,
			      &exit_code))
		return exit_code;
	if (args.print_settings) {
		rt_conf_describe(stdout);
		return 0;
	}
	if (args.print_routes) {
		qf_http_routes_print(rt_routes, rt_nroutes, stdout);
		return 0;
	}
	static struct router r;
	int rc = rt_conf_load(args.config, &r.conf);
	r.conf.svc.config_file = strdup(args.config);
	struct qf_cfg_errors errs = {.file = args.config};
	if (!r.conf.svc.config_file) {
		fprintf(stderr, "qf-router: out of memory\n");
		return 1;
	}
	/* every check runs, so one pass reports every problem */
	if (qf_svc_conf_check(&r.conf.svc, &errs))
		rc = QF_ERR_CONFIG;
	if (rt_router_load_files(&r, &errs))
		rc = QF_ERR_CONFIG;
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (args.check_config) {
		if (!rc)
			printf("%s: configuration ok\n", args.config);
		rt_router_free(&r);
		return rc ? 1 : 0;
	}
	if (rc) {
		rt_router_free(&r);
		return 1;
	}
	const char *level = args.log_level ? args.log_level : r.conf.svc.log_level;
	int lv = qf_log_level_parse(level);
	qf_log_init("router", lv < 0 ? QF_LOG_INFO : (enum qf_log_level)lv);
	qf_svc_signals();

	struct qf_svc_opts opts = {.conf = &r.conf.svc,
				   .service = "router",
				   .producer = 1,
				   .apply = rt_router_apply};
	struct qf_svc_hooks hooks = {
	    .tick = rt_timers_tick, .reload = rt_router_reload, .app = &r};
	rc = qf_svc_open(&r.svc, &opts, &hooks);
	if (!rc)
		rc = rt_router_start(&r);
	struct qf_access access;
	rt_views_access(&r, &access);
	if (!rc) {
		qf_svc_set_access(r.svc, &access);
		rc = qf_svc_http_start(r.svc, rt_routes, rt_nroutes, &r, rt_views_ready);
	}
	if (!rc) {
		qf_info("started", "node=%s instance=%d instances=%d data_dir=%s",
			r.conf.svc.node, r.conf.svc.instance, r.conf.svc.instances,
			r.conf.svc.data_dir);
		rc = qf_svc_run(r.svc);
	}
	qf_svc_destroy(&r.svc);
	qf_info("stopped", "rc=%d", rc);
	rt_router_free(&r);
	return rc ? 1 : 0;
}
