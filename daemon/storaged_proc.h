/*
 * storaged_proc.h - starting and stopping the cetcd-storaged child.
 *
 * cetcd runs its storage process as a child unless --storaged-socket names
 * one that an operator runs separately.
 */
#ifndef CETCD_DAEMON_STORAGED_PROC_H
#define CETCD_DAEMON_STORAGED_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct storaged_proc {
	pid_t pid;		/* 0 when not running */
	char path[4096];	/* the cetcd-storaged program */
	char socket[108];	/* the Unix socket it listens on (sun_path size) */
};

/* Finds the cetcd-storaged program: explicit path, else beside our own
 * executable (a build tree), else the installed one.  Returns 0 or -1. */
int storaged_proc_locate(struct storaged_proc *sp, const char *explicit_path);

/* Starts it with the given argument vector (argv[0] is replaced by the
 * program path).  Returns 0 or -1 with errno set. */
int storaged_proc_start(struct storaged_proc *sp, char *const argv[]);

/* Sends SIGTERM and waits up to timeout_ms for it to exit, then SIGKILL.
 * Returns its exit status as waitpid() reports it, or -1. */
int storaged_proc_stop(struct storaged_proc *sp, int timeout_ms);

#endif
