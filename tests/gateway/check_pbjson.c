/*
 * check_pbjson.c - JSON exactly as etcd 3.4's gateway writes and reads it.
 * The expected texts were printed by etcd 3.4.23 (curl on /v3/kv/...).
 * Go's scanner texts themselves are in check_gojson.c.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/gateway/pbjson.h"
#include "proto/rpc.pb-c.h"

static char *encode(const ProtobufCMessage *m)
{
	static char text[8192];
	struct buf b;

	buf_init(&b, sizeof(text) - 1);
	ck_assert_int_eq(pbjson_encode(m, &b), 0);
	memcpy(text, buf_data(&b), buf_len(&b));
	text[buf_len(&b)] = '\0';
	buf_free(&b);
	return text;
}

START_TEST(range_response_as_etcd)
{
	Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
	Mvccpb__KeyValue kv = MVCCPB__KEY_VALUE__INIT;
	Mvccpb__KeyValue *kvs[] = { &kv };
	Etcdserverpb__RangeResponse r = ETCDSERVERPB__RANGE_RESPONSE__INIT;

	h.cluster_id = 13455796455940752355ULL;
	h.member_id = 443629905751424238ULL;
	h.revision = 2;
	h.raft_term = 2;
	kv.key.data = (uint8_t *)"foo";
	kv.key.len = 3;
	kv.value.data = (uint8_t *)"bar";
	kv.value.len = 3;
	kv.create_revision = 2;
	kv.mod_revision = 2;
	kv.version = 1;
	r.header = &h;
	r.kvs = kvs;
	r.n_kvs = 1;
	r.count = 1;
	ck_assert_str_eq(encode(&r.base),
	    "{\"header\":{\"cluster_id\":\"13455796455940752355\",\"member_id\":\"443629905751424238\","
	    "\"revision\":\"2\",\"raft_term\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\","
	    "\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YmFy\"}],\"count\":\"1\"}");

	/* No match: only the header; "more" and "count" are zero and left out. */
	r.kvs = NULL;
	r.n_kvs = 0;
	r.count = 0;
	ck_assert_str_eq(encode(&r.base),
	    "{\"header\":{\"cluster_id\":\"13455796455940752355\",\"member_id\":\"443629905751424238\","
	    "\"revision\":\"2\",\"raft_term\":\"2\"}}");
}
END_TEST

START_TEST(status_response_camel_fields)
{
	Etcdserverpb__StatusResponse s = ETCDSERVERPB__STATUS_RESPONSE__INIT;
	s.version = "3.4.23";
	s.dbsize = 20480;
	s.leader = 443629905751424238ULL;
	s.raftindex = 5;
	s.raftterm = 2;
	s.raftappliedindex = 5;
	s.dbsizeinuse = 16384;
	ck_assert_str_eq(encode(&s.base),
	    "{\"version\":\"3.4.23\",\"dbSize\":\"20480\",\"leader\":\"443629905751424238\","
	    "\"raftIndex\":\"5\",\"raftTerm\":\"2\",\"raftAppliedIndex\":\"5\",\"dbSizeInUse\":\"16384\"}");
}
END_TEST

START_TEST(enums_oneofs_and_empty_messages)
{
	Etcdserverpb__RangeRequest rr = ETCDSERVERPB__RANGE_REQUEST__INIT;
	Etcdserverpb__RequestOp op = ETCDSERVERPB__REQUEST_OP__INIT;
	rr.sort_order = ETCDSERVERPB__RANGE_REQUEST__SORT_ORDER__DESCEND;
	ck_assert_str_eq(encode(&rr.base), "{\"sort_order\":\"DESCEND\"}");
	op.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE;
	op.request_range = &rr;
	ck_assert_str_eq(encode(&op.base), "{\"request_range\":{\"sort_order\":\"DESCEND\"}}");
	rr.sort_order = 0;
	ck_assert_str_eq(encode(&op.base), "{\"request_range\":{}}");
}
END_TEST

