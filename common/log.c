/*
 * log.c: leveled structured logging, etcd/zap JSON lines or plain text.
 * Runs in both cetcd and cetcd-storaged, from any thread.
 *
 * Owns: the process-wide log configuration (three atomics) and a mutex
 * that keeps a line whole when write(2) takes it in several pieces.
 * Never: writes a line in more than one write(2) when the kernel takes it
 * at once, lets a message or field grow a line past LOG_LINE_MAX, or emits
 * anything but valid JSON (whatever bytes a string holds) in JSON format.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r; tm_gmtoff */
#endif
#include "common/log.h"

#include "common/buf.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_level_cur = LOG_INFO;
static int log_format_cur = LOG_FORMAT_JSON;
static int log_fd_cur = 2;
static pthread_mutex_t log_write_lock = PTHREAD_MUTEX_INITIALIZER;

/* Room kept back while building a line for the truncation marker and the
 * closing "}\n". */
#define LOG_TAIL_ROOM 64

static const char *const log_level_names[] = {
	[LOG_DEBUG] = "debug", [LOG_INFO] = "info",   [LOG_WARN] = "warn",
	[LOG_ERROR] = "error", [LOG_PANIC] = "panic", [LOG_FATAL] = "fatal",
};
/* Plain format letters, after capnslog (etcd 3.4's default logger). */
static const char log_level_letters[] = {
	[LOG_DEBUG] = 'D', [LOG_INFO] = 'I',  [LOG_WARN] = 'W',
	[LOG_ERROR] = 'E', [LOG_PANIC] = 'P', [LOG_FATAL] = 'F',
};

void log_configure(const struct log_config *cfg)
{
	__atomic_store_n(&log_level_cur, (int)cfg->level, __ATOMIC_RELAXED);
	__atomic_store_n(&log_format_cur, (int)cfg->format, __ATOMIC_RELAXED);
	__atomic_store_n(&log_fd_cur, cfg->fd, __ATOMIC_RELAXED);
}

void log_get_config(struct log_config *cfg)
{
	cfg->level = (enum log_level)__atomic_load_n(&log_level_cur, __ATOMIC_RELAXED);
	cfg->format = (enum log_format)__atomic_load_n(&log_format_cur, __ATOMIC_RELAXED);
	cfg->fd = __atomic_load_n(&log_fd_cur, __ATOMIC_RELAXED);
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = LOG_DEBUG; i <= LOG_FATAL; i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	if ((int)level < LOG_DEBUG || level > LOG_FATAL)
		return "unknown";
	return log_level_names[level];
}

bool log_enabled(enum log_level level)
{
	return (int)level >= __atomic_load_n(&log_level_cur, __ATOMIC_RELAXED);
}

const char *log_strerror(int err)
{
	static __thread char text[128];

	/* GNU strerror_r may return a static string instead of filling text. */
	return strerror_r(err, text, sizeof(text));
}

/*
 * Length of the valid UTF-8 sequence at p (1-4), or 0 if the byte at p does
 * not start one.  Same acceptance as Go's utf8.DecodeRune: no overlong
 * forms, no surrogates (U+D800-DFFF), nothing above U+10FFFF.
 */
static size_t utf8_seq_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Appends p[0..n) as a quoted JSON string, escaped as zap's JSON encoder
 * does (safeAddString).  If the buffer's cap is reached the string is cut
 * at a character boundary and still closed; returns false in that case.
 */
static bool json_put_str(struct buf *b, const void *data, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	char esc[8];
	const void *out;
	size_t i = 0, step, out_len;

	if (buf_room(b) < 2)
		return false;
	buf_put_u8(b, '"');
	while (i < n) {
		uint8_t c = p[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			out = &p[i];
			out_len = step = 1;
		} else if (c < 0x80) {
			step = 1;
			out = esc;
			esc[0] = '\\';
			out_len = 2;
			switch (c) {
			case '"': esc[1] = '"'; break;
			case '\\': esc[1] = '\\'; break;
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				out_len = 6;
			}
		} else if ((step = utf8_seq_len(p + i, n - i)) > 0) {
			out = &p[i];
			out_len = step;
		} else {
			step = 1;
			out = "\\ufffd";
			out_len = 6;
		}
		if (buf_room(b) < out_len + 1) {
			buf_put_u8(b, '"');
			return false;
		}
		buf_append(b, out, out_len);
		i += step;
	}
	buf_put_u8(b, '"');
	return true;
}

