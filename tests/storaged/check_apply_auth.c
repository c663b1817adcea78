/*
 * check_apply_auth.c - the applier's auth requests follow etcd 3.4's auth
 * store (auth/store.go) and the admin checks of its auth applier
 * (etcdserver/apply_auth.go), against an on-disk store.  Each rule is a
 * row: the request, who sends it, the error etcd gives (or none), the auth
 * revision afterwards, and what a get/list/authenticate answers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/auth.pb-c.h"
#include "storaged/apply.h"
#include "storaged/db.h"
#include "storaged/mvcc.h"

static char dir[64];
static char dbpath[96];
static struct db *db;
static struct mvcc_store *store;
static struct applier ap;

static void store_open(void)
{
	char err[256];

	ck_assert_int_eq(db_open(dbpath, NULL, &db, err, sizeof(err)), 0);
	ck_assert_int_eq(mvcc_store_open(db, &store), 0);
	ap = (struct applier){ .store = store };
}

static void store_close(void)
{
	mvcc_store_close(store);
	db_close(db);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_apply_auth.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/db", dir);
	store_open();
}

static void teardown(void)
{
	char cmd[128];

	store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

enum op {
	ENABLE, DISABLE, AUTHN, U_ADD, U_ADD_NOPW, U_DEL, U_GET, U_PASSWD, U_GRANT, U_REVOKE,
	U_LIST, R_ADD, R_DEL, R_GET, R_GRANT, R_REVOKE, R_LIST,
};

#define R AUTHPB__PERMISSION__TYPE__READ
#define W AUTHPB__PERMISSION__TYPE__WRITE
#define RW AUTHPB__PERMISSION__TYPE__READWRITE

struct step {
	enum op op;
	/* name / user / role, then role / password / key, then range_end /
	 * simple token, as the request has them. */
	const char *a, *b, *c;
	int perm;
	const char *as;		/* RequestHeader.username */
	enum cetcd_err want;
	int64_t rev;		/* auth revision afterwards */
	const char *out;	/* joined names, perms ("W a-c"), or the token */
};

#define ENTRY_INDEX 42

static ProtobufCBinaryData B(const char *s)
{
	return (ProtobufCBinaryData){ s ? strlen(s) : 0, (uint8_t *)s };
}

static void join(char *buf, size_t len, char **v, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "", v[i]);
}

static void join_perms(char *buf, size_t len, Authpb__Permission **v, size_t n)
{
	static const char *t[] = { "R", "W", "RW" };

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s %.*s-%.*s", i ? "," : "",
		    t[v[i]->permtype], (int)v[i]->key.len, (const char *)v[i]->key.data,
		    (int)v[i]->range_end.len, (const char *)v[i]->range_end.data);
}

