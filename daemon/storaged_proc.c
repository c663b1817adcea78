/*
 * storaged_proc.c - the cetcd-storaged child process: locate, fork/exec,
 * stop.  Runs in cetcd.  Owns the child's pid; never reads or writes the
 * data dir itself (only storaged does).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/storaged_proc.h"

static int is_executable(const char *p)
{
	return access(p, X_OK) == 0;
}

int storaged_proc_locate(struct storaged_proc *sp, const char *explicit_path)
{
	char self[PATH_MAX];
	ssize_t n;

	if (explicit_path && *explicit_path) {
		if (snprintf(sp->path, sizeof(sp->path), "%s", explicit_path) >= (int)sizeof(sp->path))
			return -1;
		return is_executable(sp->path) ? 0 : -1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(sp->path, sizeof(sp->path), "%s/cetcd-storaged", self) <
			    (int)sizeof(sp->path) && is_executable(sp->path))
				return 0;
		}
	}
	snprintf(sp->path, sizeof(sp->path), "%s/cetcd-storaged", CETCD_BINDIR);
	return is_executable(sp->path) ? 0 : -1;
}

int storaged_proc_start(struct storaged_proc *sp, char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* The child gets default signal dispositions and mask: libevent
		 * may have blocked or caught some in the parent. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* If cetcd dies (even by SIGKILL), storaged finishes the batch in
		 * hand and exits, releasing the data dir for the next cetcd. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
		execv(sp->path, argv);
		fprintf(stderr, "cetcd: cannot run %s: %s\n", sp->path, strerror(errno));
		_exit(127);
	}
	sp->pid = pid;
	return 0;
}

int storaged_proc_stop(struct storaged_proc *sp, int timeout_ms)
{
	int status = -1;
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	if (sp->pid <= 0)
		return -1;
	kill(sp->pid, SIGTERM);
	for (int waited = 0; ; waited += 10) {
		pid_t r = waitpid(sp->pid, &status, WNOHANG);
		if (r == sp->pid || (r < 0 && errno == ECHILD))
			break;
		if (waited >= timeout_ms) {
			kill(sp->pid, SIGKILL);
			waitpid(sp->pid, &status, 0);
			break;
		}
		nanosleep(&tick, NULL);
	}
	sp->pid = 0;
	return status;
}
