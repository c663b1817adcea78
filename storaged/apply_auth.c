/*
 * apply_auth.c - the auth store of etcd 3.4 (auth/store.go) with the admin
 * checks of its auth applier (etcdserver/apply_auth.go): users, roles,
 * permissions, the enabled flag and the auth revision.
 *
 * Runs in cetcd-storaged, on the store thread, inside the db batch of an
 * Apply request, like the rest of the applier.  Owns no state of its own:
 * users and roles live in DB_T_AUTH_USERS / DB_T_AUTH_ROLES as authpb.User
 * and authpb.Role, the flag and revision in the db's auth meta.  A request
 * error is decided before anything is written, so it leaves the db as it
 * was; a failing db (or no memory) returns -1 and the batch rolls back.
 *
 * Passwords are hashed here, as etcd 3.4 does inside apply, with bcrypt
 * ("$2b$", cost 10, etcd's default --bcrypt-cost) through libxcrypt.  Like etcd the
 * salt is random, so members hold different hashes of the same password.
 */
#include "config.h"

#include <crypt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/auth.pb-c.h"
#include "proto/rpc.pb-c.h"
#include "storaged/apply_int.h"
#include "storaged/db.h"

#define AUTH_ROOT "root"
/* etcd's --bcrypt-cost default (bcrypt.DefaultCost); cetcd has no such
 * flag yet, so every member hashes at this cost. */
#define AUTH_BCRYPT_COST 10
/* bcrypt output is 60 characters. */
#define AUTH_HASH_MAX 128

/* 0 done, -1 the batch must roll back; *err is the request's error. */
#define AUTH_FAIL(e) do { *err = (e); return 0; } while (0)

/* ---------------------------------------------------------------- records */

/* 1 found (*out unpacked, caller frees), 0 absent, -1 db error. */
static int auth_get(struct db *db, enum db_table t, const void *name, size_t len,
    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
	void *val = NULL;
	size_t n = 0;
	int rc = db_table_get(db, t, name, len, &val, &n);

	*out = NULL;
	if (rc == DB_ERR_NOT_FOUND)
		return 0;
	if (rc != DB_OK)
		return -1;
	*out = protobuf_c_message_unpack(d, NULL, n, val);
	free(val);
	/* etcd panics on a record it cannot read; here the batch fails. */
	return *out ? 1 : -1;
}

static int user_get(struct db *db, const char *name, Authpb__User **out)
{
	return auth_get(db, DB_T_AUTH_USERS, name, strlen(name), &authpb__user__descriptor,
	    (ProtobufCMessage **)out);
}

static int role_get(struct db *db, const char *name, Authpb__Role **out)
{
	return auth_get(db, DB_T_AUTH_ROLES, name, strlen(name), &authpb__role__descriptor,
	    (ProtobufCMessage **)out);
}

/* Keyed by the record's own name, as etcd's putUser/putRole. */
static int auth_put(struct db *db, enum db_table t, const ProtobufCBinaryData *name,
    const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	int rc;

	if (!buf)
		return -1;
	protobuf_c_message_pack(m, buf);
	rc = db_table_put(db, t, name->data, name->len, buf, n);
	free(buf);
	return rc == DB_OK ? 0 : -1;
}

/* etcd's commitRevision: every change of users, roles or the flag (except
 * enabling) moves the auth revision, which makes older tokens' checks stale. */
static int auth_revision_bump(struct db *db)
{
	uint64_t rev;

	if (db_auth_revision_get(db, &rev) != DB_OK || db_auth_revision_set(db, rev + 1) != DB_OK)
		return -1;
	return 0;
}

static bool auth_enabled(struct db *db, int *failed)
{
	bool on = false;

	if (db_auth_enabled_get(db, &on) != DB_OK)
		*failed = 1;
	return on;
}

/* User.roles is kept sorted (UserGrantRole), so etcd searches it. */
static bool user_has_role(const Authpb__User *u, const char *role)
{
	for (size_t i = 0; i < u->n_roles; i++)
		if (strcmp(u->roles[i], role) == 0)
			return true;
	return false;
}