/* Applies one row in a batch of its own and checks what it says. */
static void run_step(const struct step *s, size_t row)
{
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	Etcdserverpb__RequestHeader h = ETCDSERVERPB__REQUEST_HEADER__INIT;
	Etcdserverpb__AuthEnableRequest en = ETCDSERVERPB__AUTH_ENABLE_REQUEST__INIT;
	Etcdserverpb__AuthDisableRequest dis = ETCDSERVERPB__AUTH_DISABLE_REQUEST__INIT;
	Etcdserverpb__InternalAuthenticateRequest au = ETCDSERVERPB__INTERNAL_AUTHENTICATE_REQUEST__INIT;
	Etcdserverpb__AuthUserAddRequest ua = ETCDSERVERPB__AUTH_USER_ADD_REQUEST__INIT;
	Authpb__UserAddOptions opts = AUTHPB__USER_ADD_OPTIONS__INIT;
	Etcdserverpb__AuthUserDeleteRequest ud = ETCDSERVERPB__AUTH_USER_DELETE_REQUEST__INIT;
	Etcdserverpb__AuthUserGetRequest ug = ETCDSERVERPB__AUTH_USER_GET_REQUEST__INIT;
	Etcdserverpb__AuthUserChangePasswordRequest up = ETCDSERVERPB__AUTH_USER_CHANGE_PASSWORD_REQUEST__INIT;
	Etcdserverpb__AuthUserGrantRoleRequest ugr = ETCDSERVERPB__AUTH_USER_GRANT_ROLE_REQUEST__INIT;
	Etcdserverpb__AuthUserRevokeRoleRequest urr = ETCDSERVERPB__AUTH_USER_REVOKE_ROLE_REQUEST__INIT;
	Etcdserverpb__AuthUserListRequest ul = ETCDSERVERPB__AUTH_USER_LIST_REQUEST__INIT;
	Etcdserverpb__AuthRoleAddRequest ra = ETCDSERVERPB__AUTH_ROLE_ADD_REQUEST__INIT;
	Etcdserverpb__AuthRoleDeleteRequest rd = ETCDSERVERPB__AUTH_ROLE_DELETE_REQUEST__INIT;
	Etcdserverpb__AuthRoleGetRequest rg = ETCDSERVERPB__AUTH_ROLE_GET_REQUEST__INIT;
	Etcdserverpb__AuthRoleGrantPermissionRequest rgp = ETCDSERVERPB__AUTH_ROLE_GRANT_PERMISSION_REQUEST__INIT;
	Authpb__Permission perm = AUTHPB__PERMISSION__INIT;
	Etcdserverpb__AuthRoleRevokePermissionRequest rrp = ETCDSERVERPB__AUTH_ROLE_REVOKE_PERMISSION_REQUEST__INIT;
	Etcdserverpb__AuthRoleListRequest rl = ETCDSERVERPB__AUTH_ROLE_LIST_REQUEST__INIT;
	Cetcd__Storage__EntryResult res = CETCD__STORAGE__ENTRY_RESULT__INIT;
	char got[512] = "";
	uint64_t rev;

	h.username = (char *)(s->as ? s->as : "");
	r.header = &h;
	switch (s->op) {
	case ENABLE: r.auth_enable = &en; break;
	case DISABLE: r.auth_disable = &dis; break;
	case AUTHN:
		au.name = (char *)s->a;
		au.password = (char *)(s->b ? s->b : "");
		au.simple_token = (char *)(s->c ? s->c : "");
		r.authenticate = &au;
		break;
	case U_ADD_NOPW:
		opts.no_password = 1;
		ua.options = &opts;
		/* fall through */
	case U_ADD:
		ua.name = (char *)s->a;
		ua.password = (char *)(s->b ? s->b : "");
		r.auth_user_add = &ua;
		break;
	case U_DEL: ud.name = (char *)s->a; r.auth_user_delete = &ud; break;
	case U_GET: ug.name = (char *)s->a; r.auth_user_get = &ug; break;
	case U_PASSWD: up.name = (char *)s->a; up.password = (char *)s->b; r.auth_user_change_password = &up; break;
	case U_GRANT: ugr.user = (char *)s->a; ugr.role = (char *)s->b; r.auth_user_grant_role = &ugr; break;
	case U_REVOKE: urr.name = (char *)s->a; urr.role = (char *)s->b; r.auth_user_revoke_role = &urr; break;
	case U_LIST: r.auth_user_list = &ul; break;
	case R_ADD: ra.name = (char *)s->a; r.auth_role_add = &ra; break;
	case R_DEL: rd.role = (char *)s->a; r.auth_role_delete = &rd; break;
	case R_GET: rg.role = (char *)s->a; r.auth_role_get = &rg; break;
	case R_GRANT:
		rgp.name = (char *)s->a;
		perm.key = B(s->b);
		perm.range_end = B(s->c);
		perm.permtype = (Authpb__Permission__Type)s->perm;
		rgp.perm = &perm;
		r.auth_role_grant_permission = &rgp;
		break;
	case R_REVOKE:
		rrp.role = (char *)s->a;
		rrp.key = B(s->b);
		rrp.range_end = B(s->c);
		r.auth_role_revoke_permission = &rrp;
		break;
	case R_LIST: r.auth_role_list = &rl; break;
	}

	ck_assert_int_eq(db_batch_begin(db), 0);
	res.index = ENTRY_INDEX;
	ck_assert_msg(apply_request(&ap, &r, &res) == 0, "row %zu: batch failed", row);
	ck_assert_int_eq(db_batch_commit(db), 0);

	if (s->want == CETCD_OK) {
		ck_assert_msg(!res.error, "row %zu: unexpected error %s", row, res.error ? res.error->message : "");
		ck_assert_msg(res.response_case != CETCD__STORAGE__ENTRY_RESULT__RESPONSE__NOT_SET &&
		    res.response_case != CETCD__STORAGE__ENTRY_RESULT__RESPONSE_EMPTY, "row %zu: no response", row);
	} else {
		ck_assert_msg(res.error && strcmp(res.error->message, cetcd_err_message(s->want)) == 0,
		    "row %zu: want \"%s\", got \"%s\"", row, cetcd_err_message(s->want),
		    res.error ? res.error->message : "no error");
		ck_assert_msg(res.response_case == CETCD__STORAGE__ENTRY_RESULT__RESPONSE__NOT_SET,
		    "row %zu: a response beside the error", row);
	}
	ck_assert_int_eq(db_auth_revision_get(db, &rev), 0);
	ck_assert_msg((int64_t)rev == s->rev, "row %zu: auth revision %llu, want %lld", row,
	    (unsigned long long)rev, (long long)s->rev);
	if (s->want == CETCD_OK && s->out) {
		switch (s->op) {
		case U_GET: join(got, sizeof(got), res.auth_user_get->roles, res.auth_user_get->n_roles); break;
		case U_LIST: join(got, sizeof(got), res.auth_user_list->users, res.auth_user_list->n_users); break;
		case R_LIST: join(got, sizeof(got), res.auth_role_list->roles, res.auth_role_list->n_roles); break;
		case R_GET: join_perms(got, sizeof(got), res.auth_role_get->perm, res.auth_role_get->n_perm); break;
		case AUTHN: snprintf(got, sizeof(got), "%s", res.authenticate->token ? res.authenticate->token : ""); break;
		default: break;
		}
		ck_assert_msg(strcmp(got, s->out) == 0, "row %zu: got \"%s\", want \"%s\"", row, got, s->out);
	}
	apply_result_clear(&res);
}

