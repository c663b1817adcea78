/*
 * errors.c - lookups over the error table in errors.h.  Pure; owns nothing.
 */
#include "config.h"

#include <string.h>

#include "common/errors.h"

struct err_row {
	enum grpc_code code;
	const char *msg;
};

static const struct err_row err_rows[CETCD_E__COUNT] = {
	[CETCD_OK] = { GRPC_OK, "" },
#define CETCD_ERR_ROW(name, code, msg) [CETCD_E_##name] = { code, msg },
	CETCD_ERRORS(CETCD_ERR_ROW)
#undef CETCD_ERR_ROW
};

const char *cetcd_err_message(enum cetcd_err err)
{
	if ((unsigned)err >= CETCD_E__COUNT)
		err = CETCD_E_INTERNAL;
	return err_rows[err].msg;
}

enum grpc_code cetcd_err_grpc_code(enum cetcd_err err)
{
	if ((unsigned)err >= CETCD_E__COUNT)
		err = CETCD_E_INTERNAL;
	return err_rows[err].code;
}

enum cetcd_err cetcd_err_from_message(const char *msg)
{
	for (int i = 1; i < CETCD_E__COUNT; i++)
		if (strcmp(err_rows[i].msg, msg) == 0)
			return (enum cetcd_err)i;
	return CETCD_E_INTERNAL;
}

int grpc_code_http_status(enum grpc_code code)
{
	switch (code) {
	case GRPC_OK: return 200;
	case GRPC_CANCELED: return 408;
	case GRPC_UNKNOWN: return 500;
	case GRPC_INVALID_ARGUMENT: return 400;
	case GRPC_DEADLINE_EXCEEDED: return 504;
	case GRPC_NOT_FOUND: return 404;
	case GRPC_ALREADY_EXISTS: return 409;
	case GRPC_PERMISSION_DENIED: return 403;
	case GRPC_UNAUTHENTICATED: return 401;
	case GRPC_RESOURCE_EXHAUSTED: return 429;
	case GRPC_FAILED_PRECONDITION: return 412;
	case GRPC_ABORTED: return 409;
	case GRPC_OUT_OF_RANGE: return 400;
	case GRPC_UNIMPLEMENTED: return 501;
	case GRPC_INTERNAL: return 500;
	case GRPC_UNAVAILABLE: return 503;
	case GRPC_DATA_LOSS: return 500;
	}
	return 500;
}

const char *grpc_code_name(enum grpc_code code)
{
	static const char *const names[] = {
		"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
		"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
		"FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
		"Internal", "Unavailable", "DataLoss", "Unauthenticated",
	};
	if ((unsigned)code >= sizeof(names) / sizeof(names[0]))
		return "Unknown";
	return names[code];
}