static bool json_put_cstr(struct buf *b, const char *s)
{
	return json_put_str(b, s ? s : "", s ? strlen(s) : 0);
}

/* Go's Duration.String(): "0s", "850ns", "1.5µs", "1.335835ms",
 * "2.5s", "1m30s", "1h0m0s". */
static int fmt_duration(char *out, size_t size, int64_t ns)
{
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	const char *sign = ns < 0 ? "-" : "";
	char frac[16] = "";
	uint64_t scale, whole, part;
	const char *unit;
	int digits;

	if (u == 0)
		return snprintf(out, size, "0s");
	if (u < 1000)
		return snprintf(out, size, "%s%lluns", sign, (unsigned long long)u);
	if (u < 1000000) {
		scale = 1000, digits = 3, unit = "\xc2\xb5s";
	} else if (u < 1000000000) {
		scale = 1000000, digits = 6, unit = "ms";
	} else {
		scale = 1000000000, digits = 9, unit = "s";
	}
	whole = u / scale;
	part = u % scale;
	if (part) {
		snprintf(frac, sizeof(frac), ".%0*llu", digits, (unsigned long long)part);
		for (size_t l = strlen(frac); frac[l - 1] == '0'; l--)
			frac[l - 1] = '\0';
	}
	if (scale < 1000000000 || whole < 60)
		return snprintf(out, size, "%s%llu%s%s", sign, (unsigned long long)whole, frac, unit);
	if (whole < 3600)
		return snprintf(out, size, "%s%llum%llu%ss", sign, (unsigned long long)(whole / 60),
				(unsigned long long)(whole % 60), frac);
	return snprintf(out, size, "%s%lluh%llum%llu%ss", sign, (unsigned long long)(whole / 3600),
			(unsigned long long)(whole / 60 % 60), (unsigned long long)(whole % 60), frac);
}

/* Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest digits that read
 * back as f, never in exponent form. */
static void fmt_float(char *out, size_t size, double f)
{
	char e[40], digits[24];
	int prec, exp, nd = 0, i;
	size_t o = 0;
	char *p;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, f);
		if (strtod(e, NULL) == f)
			break;
	}
	/* e is "[-]d.ddde[+-]xx": gather the digits and the exponent. */
	p = e;
	if (*p == '-')
		out[o++] = *p++;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	/* The value is 0.digits * 10^(exp+1). */
	if (exp < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = 0; i < -exp - 1 && o < size - 2; i++)
			out[o++] = '0';
		for (i = 0; i < nd && o < size - 1; i++)
			out[o++] = digits[i];
	} else {
		for (i = 0; i <= exp && o < size - 2; i++)
			out[o++] = i < nd ? digits[i] : '0';
		if (nd > exp + 1) {
			out[o++] = '.';
			for (i = exp + 1; i < nd && o < size - 1; i++)
				out[o++] = digits[i];
		}
	}
	out[o] = '\0';
}