static void run_table(const struct step *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_step(&t[i], i);
}

#define RUN(t) run_table(t, sizeof(t) / sizeof(t[0]))
#define OK CETCD_OK
#define E(x) CETCD_E_##x

/* Users and roles with auth off: names must not be empty or taken,
 * grants need the role (but root), grants are sorted and idempotent,
 * deleting a role takes it from every user; each change moves the auth
 * revision by one, a failure or a no-op does not. */
static const struct step users_roles[] = {
	{ U_ADD, "", "pw", 0, 0, 0, E(USER_EMPTY), 0, 0 },
	{ U_ADD, "alice", "pw", 0, 0, 0, OK, 1, 0 },
	{ U_ADD, "alice", "pw", 0, 0, 0, E(USER_ALREADY_EXIST), 1, 0 },
	{ R_ADD, "", 0, 0, 0, 0, E(ROLE_EMPTY), 1, 0 },
	{ R_ADD, "r1", 0, 0, 0, 0, OK, 2, 0 },
	{ R_ADD, "r1", 0, 0, 0, 0, E(ROLE_ALREADY_EXIST), 2, 0 },
	{ U_GRANT, "alice", "r2", 0, 0, 0, E(ROLE_NOT_FOUND), 2, 0 },
	{ U_GRANT, "alice", "root", 0, 0, 0, OK, 3, 0 },
	{ U_GRANT, "alice", "r1", 0, 0, 0, OK, 4, 0 },
	{ U_GRANT, "alice", "r1", 0, 0, 0, OK, 4, 0 },
	{ U_GET, "alice", 0, 0, 0, 0, OK, 4, "r1,root" },
	{ U_GRANT, "bob", "r1", 0, 0, 0, E(USER_NOT_FOUND), 4, 0 },
	{ U_REVOKE, "alice", "r9", 0, 0, 0, E(ROLE_NOT_GRANTED), 4, 0 },
	{ U_REVOKE, "bob", "r1", 0, 0, 0, E(USER_NOT_FOUND), 4, 0 },
	{ U_REVOKE, "alice", "root", 0, 0, 0, OK, 5, 0 },
	{ U_GET, "alice", 0, 0, 0, 0, OK, 5, "r1" },
	{ U_ADD, "bob", "pw2", 0, 0, 0, OK, 6, 0 },
	{ U_GRANT, "bob", "r1", 0, 0, 0, OK, 7, 0 },
	{ U_ADD_NOPW, "0tls", 0, 0, 0, 0, OK, 8, 0 },
	{ U_LIST, 0, 0, 0, 0, 0, OK, 8, "0tls,alice,bob" },
	{ R_ADD, "a0", 0, 0, 0, 0, OK, 9, 0 },
	{ R_LIST, 0, 0, 0, 0, 0, OK, 9, "a0,r1" },
	{ R_DEL, "r9", 0, 0, 0, 0, E(ROLE_NOT_FOUND), 9, 0 },
	{ R_DEL, "r1", 0, 0, 0, 0, OK, 10, 0 },
	{ U_GET, "alice", 0, 0, 0, 0, OK, 10, "" },
	{ U_GET, "bob", 0, 0, 0, 0, OK, 10, "" },
	{ R_GET, "r1", 0, 0, 0, 0, E(ROLE_NOT_FOUND), 10, 0 },
	{ R_LIST, 0, 0, 0, 0, 0, OK, 10, "a0" },
	{ U_DEL, "carol", 0, 0, 0, 0, E(USER_NOT_FOUND), 10, 0 },
	{ U_DEL, "bob", 0, 0, 0, 0, OK, 11, 0 },
	{ U_GET, "bob", 0, 0, 0, 0, E(USER_NOT_FOUND), 11, 0 },
	{ U_PASSWD, "carol", "x", 0, 0, 0, E(USER_NOT_FOUND), 11, 0 },
	{ U_PASSWD, "alice", "new", 0, 0, 0, OK, 12, 0 },
	{ U_LIST, 0, 0, 0, 0, 0, OK, 12, "0tls,alice" },
	/* With auth off, root may go like anyone. */
	{ U_ADD, "root", "r", 0, 0, 0, OK, 13, 0 },
	{ U_DEL, "root", 0, 0, 0, 0, OK, 14, 0 },
	{ R_ADD, "root", 0, 0, 0, 0, OK, 15, 0 },
	{ R_DEL, "root", 0, 0, 0, 0, OK, 16, 0 },
};

