/*
 * autocompact.c - etcd 3.4's auto compactor (etcdserver/api/v3compactor:
 * periodic.go, revision.go) over cetcd's server.
 *
 * Runs in cetcd on the event loop.  Owns one timer, the periodic window of
 * revision samples (its size is fixed at start by the retention) and at
 * most one compaction proposal in flight.  Never touches storage itself:
 * compactions are proposals, applied by storaged like any client's.
 *
 *   WAITING --timer--> (paused / not due: sample, re-arm) --> WAITING
 *      ^                   | due
 *      |                   v
 *      +--done: record, sample, re-arm--- PROPOSING (server_propose)
 *
 * A compactor freed while PROPOSING is marked dead and freed by the
 * proposal's callback, which the server always runs (on server_free too).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/log.h"
#include "daemon/autocompact.h"
#include "daemon/server.h"
#include "proto/rpc.pb-c.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_HOUR (INT64_C(3600) * 1000000000)
/* periodic.go's retryDivisor. */
#define RETRY_DIVISOR 10
/* The timer's floor: a retention of a few nanoseconds must not spin. */
#define MIN_RETRY_NS NS_PER_MS

/* ---------------------------------------------------------------- parsing */

struct unit { const char *name; uint64_t ns; };
static const struct unit units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
	{ "ms", 1000000 }, { "s", 1000000000 }, { "m", UINT64_C(60) * 1000000000 },
	{ "h", UINT64_C(3600) * 1000000000 },
};

int autocompact_parse_duration(const char *orig, int64_t *out, char *err, size_t errlen)
{
	const char *s = orig;
	uint64_t d = 0;
	bool neg = false;

	/* [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, as Go's time.ParseDuration. */
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (!*s)
		goto invalid;
	while (*s) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		bool pre = false, post = false, f_overflow = false;
		size_t ulen = 0;

		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			goto invalid;
		for (; *s >= '0' && *s <= '9'; s++) {
			pre = true;
			if (v > (UINT64_C(1) << 63) / 10)
				goto invalid;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > UINT64_C(1) << 63)
				goto invalid;
		}
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++) {
				post = true;
				if (f_overflow)
					continue;
				if (f > (UINT64_C(1) << 63) / 10) {
					f_overflow = true;
					continue;
				}
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			goto invalid;
		while (s[ulen] && s[ulen] != '.' && !(s[ulen] >= '0' && s[ulen] <= '9'))
			ulen++;
		if (ulen == 0) {
			snprintf(err, errlen, "time: missing unit in duration \"%s\"", orig);
			return -1;
		}
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ulen && memcmp(units[i].name, s, ulen) == 0)
				unit = units[i].ns;
		if (!unit) {
			snprintf(err, errlen, "time: unknown unit \"%.*s\" in duration \"%s\"",
			    (int)ulen, s, orig);
			return -1;
		}
		s += ulen;
		if (v > (UINT64_C(1) << 63) / unit)
			goto invalid;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > UINT64_C(1) << 63)
				goto invalid;
		}
		d += v;
		if (d > UINT64_C(1) << 63)
			goto invalid;
	}
	if (neg) {
		*out = d == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)d;
		return 0;
	}
	if (d > (uint64_t)INT64_MAX)
		goto invalid;
	*out = (int64_t)d;
	return 0;
invalid:
	snprintf(err, errlen, "time: invalid duration \"%s\"", orig);
	return -1;
}

/* strconv.Atoi: optional sign, decimal digits, fits an int64. */
static bool go_atoi(const char *s, int64_t *out)
{
	char *end;

	if (!*s || !(*s == '+' || *s == '-' || (*s >= '0' && *s <= '9')))
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s || ((*s == '+' || *s == '-') && end == s + 1))
		return false;
	*out = v;
	return true;
}

int autocompact_parse(const char *mode, const char *retention, enum autocompact_mode *out_mode,
    int64_t *retention_out, char *err, size_t errlen)
{
	int64_t h, d;
	char derr[256];

	/* embed/config.go Validate, then embed/etcd.go parseCompactionRetention. */
	if (!mode || !*mode || strcmp(mode, "periodic") == 0) {
		*out_mode = AUTOCOMPACT_PERIODIC;
	} else if (strcmp(mode, "revision") == 0) {
		*out_mode = AUTOCOMPACT_REVISION;
	} else {
		snprintf(err, errlen, "unknown auto-compaction-mode \"%s\"", mode);
		return -1;
	}
	if (!retention || !*retention)
		retention = "0";
	if (go_atoi(retention, &h) && h >= 0) {
		if (*out_mode == AUTOCOMPACT_REVISION) {
			*retention_out = h;
		} else {
			if (h > INT64_MAX / NS_PER_HOUR) {
				/* Go's Duration multiplication wraps; refuse instead. */
				snprintf(err, errlen, "error parsing CompactionRetention: %s hours is too long",
				    retention);
				return -1;
			}
			*retention_out = h * NS_PER_HOUR;
		}
		return 0;
	}
	if (autocompact_parse_duration(retention, &d, derr, sizeof(derr)) != 0) {
		snprintf(err, errlen, "error parsing CompactionRetention: %s", derr);
		return -1;
	}
	*retention_out = d;
	return 0;
}