START_TEST(strings_escaped_as_go)
{
	Etcdserverpb__StatusResponse s = ETCDSERVERPB__STATUS_RESPONSE__INIT;
	s.version = "a\"b\\c\n<&>\x01\xff\xe2\x80\xa8\xc3\xa9";
	ck_assert_str_eq(encode(&s.base),
	    "{\"version\":\"a\\\"b\\\\c\\n\\u003c\\u0026\\u003e\\u0001\\ufffd\\u2028\xc3\xa9\"}");
}
END_TEST

START_TEST(output_cap)
{
	Etcdserverpb__StatusResponse s = ETCDSERVERPB__STATUS_RESPONSE__INIT;
	struct buf b;
	s.version = "a fairly long version string";
	buf_init(&b, 16);
	ck_assert_int_eq(pbjson_encode(&s.base, &b), -1);
	buf_free(&b);
}
END_TEST

static ProtobufCMessage *decode(const ProtobufCMessageDescriptor *d, const char *json, char *err)
{
	return pbjson_decode(d, json, strlen(json), err, 512);
}

START_TEST(decode_put)
{
	char err[512] = "";
	Etcdserverpb__PutRequest *p = (Etcdserverpb__PutRequest *)decode(
	    &etcdserverpb__put_request__descriptor,
	    "{\"key\":\"Zm9v\",\"value\":\"YmFy\",\"lease\":\"7\",\"prevKv\":true,\"ignore_value\":false}", err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_uint_eq(p->key.len, 3);
	ck_assert(memcmp(p->key.data, "foo", 3) == 0);
	ck_assert(memcmp(p->value.data, "bar", 3) == 0);
	ck_assert_int_eq(p->lease, 7);
	ck_assert(p->prev_kv);
	protobuf_c_message_free_unpacked(&p->base, NULL);

	/* Numbers for int64; bytes as an array of numbers, as encoding/json
	 * fills a []byte. */
	p = (Etcdserverpb__PutRequest *)decode(&etcdserverpb__put_request__descriptor,
	    "{\"key\":[251,255],\"lease\":12}", err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_uint_eq(p->key.len, 2);
	ck_assert_uint_eq(p->key.data[0], 0xfb);
	ck_assert_uint_eq(p->key.data[1], 0xff);
	ck_assert_int_eq(p->lease, 12);
	protobuf_c_message_free_unpacked(&p->base, NULL);

	/* Empty body: an empty request, as grpc-gateway. */
	p = (Etcdserverpb__PutRequest *)pbjson_decode(&etcdserverpb__put_request__descriptor, "", 0, err, 256);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->key.len, 0);
	protobuf_c_message_free_unpacked(&p->base, NULL);
}
END_TEST

START_TEST(decode_txn_nested)
{
	char err[512] = "";
	Etcdserverpb__TxnRequest *t = (Etcdserverpb__TxnRequest *)decode(
	    &etcdserverpb__txn_request__descriptor,
	    "{\"compare\":[{\"key\":\"Zm9v\",\"result\":\"EQUAL\",\"target\":\"VALUE\",\"value\":\"YmFy\"}],"
	    "\"success\":[{\"request_put\":{\"key\":\"Zm9v\",\"value\":\"YmF6\"}},"
	    "{\"requestRange\":{\"key\":\"Zm9v\",\"sort_order\":2}}],\"failure\":[]}", err);
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(t->n_compare, 1);
	ck_assert_int_eq(t->compare[0]->result, ETCDSERVERPB__COMPARE__COMPARE_RESULT__EQUAL);
	ck_assert_int_eq(t->compare[0]->target, ETCDSERVERPB__COMPARE__COMPARE_TARGET__VALUE);
	ck_assert_int_eq(t->compare[0]->target_union_case, ETCDSERVERPB__COMPARE__TARGET_UNION_VALUE);
	ck_assert_uint_eq(t->n_success, 2);
	ck_assert_int_eq(t->success[0]->request_case, ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT);
	ck_assert(memcmp(t->success[0]->request_put->value.data, "baz", 3) == 0);
	ck_assert_int_eq(t->success[1]->request_case, ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE);
	ck_assert_int_eq(t->success[1]->request_range->sort_order, 2);
	ck_assert_uint_eq(t->n_failure, 0);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}
END_TEST

START_TEST(decode_errors)
{
	char err[512];
	const ProtobufCMessageDescriptor *d = &etcdserverpb__put_request__descriptor;

	ck_assert_ptr_null(decode(d, "{\"key\":5}", err));
	ck_assert_str_eq(err, "json: cannot unmarshal number into Go value of type []uint8");
	/* Unknown fields are ignored, as etcd's gateway does. */
	ProtobufCMessage *u = decode(d, "{\"nope\":{\"x\":[1]},\"key\":\"YQ==\"}", err);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(((Etcdserverpb__PutRequest *)u)->key.len, 1);
	protobuf_c_message_free_unpacked(u, NULL);
	ck_assert_ptr_null(decode(d, "{\"lease\":\"abc\"}", err));
	ck_assert_ptr_null(decode(d, "{\"key\":\"!!!!\"}", err));
	ck_assert_ptr_null(decode(d, "{bad", err));
	ck_assert_ptr_null(decode(d, "[1]", err));
	/* A failure deep inside a nested message frees what was built (ASan). */
	ck_assert_ptr_null(decode(&etcdserverpb__txn_request__descriptor,
	    "{\"success\":[{\"request_put\":{\"key\":\"Zm9v\"}},{\"request_put\":{\"key\":1}}]}", err));
	/* A key given twice keeps the last value and leaks nothing. */
	Etcdserverpb__PutRequest *p = (Etcdserverpb__PutRequest *)decode(d,
	    "{\"key\":\"YQ==\",\"key\":\"Yg==\"}", err);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->key.data[0], 'b');
	protobuf_c_message_free_unpacked(&p->base, NULL);
}
END_TEST