START_TEST(users_and_roles)
{
	RUN(users_roles);
}
END_TEST

/* Permissions: sorted by key; the same key and range_end updates the type
 * in place; the same key with another range_end is a new permission after
 * it; revoke needs the exact key and range_end. */
static const struct step perms[] = {
	{ R_GRANT, "r", "a", "", R, 0, E(ROLE_NOT_FOUND), 0, 0 },
	{ R_ADD, "r", 0, 0, 0, 0, OK, 1, 0 },
	{ R_GRANT, "r", "b", "", R, 0, OK, 2, 0 },
	{ R_GET, "r", 0, 0, 0, 0, OK, 2, "R b-" },
	{ R_GRANT, "r", "a", "c", W, 0, OK, 3, 0 },
	{ R_GRANT, "r", "b", "", W, 0, OK, 4, 0 },
	{ R_GRANT, "r", "b", "z", R, 0, OK, 5, 0 },
	{ R_GRANT, "r", "b", "", RW, 0, OK, 6, 0 },
	{ R_GRANT, "r", "\x01", "\x02", R, 0, OK, 7, 0 },
	{ R_GET, "r", 0, 0, 0, 0, OK, 7, "R \x01-\x02,W a-c,RW b-,R b-z" },
	{ R_REVOKE, "r", "b", "y", 0, 0, E(PERMISSION_NOT_GRANTED), 7, 0 },
	{ R_REVOKE, "r", "a", "", 0, 0, E(PERMISSION_NOT_GRANTED), 7, 0 },
	{ R_REVOKE, "q", "a", "c", 0, 0, E(ROLE_NOT_FOUND), 7, 0 },
	{ R_REVOKE, "r", "b", "", 0, 0, OK, 8, 0 },
	{ R_REVOKE, "r", "\x01", "\x02", 0, 0, OK, 9, 0 },
	{ R_GET, "r", 0, 0, 0, 0, OK, 9, "W a-c,R b-z" },
	{ R_REVOKE, "r", "a", "c", 0, 0, OK, 10, 0 },
	{ R_REVOKE, "r", "b", "z", 0, 0, OK, 11, 0 },
	{ R_GET, "r", 0, 0, 0, 0, OK, 11, "" },
};

