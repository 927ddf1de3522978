/* qf_procmetrics.h: the standard process_* metrics (as Prometheus client
 * libraries export them: CPU, memory, file descriptors, start time) and
 * qf_build_info, so every service's /metrics answers the questions a
 * dashboard asks of any process without a node exporter. Linux /proc. */
#ifndef QF_PROCMETRICS_H
#define QF_PROCMETRICS_H

#include "qf_metrics.h"

/* Register process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds (read at scrape time) and
 * qf_build_info{service,version,catalogue} = 1. 0 or QF_ERR_NOMEM. */
int qf_procmetrics_register(struct qf_metrics *m, const char *service);

#endif