/* Bodies etcd 3.4.23's gateway refuses, and its exact words (curl on
 * /v3/kv/range, /v3/kv/put, /v3/kv/txn, /v3/maintenance/alarm). */
static const struct {
	const ProtobufCMessageDescriptor *d;
	const char *body;
	const char *err;
} refused[] = {
#define RANGE &etcdserverpb__range_request__descriptor
#define PUT &etcdserverpb__put_request__descriptor
#define TXN &etcdserverpb__txn_request__descriptor
#define ALARM &etcdserverpb__alarm_request__descriptor
	{ RANGE, "{", "unexpected EOF" },
	{ RANGE, "<html>", "invalid character '<' looking for beginning of value" },
	{ RANGE, "\"x\"", "json: cannot unmarshal string into Go value of type map[string]json.RawMessage" },
	{ RANGE, "5", "json: cannot unmarshal number into Go value of type map[string]json.RawMessage" },
	{ RANGE, "[]", "json: cannot unmarshal array into Go value of type map[string]json.RawMessage" },
	{ RANGE, "true", "json: cannot unmarshal bool into Go value of type map[string]json.RawMessage" },
	{ RANGE, "{\"key\":5}", "json: cannot unmarshal number into Go value of type []uint8" },
	{ RANGE, "{\"key\":true}", "json: cannot unmarshal bool into Go value of type []uint8" },
	{ RANGE, "{\"key\":{}}", "json: cannot unmarshal object into Go value of type []uint8" },
	{ RANGE, "{\"key\":[256]}", "json: cannot unmarshal number 256 into Go value of type uint8" },
	{ RANGE, "{\"key\":[1,\"a\"]}", "json: cannot unmarshal string into Go value of type uint8" },
	{ RANGE, "{\"key\":[[1]]}", "json: cannot unmarshal array into Go value of type uint8" },
	{ RANGE, "{\"key\":\"a\"}", "illegal base64 data at input byte 0" },
	{ RANGE, "{\"key\":\"YQ\"}", "illegal base64 data at input byte 0" },
	{ RANGE, "{\"key\":\"YQ=\"}", "illegal base64 data at input byte 3" },
	{ RANGE, "{\"key\":\"YQ===\"}", "illegal base64 data at input byte 4" },
	{ RANGE, "{\"key\":\"YWJj-_\"}", "illegal base64 data at input byte 4" },
	{ RANGE, "{\"key\":\"YWJjZA==YQ==\"}", "illegal base64 data at input byte 8" },
	{ RANGE, "{\"key\":\"YW Jj\"}", "illegal base64 data at input byte 2" },
	{ RANGE, "{\"key\":\"Y=Jj\"}", "illegal base64 data at input byte 1" },
	{ RANGE, "{\"key\":\"YWJjZGVmZ2hp!\"}", "illegal base64 data at input byte 12" },
	{ RANGE, "{\"key\":\"YQ==\",\"\\u006bey\":\"!\"}", "illegal base64 data at input byte 0" },
	{ RANGE, "{\"limit\":\"abc\"}", "invalid character 'a' looking for beginning of value" },
	{ RANGE, "{\"limit\":\"12a\"}", "invalid character 'a' after top-level value" },
	{ RANGE, "{\"limit\":\"\"}", "unexpected end of JSON input" },
	{ RANGE, "{\"limit\":\"tru\"}", "invalid character ' ' in literal true (expecting 'e')" },
	{ RANGE, "{\"limit\":\"{\"}", "unexpected end of JSON input" },
	{ RANGE, "{\"limit\":\"\\\"1\\\"\"}", "invalid character '\\\\' looking for beginning of value" },
	{ RANGE, "{\"limit\":\"1.5\"}", "json: cannot unmarshal number 1.5 into Go value of type int64" },
	{ RANGE, "{\"limit\":1e3}", "json: cannot unmarshal number 1e3 into Go value of type int64" },
	{ RANGE, "{\"limit\":9223372036854775808}",
	  "json: cannot unmarshal number 9223372036854775808 into Go value of type int64" },
	{ RANGE, "{\"limit\":\"-9223372036854775809\"}",
	  "json: cannot unmarshal number -9223372036854775809 into Go value of type int64" },
	{ RANGE, "{\"limit\":[1]}", "json: cannot unmarshal array into Go value of type int64" },
	{ RANGE, "{\"limit\":{}}", "json: cannot unmarshal object into Go value of type int64" },
	{ RANGE, "{\"limit\":\"true\"}", "json: cannot unmarshal bool into Go value of type int64" },
	{ RANGE, "{\"limit\":\"[1]\"}", "json: cannot unmarshal array into Go value of type int64" },
	{ RANGE, "{\"serializable\":\"true\"}", "json: cannot unmarshal string into Go value of type bool" },
	{ RANGE, "{\"serializable\":1}", "json: cannot unmarshal number into Go value of type bool" },
	{ RANGE, "{\"sort_order\":\"FOO\"}", "unknown value \"FOO\" for enum etcdserverpb.RangeRequest_SortOrder" },
	{ RANGE, "{\"sort_order\":\"A\\\"B\"}",
	  "unknown value \"A\\\\\\\"B\" for enum etcdserverpb.RangeRequest_SortOrder" },
	{ RANGE, "{\"sort_order\":\"\\u00e9\\t\"}",
	  "unknown value \"\\\\u00e9\\\\t\" for enum etcdserverpb.RangeRequest_SortOrder" },
	{ RANGE, "{\"sort_order\":\"\xff\"}", "unknown value \"\\xff\" for enum etcdserverpb.RangeRequest_SortOrder" },
	{ RANGE, "{\"sort_order\":true}",
	  "json: cannot unmarshal bool into Go value of type etcdserverpb.RangeRequest_SortOrder" },
	{ RANGE, "{\"sort_order\":1.5}",
	  "json: cannot unmarshal number 1.5 into Go value of type etcdserverpb.RangeRequest_SortOrder" },
	{ RANGE, "{\"sort_order\":4294967296}",
	  "json: cannot unmarshal number 4294967296 into Go value of type etcdserverpb.RangeRequest_SortOrder" },
	/* Fields fail in declaration order, wherever they sit in the body. */
	{ RANGE, "{\"serializable\":\"y\",\"limit\":\"x\"}", "invalid character 'x' looking for beginning of value" },
	{ PUT, "{\"key\":\"Zm9v\",\"lease\":\"18446744073709551615\"}",
	  "json: cannot unmarshal number 18446744073709551615 into Go value of type int64" },
	{ TXN, "{\"compare\":{}}", "json: cannot unmarshal object into Go value of type []json.RawMessage" },
	{ TXN, "{\"success\":5}", "json: cannot unmarshal number into Go value of type []json.RawMessage" },
	{ TXN, "{\"compare\":[5]}", "json: cannot unmarshal number into Go value of type map[string]json.RawMessage" },
	{ TXN, "{\"compare\":[{\"result\":\"NOPE\"}]}",
	  "unknown value \"NOPE\" for enum etcdserverpb.Compare_CompareResult" },
	{ TXN, "{\"compare\":[{\"key\":\"Zm9v\",\"version\":\"x\"}]}",
	  "invalid character 'x' looking for beginning of value" },
	{ TXN, "{\"success\":[{\"request_put\":[]}]}",
	  "json: cannot unmarshal array into Go value of type map[string]json.RawMessage" },
	{ TXN, "{\"success\":[{\"request_range\":{\"limit\":true}}]}",
	  "json: cannot unmarshal bool into Go value of type int64" },
	{ ALARM, "{\"action\":\"NOPE\"}", "unknown value \"NOPE\" for enum etcdserverpb.AlarmRequest_AlarmAction" },
	{ ALARM, "{\"action\":\"ACTIVATE\",\"memberID\":\"-1\"}",
	  "json: cannot unmarshal number -1 into Go value of type uint64" },
	{ ALARM, "{\"memberID\":18446744073709551616}",
	  "json: cannot unmarshal number 18446744073709551616 into Go value of type uint64" },
	{ ALARM, "{\"memberID\":1.0}", "json: cannot unmarshal number 1.0 into Go value of type uint64" },
#undef RANGE
#undef PUT
#undef TXN
#undef ALARM
};

