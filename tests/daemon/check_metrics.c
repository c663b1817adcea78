/*
 * check_metrics.c - the Prometheus text of daemon/metrics: number formatting
 * as Go's strconv (client_golang), histogram bucketing, and the exposition's
 * names, types and series as etcd 3.4.23 prints them (curl /metrics).
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "daemon/metrics.h"

static const char *fmt(double v)
{
	static char out[64];

	metrics_format_float(out, sizeof(out), v);
	return out;
}

START_TEST(floats_as_go)
{
	/* Each expected text is what etcd 3.4.23's /metrics printed, or Go's
	 * strconv.FormatFloat(v, 'g', -1, 64). */
	ck_assert_str_eq(fmt(0), "0");
	ck_assert_str_eq(fmt(1), "1");
	ck_assert_str_eq(fmt(-1), "-1");
	ck_assert_str_eq(fmt(100), "100");
	ck_assert_str_eq(fmt(20480), "20480");
	ck_assert_str_eq(fmt(123456), "123456");
	ck_assert_str_eq(fmt(1000000), "1e+06");
	ck_assert_str_eq(fmt(25640960), "2.564096e+07");
	ck_assert_str_eq(fmt(2147483648.0), "2.147483648e+09");
	ck_assert_str_eq(fmt(1795578326.27), "1.79557832627e+09");
	ck_assert_str_eq(fmt(18446744073709551615.0), "1.8446744073709552e+19");
	ck_assert_str_eq(fmt(0.013075218), "0.013075218");
	ck_assert_str_eq(fmt(0.06), "0.06");
	ck_assert_str_eq(fmt(0.0001), "0.0001");
	ck_assert_str_eq(fmt(0.00001), "1e-05");
	ck_assert_str_eq(fmt(0.1 + 0.2), "0.30000000000000004");
	ck_assert_str_eq(fmt(8.192), "8.192");
	ck_assert_str_eq(fmt(1.5), "1.5");
	ck_assert_str_eq(fmt(INFINITY), "+Inf");
	ck_assert_str_eq(fmt(-INFINITY), "-Inf");
	ck_assert_str_eq(fmt(NAN), "NaN");
}
END_TEST

START_TEST(float_truncates_safely)
{
	char small[6];

	metrics_format_float(small, sizeof(small), 1.8446744073709552e+19);
	ck_assert_uint_eq(strlen(small), 5);
}
END_TEST

START_TEST(histogram_buckets)
{
	struct metrics_histogram h;

	/* etcd's disk histograms: ExponentialBuckets(0.001, 2, 14). */
	metrics_histogram_init_exponential(&h, 0.001, 2, 14);
	ck_assert_uint_eq(h.n, 14);
	ck_assert_str_eq(fmt(h.bounds[0]), "0.001");
	ck_assert_str_eq(fmt(h.bounds[10]), "1.024");
	ck_assert_str_eq(fmt(h.bounds[13]), "8.192");
	metrics_histogram_observe(&h, 0.0005);	/* below the first bound */
	metrics_histogram_observe(&h, 0.001);	/* bounds are inclusive */
	metrics_histogram_observe(&h, 0.0015);
	metrics_histogram_observe(&h, 8.192);
	metrics_histogram_observe(&h, 9);	/* +Inf */
	ck_assert_uint_eq(h.counts[0], 2);
	ck_assert_uint_eq(h.counts[1], 1);
	ck_assert_uint_eq(h.counts[13], 1);
	ck_assert_uint_eq(h.counts[14], 1);
	ck_assert_uint_eq(h.count, 5);
	ck_assert(fabs(h.sum - (0.0005 + 0.001 + 0.0015 + 8.192 + 9)) < 1e-12);

	metrics_histogram_init_exponential(&h, 1, 2, 100);
	ck_assert_uint_eq(h.n, METRICS_MAX_BUCKETS);
}
END_TEST