START_TEST(permissions)
{
	RUN(perms);
}
END_TEST

/* AuthEnable needs user root holding role root and moves no revision;
 * once on, only root administers (a user may read itself and the roles
 * it holds), root cannot be removed, and AuthDisable moves the revision
 * once. */
static const struct step enable[] = {
	{ ENABLE, 0, 0, 0, 0, 0, E(ROOT_USER_NOT_EXIST), 0, 0 },
	{ U_ADD, "root", "rootpw", 0, 0, 0, OK, 1, 0 },
	{ ENABLE, 0, 0, 0, 0, 0, E(ROOT_ROLE_NOT_EXIST), 1, 0 },
	{ R_ADD, "root", 0, 0, 0, 0, OK, 2, 0 },
	{ U_GRANT, "root", "root", 0, 0, 0, OK, 3, 0 },
	{ U_ADD, "alice", "pw", 0, 0, 0, OK, 4, 0 },
	{ R_ADD, "ra", 0, 0, 0, 0, OK, 5, 0 },
	{ R_ADD, "rb", 0, 0, 0, 0, OK, 6, 0 },
	{ U_GRANT, "alice", "ra", 0, 0, 0, OK, 7, 0 },
	{ ENABLE, 0, 0, 0, 0, 0, OK, 7, 0 },
	{ ENABLE, 0, 0, 0, 0, "root", OK, 7, 0 },
	{ U_ADD, "x", "pw", 0, 0, "", E(USER_EMPTY), 7, 0 },
	{ U_ADD, "x", "pw", 0, 0, "nobody", E(USER_NOT_FOUND), 7, 0 },
	{ U_ADD, "x", "pw", 0, 0, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ U_LIST, 0, 0, 0, 0, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ R_LIST, 0, 0, 0, 0, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ R_ADD, "z", 0, 0, 0, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ R_GRANT, "ra", "a", "", R, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ U_PASSWD, "alice", "pw", 0, 0, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ U_GET, "alice", 0, 0, 0, "alice", OK, 7, "ra" },
	{ U_GET, "root", 0, 0, 0, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ R_GET, "ra", 0, 0, 0, "alice", OK, 7, "" },
	{ R_GET, "rb", 0, 0, 0, "alice", E(PERMISSION_DENIED), 7, 0 },
	{ U_ADD, "x", "pw", 0, 0, "root", OK, 8, 0 },
	{ U_LIST, 0, 0, 0, 0, "root", OK, 8, "alice,root,x" },
	{ U_DEL, "root", 0, 0, 0, "root", E(INVALID_AUTH_MGMT), 8, 0 },
	{ U_REVOKE, "root", "root", 0, 0, "root", E(INVALID_AUTH_MGMT), 8, 0 },
	{ R_DEL, "root", 0, 0, 0, "root", E(INVALID_AUTH_MGMT), 8, 0 },
	{ DISABLE, 0, 0, 0, 0, "alice", E(PERMISSION_DENIED), 8, 0 },
	{ DISABLE, 0, 0, 0, 0, "root", OK, 9, 0 },
	{ DISABLE, 0, 0, 0, 0, "", OK, 9, 0 },
	{ U_LIST, 0, 0, 0, 0, "alice", OK, 9, "alice,root,x" },
	{ U_REVOKE, "root", "root", 0, 0, 0, OK, 10, 0 },
	{ ENABLE, 0, 0, 0, 0, 0, E(ROOT_ROLE_NOT_EXIST), 10, 0 },
};

