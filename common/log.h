/*
 * log: leveled, structured logging for cetcd and cetcd-storaged.
 *
 * Two formats:
 *  - LOG_FORMAT_JSON: etcd 3.4's `--logger=zap` lines, key for key:
 *      {"level":"info","ts":"2026-11-25T03:05:27.060Z","caller":"embed/etcd.go:117",
 *       "msg":"configuring peer listeners","listen-peer-urls":["http://127.0.0.1:2380"]}
 *    level is lowercase; ts is local time with milliseconds and the zone as
 *    "Z" or "+hhmm" (zap's ISO8601TimeEncoder, "2006-01-02T15:04:05.000Z0700",
 *    checked against etcd 3.4.23's own output); caller is the last directory
 *    and file name, then ":line" (zap's ShortCallerEncoder); then msg, then
 *    the fields in the order given.  Strings are escaped as zap escapes
 *    them: \" \\ \n \r \t, other bytes below 0x20 as \u00XX, and each byte
 *    that is not part of valid UTF-8 as \ufffd; everything else verbatim.
 *  - LOG_FORMAT_PLAIN: for people, after etcd's capnslog:
 *      2026-11-25 03:05:27.060123 I | common/urls.c:42: msg key=value key2="a b"
 *
 * Levels are those of etcd's --log-level: debug, info, warn, error, panic,
 * fatal.  A panic-level message is written and then the process aborts; a
 * fatal one is written and the process exits with status 1 (zap: panic /
 * os.Exit(1)).
 *
 * Fields are built with type-checked constructors, e.g.
 *     log_info("opened backend db", LOG_STR("path", path), LOG_DUR("took", ns));
 *     log_warn("slow fdatasync", LOG_U64("n", n), LOG_ERRNO(errno));
 * Arguments are evaluated only when the level is enabled.  Every string a
 * field points to needs to live only for the duration of the call.
 *
 * Thread-safe: each line is built in a private buffer and handed to the
 * kernel with one write(2) (partial writes, e.g. to a full pipe, are
 * continued).  Lines are capped at LOG_LINE_MAX bytes: a longer one is cut
 * and marked with "log-truncated":true (JSON) or "(truncated)" (plain).
 * log_configure may be called at any time, typically once at start.
 */
#ifndef CETCD_COMMON_LOG_H
#define CETCD_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG_PANIC,
	LOG_FATAL,
};

enum log_format {
	LOG_FORMAT_JSON = 0, /* etcd --logger=zap (etcd's recommended logger) */
	LOG_FORMAT_PLAIN,
};

#define LOG_LINE_MAX (64 * 1024)

struct log_config {
	enum log_level level;   /* messages below this level are dropped */
	enum log_format format;
	int fd;                 /* where lines go; 2 (stderr) by default */
};

/* The defaults are {LOG_INFO, LOG_FORMAT_JSON, 2}, as etcd's. */
void log_configure(const struct log_config *cfg);
void log_get_config(struct log_config *cfg);
/* Parses an etcd --log-level value ("debug", "info", "warn", "error",
 * "panic", "fatal"; exact, lowercase).  Returns 0 or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);
/* The lowercase name ("info"), as in the JSON "level" key. */
const char *log_level_name(enum log_level level);
bool log_enabled(enum log_level level);

enum log_field_type {
	LOG_FIELD_STR,      /* NUL-terminated string; NULL is written as "" */
	LOG_FIELD_BYTES,    /* ptr + len, any bytes, written as a JSON string */
	LOG_FIELD_I64,
	LOG_FIELD_U64,
	LOG_FIELD_X64,      /* uint64 as a lowercase hex string (member IDs) */
	LOG_FIELD_F64,
	LOG_FIELD_BOOL,
	LOG_FIELD_DUR,      /* nanoseconds, written as Go's Duration.String() */
	LOG_FIELD_STRV,     /* array of strings, written as a JSON array */
};

struct log_field {
	const char *key;
	enum log_field_type type;
	union {
		const char *s;
		struct {
			const void *p;
			size_t n;
		} b;
		struct {
			const char *const *v;
			size_t n;
		} sv;
		int64_t i;
		uint64_t u;
		double f;
		bool t;
	} v;
};

