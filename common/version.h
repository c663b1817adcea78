/*
 * version.h - what cetcd and cetcd-storaged report as their version.
 */
#ifndef CETCD_COMMON_VERSION_H
#define CETCD_COMMON_VERSION_H

#include <stdio.h>

#include "config.h"

/* The first line names the program; the second the etcd API it serves,
 * so scripts that look for "etcd Version:" find the etcd release. */
static inline void version_print(FILE *out, const char *prog)
{
	fprintf(out, "%s Version: %s\n", prog, PACKAGE_VERSION);
	fprintf(out, "etcd Version: %s\n", CETCD_ETCD_API_VERSION);
	fprintf(out, "API Version: 3.4\n");
}

#endif