START_TEST(enable_disable_admin)
{
	bool on;

	RUN(enable);
	ck_assert_int_eq(db_auth_enabled_get(db, &on), 0);
	ck_assert(!on);
}
END_TEST

/* Authenticate: auth must be on; an unknown user, a no-password user or a
 * wrong password fail alike; the token is the proposer's prefix and the
 * entry index; an empty password was checked by the proposer (etcd 3.4
 * leaves it out of the entry). */
static const struct step authn[] = {
	{ AUTHN, "root", "rootpw", "tok", 0, 0, E(AUTH_NOT_ENABLED), 0, 0 },
	{ U_ADD, "root", "rootpw", 0, 0, 0, OK, 1, 0 },
	{ U_GRANT, "root", "root", 0, 0, 0, OK, 2, 0 },
	{ U_ADD, "alice", "pw", 0, 0, 0, OK, 3, 0 },
	{ U_ADD_NOPW, "tls", "ignored", 0, 0, 0, OK, 4, 0 },
	{ ENABLE, 0, 0, 0, 0, 0, OK, 4, 0 },
	{ AUTHN, "root", "rootpw", "tok", 0, 0, OK, 4, "tok.42" },
	{ AUTHN, "alice", "pw", "AbCd", 0, 0, OK, 4, "AbCd.42" },
	{ AUTHN, "alice", "", "AbCd", 0, 0, OK, 4, "AbCd.42" },
	{ AUTHN, "alice", "PW", "AbCd", 0, 0, E(AUTH_FAILED), 4, 0 },
	{ AUTHN, "nobody", "pw", "t", 0, 0, E(AUTH_FAILED), 4, 0 },
	{ AUTHN, "tls", "", "t", 0, 0, E(AUTH_FAILED), 4, 0 },
	{ AUTHN, "tls", "ignored", "t", 0, 0, E(AUTH_FAILED), 4, 0 },
	{ AUTHN, "alice", "pw", "", 0, 0, OK, 4, "" },
	{ U_PASSWD, "alice", "pw2", 0, 0, "root", OK, 5, 0 },
	{ AUTHN, "alice", "pw", "t", 0, 0, E(AUTH_FAILED), 5, 0 },
	{ AUTHN, "alice", "pw2", "t", 0, 0, OK, 5, "t.42" },
};

START_TEST(authenticate)
{
	RUN(authn);
}
END_TEST

/* The records on disk are authpb.User / authpb.Role as etcd writes them:
 * a bcrypt hash, sorted roles, explicit options; they and the flag survive
 * a reopen. */