static int bytes_cmp(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->data, b->data, n) : 0;

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* ---------------------------------------------------------------- bcrypt */

/* etcd's bcrypt.GenerateFromPassword into out->data (malloc'd). */
static int password_hash(const char *pw, ProtobufCBinaryData *out)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;
	int rc = -1;

	if (!cd)
		return -1;
	/* NULL random bytes: libxcrypt draws them from the kernel. */
	if (!crypt_gensalt_rn("$2b$", AUTH_BCRYPT_COST, NULL, 0, setting, sizeof(setting)))
		goto out;
	h = crypt_r(pw, setting, cd);
	/* libxcrypt answers a failure with a "*..." string (or NULL). */
	if (!h || h[0] != '$' || strlen(h) >= AUTH_HASH_MAX)
		goto out;
	rc = apply_bytes_dup(out, (const uint8_t *)h, strlen(h));
out:
	free(cd);
	return rc;
}

/* etcd's bcrypt.CompareHashAndPassword: 1 match, 0 no, -1 no memory. */
static int password_check(const char *pw, const ProtobufCBinaryData *hash)
{
	char stored[AUTH_HASH_MAX];
	struct crypt_data *cd;
	const char *h;
	int ok = 0;

	if (hash->len == 0 || hash->len >= sizeof(stored))
		return 0;
	memcpy(stored, hash->data, hash->len);
	stored[hash->len] = '\0';
	if (!(cd = calloc(1, sizeof(*cd))))
		return -1;
	h = crypt_r(pw, stored, cd);
	if (h && strlen(h) == hash->len) {
		unsigned char diff = 0;
		/* Compare every byte, so the time does not tell where they differ. */
		for (size_t i = 0; i < hash->len; i++)
			diff |= (unsigned char)h[i] ^ hash->data[i];
		ok = diff == 0;
	}
	free(cd);
	return ok;
}

/* ---------------------------------------------------------------- lists */

struct auth_list {
	ProtobufCMessage **v;
	size_t n, cap;
	const ProtobufCMessageDescriptor *d;
};

static int list_add(void *arg, const void *key, size_t key_len, const void *val, size_t val_len)
{
	struct auth_list *l = arg;
	ProtobufCMessage *m;

	(void)key;
	(void)key_len;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		ProtobufCMessage **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(m = protobuf_c_message_unpack(l->d, NULL, val_len, val)))
		return -1;
	l->v[l->n++] = m;
	return 0;
}

static void list_free(struct auth_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		protobuf_c_message_free_unpacked(l->v[i], NULL);
	free(l->v);
}

/* Every record of t in key order (etcd's getAllUsers/getAllRoles). */
static int list_load(struct db *db, enum db_table t, struct auth_list *l)
{
	memset(l, 0, sizeof(*l));
	l->d = t == DB_T_AUTH_USERS ? &authpb__user__descriptor : &authpb__role__descriptor;
	if (db_table_each(db, t, list_add, l) != 0) {
		list_free(l);
		return -1;
	}
	return 0;
}

