/*
 * maint.h - etcd's Maintenance and Cluster services (the parts a single
 * member serves), as svc_method tables.
 */
#ifndef CETCD_DAEMON_MAINT_H
#define CETCD_DAEMON_MAINT_H

#include <stddef.h>

#include "daemon/service.h"

extern const struct svc_method maint_methods[];
extern const size_t maint_method_count;

/* This member, as MemberList and /members show it. */
struct maint_member {
	const char *name;
	const char *peer_urls;		/* comma-separated */
	const char *client_urls;	/* comma-separated */
};
void maint_set_member(const struct maint_member *m);
void maint_get_member(struct maint_member *m);

#endif