START_TEST(on_disk_records)
{
	static const struct step t[] = {
		{ U_ADD, "root", "secret", 0, 0, 0, OK, 1, 0 },
		{ R_ADD, "b", 0, 0, 0, 0, OK, 2, 0 },
		{ R_ADD, "a", 0, 0, 0, 0, OK, 3, 0 },
		{ U_GRANT, "root", "root", 0, 0, 0, OK, 4, 0 },
		{ U_GRANT, "root", "b", 0, 0, 0, OK, 5, 0 },
		{ U_GRANT, "root", "a", 0, 0, 0, OK, 6, 0 },
		{ R_GRANT, "a", "k", "l", RW, 0, OK, 7, 0 },
		{ ENABLE, 0, 0, 0, 0, 0, OK, 7, 0 },
	};
	void *val = NULL;
	size_t n = 0;
	bool on = false;
	uint64_t rev = 0;

	RUN(t);
	store_close();
	store_open();
	ck_assert_int_eq(db_table_get(db, DB_T_AUTH_USERS, "root", 4, &val, &n), 0);
	Authpb__User *u = authpb__user__unpack(NULL, n, val);
	free(val);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(u->name.len, 4);
	ck_assert(u->password.len == 60 && memcmp(u->password.data, "$2b$10$", 7) == 0);
	ck_assert_uint_eq(u->n_roles, 3);
	ck_assert_str_eq(u->roles[0], "a");
	ck_assert_str_eq(u->roles[1], "b");
	ck_assert_str_eq(u->roles[2], "root");
	ck_assert_ptr_nonnull(u->options);
	ck_assert(!u->options->no_password);
	authpb__user__free_unpacked(u, NULL);

	ck_assert_int_eq(db_table_get(db, DB_T_AUTH_ROLES, "a", 1, &val, &n), 0);
	Authpb__Role *ro = authpb__role__unpack(NULL, n, val);
	free(val);
	ck_assert_ptr_nonnull(ro);
	ck_assert_uint_eq(ro->n_keypermission, 1);
	ck_assert_int_eq(ro->keypermission[0]->permtype, RW);
	authpb__role__free_unpacked(ro, NULL);

	ck_assert_int_eq(db_auth_enabled_get(db, &on), 0);
	ck_assert(on);
	ck_assert_int_eq(db_auth_revision_get(db, &rev), 0);
	ck_assert_uint_eq(rev, 7);

	/* Still enforced after the reopen. */
	static const struct step after[] = {
		{ AUTHN, "root", "secret", "p", 0, 0, OK, 7, "p.42" },
		{ U_DEL, "root", 0, 0, 0, "root", E(INVALID_AUTH_MGMT), 7, 0 },
	};
	RUN(after);
}
END_TEST

/* A user whose stored record is not an authpb.User fails the batch (etcd
 * panics), rather than being read as some other user. */
START_TEST(corrupt_record_fails_batch)
{
	Etcdserverpb__InternalRaftRequest r = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	Etcdserverpb__AuthUserGetRequest ug = ETCDSERVERPB__AUTH_USER_GET_REQUEST__INIT;
	Cetcd__Storage__EntryResult res = CETCD__STORAGE__ENTRY_RESULT__INIT;

	ck_assert_int_eq(db_batch_begin(db), 0);
	ck_assert_int_eq(db_table_put(db, DB_T_AUTH_USERS, "bad", 3, "\xff\xff\xff", 3), 0);
	ug.name = "bad";
	r.auth_user_get = &ug;
	ck_assert_int_eq(apply_request(&ap, &r, &res), -1);
	ck_assert_ptr_nonnull(res.error);
	apply_result_clear(&res);
	db_batch_rollback(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apply_auth");
	TCase *tc = tcase_create("auth");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	/* bcrypt at etcd's cost takes tens of ms a hash, more under ASan. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, users_and_roles);
	tcase_add_test(tc, permissions);
	tcase_add_test(tc, enable_disable_admin);
	tcase_add_test(tc, authenticate);
	tcase_add_test(tc, on_disk_records);
	tcase_add_test(tc, corrupt_record_fails_batch);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