/* ---------------------------------------------------------------- periodic */

int autocompact_periodic_init(struct autocompact_periodic *p, int64_t period_ns, uint64_t now_ns)
{
	int64_t itv = period_ns > NS_PER_HOUR ? NS_PER_HOUR : period_ns;

	memset(p, 0, sizeof(*p));
	p->period_ns = period_ns;
	p->compact_interval_ns = itv;
	p->retry_ns = itv / RETRY_DIVISOR;
	if (p->retry_ns < MIN_RETRY_NS)
		p->retry_ns = MIN_RETRY_NS;
	p->base_ns = period_ns;
	p->last_success_ns = now_ns;
	/* getRetentions: the samples of one retention, plus the one taken at
	 * its start, so that the oldest is the revision of retention ago. */
	p->cap = (size_t)(period_ns / p->retry_ns) + 1;
	p->revs = calloc(p->cap, sizeof(*p->revs));
	return p->revs ? 0 : -1;
}

void autocompact_periodic_clear(struct autocompact_periodic *p)
{
	free(p->revs);
	memset(p, 0, sizeof(*p));
}

void autocompact_periodic_sample(struct autocompact_periodic *p, int64_t rev)
{
	if (p->n < p->cap) {
		p->revs[(p->head + p->n) % p->cap] = rev;
		p->n++;
	} else {
		/* Full: the oldest sample goes (periodic.go: revs = revs[1:]). */
		p->revs[p->head] = rev;
		p->head = (p->head + 1) % p->cap;
	}
}

bool autocompact_periodic_due(struct autocompact_periodic *p, uint64_t now_ns, int64_t *rev)
{
	if (p->n == 0 || now_ns - p->last_success_ns < (uint64_t)p->base_ns)
		return false;
	/* The first compaction waits a whole retention; later ones come every
	 * compact interval (at most an hour). */
	if (p->base_ns == p->period_ns)
		p->base_ns = p->compact_interval_ns;
	*rev = p->revs[p->head];
	return true;
}

void autocompact_periodic_done(struct autocompact_periodic *p, uint64_t now_ns, bool ok)
{
	if (ok)
		p->last_success_ns = now_ns;
}

/* ---------------------------------------------------------------- driver */

