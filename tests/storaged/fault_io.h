/*
 * fault_io.h - a struct wal_io that fails the Nth disk call, shared by the
 * WAL and snapshot tests (disk fault injection).
 */
#ifndef CETCD_TESTS_FAULT_IO_H
#define CETCD_TESTS_FAULT_IO_H

#include "storaged/wal_io.h"

struct fault_state {
	int at;		/* fail the Nth counted call (1-based); 0 never */
	int calls;	/* calls counted so far */
	int hit;	/* the fault happened */
	int partial;	/* pwrite: write half before failing */
	int err;	/* errno of the failure (EIO after fault_reset) */
};

extern struct fault_state fault;
extern const struct wal_io fault_io;

/* No fault armed, nothing counted, EIO, whole-call failures. */
void fault_reset(void);

#endif