START_TEST(grpc_method_table)
{
	ck_assert_int_ge(metrics_grpc_method("/etcdserverpb.KV/Range"), 0);
	ck_assert_int_ge(metrics_grpc_method("/etcdserverpb.Watch/Watch"), 0);
	ck_assert_int_ne(metrics_grpc_method("/etcdserverpb.Watch/Watch"),
	    metrics_grpc_method("/grpc.health.v1.Health/Watch"));
	ck_assert_int_eq(metrics_grpc_method("/etcdserverpb.KV/Nope"), -1);
	ck_assert_int_eq(metrics_grpc_method("/etcdserverpb.K/Range"), -1);
	ck_assert_int_eq(metrics_grpc_method("/etcdserverpb.KVX/Range"), -1);
	ck_assert_int_eq(metrics_grpc_method("/x"), -1);
	ck_assert_int_eq(metrics_grpc_method(""), -1);
	ck_assert_int_eq(metrics_grpc_method(NULL), -1);
	/* Out-of-table indexes and codes are ignored, not crashes. */
	metrics_grpc_started(-1);
	metrics_grpc_handled(10000, 0);
	metrics_grpc_handled(0, 17);
}
END_TEST

/* Renders with fixed values; returns a NUL-terminated copy (freed by the
 * caller). */
static char *render(const struct metrics_values *v)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(metrics_render(&b, v), 0);
	s = malloc(buf_len(&b) + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, buf_data(&b), buf_len(&b));
	s[buf_len(&b)] = '\0';
	buf_free(&b);
	return s;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t c = 0, n = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			c++;
	return c;
}

static void fixed_values(struct metrics_values *v)
{
	memset(v, 0, sizeof(*v));
	v->st.ready = true;
	v->st.member_id = 0x1d893438babd2cffULL;
	v->st.leader = v->st.member_id;
	v->st.term = 2;
	v->st.commit_index = 7;
	v->st.applied_index = 6;
	v->st.revision = 5;
	v->st.leader_changes = 1;
	v->st.proposals_pending = 3;
	v->st.proposals_failed = 2;
	v->have_db = true;
	v->db_size = 20480;
	v->db_size_in_use = 16384;
}