struct autocompact {
	struct event_base *base;
	struct server *srv;
	struct event *timer;
	enum autocompact_mode mode;
	int64_t retention;		/* ns (periodic) or revisions */
	int64_t interval_ns;		/* timer period */
	struct autocompact_periodic per;
	int64_t prev;			/* revision mode: last compacted */
	bool in_flight;			/* a proposal awaits its answer */
	int64_t proposing;		/* its revision */
	uint64_t started_ns;
	bool dead;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void arm(struct autocompact *ac)
{
	struct timeval tv = {
		(time_t)(ac->interval_ns / 1000000000),
		(suseconds_t)(ac->interval_ns % 1000000000 / 1000),
	};

	evtimer_add(ac->timer, &tv);
}

/* etcd pauses the compactor when this member is not the leader. */
static bool paused(struct autocompact *ac, int64_t *rev)
{
	struct server_status st;

	server_status(ac->srv, &st);
	*rev = st.revision;
	return !st.ready || !st.leader || st.leader != st.member_id;
}

static void sample(struct autocompact *ac)
{
	struct server_status st;

	server_status(ac->srv, &st);
	autocompact_periodic_sample(&ac->per, st.revision);
}

static void on_compacted(void *arg, enum cetcd_err err, Cetcd__Storage__EntryResult *res)
{
	struct autocompact *ac = arg;
	int64_t rev = ac->proposing;
	bool ok;

	ac->in_flight = false;
	if (ac->dead) {
		autocompact_periodic_clear(&ac->per);
		free(ac);
		return;
	}
	if (err == CETCD_OK && res && res->error)
		err = (enum cetcd_err)res->error->code;
	/* v3compactor: ErrCompacted means someone got there first: done. */
	ok = err == CETCD_OK || err == CETCD_E_COMPACTED;
	if (ac->mode == AUTOCOMPACT_REVISION) {
		if (ok) {
			ac->prev = rev;
			log_info("completed auto revision compaction", LOG_I64("revision", rev),
			    LOG_I64("revision-compaction-retention", ac->retention),
			    LOG_DUR("took", (int64_t)(now_ns() - ac->started_ns)));
		} else {
			log_warn("failed auto revision compaction", LOG_I64("revision", rev),
			    LOG_I64("revision-compaction-retention", ac->retention),
			    LOG_DUR("retry-interval", ac->interval_ns), LOG_ERR(cetcd_err_message(err)));
		}
	} else {
		autocompact_periodic_done(&ac->per, now_ns(), ok);
		if (ok)
			log_info("completed auto periodic compaction", LOG_I64("revision", rev),
			    LOG_DUR("compact-period", ac->retention),
			    LOG_DUR("took", (int64_t)(now_ns() - ac->started_ns)));
		else
			log_warn("failed auto periodic compaction", LOG_I64("revision", rev),
			    LOG_DUR("compact-period", ac->retention),
			    LOG_DUR("retry-interval", ac->interval_ns), LOG_ERR(cetcd_err_message(err)));
		sample(ac);
	}
	arm(ac);
}

static void propose(struct autocompact *ac, int64_t rev)
{
	Etcdserverpb__InternalRaftRequest ir = ETCDSERVERPB__INTERNAL_RAFT_REQUEST__INIT;
	Etcdserverpb__CompactionRequest cr = ETCDSERVERPB__COMPACTION_REQUEST__INIT;

	cr.revision = rev;
	ir.compaction = &cr;
	ac->in_flight = true;
	ac->proposing = rev;
	ac->started_ns = now_ns();
	server_propose(ac->srv, &ir, on_compacted, ac);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct autocompact *ac = arg;
	int64_t cur, rev;

	if (ac->mode == AUTOCOMPACT_REVISION) {
		rev = 0;
		if (!paused(ac, &cur))
			rev = cur - ac->retention;
		if (rev <= 0 || rev == ac->prev) {
			arm(ac);
			return;
		}
		log_info("starting auto revision compaction", LOG_I64("revision", rev),
		    LOG_I64("revision-compaction-retention", ac->retention));
		propose(ac, rev);
		return;
	}
	if (paused(ac, &cur) || !autocompact_periodic_due(&ac->per, now_ns(), &rev) || rev <= 0) {
		autocompact_periodic_sample(&ac->per, cur);
		arm(ac);
		return;
	}
	log_info("starting auto periodic compaction", LOG_I64("revision", rev),
	    LOG_DUR("compact-period", ac->retention));
	propose(ac, rev);
}

struct autocompact *autocompact_new(struct event_base *base, struct server *srv,
    enum autocompact_mode mode, int64_t retention)
{
	struct autocompact *ac = calloc(1, sizeof(*ac));
	const char *test_ms = getenv("CETCD_TEST_AUTOCOMPACT_REVISION_MS");

	if (!ac || retention <= 0)
		goto err;
	ac->base = base;
	ac->srv = srv;
	ac->mode = mode;
	ac->retention = retention;
	ac->timer = evtimer_new(base, on_timer, ac);
	if (!ac->timer)
		goto err;
	if (mode == AUTOCOMPACT_REVISION) {
		ac->interval_ns = (int64_t)AUTOCOMPACT_REVISION_INTERVAL_MS * NS_PER_MS;
		if (test_ms && atoll(test_ms) > 0)
			ac->interval_ns = atoll(test_ms) * NS_PER_MS;
		log_info("auto compaction", LOG_STR("mode", "revision"),
		    LOG_I64("retention", retention), LOG_DUR("interval", ac->interval_ns));
	} else {
		if (autocompact_periodic_init(&ac->per, retention, now_ns()) != 0)
			goto err;
		ac->interval_ns = ac->per.retry_ns;
		/* periodic.go samples once before its first wait. */
		sample(ac);
		log_info("auto compaction", LOG_STR("mode", "periodic"),
		    LOG_DUR("retention", retention), LOG_DUR("interval", ac->interval_ns));
	}
	arm(ac);
	return ac;
err:
	if (ac && ac->timer)
		event_free(ac->timer);
	free(ac);
	return NULL;
}

void autocompact_free(struct autocompact *ac)
{
	if (!ac)
		return;
	event_free(ac->timer);
	ac->timer = NULL;
	if (ac->in_flight) {
		ac->dead = true;
		return;
	}
	autocompact_periodic_clear(&ac->per);
	free(ac);
}

int autocompact_start(struct event_base *base, struct server *srv, const char *mode,
    const char *retention, struct autocompact **out, char *err, size_t errlen)
{
	enum autocompact_mode m;
	int64_t r;

	*out = NULL;
	if (autocompact_parse(mode, retention, &m, &r, err, errlen) != 0)
		return -1;
	/* etcdserver.NewServer: a compactor only for a non-zero retention.
	 * A negative duration would make etcd's timers fire at once forever;
	 * treat it as off. */
	if (r <= 0)
		return 0;
	*out = autocompact_new(base, srv, m, r);
	if (!*out) {
		snprintf(err, errlen, "cannot start the auto compactor: out of memory");
		return -1;
	}
	return 0;
}
