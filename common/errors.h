/*
 * errors.h - the one table of cetcd errors.
 *
 * Each error has a code (enum cetcd_err), the gRPC status code and message
 * etcd 3.4 answers with (etcdserver/api/v3rpc/rpctypes/error.go), and through
 * the gRPC code the HTTP status the JSON gateway uses (grpc-gateway's
 * HTTPStatusFromCode).  The gRPC and gateway layers translate only through
 * this table: no etcd error string is typed anywhere else.
 */
#ifndef CETCD_COMMON_ERRORS_H
#define CETCD_COMMON_ERRORS_H

/* gRPC status codes (google.golang.org/grpc/codes). */
enum grpc_code {
	GRPC_OK = 0,
	GRPC_CANCELED = 1,
	GRPC_UNKNOWN = 2,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_ALREADY_EXISTS = 6,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_FAILED_PRECONDITION = 9,
	GRPC_ABORTED = 10,
	GRPC_OUT_OF_RANGE = 11,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_INTERNAL = 13,
	GRPC_UNAVAILABLE = 14,
	GRPC_DATA_LOSS = 15,
	GRPC_UNAUTHENTICATED = 16,
};

/* X(name, grpc code, message) */
#define CETCD_ERRORS(X) \
	X(EMPTY_KEY, GRPC_INVALID_ARGUMENT, "etcdserver: key is not provided") \
	X(KEY_NOT_FOUND, GRPC_INVALID_ARGUMENT, "etcdserver: key not found") \
	X(VALUE_PROVIDED, GRPC_INVALID_ARGUMENT, "etcdserver: value is provided") \
	X(LEASE_PROVIDED, GRPC_INVALID_ARGUMENT, "etcdserver: lease is provided") \
	X(TOO_MANY_OPS, GRPC_INVALID_ARGUMENT, "etcdserver: too many operations in txn request") \
	X(DUPLICATE_KEY, GRPC_INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request") \
	X(COMPACTED, GRPC_OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted") \
	X(FUTURE_REV, GRPC_OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision") \
	X(NO_SPACE, GRPC_RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded") \
	X(LEASE_NOT_FOUND, GRPC_NOT_FOUND, "etcdserver: requested lease not found") \
	X(LEASE_EXIST, GRPC_FAILED_PRECONDITION, "etcdserver: lease already exists") \
	X(LEASE_TTL_TOO_LARGE, GRPC_OUT_OF_RANGE, "etcdserver: too large lease TTL") \
	X(WATCH_CANCELED, GRPC_CANCELED, "etcdserver: watch canceled") \
	X(MEMBER_EXIST, GRPC_FAILED_PRECONDITION, "etcdserver: member ID already exist") \
	X(PEER_URL_EXIST, GRPC_FAILED_PRECONDITION, "etcdserver: Peer URLs already exists") \
	X(MEMBER_NOT_ENOUGH_STARTED, GRPC_FAILED_PRECONDITION, "etcdserver: re-configuration failed due to not enough started members") \
	X(MEMBER_BAD_URLS, GRPC_INVALID_ARGUMENT, "etcdserver: given member URLs are invalid") \
	X(MEMBER_NOT_FOUND, GRPC_NOT_FOUND, "etcdserver: member not found") \
	X(MEMBER_NOT_LEARNER, GRPC_FAILED_PRECONDITION, "etcdserver: can only promote a learner member") \
	X(LEARNER_NOT_READY, GRPC_FAILED_PRECONDITION, "etcdserver: can only promote a learner member which is in sync with leader") \
	X(TOO_MANY_LEARNERS, GRPC_FAILED_PRECONDITION, "etcdserver: too many learner members in cluster") \
	X(REQUEST_TOO_LARGE, GRPC_INVALID_ARGUMENT, "etcdserver: request is too large") \
	X(TOO_MANY_REQUESTS, GRPC_RESOURCE_EXHAUSTED, "etcdserver: too many requests") \
	X(ROOT_USER_NOT_EXIST, GRPC_FAILED_PRECONDITION, "etcdserver: root user does not exist") \
	X(ROOT_ROLE_NOT_EXIST, GRPC_FAILED_PRECONDITION, "etcdserver: root user does not have root role") \
	X(USER_ALREADY_EXIST, GRPC_FAILED_PRECONDITION, "etcdserver: user name already exists") \
	X(USER_EMPTY, GRPC_INVALID_ARGUMENT, "etcdserver: user name is empty") \
	X(USER_NOT_FOUND, GRPC_FAILED_PRECONDITION, "etcdserver: user name not found") \
	X(ROLE_ALREADY_EXIST, GRPC_FAILED_PRECONDITION, "etcdserver: role name already exists") \
	X(ROLE_NOT_FOUND, GRPC_FAILED_PRECONDITION, "etcdserver: role name not found") \
	X(ROLE_EMPTY, GRPC_INVALID_ARGUMENT, "etcdserver: role name is empty") \
	X(AUTH_FAILED, GRPC_INVALID_ARGUMENT, "etcdserver: authentication failed, invalid user ID or password") \
	X(PERMISSION_DENIED, GRPC_PERMISSION_DENIED, "etcdserver: permission denied") \
	X(ROLE_NOT_GRANTED, GRPC_FAILED_PRECONDITION, "etcdserver: role is not granted to the user") \
	X(PERMISSION_NOT_GRANTED, GRPC_FAILED_PRECONDITION, "etcdserver: permission is not granted to the role") \
	X(AUTH_NOT_ENABLED, GRPC_FAILED_PRECONDITION, "etcdserver: authentication is not enabled") \
	X(INVALID_AUTH_TOKEN, GRPC_UNAUTHENTICATED, "etcdserver: invalid auth token") \
	X(INVALID_AUTH_MGMT, GRPC_INVALID_ARGUMENT, "etcdserver: invalid auth management") \
	X(AUTH_OLD_REVISION, GRPC_INVALID_ARGUMENT, "etcdserver: revision of auth store is old") \
	X(NO_LEADER, GRPC_UNAVAILABLE, "etcdserver: no leader") \
	X(NOT_LEADER, GRPC_FAILED_PRECONDITION, "etcdserver: not leader") \
	X(LEADER_CHANGED, GRPC_UNAVAILABLE, "etcdserver: leader changed") \
	X(NOT_CAPABLE, GRPC_UNAVAILABLE, "etcdserver: not capable") \
	X(STOPPED, GRPC_UNAVAILABLE, "etcdserver: server stopped") \
	X(TIMEOUT, GRPC_UNAVAILABLE, "etcdserver: request timed out") \
	X(TIMEOUT_LEADER_FAIL, GRPC_UNAVAILABLE, "etcdserver: request timed out, possibly due to previous leader failure") \
	X(TIMEOUT_CONNECTION_LOST, GRPC_UNAVAILABLE, "etcdserver: request timed out, possibly due to connection lost") \
	X(TIMEOUT_WAIT_APPLIED, GRPC_UNAVAILABLE, "etcdserver: request timed out, waiting for the applied index took too long") \
	X(UNHEALTHY, GRPC_UNAVAILABLE, "etcdserver: unhealthy cluster") \
	X(CORRUPT, GRPC_DATA_LOSS, "etcdserver: corrupt cluster") \
	X(NOT_SUPPORTED_FOR_LEARNER, GRPC_UNAVAILABLE, "etcdserver: rpc not supported for learner") \
	X(BAD_LEADER_TRANSFEREE, GRPC_FAILED_PRECONDITION, "etcdserver: bad leader transferee") \
	X(NO_MEMORY, GRPC_RESOURCE_EXHAUSTED, "etcdserver: out of memory") \
	X(INTERNAL, GRPC_INTERNAL, "etcdserver: internal error")

enum cetcd_err {
	CETCD_OK = 0,
#define CETCD_ERR_ENUM(name, code, msg) CETCD_E_##name,
	CETCD_ERRORS(CETCD_ERR_ENUM)
#undef CETCD_ERR_ENUM
	CETCD_E__COUNT
};

/* etcd's message for err ("etcdserver: ..."); "" for CETCD_OK. */
const char *cetcd_err_message(enum cetcd_err err);

/* The gRPC status code etcd answers err with. */
enum grpc_code cetcd_err_grpc_code(enum cetcd_err err);

/* The error whose message is msg, or CETCD_E_INTERNAL: used where a message
 * arrives from elsewhere (the storage process, a peer). */
enum cetcd_err cetcd_err_from_message(const char *msg);

/* The HTTP status the JSON gateway gives a gRPC code (grpc-gateway). */
int grpc_code_http_status(enum grpc_code code);

/* The canonical name, e.g. "InvalidArgument", as grpc-go prints it. */
const char *grpc_code_name(enum grpc_code code);

#endif