START_TEST(exposition_as_etcd)
{
	struct metrics_values v;
	char *t;
	int range = metrics_grpc_method("/etcdserverpb.KV/Range");
	int put = metrics_grpc_method("/etcdserverpb.KV/Put");

	metrics_reset();
	fixed_values(&v);
	metrics_grpc_started(put);
	metrics_grpc_handled(put, 0);
	metrics_grpc_started(range);
	metrics_grpc_handled(range, 0);
	metrics_grpc_started(range);
	metrics_grpc_handled(range, 11);
	metrics_observe_wal_fsync(0.0015);
	metrics_observe_wal_fsync(0.0025);
	metrics_observe_backend_commit(20);
	t = render(&v);

	/* HELP and TYPE exactly as etcd 3.4.23 prints them. */
	ck_assert(has_line(t, "# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not."));
	ck_assert(has_line(t, "# TYPE etcd_server_has_leader gauge"));
	ck_assert(has_line(t, "etcd_server_has_leader 1"));
	ck_assert(has_line(t, "# TYPE etcd_server_is_leader gauge"));
	ck_assert(has_line(t, "etcd_server_is_leader 1"));
	ck_assert(has_line(t, "# TYPE etcd_server_leader_changes_seen_total counter"));
	ck_assert(has_line(t, "etcd_server_leader_changes_seen_total 1"));
	/* etcd sets these two gauges to the Raft indexes. */
	ck_assert(has_line(t, "# TYPE etcd_server_proposals_committed_total gauge"));
	ck_assert(has_line(t, "etcd_server_proposals_committed_total 7"));
	ck_assert(has_line(t, "# TYPE etcd_server_proposals_applied_total gauge"));
	ck_assert(has_line(t, "etcd_server_proposals_applied_total 6"));
	ck_assert(has_line(t, "# TYPE etcd_server_proposals_pending gauge"));
	ck_assert(has_line(t, "etcd_server_proposals_pending 3"));
	ck_assert(has_line(t, "# TYPE etcd_server_proposals_failed_total counter"));
	ck_assert(has_line(t, "etcd_server_proposals_failed_total 2"));
	ck_assert(has_line(t, "# HELP etcd_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes."));
	ck_assert(has_line(t, "etcd_mvcc_db_total_size_in_bytes 20480"));
	ck_assert(has_line(t, "etcd_mvcc_db_total_size_in_use_in_bytes 16384"));
	ck_assert(has_line(t, "etcd_server_quota_backend_bytes 2.147483648e+09"));
	ck_assert(has_line(t, "etcd_server_id{server_id=\"1d893438babd2cff\"} 1"));
	ck_assert(has_line(t, "etcd_server_version{server_version=\"" CETCD_ETCD_API_VERSION "\"} 1"));
	ck_assert(has_line(t, "etcd_cluster_version{cluster_version=\"3.4\"} 1"));

	ck_assert(has_line(t, "# HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL."));
	ck_assert(has_line(t, "# TYPE etcd_disk_wal_fsync_duration_seconds histogram"));
	ck_assert(has_line(t, "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} 0"));
	ck_assert(has_line(t, "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.002\"} 1"));
	ck_assert(has_line(t, "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.004\"} 2"));
	ck_assert(has_line(t, "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"8.192\"} 2"));
	ck_assert(has_line(t, "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"+Inf\"} 2"));
	ck_assert(has_line(t, "etcd_disk_wal_fsync_duration_seconds_sum 0.004"));
	ck_assert(has_line(t, "etcd_disk_wal_fsync_duration_seconds_count 2"));
	ck_assert(has_line(t, "# HELP etcd_disk_backend_commit_duration_seconds The latency distributions of commit called by backend."));
	ck_assert(has_line(t, "etcd_disk_backend_commit_duration_seconds_bucket{le=\"8.192\"} 0"));
	ck_assert(has_line(t, "etcd_disk_backend_commit_duration_seconds_bucket{le=\"+Inf\"} 1"));
	ck_assert(has_line(t, "etcd_disk_backend_commit_duration_seconds_sum 20"));
	ck_assert_uint_eq(count_prefix(t, "etcd_disk_wal_fsync_duration_seconds_bucket{"), 15);

	ck_assert(has_line(t, "# HELP grpc_server_started_total Total number of RPCs started on the server."));
	ck_assert(has_line(t, "# TYPE grpc_server_started_total counter"));
	ck_assert(has_line(t, "grpc_server_started_total{grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} 2"));
	ck_assert(has_line(t, "grpc_server_started_total{grpc_method=\"Txn\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} 0"));
	ck_assert(has_line(t, "grpc_server_started_total{grpc_method=\"Watch\",grpc_service=\"etcdserverpb.Watch\",grpc_type=\"bidi_stream\"} 0"));
	ck_assert(has_line(t, "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} 1"));
	ck_assert(has_line(t, "grpc_server_handled_total{grpc_code=\"OutOfRange\",grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} 1"));
	ck_assert(has_line(t, "grpc_server_handled_total{grpc_code=\"Canceled\",grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} 0"));
	ck_assert(has_line(t, "grpc_server_msg_sent_total{grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} 1"));
	ck_assert(has_line(t, "grpc_server_msg_received_total{grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"} 2"));
	/* etcd pre-registers its 41 methods x 17 codes; v3lock and
	 * v3election series appear only once used. */
	ck_assert_uint_eq(count_prefix(t, "grpc_server_started_total{"), 41);
	ck_assert_uint_eq(count_prefix(t, "grpc_server_handled_total{"), 41 * 17);
	ck_assert_ptr_null(strstr(t, "v3lockpb"));
	free(t);

	metrics_grpc_started(metrics_grpc_method("/v3lockpb.Lock/Lock"));
	t = render(&v);
	ck_assert(has_line(t, "grpc_server_started_total{grpc_method=\"Lock\",grpc_service=\"v3lockpb.Lock\",grpc_type=\"unary\"} 1"));
	ck_assert_uint_eq(count_prefix(t, "grpc_server_handled_total{"), 41 * 17);
	free(t);
}
END_TEST

START_TEST(no_leader_no_db)
{
	struct metrics_values v;
	char *t;

	metrics_reset();
	fixed_values(&v);
	v.st.leader = 0;
	v.have_db = false;
	v.quota_backend_bytes = 16 << 20;
	t = render(&v);
	ck_assert(has_line(t, "etcd_server_has_leader 0"));
	ck_assert(has_line(t, "etcd_server_is_leader 0"));
	ck_assert(has_line(t, "etcd_server_quota_backend_bytes 1.6777216e+07"));
	/* Not yet known: left out rather than made up. */
	ck_assert_ptr_null(strstr(t, "etcd_mvcc_db_total_size_in_bytes"));
	free(t);

	fixed_values(&v);
	v.st.leader = v.st.member_id + 1;	/* another member leads */
	t = render(&v);
	ck_assert(has_line(t, "etcd_server_has_leader 1"));
	ck_assert(has_line(t, "etcd_server_is_leader 0"));
	free(t);
}
END_TEST

/* The text format's structure: families sorted by name, HELP then TYPE
 * before the samples, each sample named after its family. */
START_TEST(exposition_well_formed)
{
	struct metrics_values v;
	char *t, *save = NULL, fam[128] = "", type[32] = "";
	int helps = 0;

	metrics_reset();
	fixed_values(&v);
	t = render(&v);
	ck_assert(t[strlen(t) - 1] == '\n');
	for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert(sscanf(line + 7, "%127s", name) == 1);
			ck_assert_msg(strcmp(fam, name) < 0, "%s after %s", name, fam);
			strcpy(fam, name);
			type[0] = '\0';
			helps++;
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert(sscanf(line + 7, "%127s %31s", name, type) == 2);
			ck_assert_str_eq(name, fam);
			ck_assert(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
			    strcmp(type, "histogram") == 0);
		} else {
			size_t n = strcspn(line, "{ ");
			ck_assert(n < sizeof(name));
			memcpy(name, line, n);
			name[n] = '\0';
			ck_assert_msg(type[0], "sample before TYPE: %s", line);
			if (strcmp(type, "histogram") == 0) {
				size_t fl = strlen(fam);
				ck_assert(strncmp(name, fam, fl) == 0);
				ck_assert(strcmp(name + fl, "_bucket") == 0 || strcmp(name + fl, "_sum") == 0 ||
				    strcmp(name + fl, "_count") == 0);
			} else {
				ck_assert_str_eq(name, fam);
			}
			/* A value follows the last space. */
			ck_assert(strrchr(line, ' ')[1] != '\0');
		}
	}
	ck_assert_int_ge(helps, 20);
	free(t);
}
END_TEST

