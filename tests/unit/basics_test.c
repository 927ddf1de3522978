/* basics_test: the small modules: error vocabulary, log value quoting,
 * RFC 3339 time, ids and hex, the partition hash (fixed forever), metrics
 * rendering, and the event catalogue's JSON in both directions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_metrics.h"

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(qf_strerror(QF_OK), "success");
	assert_string_equal(qf_strerror(QF_ERR_MAPFULL), "store map full");
	assert_string_equal(qf_errname(QF_ERR_EPOCH), "QF_ERR_EPOCH");
	assert_string_equal(qf_strerror(-999999), "unknown error");
}

static void test_log_quote(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(qf_log_q("plain", b, sizeof b), "plain");
	assert_string_equal(qf_log_q("two words", b, sizeof b), "\"two words\"");
	assert_string_equal(qf_log_q("a\"b\nc", b, sizeof b), "\"a\\\"b\\x0ac\"");
	assert_string_equal(qf_log_q("", b, sizeof b), "\"\"");
	assert_string_equal(qf_log_q("k=v", b, sizeof b), "\"k=v\"");
	assert_int_equal(qf_log_level_parse("warn"), QF_LOG_WARN);
	assert_int_equal(qf_log_level_parse("loud"), -1);
}

static void test_time(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(qf_time_parse("2026-11-25T18:01:10Z", 0, &v), QF_OK);
	assert_true(v == 1795629670000LL);
	assert_int_equal(qf_time_parse("2026-11-26T02:01:10+08:00", 0, &v), QF_OK);
	assert_true(v == 1795629670000LL);
	assert_int_equal(qf_time_parse("2026-11-25T18:01:10.250Z", 0, &v), QF_OK);
	assert_true(v == 1795629670250LL);
	/* a bare date is midnight in the given offset */
	assert_int_equal(qf_time_parse("2026-11-26", 480, &v), QF_OK);
	/* 2026-11-26 00:00 +08:00 == 2026-11-25 16:00 UTC */
	assert_true(v == 1795629670000LL - (2 * 3600 + 70) * 1000LL);
	assert_int_equal(qf_time_parse("2026-02-30", 0, &v), QF_ERR_INVAL);
	assert_int_equal(qf_time_parse("2025-02-29", 0, &v), QF_ERR_INVAL);
	assert_int_equal(qf_time_parse("2024-02-29", 0, &v), QF_OK);
	assert_int_equal(qf_time_parse("2026-11-25T25:00:00Z", 0, &v), QF_ERR_INVAL);
	assert_int_equal(qf_time_parse("nonsense", 0, &v), QF_ERR_INVAL);
	assert_int_equal(qf_time_parse("2026-11-25Tjunk", 0, &v), QF_ERR_INVAL);
	char b[40];
	assert_string_equal(qf_time_fmt(1795629670000LL, 0, b, sizeof b), "2026-11-25T18:01:10Z");
	assert_string_equal(qf_time_fmt(1795629670000LL, 480, b, sizeof b),
			    "2026-11-26T02:01:10+08:00");
	struct qf_clock c;
	qf_clock_init_fake(&c, 1000);
	qf_clock_advance(&c, 500);
	assert_true(qf_now_ms(&c) == 1500);
}

static void test_ids(void **state)
{
	(void)state;
	assert_int_equal(qf_id_init(), QF_OK);
	char a[QF_ID_LEN + 1], b[QF_ID_LEN + 1];
	qf_id_sortable(1000, a);
	qf_id_sortable(2000, b);
	assert_int_equal(strlen(a), QF_ID_LEN);
	assert_true(strcmp(a, b) < 0); /* time-sortable */
	qf_id_sortable(2000, a);
	assert_true(strcmp(a, b) != 0); /* random part differs */
	uint8_t raw[4] = {0xde, 0xad, 0x00, 0x1f}, back[4];
	char hex[9];
	assert_string_equal(qf_hex(raw, 4, hex), "dead001f");
	assert_int_equal(qf_unhex("dead001f", back, 4), QF_OK);
	assert_memory_equal(raw, back, 4);
	assert_int_equal(qf_unhex("dead00zz", back, 4), QF_ERR_INVAL);
	assert_int_equal(qf_unhex("dead001f00", back, 4), QF_ERR_INVAL);
	/* FNV-1a 32 known answers: the partition of a building never changes */
	assert_true(qf_fnv1a32("", 0) == 0x811c9dc5u);
	assert_true(qf_fnv1a32("a", 1) == 0xe40c292cu);
	assert_int_equal(qf_partition_of("a", 16), 0xe40c292cu % 16);
	for (int i = 0; i < 100; i++)
		assert_true(qf_id_uniform(7) < 7);
}

static double gauge_fn(void *arg)
{
	return *(double *)arg;
}