static int put_field_json(struct buf *b, const struct log_field *f)
{
	char tmp[400]; /* a double in full, e.g. 1e308, is 309 digits */
	size_t i;

	if (buf_put_u8(b, ',') < 0 || !json_put_cstr(b, f->key) || buf_put_u8(b, ':') < 0)
		return -1;
	switch (f->type) {
	case LOG_FIELD_STR:
		return json_put_cstr(b, f->v.s) ? 0 : -1;
	case LOG_FIELD_BYTES:
		return json_put_str(b, f->v.b.p, f->v.b.p ? f->v.b.n : 0) ? 0 : -1;
	case LOG_FIELD_I64:
		return buf_appendf(b, "%lld", (long long)f->v.i);
	case LOG_FIELD_U64:
		return buf_appendf(b, "%llu", (unsigned long long)f->v.u);
	case LOG_FIELD_X64:
		return buf_appendf(b, "\"%llx\"", (unsigned long long)f->v.u);
	case LOG_FIELD_F64:
		/* zap writes non-finite floats as strings. */
		if (isnan(f->v.f))
			return buf_append_str(b, "\"NaN\"");
		if (isinf(f->v.f))
			return buf_append_str(b, f->v.f > 0 ? "\"+Inf\"" : "\"-Inf\"");
		fmt_float(tmp, sizeof(tmp), f->v.f);
		return buf_append_str(b, tmp);
	case LOG_FIELD_BOOL:
		return buf_append_str(b, f->v.t ? "true" : "false");
	case LOG_FIELD_DUR:
		fmt_duration(tmp, sizeof(tmp), f->v.i);
		return json_put_cstr(b, tmp) ? 0 : -1;
	case LOG_FIELD_STRV:
		if (buf_put_u8(b, '[') < 0)
			return -1;
		for (i = 0; i < f->v.sv.n; i++) {
			if (i > 0 && buf_put_u8(b, ',') < 0)
				return -1;
			if (!json_put_cstr(b, f->v.sv.v[i]))
				return -1;
		}
		return buf_put_u8(b, ']');
	}
	return json_put_cstr(b, "") ? 0 : -1;
}

/* Plain values are bare when they are simple words, JSON-quoted otherwise. */
static int plain_put_str(struct buf *b, const void *data, size_t n)
{
	const uint8_t *p = data;
	bool bare = n > 0;

	for (size_t i = 0; i < n && bare; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '=' || p[i] == '\\')
			bare = false;
	if (bare)
		return buf_append(b, p, n);
	return json_put_str(b, p, n) ? 0 : -1;
}

static int put_field_plain(struct buf *b, const struct log_field *f)
{
	char tmp[400]; /* a double in full, e.g. 1e308, is 309 digits */
	size_t i;
	const char *s;

	if (buf_put_u8(b, ' ') < 0 || buf_append_str(b, f->key ? f->key : "") < 0 ||
	    buf_put_u8(b, '=') < 0)
		return -1;
	switch (f->type) {
	case LOG_FIELD_STR:
		s = f->v.s ? f->v.s : "";
		return plain_put_str(b, s, strlen(s));
	case LOG_FIELD_BYTES:
		return plain_put_str(b, f->v.b.p, f->v.b.p ? f->v.b.n : 0);
	case LOG_FIELD_STRV:
		if (buf_put_u8(b, '[') < 0)
			return -1;
		for (i = 0; i < f->v.sv.n; i++) {
			s = f->v.sv.v[i] ? f->v.sv.v[i] : "";
			if ((i > 0 && buf_put_u8(b, ' ') < 0) || plain_put_str(b, s, strlen(s)) < 0)
				return -1;
		}
		return buf_put_u8(b, ']');
	case LOG_FIELD_X64:
		return buf_appendf(b, "%llx", (unsigned long long)f->v.u);
	case LOG_FIELD_DUR:
		fmt_duration(tmp, sizeof(tmp), f->v.i);
		return buf_append_str(b, tmp);
	case LOG_FIELD_F64:
		if (isnan(f->v.f) || isinf(f->v.f))
			return buf_append_str(b, isnan(f->v.f) ? "NaN" : f->v.f > 0 ? "+Inf" : "-Inf");
		fmt_float(tmp, sizeof(tmp), f->v.f);
		return buf_append_str(b, tmp);
	case LOG_FIELD_I64:
		return buf_appendf(b, "%lld", (long long)f->v.i);
	case LOG_FIELD_U64:
		return buf_appendf(b, "%llu", (unsigned long long)f->v.u);
	case LOG_FIELD_BOOL:
		return buf_append_str(b, f->v.t ? "true" : "false");
	}
	return 0;
}

/* zap's ShortCallerEncoder keeps the last directory and the file name. */
static const char *short_caller(const char *file)
{
	const char *last = NULL, *prev = NULL;

	for (const char *p = file; *p; p++) {
		if (*p == '/') {
			prev = last;
			last = p;
		}
	}
	return prev ? prev + 1 : file;
}

static void write_line(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	pthread_mutex_lock(&log_write_lock);
	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break; /* nowhere to report it */
		}
		p += w;
		n -= (size_t)w;
	}
	pthread_mutex_unlock(&log_write_lock);
}

