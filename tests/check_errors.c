/*
 * check_errors.c - the error table answers with etcd's codes and texts, and
 * the gateway's HTTP statuses are grpc-gateway's.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

START_TEST(etcd_texts)
{
	ck_assert_str_eq(cetcd_err_message(CETCD_E_EMPTY_KEY), "etcdserver: key is not provided");
	ck_assert_int_eq(cetcd_err_grpc_code(CETCD_E_EMPTY_KEY), GRPC_INVALID_ARGUMENT);
	ck_assert_str_eq(cetcd_err_message(CETCD_E_COMPACTED),
	    "etcdserver: mvcc: required revision has been compacted");
	ck_assert_int_eq(cetcd_err_grpc_code(CETCD_E_COMPACTED), GRPC_OUT_OF_RANGE);
	ck_assert_int_eq(cetcd_err_grpc_code(CETCD_E_NO_SPACE), GRPC_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(cetcd_err_grpc_code(CETCD_E_TIMEOUT), GRPC_UNAVAILABLE);
	ck_assert_str_eq(cetcd_err_message(CETCD_OK), "");
	ck_assert_int_eq(cetcd_err_grpc_code(CETCD_OK), GRPC_OK);
	/* Out-of-table values are internal errors, never a crash. */
	ck_assert_int_eq(cetcd_err_grpc_code((enum cetcd_err)9999), GRPC_INTERNAL);
}
END_TEST

START_TEST(every_message_unique_and_round_trips)
{
	for (int i = 1; i < CETCD_E__COUNT; i++) {
		const char *m = cetcd_err_message((enum cetcd_err)i);
		ck_assert_msg(strncmp(m, "etcdserver: ", 12) == 0, "%s", m);
		ck_assert_int_eq(cetcd_err_from_message(m), i);
	}
	ck_assert_int_eq(cetcd_err_from_message("something else"), CETCD_E_INTERNAL);
}
END_TEST

START_TEST(gateway_status)
{
	ck_assert_int_eq(grpc_code_http_status(GRPC_INVALID_ARGUMENT), 400);
	ck_assert_int_eq(grpc_code_http_status(GRPC_FAILED_PRECONDITION), 412);
	ck_assert_int_eq(grpc_code_http_status(GRPC_RESOURCE_EXHAUSTED), 429);
	ck_assert_int_eq(grpc_code_http_status(GRPC_UNAVAILABLE), 503);
	ck_assert_int_eq(grpc_code_http_status(GRPC_UNIMPLEMENTED), 501);
	ck_assert_str_eq(grpc_code_name(GRPC_OUT_OF_RANGE), "OutOfRange");
	ck_assert_str_eq(grpc_code_name(GRPC_UNAUTHENTICATED), "Unauthenticated");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, etcd_texts);
	tcase_add_test(tc, every_message_unique_and_round_trips);
	tcase_add_test(tc, gateway_status);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
