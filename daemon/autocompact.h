/*
 * autocompact.h - etcd 3.4's auto compaction (etcdserver/api/v3compactor):
 * --auto-compaction-mode periodic|revision and --auto-compaction-retention.
 *
 *  revision  every 5 minutes, compact to (current revision - retention) if
 *            that is positive and moved since the last success.
 *  periodic  sample the current revision every min(retention, 1h)/10, keep
 *            a window of retention worth of samples, and once retention has
 *            passed since the start (then every min(retention, 1h)), compact
 *            to the oldest sample of the window.
 * Compactions are CompactionRequest proposals through the server, as the
 * Compact RPC's; "required revision has been compacted" counts as done.
 * Only the leader compacts (etcd pauses the compactor on followers).
 *
 * Test hook: the environment variable CETCD_TEST_AUTOCOMPACT_REVISION_MS,
 * when set to a positive number, replaces revision mode's 5-minute interval
 * (milliseconds), so that end-to-end tests run in seconds.  Periodic mode
 * needs none: a retention such as "4s" is valid, as in etcd.
 */
#ifndef CETCD_DAEMON_AUTOCOMPACT_H
#define CETCD_DAEMON_AUTOCOMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct server;
struct autocompact;

enum autocompact_mode { AUTOCOMPACT_PERIODIC, AUTOCOMPACT_REVISION };

/* etcd's revision-mode interval (v3compactor/revision.go revInterval). */
#define AUTOCOMPACT_REVISION_INTERVAL_MS (5 * 60 * 1000)

/*
 * etcd's parseCompactionRetention with its mode check: a plain
 * non-negative integer is hours in periodic mode and revisions in revision
 * mode; anything else is a Go duration ("1h30m", "90s", "1.5h").  Sets
 * *retention to nanoseconds (periodic) or revisions (revision; a duration
 * there gives its nanoseconds, as etcd's int64(time.Duration) does).
 * 0 disables auto compaction.  An empty mode is periodic.  Returns 0, or
 * -1 with etcd's message in err.
 */
int autocompact_parse(const char *mode, const char *retention, enum autocompact_mode *out_mode,
    int64_t *retention_out, char *err, size_t errlen);

/* Go's time.ParseDuration: nanoseconds, or -1 with Go's message in err. */
int autocompact_parse_duration(const char *s, int64_t *ns, char *err, size_t errlen);

/*
 * Starts a compactor on base for srv (which must outlive it).  retention
 * as from autocompact_parse (must be > 0).  Returns NULL on allocation
 * failure.  autocompact_free stops it; call it before server_free.
 */
struct autocompact *autocompact_new(struct event_base *base, struct server *srv,
    enum autocompact_mode mode, int64_t retention);
void autocompact_free(struct autocompact *ac);

/* From the flags: parses mode and retention (autocompact_parse) and starts
 * a compactor unless the retention is 0, when *out is NULL.  Returns 0, or
 * -1 with etcd's message in err. */
int autocompact_start(struct event_base *base, struct server *srv, const char *mode,
    const char *retention, struct autocompact **out, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * The periodic schedule as a pure state machine over a clock in
 * nanoseconds (exposed for unit tests; autocompact_new drives it).
 *
 *   start: init(now); sample(rev)
 *   every retry_ns: due(now)? compact(rev) then done(now, ok) : nothing;
 *                   sample(rev) in both cases
 */
struct autocompact_periodic {
	int64_t period_ns;		/* the retention */
	int64_t retry_ns;		/* min(period, 1h) / 10 */
	int64_t compact_interval_ns;	/* min(period, 1h) */
	int64_t base_ns;		/* period before the first compaction */
	uint64_t last_success_ns;
	size_t cap, n, head;		/* window of samples, oldest at head */
	int64_t *revs;
};

int autocompact_periodic_init(struct autocompact_periodic *p, int64_t period_ns, uint64_t now_ns);
void autocompact_periodic_clear(struct autocompact_periodic *p);
void autocompact_periodic_sample(struct autocompact_periodic *p, int64_t rev);
/* True when a compaction is due now; *rev is the revision to compact to. */
bool autocompact_periodic_due(struct autocompact_periodic *p, uint64_t now_ns, int64_t *rev);
void autocompact_periodic_done(struct autocompact_periodic *p, uint64_t now_ns, bool ok);

#endif