static void log_write(enum log_level level, const char *file, int line, const char *msg,
		      size_t msg_len, const struct log_field *fields, size_t n_fields)
{
	struct log_config cfg;
	struct timespec now;
	struct tm tm;
	struct buf b;
	char ts[64], zone[8];
	size_t i, mark;
	bool whole = true;
	long off;
	int saved_errno = errno;

	log_get_config(&cfg);
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	if ((int)level < LOG_DEBUG || level > LOG_FATAL)
		level = LOG_ERROR;
	buf_init(&b, LOG_LINE_MAX - LOG_TAIL_ROOM);

	if (cfg.format == LOG_FORMAT_JSON) {
		/* "2006-01-02T15:04:05.000Z0700" */
		off = tm.tm_gmtoff;
		if (off == 0)
			snprintf(zone, sizeof(zone), "Z");
		else
			snprintf(zone, sizeof(zone), "%c%02d%02d", off < 0 ? '-' : '+',
				 (int)(labs(off) / 3600 % 100), (int)(labs(off) / 60 % 60));
		snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ld%s", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 now.tv_nsec / 1000000, zone);
		if (buf_appendf(&b, "{\"level\":\"%s\",\"ts\":\"%s\",\"caller\":", log_level_names[level], ts) < 0)
			goto out;
		buf_appendf(&b, "\"%.200s:%d\",\"msg\":", short_caller(file), line);
		whole = json_put_str(&b, msg, msg_len);
		for (i = 0; i < n_fields && whole; i++) {
			mark = buf_len(&b);
			if (put_field_json(&b, &fields[i]) < 0) {
				buf_truncate(&b, mark);
				whole = false;
			}
		}
		b.cap_max = LOG_LINE_MAX;
		if (!whole)
			buf_append_str(&b, ",\"log-truncated\":true");
		buf_append_str(&b, "}\n");
	} else {
		if (buf_appendf(&b, "%04d-%02d-%02d %02d:%02d:%02d.%06ld %c | %.200s:%d: ", tm.tm_year + 1900,
				tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
				now.tv_nsec / 1000, log_level_letters[level], short_caller(file), line) < 0)
			goto out;
		/* The message goes verbatim except for line breaks, so that one
		 * record stays one line. */
		for (i = 0; i < msg_len; i++) {
			uint8_t c = (uint8_t)msg[i];

			if (buf_put_u8(&b, c == '\n' || c == '\r' ? ' ' : c) < 0) {
				whole = false;
				break;
			}
		}
		for (i = 0; i < n_fields && whole; i++) {
			mark = buf_len(&b);
			if (put_field_plain(&b, &fields[i]) < 0) {
				buf_truncate(&b, mark);
				whole = false;
			}
		}
		b.cap_max = LOG_LINE_MAX;
		if (!whole)
			buf_append_str(&b, " (truncated)");
		buf_append_str(&b, "\n");
	}
	write_line(cfg.fd, buf_data(&b), buf_len(&b));
out:
	buf_free(&b);
	errno = saved_errno;
}

void log_emit(enum log_level level, const char *file, int line, const char *msg,
	      const struct log_field *fields, size_t n_fields)
{
	if (!log_enabled(level))
		return;
	msg = msg ? msg : "";
	log_write(level, file, line, msg, strlen(msg), fields, n_fields);
}

void log_emitf(enum log_level level, const char *file, int line, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		if (n > LOG_LINE_MAX)
			n = LOG_LINE_MAX;
		big = malloc((size_t)n + 1);
		if (big == NULL) {
			n = sizeof(small) - 1; /* log what fits rather than nothing */
		} else {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
		}
	}
	log_write(level, file, line, big ? big : small, (size_t)n, NULL, 0);
	free(big);
}

void log_emit_die(enum log_level level, const char *file, int line, const char *msg,
		  const struct log_field *fields, size_t n_fields)
{
	/* Written whatever the configured level, as zap does for panic and
	 * fatal (they are never below a valid --log-level's threshold except
	 * panic under --log-level=fatal, and dying silently helps no one). */
	msg = msg ? msg : "";
	log_write(level, file, line, msg, strlen(msg), fields, n_fields);
	if (level == LOG_FATAL)
		exit(1);
	abort();
}