#define LOG_STR(k, x) ((struct log_field){ .key = (k), .type = LOG_FIELD_STR, .v.s = (x) })
#define LOG_BYTES(k, ptr, len) \
	((struct log_field){ .key = (k), .type = LOG_FIELD_BYTES, .v.b = { .p = (ptr), .n = (len) } })
#define LOG_I64(k, x) ((struct log_field){ .key = (k), .type = LOG_FIELD_I64, .v.i = (int64_t)(x) })
#define LOG_U64(k, x) ((struct log_field){ .key = (k), .type = LOG_FIELD_U64, .v.u = (uint64_t)(x) })
#define LOG_X64(k, x) ((struct log_field){ .key = (k), .type = LOG_FIELD_X64, .v.u = (uint64_t)(x) })
#define LOG_F64(k, x) ((struct log_field){ .key = (k), .type = LOG_FIELD_F64, .v.f = (x) })
#define LOG_BOOL(k, x) ((struct log_field){ .key = (k), .type = LOG_FIELD_BOOL, .v.t = (x) })
#define LOG_DUR(k, ns) ((struct log_field){ .key = (k), .type = LOG_FIELD_DUR, .v.i = (int64_t)(ns) })
#define LOG_STRV(k, arr, count) \
	((struct log_field){ .key = (k), .type = LOG_FIELD_STRV, .v.sv = { .v = (arr), .n = (count) } })
/* zap.Error(err): the key "error". */
#define LOG_ERR(msg) LOG_STR("error", (msg))
/* An errno value as "error":"<strerror text>". */
#define LOG_ERRNO(e) LOG_STR("error", log_strerror(e))

/* Writes one line (what the macros below expand to).  Never fails visibly:
 * if the line cannot be written it is lost. */
void log_emit(enum log_level level, const char *file, int line, const char *msg,
	      const struct log_field *fields, size_t n_fields);
/* The same with a printf-style message and no fields. */
void log_emitf(enum log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Writes the line, then aborts (LOG_PANIC) or exits with status 1. */
__attribute__((noreturn)) void log_emit_die(enum log_level level, const char *file, int line,
					    const char *msg, const struct log_field *fields,
					    size_t n_fields);
/* strerror_r into a thread-local buffer (valid until the thread's next call). */
const char *log_strerror(int err);

/* The field list goes through a compound literal that starts with a dummy
 * element, so that a call with no fields is valid C. */
#define LOG_FIELDS_(...) ((const struct log_field[]){ { 0 }, ##__VA_ARGS__ })
#define LOG_NFIELDS_(...) (sizeof(LOG_FIELDS_(__VA_ARGS__)) / sizeof(struct log_field) - 1)
#define LOG_AT_(lvl, msg, ...)                                                             \
	do {                                                                               \
		if (log_enabled(lvl))                                                      \
			log_emit((lvl), __FILE__, __LINE__, (msg), LOG_FIELDS_(__VA_ARGS__) + 1, \
				 LOG_NFIELDS_(__VA_ARGS__));                               \
	} while (0)

#define log_debug(msg, ...) LOG_AT_(LOG_DEBUG, msg, ##__VA_ARGS__)
#define log_info(msg, ...) LOG_AT_(LOG_INFO, msg, ##__VA_ARGS__)
#define log_warn(msg, ...) LOG_AT_(LOG_WARN, msg, ##__VA_ARGS__)
#define log_error(msg, ...) LOG_AT_(LOG_ERROR, msg, ##__VA_ARGS__)
/* These never return, whatever the configured level. */
#define log_panic(msg, ...) \
	log_emit_die(LOG_PANIC, __FILE__, __LINE__, (msg), LOG_FIELDS_(__VA_ARGS__) + 1, LOG_NFIELDS_(__VA_ARGS__))
#define log_fatal(msg, ...) \
	log_emit_die(LOG_FATAL, __FILE__, __LINE__, (msg), LOG_FIELDS_(__VA_ARGS__) + 1, LOG_NFIELDS_(__VA_ARGS__))

/* printf-style messages without fields (e.g. Raft's "%x became leader at term %llu"). */
#define log_debugf(...) do { if (log_enabled(LOG_DEBUG)) log_emitf(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_infof(...) do { if (log_enabled(LOG_INFO)) log_emitf(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_warnf(...) do { if (log_enabled(LOG_WARN)) log_emitf(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_errorf(...) do { if (log_enabled(LOG_ERROR)) log_emitf(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__); } while (0)

#endif