/* Within a family, client_golang sorts series by their label values (in
 * label name order); our fixed tables must come out in that order. */
START_TEST(series_sorted_as_client_golang)
{
	struct metrics_values v;
	char *t, *save = NULL, prev[512] = "", fam[128] = "";

	metrics_reset();
	fixed_values(&v);
	/* Lazy series, shown once used, must fall into place too. */
	metrics_grpc_started(metrics_grpc_method("/v3electionpb.Election/Observe"));
	metrics_grpc_started(metrics_grpc_method("/v3lockpb.Lock/Unlock"));
	t = render(&v);
	for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *brace = strchr(line, '{');
		if (line[0] == '#' || !brace || strncmp(line, "grpc_", 5) != 0)
			continue;
		if (strncmp(line, fam, (size_t)(brace - line)) != 0 || fam[brace - line] != '\0') {
			snprintf(fam, sizeof(fam), "%.*s", (int)(brace - line), line);
			prev[0] = '\0';
		}
		*strrchr(brace, ' ') = '\0';
		ck_assert_msg(strcmp(prev, brace) < 0, "%s after %s in %s", brace, prev, fam);
		snprintf(prev, sizeof(prev), "%s", brace);
	}
	free(t);
}
END_TEST

START_TEST(render_obeys_cap)
{
	struct metrics_values v;
	struct buf b;

	fixed_values(&v);
	buf_init(&b, 4096);
	ck_assert_int_lt(metrics_render(&b, &v), 0);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, floats_as_go);
	tcase_add_test(tc, float_truncates_safely);
	tcase_add_test(tc, histogram_buckets);
	tcase_add_test(tc, grpc_method_table);
	tcase_add_test(tc, exposition_as_etcd);
	tcase_add_test(tc, no_leader_no_db);
	tcase_add_test(tc, exposition_well_formed);
	tcase_add_test(tc, series_sorted_as_client_golang);
	tcase_add_test(tc, render_obeys_cap);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