START_TEST(decode_refused_as_etcd)
{
	char err[512] = "";
	ProtobufCMessage *m = decode(refused[_i].d, refused[_i].body, err);

	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	ck_assert_msg(m == NULL, "%s was accepted", refused[_i].body);
	ck_assert_str_eq(err, refused[_i].err);
}
END_TEST

/* What etcd accepts that a stricter parser would not. */
START_TEST(decode_accepted_as_etcd)
{
	char err[512] = "";
	Etcdserverpb__RangeRequest *r;

	/* Only the first value counts; camelCase beats the proto name; null
	 * unsets; quoted numbers may carry spaces; '\n' inside base64 is
	 * skipped; a key given twice keeps the last. */
	r = (Etcdserverpb__RangeRequest *)decode(&etcdserverpb__range_request__descriptor,
	    "{\"key\":\"eA==\",\"key\":\"Zm9v\\n\",\"range_end\":\"!\",\"rangeEnd\":\"Zm9w\","
	    "\"limit\":\" 2 \",\"revision\":null,\"sort_order\":1,\"unknown\":{\"a\":[1]}} trailing", err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(r->key.len, 3);
	ck_assert(memcmp(r->key.data, "foo", 3) == 0);
	ck_assert_uint_eq(r->range_end.len, 3);
	ck_assert_int_eq(r->limit, 2);
	ck_assert_int_eq(r->revision, 0);
	ck_assert_int_eq(r->sort_order, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* White space only, and null, are empty requests. */
	r = (Etcdserverpb__RangeRequest *)decode(&etcdserverpb__range_request__descriptor, " \n", err);
	ck_assert_ptr_nonnull(r);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	r = (Etcdserverpb__RangeRequest *)decode(&etcdserverpb__range_request__descriptor, "null", err);
	ck_assert_ptr_nonnull(r);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A null message leaves a oneof unset; a null scalar sets it to zero. */
	Etcdserverpb__TxnRequest *t = (Etcdserverpb__TxnRequest *)decode(&etcdserverpb__txn_request__descriptor,
	    "{\"compare\":[{\"key\":\"Zm9v\",\"version\":null}],\"success\":[{\"request_range\":null}]}", err);
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_int_eq(t->compare[0]->target_union_case, ETCDSERVERPB__COMPARE__TARGET_UNION_VERSION);
	ck_assert_int_eq(t->success[0]->request_case, ETCDSERVERPB__REQUEST_OP__REQUEST__NOT_SET);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}
END_TEST

/* A txn nested past what the stack can take is refused as etcd refuses
 * one nested past --max-txn-ops. */
START_TEST(decode_deep_nesting)
{
	char err[512] = "";
	size_t depth = 1500, n = 0;
	char *s = malloc(depth * 32 + 8);

	for (size_t i = 0; i < depth; i++)
		n += (size_t)sprintf(s + n, "{\"success\":[{\"request_txn\":");
	n += (size_t)sprintf(s + n, "{}");
	for (size_t i = 0; i < depth; i++)
		n += (size_t)sprintf(s + n, "}]}");
	ck_assert_ptr_null(pbjson_decode(&etcdserverpb__txn_request__descriptor, s, n, err, sizeof(err)));
	ck_assert_str_eq(err, "etcdserver: too many operations in txn request");
	free(s);
}
END_TEST

START_TEST(base64_round_trip)
{
	unsigned char src[64], dec[64];
	char enc[128];
	for (size_t n = 0; n < sizeof(src); n++) {
		for (size_t i = 0; i < n; i++)
			src[i] = (unsigned char)(i * 37 + n);
		size_t e = pbjson_b64_encode(src, n, enc);
		ck_assert_uint_eq(e, pbjson_b64_len(n));
		ck_assert_int_eq(pbjson_b64_decode(enc, e, dec, NULL), (long)n);
		ck_assert(memcmp(src, dec, n) == 0);
	}
	/* Go's StdEncoding: padding required, URL-safe letters refused, line
	 * breaks skipped; the offsets are Go's. */
	size_t bad = 99;
	ck_assert_int_eq(pbjson_b64_decode("Zm9v\r\nYmFy", 10, dec, NULL), 6);
	ck_assert_int_eq(pbjson_b64_decode("Zm9vYg", 6, dec, &bad), -1);
	ck_assert_uint_eq(bad, 4);
	ck_assert_int_eq(pbjson_b64_decode("Z", 1, dec, &bad), -1);
	ck_assert_uint_eq(bad, 0);
	ck_assert_int_eq(pbjson_b64_decode("-_8=", 4, dec, &bad), -1);
	ck_assert_uint_eq(bad, 0);
	ck_assert_int_eq(pbjson_b64_decode("YQ=", 3, dec, &bad), -1);
	ck_assert_uint_eq(bad, 3);
	ck_assert_int_eq(pbjson_b64_decode("YQ===", 5, dec, &bad), -1);
	ck_assert_uint_eq(bad, 4);
	ck_assert_int_eq(pbjson_b64_decode("YWJjZA==YQ==", 12, dec, &bad), -1);
	ck_assert_uint_eq(bad, 8);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pbjson");
	TCase *tc = tcase_create("gateway json");
	tcase_add_test(tc, range_response_as_etcd);
	tcase_add_test(tc, status_response_camel_fields);
	tcase_add_test(tc, enums_oneofs_and_empty_messages);
	tcase_add_test(tc, strings_escaped_as_go);
	tcase_add_test(tc, output_cap);
	tcase_add_test(tc, decode_put);
	tcase_add_test(tc, decode_txn_nested);
	tcase_add_test(tc, decode_errors);
	tcase_add_loop_test(tc, decode_refused_as_etcd, 0, (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_test(tc, decode_accepted_as_etcd);
	tcase_add_test(tc, decode_deep_nesting);
	tcase_add_test(tc, base64_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