static void test_metrics(void **state)
{
	(void)state;
	struct qf_metrics *m;
	assert_int_equal(qf_metrics_new(&m), QF_OK);
	struct qf_metric *c = qf_metrics_counter(m, "qf_x_total", "X things", "kind=\"a\"");
	assert_ptr_equal(c, qf_metrics_counter(m, "qf_x_total", "X things", "kind=\"a\""));
	qf_metric_inc(c);
	qf_metric_add(c, 2);
	qf_metric_inc(qf_metrics_counter(m, "qf_x_total", "X things", "kind=\"b\""));
	struct qf_metric *h = qf_metrics_histogram(m, "qf_lat_seconds", "latency", NULL);
	qf_metric_observe(h, 0.003);
	qf_metric_observe(h, 2.0);
	double g = 42.5;
	qf_metrics_gauge_fn(m, "qf_g", "a gauge", NULL, gauge_fn, &g);
	qf_metric_inc(NULL); /* accepted */
	size_t len;
	char *txt = qf_metrics_render(m, &len);
	assert_non_null(txt);
	assert_int_equal(strlen(txt), len);
	assert_non_null(strstr(txt, "# TYPE qf_x_total counter\n"));
	assert_non_null(strstr(txt, "qf_x_total{kind=\"a\"} 3\n"));
	assert_non_null(strstr(txt, "qf_x_total{kind=\"b\"} 1\n"));
	/* HELP/TYPE once per name */
	const char *first = strstr(txt, "# TYPE qf_x_total");
	assert_null(strstr(first + 1, "# TYPE qf_x_total"));
	assert_non_null(strstr(txt, "qf_lat_seconds_bucket{le=\"0.005\"} 1\n"));
	assert_non_null(strstr(txt, "qf_lat_seconds_bucket{le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(txt, "qf_lat_seconds_count 2\n"));
	assert_non_null(strstr(txt, "qf_g 42.5\n"));
	free(txt);
	qf_metrics_destroy(&m);
	qf_metrics_destroy(&m);
}

static void test_event_json_roundtrip(void **state)
{
	(void)state;
	json_error_t je;
	json_t *in = json_loads("{\"case_id\":\"C1\",\"category\":\"safety_hazard\","
				"\"anonymous\":true,\"lat\":30.5,\"submitted_ms\":1795629670000,"
				"\"petitioner_pseudonym\":\"00ff\",\"media\":[{\"sha256\":\"ab\","
				"\"size\":3}],\"entered_by\":{\"staff_id\":\"s02\"}}",
				0, &je);
	char err[128];
	ProtobufCMessage *m = qf_message_from_json(
		qf_event_payload_descriptor(QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED), in,
		err, sizeof err);
	assert_non_null(m);
	json_t *out = qf_message_json(m);
	assert_true(json_equal(in, out));
	json_decref(out);
	/* through an envelope */
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n);
	protobuf_c_message_pack(m, buf);
	Qingfeng__V1__Envelope e = QINGFENG__V1__ENVELOPE__INIT;
	e.type = QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED;
	e.payload.data = buf;
	e.payload.len = n;
	e.producer = "intake";
	e.seq = 3;
	json_t *ej = qf_event_json(&e);
	assert_string_equal(json_string_value(json_object_get(ej, "type")), "PETITION_SUBMITTED");
	assert_true(json_equal(json_object_get(ej, "payload"), in));
	json_decref(ej);
	free(buf);
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(in);
	/* errors */
	in = json_loads("{\"no_such_field\":1}", 0, &je);
	assert_null(qf_message_from_json(&qingfeng__v1__feedback_given__descriptor, in, err,
					 sizeof err));
	assert_non_null(strstr(err, "no_such_field"));
	json_decref(in);
	in = json_loads("{\"rating\":\"five\"}", 0, &je);
	assert_null(qf_message_from_json(&qingfeng__v1__feedback_given__descriptor, in, err,
					 sizeof err));
	json_decref(in);
	assert_string_equal(qf_event_type_name(QINGFENG__V1__EVENT_TYPE__AUDIT_ALERT),
			    "AUDIT_ALERT");
	assert_int_equal(qf_event_type_parse("CASE_CLOSED"), QINGFENG__V1__EVENT_TYPE__CASE_CLOSED);
	assert_int_equal(qf_event_type_parse("NOPE"), -1);
	assert_null(qf_event_payload_descriptor(12345));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),  cmocka_unit_test(test_log_quote),
		cmocka_unit_test(test_time),    cmocka_unit_test(test_ids),
		cmocka_unit_test(test_metrics), cmocka_unit_test(test_event_json_roundtrip),
	};
	return cmocka_run_group_tests_name("basics", tests, NULL, NULL);
}