static int names_from_list(const struct auth_list *l, bool users, char ***out, size_t *n)
{
	*n = 0;
	if (!l->n)
		return 0;
	if (!(*out = calloc(l->n, sizeof(**out))))
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		const ProtobufCBinaryData *name = users ? &((Authpb__User *)l->v[i])->name
		    : &((Authpb__Role *)l->v[i])->name;
		if (!((*out)[i] = strndup((const char *)name->data, name->len)))
			return -1;
		*n = i + 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- requests */

/* Each handler: 0 with *err CETCD_OK and its response in res, 0 with *err
 * the request's error (nothing written), or -1 (roll back). */
#define RESP(field, CASE, Type, init) \
	(res->response_case = CETCD__STORAGE__ENTRY_RESULT__RESPONSE_##CASE, \
	 (res->field = NEW(Type, init)) && \
	 (res->field->header = apply_header_new(mvcc_current_revision(a->store))))

static int auth_enable(struct applier *a, Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	Authpb__User *u = NULL;
	int failed = 0, rc = 0;

	/* Enabling twice is no error and changes nothing. */
	if (!auth_enabled(db, &failed) && !failed) {
		int got = user_get(db, AUTH_ROOT, &u);
		if (got < 0)
			return -1;
		if (!got)
			AUTH_FAIL(CETCD_E_ROOT_USER_NOT_EXIST);
		if (!user_has_role(u, AUTH_ROOT))
			*err = CETCD_E_ROOT_ROLE_NOT_EXIST;
		/* etcd's AuthEnable does not commit a new revision. */
		else if (db_auth_enabled_set(db, true) != DB_OK)
			rc = -1;
		protobuf_c_message_free_unpacked(&u->base, NULL);
		if (rc || *err)
			return rc;
	}
	if (failed)
		return -1;
	return RESP(auth_enable, AUTH_ENABLE, Etcdserverpb__AuthEnableResponse,
	    etcdserverpb__auth_enable_response__init) ? 0 : -1;
}

static int auth_disable(struct applier *a, Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	int failed = 0;

	(void)err;
	if (auth_enabled(db, &failed) &&
	    (db_auth_enabled_set(db, false) != DB_OK || auth_revision_bump(db)))
		return -1;
	if (failed)
		return -1;
	return RESP(auth_disable, AUTH_DISABLE, Etcdserverpb__AuthDisableResponse,
	    etcdserverpb__auth_disable_response__init) ? 0 : -1;
}

/* etcd's Authenticate with its simple token provider: the token is the
 * proposer's random prefix and the entry's index ("<prefix>.<index>").
 * etcd 3.4 checks the password before proposing and leaves it out of the
 * entry; an entry that carries one has it checked here against the hash. */
static int auth_authenticate(struct applier *a, const Etcdserverpb__InternalAuthenticateRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	Authpb__User *u = NULL;
	int failed = 0, got, ok = 1;
	char token[512];

	if (!auth_enabled(db, &failed))
		return failed ? -1 : (*err = CETCD_E_AUTH_NOT_ENABLED, 0);
	if ((got = user_get(db, r->name, &u)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_AUTH_FAILED);
	if (u->options && u->options->no_password)
		ok = 0;
	else if (r->password && r->password[0])
		ok = password_check(r->password, &u->password);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	if (ok < 0)
		return -1;
	if (!ok)
		AUTH_FAIL(CETCD_E_AUTH_FAILED);
	if (!RESP(authenticate, AUTHENTICATE, Etcdserverpb__AuthenticateResponse,
	    etcdserverpb__authenticate_response__init))
		return -1;
	/* Without a simple token (JWT) the token is signed by the daemon. */
	if (r->simple_token && r->simple_token[0]) {
		int n = snprintf(token, sizeof(token), "%s.%" PRIu64, r->simple_token, res->index);
		if (n < 0 || (size_t)n >= sizeof(token))
			AUTH_FAIL(CETCD_E_INTERNAL);
		if (!(res->authenticate->token = strdup(token)))
			return -1;
	}
	return 0;
}

static int user_add(struct applier *a, const Etcdserverpb__AuthUserAddRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	Authpb__User u = AUTHPB__USER__INIT, *old = NULL;
	Authpb__UserAddOptions opts = AUTHPB__USER_ADD_OPTIONS__INIT;
	int got, rc = -1;

	if (!r->name || !r->name[0])
		AUTH_FAIL(CETCD_E_USER_EMPTY);
	if ((got = user_get(db, r->name, &old)) < 0)
		return -1;
	if (got) {
		protobuf_c_message_free_unpacked(&old->base, NULL);
		AUTH_FAIL(CETCD_E_USER_ALREADY_EXIST);
	}
	/* etcd stores the options given, or an explicit no_password=false. */
	opts.no_password = r->options && r->options->no_password;
	u.options = &opts;
	u.name.data = (uint8_t *)r->name;
	u.name.len = strlen(r->name);
	/* A no-password user has no hash; it logs in by TLS common name. */
	if (!opts.no_password && password_hash(r->password ? r->password : "", &u.password))
		return -1;
	if (auth_put(db, DB_T_AUTH_USERS, &u.name, &u.base) == 0 && auth_revision_bump(db) == 0 &&
	    RESP(auth_user_add, AUTH_USER_ADD, Etcdserverpb__AuthUserAddResponse,
	    etcdserverpb__auth_user_add_response__init))
		rc = 0;
	free(u.password.data);
	return rc;
}

static int user_delete(struct applier *a, const Etcdserverpb__AuthUserDeleteRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	const char *name = r->name ? r->name : "";
	Authpb__User *u = NULL;
	int failed = 0, got;

	if (auth_enabled(db, &failed) && strcmp(name, AUTH_ROOT) == 0)
		AUTH_FAIL(CETCD_E_INVALID_AUTH_MGMT);
	if (failed || (got = user_get(db, name, &u)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_USER_NOT_FOUND);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	if (db_table_delete(db, DB_T_AUTH_USERS, name, strlen(name)) != DB_OK || auth_revision_bump(db))
		return -1;
	return RESP(auth_user_delete, AUTH_USER_DELETE, Etcdserverpb__AuthUserDeleteResponse,
	    etcdserverpb__auth_user_delete_response__init) ? 0 : -1;
}

static int user_change_password(struct applier *a,
    const Etcdserverpb__AuthUserChangePasswordRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	Authpb__User *u = NULL;
	ProtobufCBinaryData h = { 0, NULL };
	int got, rc = -1;

	if ((got = user_get(db, r->name ? r->name : "", &u)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_USER_NOT_FOUND);
	/* etcd hashes even for a no-password user, whose options stay. */
	if (password_hash(r->password ? r->password : "", &h))
		goto out;
	free(u->password.data);
	u->password = h;
	if (auth_put(db, DB_T_AUTH_USERS, &u->name, &u->base) == 0 && auth_revision_bump(db) == 0 &&
	    RESP(auth_user_change_password, AUTH_USER_CHANGE_PASSWORD,
	    Etcdserverpb__AuthUserChangePasswordResponse,
	    etcdserverpb__auth_user_change_password_response__init))
		rc = 0;
out:
	protobuf_c_message_free_unpacked(&u->base, NULL);
	return rc;
}

static int user_grant_role(struct applier *a, const Etcdserverpb__AuthUserGrantRoleRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	const char *role = r->role ? r->role : "";
	Authpb__User *u = NULL;
	Authpb__Role *ro = NULL;
	int got, rc = -1;

	if ((got = user_get(db, r->user ? r->user : "", &u)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_USER_NOT_FOUND);
	/* The root role need not exist to be granted (etcd UserGrantRole). */
	if (strcmp(role, AUTH_ROOT) != 0) {
		if ((got = role_get(db, role, &ro)) < 0)
			goto out;
		if (!got) {
			*err = CETCD_E_ROLE_NOT_FOUND;
			rc = 0;
			goto out;
		}
		protobuf_c_message_free_unpacked(&ro->base, NULL);
	}
	/* Granting a role twice is ignored, with no new revision. */
	if (!user_has_role(u, role)) {
		size_t at = 0;
		char **v = realloc(u->roles, (u->n_roles + 1) * sizeof(*v)), *s;
		if (!v)
			goto out;
		u->roles = v;
		if (!(s = strdup(role)))
			goto out;
		while (at < u->n_roles && strcmp(v[at], role) < 0)
			at++;
		memmove(&v[at + 1], &v[at], (u->n_roles - at) * sizeof(*v));
		v[at] = s;
		u->n_roles++;
		if (auth_put(db, DB_T_AUTH_USERS, &u->name, &u->base) || auth_revision_bump(db))
			goto out;
	}
	if (RESP(auth_user_grant_role, AUTH_USER_GRANT_ROLE, Etcdserverpb__AuthUserGrantRoleResponse,
	    etcdserverpb__auth_user_grant_role_response__init))
		rc = 0;
out:
	protobuf_c_message_free_unpacked(&u->base, NULL);
	return rc;
}

/* Drops role from u's roles; how many were dropped. */
static size_t user_drop_role(Authpb__User *u, const char *role)
{
	size_t k = 0, n = u->n_roles;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(u->roles[i], role) == 0)
			free(u->roles[i]);
		else
			u->roles[k++] = u->roles[i];
	}
	u->n_roles = k;
	return n - k;
}

static int user_revoke_role(struct applier *a, const Etcdserverpb__AuthUserRevokeRoleRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	const char *name = r->name ? r->name : "", *role = r->role ? r->role : "";
	Authpb__User *u = NULL;
	int failed = 0, got, rc = -1;

	if (auth_enabled(db, &failed) && strcmp(name, AUTH_ROOT) == 0 && strcmp(role, AUTH_ROOT) == 0)
		AUTH_FAIL(CETCD_E_INVALID_AUTH_MGMT);
	if (failed || (got = user_get(db, name, &u)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_USER_NOT_FOUND);
	if (user_drop_role(u, role) == 0) {
		*err = CETCD_E_ROLE_NOT_GRANTED;
		rc = 0;
	} else if (auth_put(db, DB_T_AUTH_USERS, &u->name, &u->base) == 0 &&
	    auth_revision_bump(db) == 0 &&
	    RESP(auth_user_revoke_role, AUTH_USER_REVOKE_ROLE, Etcdserverpb__AuthUserRevokeRoleResponse,
	    etcdserverpb__auth_user_revoke_role_response__init)) {
		rc = 0;
	}
	protobuf_c_message_free_unpacked(&u->base, NULL);
	return rc;
}

static int user_get_req(struct applier *a, const Etcdserverpb__AuthUserGetRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	Authpb__User *u = NULL;
	int got, rc = -1;

	if ((got = user_get(mvcc_store_db(a->store), r->name ? r->name : "", &u)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_USER_NOT_FOUND);
	if (RESP(auth_user_get, AUTH_USER_GET, Etcdserverpb__AuthUserGetResponse,
	    etcdserverpb__auth_user_get_response__init)) {
		/* Hand the unpacked roles over. */
		res->auth_user_get->roles = u->roles;
		res->auth_user_get->n_roles = u->n_roles;
		u->roles = NULL;
		u->n_roles = 0;
		rc = 0;
	}
	protobuf_c_message_free_unpacked(&u->base, NULL);
	return rc;
}

static int user_list(struct applier *a, Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct auth_list l;
	int rc = -1;

	(void)err;
	if (list_load(mvcc_store_db(a->store), DB_T_AUTH_USERS, &l))
		return -1;
	if (RESP(auth_user_list, AUTH_USER_LIST, Etcdserverpb__AuthUserListResponse,
	    etcdserverpb__auth_user_list_response__init) &&
	    names_from_list(&l, true, &res->auth_user_list->users, &res->auth_user_list->n_users) == 0)
		rc = 0;
	list_free(&l);
	return rc;
}

static int role_add(struct applier *a, const Etcdserverpb__AuthRoleAddRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	Authpb__Role ro = AUTHPB__ROLE__INIT, *old = NULL;
	int got;

	if (!r->name || !r->name[0])
		AUTH_FAIL(CETCD_E_ROLE_EMPTY);
	if ((got = role_get(db, r->name, &old)) < 0)
		return -1;
	if (got) {
		protobuf_c_message_free_unpacked(&old->base, NULL);
		AUTH_FAIL(CETCD_E_ROLE_ALREADY_EXIST);
	}
	ro.name.data = (uint8_t *)r->name;
	ro.name.len = strlen(r->name);
	if (auth_put(db, DB_T_AUTH_ROLES, &ro.name, &ro.base) || auth_revision_bump(db))
		return -1;
	return RESP(auth_role_add, AUTH_ROLE_ADD, Etcdserverpb__AuthRoleAddResponse,
	    etcdserverpb__auth_role_add_response__init) ? 0 : -1;
}

/* etcd's RoleDelete: the role goes, and so does every grant of it. */
static int role_delete(struct applier *a, const Etcdserverpb__AuthRoleDeleteRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	const char *role = r->role ? r->role : "";
	Authpb__Role *ro = NULL;
	struct auth_list l;
	int failed = 0, got, rc = -1;

	if (auth_enabled(db, &failed) && strcmp(role, AUTH_ROOT) == 0)
		AUTH_FAIL(CETCD_E_INVALID_AUTH_MGMT);
	if (failed || (got = role_get(db, role, &ro)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_ROLE_NOT_FOUND);
	protobuf_c_message_free_unpacked(&ro->base, NULL);
	if (db_table_delete(db, DB_T_AUTH_ROLES, role, strlen(role)) != DB_OK ||
	    list_load(db, DB_T_AUTH_USERS, &l))
		return -1;
	for (size_t i = 0; i < l.n; i++) {
		Authpb__User *u = (Authpb__User *)l.v[i];
		if (user_drop_role(u, role) && auth_put(db, DB_T_AUTH_USERS, &u->name, &u->base))
			goto out;
	}
	if (auth_revision_bump(db) == 0 &&
	    RESP(auth_role_delete, AUTH_ROLE_DELETE, Etcdserverpb__AuthRoleDeleteResponse,
	    etcdserverpb__auth_role_delete_response__init))
		rc = 0;
out:
	list_free(&l);
	return rc;
}

static int role_get_req(struct applier *a, const Etcdserverpb__AuthRoleGetRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	Authpb__Role *ro = NULL;
	int got, rc = -1;

	if ((got = role_get(mvcc_store_db(a->store), r->role ? r->role : "", &ro)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_ROLE_NOT_FOUND);
	if (RESP(auth_role_get, AUTH_ROLE_GET, Etcdserverpb__AuthRoleGetResponse,
	    etcdserverpb__auth_role_get_response__init)) {
		res->auth_role_get->perm = ro->keypermission;
		res->auth_role_get->n_perm = ro->n_keypermission;
		ro->keypermission = NULL;
		ro->n_keypermission = 0;
		rc = 0;
	}
	protobuf_c_message_free_unpacked(&ro->base, NULL);
	return rc;
}

static int role_list(struct applier *a, Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct auth_list l;
	int rc = -1;

	(void)err;
	if (list_load(mvcc_store_db(a->store), DB_T_AUTH_ROLES, &l))
		return -1;
	if (RESP(auth_role_list, AUTH_ROLE_LIST, Etcdserverpb__AuthRoleListResponse,
	    etcdserverpb__auth_role_list_response__init) &&
	    names_from_list(&l, false, &res->auth_role_list->roles, &res->auth_role_list->n_roles) == 0)
		rc = 0;
	list_free(&l);
	return rc;
}

/* etcd's RoleGrantPermission: permissions are kept sorted by key; the one
 * at the first position whose key is not below the new key is updated in
 * place when key and range_end both match, otherwise the new permission is
 * added after those with an equal key (Go's sort of a small slice is an
 * insertion sort, which keeps equal keys in order).  Ranges are neither
 * merged nor split. */
static int role_grant_permission(struct applier *a,
    const Etcdserverpb__AuthRoleGrantPermissionRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	static const Authpb__Permission none = AUTHPB__PERMISSION__INIT;
	const Authpb__Permission *p = r->perm ? r->perm : &none;
	Authpb__Role *ro = NULL;
	size_t idx = 0, n;
	int got, rc = -1;

	if ((got = role_get(db, r->name ? r->name : "", &ro)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_ROLE_NOT_FOUND);
	n = ro->n_keypermission;
	while (idx < n && bytes_cmp(&ro->keypermission[idx]->key, &p->key) < 0)
		idx++;
	if (idx < n && bytes_cmp(&ro->keypermission[idx]->key, &p->key) == 0 &&
	    bytes_cmp(&ro->keypermission[idx]->range_end, &p->range_end) == 0) {
		ro->keypermission[idx]->permtype = p->permtype;
	} else {
		Authpb__Permission *np = NEW(Authpb__Permission, authpb__permission__init);
		Authpb__Permission **v;
		if (!np)
			goto out;
		np->permtype = p->permtype;
		if (apply_bytes_dup(&np->key, p->key.data, p->key.len) ||
		    apply_bytes_dup(&np->range_end, p->range_end.data, p->range_end.len) ||
		    !(v = realloc(ro->keypermission, (n + 1) * sizeof(*v)))) {
			protobuf_c_message_free_unpacked(&np->base, NULL);
			goto out;
		}
		ro->keypermission = v;
		while (idx < n && bytes_cmp(&v[idx]->key, &p->key) == 0)
			idx++;
		memmove(&v[idx + 1], &v[idx], (n - idx) * sizeof(*v));
		v[idx] = np;
		ro->n_keypermission = n + 1;
	}
	if (auth_put(db, DB_T_AUTH_ROLES, &ro->name, &ro->base) == 0 && auth_revision_bump(db) == 0 &&
	    RESP(auth_role_grant_permission, AUTH_ROLE_GRANT_PERMISSION,
	    Etcdserverpb__AuthRoleGrantPermissionResponse,
	    etcdserverpb__auth_role_grant_permission_response__init))
		rc = 0;
out:
	protobuf_c_message_free_unpacked(&ro->base, NULL);
	return rc;
}

/* etcd's RoleRevokePermission: drops every permission with exactly this
 * key and range_end; one that only overlaps is not granted. */
static int role_revoke_permission(struct applier *a,
    const Etcdserverpb__AuthRoleRevokePermissionRequest *r,
    Cetcd__Storage__EntryResult *res, enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	Authpb__Role *ro = NULL;
	size_t k = 0, n;
	int got, rc = -1;

	if ((got = role_get(db, r->role ? r->role : "", &ro)) < 0)
		return -1;
	if (!got)
		AUTH_FAIL(CETCD_E_ROLE_NOT_FOUND);
	n = ro->n_keypermission;
	for (size_t i = 0; i < n; i++) {
		Authpb__Permission *p = ro->keypermission[i];
		if (bytes_cmp(&p->key, &r->key) == 0 && bytes_cmp(&p->range_end, &r->range_end) == 0)
			protobuf_c_message_free_unpacked(&p->base, NULL);
		else
			ro->keypermission[k++] = p;
	}
	ro->n_keypermission = k;
	if (k == n) {
		*err = CETCD_E_PERMISSION_NOT_GRANTED;
		rc = 0;
	} else if (auth_put(db, DB_T_AUTH_ROLES, &ro->name, &ro->base) == 0 &&
	    auth_revision_bump(db) == 0 &&
	    RESP(auth_role_revoke_permission, AUTH_ROLE_REVOKE_PERMISSION,
	    Etcdserverpb__AuthRoleRevokePermissionResponse,
	    etcdserverpb__auth_role_revoke_permission_response__init)) {
		rc = 0;
	}
	protobuf_c_message_free_unpacked(&ro->base, NULL);
	return rc;
}

/* ---------------------------------------------------------------- checks */

/* etcd's IsAdminPermitted: with auth on, only a user with the root role. */
static int admin_check(struct db *db, const char *user, enum cetcd_err *err)
{
	Authpb__User *u = NULL;
	int failed = 0, got;

	if (!auth_enabled(db, &failed))
		return failed ? -1 : 0;
	if (!user || !user[0]) {
		*err = CETCD_E_USER_EMPTY;
		return 0;
	}
	if ((got = user_get(db, user, &u)) < 0)
		return -1;
	if (!got)
		*err = CETCD_E_USER_NOT_FOUND;
	else if (!user_has_role(u, AUTH_ROOT))
		*err = CETCD_E_PERMISSION_DENIED;
	if (u)
		protobuf_c_message_free_unpacked(&u->base, NULL);
	return 0;
}

/* etcd's HasRole, for a user reading a role it holds. */
static int user_holds(struct db *db, const char *user, const char *role, bool *holds)
{
	Authpb__User *u = NULL;
	int got = user && user[0] ? user_get(db, user, &u) : 0;

	*holds = false;
	if (got < 0)
		return -1;
	if (got) {
		*holds = user_has_role(u, role ? role : "");
		protobuf_c_message_free_unpacked(&u->base, NULL);
	}
	return 0;
}

/* etcd's needAdminPermission, plus UserGet (a user may read itself) and
 * RoleGet (a user may read a role it holds), as authApplierV3 does. */
static int auth_permitted(struct applier *a, const Etcdserverpb__InternalRaftRequest *req,
    enum cetcd_err *err)
{
	struct db *db = mvcc_store_db(a->store);
	const char *user = req->header ? req->header->username : NULL;
	bool holds;

	if (req->authenticate)
		return 0;
	if (admin_check(db, user, err))
		return -1;
	if (*err == CETCD_OK)
		return 0;
	if (req->auth_user_get && user && req->auth_user_get->name &&
	    strcmp(user, req->auth_user_get->name) == 0)
		*err = CETCD_OK;
	if (req->auth_role_get) {
		if (user_holds(db, user, req->auth_role_get->role, &holds))
			return -1;
		if (holds)
			*err = CETCD_OK;
	}
	return 0;
}

int apply_auth_is_request(const Etcdserverpb__InternalRaftRequest *req)
{
	return req->auth_enable || req->auth_disable || req->authenticate ||
	    req->auth_user_add || req->auth_user_delete || req->auth_user_get ||
	    req->auth_user_change_password || req->auth_user_grant_role ||
	    req->auth_user_revoke_role || req->auth_user_list || req->auth_role_list ||
	    req->auth_role_add || req->auth_role_delete || req->auth_role_get ||
	    req->auth_role_grant_permission || req->auth_role_revoke_permission;
}

int apply_auth(struct applier *a, const Etcdserverpb__InternalRaftRequest *req,
    Cetcd__Storage__EntryResult *res)
{
	enum cetcd_err err = CETCD_OK;
	int rc = auth_permitted(a, req, &err);

	if (rc == 0 && err == CETCD_OK) {
		if (req->auth_enable)
			rc = auth_enable(a, res, &err);
		else if (req->auth_disable)
			rc = auth_disable(a, res, &err);
		else if (req->authenticate)
			rc = auth_authenticate(a, req->authenticate, res, &err);
		else if (req->auth_user_add)
			rc = user_add(a, req->auth_user_add, res, &err);
		else if (req->auth_user_delete)
			rc = user_delete(a, req->auth_user_delete, res, &err);
		else if (req->auth_user_get)
			rc = user_get_req(a, req->auth_user_get, res, &err);
		else if (req->auth_user_change_password)
			rc = user_change_password(a, req->auth_user_change_password, res, &err);
		else if (req->auth_user_grant_role)
			rc = user_grant_role(a, req->auth_user_grant_role, res, &err);
		else if (req->auth_user_revoke_role)
			rc = user_revoke_role(a, req->auth_user_revoke_role, res, &err);
		else if (req->auth_user_list)
			rc = user_list(a, res, &err);
		else if (req->auth_role_list)
			rc = role_list(a, res, &err);
		else if (req->auth_role_add)
			rc = role_add(a, req->auth_role_add, res, &err);
		else if (req->auth_role_delete)
			rc = role_delete(a, req->auth_role_delete, res, &err);
		else if (req->auth_role_get)
			rc = role_get_req(a, req->auth_role_get, res, &err);
		else if (req->auth_role_grant_permission)
			rc = role_grant_permission(a, req->auth_role_grant_permission, res, &err);
		else if (req->auth_role_revoke_permission)
			rc = role_revoke_permission(a, req->auth_role_revoke_permission, res, &err);
	}
	if (rc == 0 && err == CETCD_OK)
		return 0;
	/* etcd answers an error alone, with no response. */
	apply_result_clear(res);
	if (rc)
		err = CETCD_E_INTERNAL;
	if (apply_set_error(res, err))
		return -1;
	return rc;
}
