/*
 * time.c: timestamps (RFC 3339 out; RFC 3339, Docker's nanoseconds and epoch
 * numbers in) and durations ("1h30m"). Time is int64 ns since the epoch, UTC;
 * the calendar arithmetic is done here so that TZ never matters.
 *
 * Layer: base.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"
int64_t
bi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * BI_NS_PER_S + ts.tv_nsec;
}

int64_t
bi_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * BI_NS_PER_S + ts.tv_nsec;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

char *
bi_ts_fmt(int64_t ns, char *buf)
{
	int64_t s = ns / BI_NS_PER_S, frac = ns % BI_NS_PER_S;
	if (frac < 0) {
		frac += BI_NS_PER_S;
		s--;
	}
	int64_t days = s / 86400, sod = s % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, BI_TS_LEN, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d,
		 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
		 (int)(frac / BI_NS_PER_MS));
	return buf;
}

char *
bi_ts_now(char *buf)
{
	return bi_ts_fmt(bi_now_ns(), buf);
}

/* Read exactly n digits. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
epoch_parse(const char *s, int64_t *ns)
{
	const char *p = s;
	int64_t ip = 0;
	int nd = 0;

	while (isdigit((unsigned char)*p)) {
		if (++nd > 19 || __builtin_mul_overflow(ip, 10, &ip) ||
		    __builtin_add_overflow(ip, *p++ - '0', &ip))
			return -1;
	}
	int64_t scale;
	switch (nd) {
	case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9:
	case 10: scale = BI_NS_PER_S; break;
	case 13: scale = BI_NS_PER_MS; break;
	case 16: scale = 1000; break;
	case 19: scale = 1; break;
	default: return -1;
	}
	int64_t fr = 0, div = 1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			if (div < BI_NS_PER_S) {
				fr = fr * 10 + (*p - '0');
				div *= 10;
			}
			p++;
		}
	}
	if (*p)
		return -1;
	/* Past 2262-04-11 nanoseconds do not fit in 64 bits: not a time we
	 * can carry, so not one we accept. */
	if (__builtin_mul_overflow(ip, scale, &ip) ||
	    __builtin_add_overflow(ip, scale > 1 ? fr * scale / div : 0, ns))
		return -1;
	return 0;
}

int
bi_ts_parse(const char *s, int64_t *ns)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return -1;
	/* A number alone is an epoch time. */
	if (strspn(p, "0123456789.") == strlen(p))
		return epoch_parse(p, ns);

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
		return -1;

	int64_t off = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (*p == '.' || *p == ',') {
			int64_t div = 1;
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p)) {
				if (div < BI_NS_PER_S) {
					frac = frac * 10 + (*p - '0');
					div *= 10;
				}
				p++;
			}
			frac = frac * (BI_NS_PER_S / div);
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if (digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (int64_t)(oh * 3600 + om * 60);
		}
		/* No zone: UTC, as containers usually run. */
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -1;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	/* Years 1678 to 2262 fit in int64 nanoseconds; others are refused. */
	if (__builtin_mul_overflow(secs, BI_NS_PER_S, &secs) ||
	    __builtin_add_overflow(secs, frac, ns))
		return -1;
	return 0;
}

int
bi_dur_parse(const char *s, int64_t *ns)
{
	const char *p = s;
	int64_t total = 0;
	int parts = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return -1;
	while (*p) {
		int64_t ip = 0, fr = 0, div = 1;
		int nd = 0;
		while (isdigit((unsigned char)*p)) {
			if (ip > INT64_MAX / 10)
				return -1;
			ip = ip * 10 + (*p++ - '0');
			nd++;
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				if (div < BI_NS_PER_S) {
					fr = fr * 10 + (*p - '0');
					div *= 10;
				}
				p++;
				nd++;
			}
		}
		if (nd == 0)
			return -1;
		int64_t unit;
		if (*p == '\0' && parts == 0)
			unit = BI_NS_PER_S;	/* a bare number is seconds */
		else if (strncmp(p, "ns", 2) == 0)
			unit = 1, p += 2;
		else if (strncmp(p, "us", 2) == 0)
			unit = 1000, p += 2;
		else if (strncmp(p, "\xc2\xb5s", 3) == 0)
			unit = 1000, p += 3;
		else if (strncmp(p, "ms", 2) == 0)
			unit = BI_NS_PER_MS, p += 2;
		else if (*p == 's')
			unit = BI_NS_PER_S, p++;
		else if (*p == 'm')
			unit = 60 * BI_NS_PER_S, p++;
		else if (*p == 'h')
			unit = 3600 * BI_NS_PER_S, p++;
		else if (*p == 'd')
			unit = 86400 * BI_NS_PER_S, p++;
		else if (*p == 'w')
			unit = 7 * 86400 * BI_NS_PER_S, p++;
		else
			return -1;
		if (ip > (INT64_MAX - total) / unit ||
		    __builtin_add_overflow(total, ip * unit, &total) ||
		    __builtin_add_overflow(total, (int64_t)((__int128)fr * unit / div), &total))
			return -1;
		parts++;
	}
	*ns = total;
	return 0;
}

char *
bi_dur_fmt(int64_t ns, char *buf, size_t n)
{
	const char *sign = "";

	if (ns < 0) {
		sign = "-";
		ns = -ns;
	}
	if (ns < 1000)
		snprintf(buf, n, "%s%dns", sign, (int)ns);
	else if (ns < BI_NS_PER_MS)
		snprintf(buf, n, "%s%.3gus", sign, ns / 1e3);
	else if (ns < BI_NS_PER_S)
		snprintf(buf, n, "%s%.3gms", sign, ns / 1e6);
	else if (ns < 60 * BI_NS_PER_S)
		snprintf(buf, n, "%s%.3gs", sign, ns / 1e9);
	else {
		int64_t s = ns / BI_NS_PER_S;
		int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
		s %= 60;
		char *p = buf;
		size_t left = n;
		int w = snprintf(p, left, "%s", sign);
#define PART(v, u) if ((v) && w >= 0 && (size_t)w < left) { \
		p += w; left -= w; w = snprintf(p, left, "%lld%s", (long long)(v), u); }
		PART(d, "d") PART(h, "h") PART(m, "m") PART(s, "s")
#undef PART
	}
	return buf;
}

int
bi_when_parse(const char *s, int64_t now, int64_t *ns)
{
	int64_t d;

	if (strcmp(s, "now") == 0) {
		*ns = now;
		return 0;
	}
	/* A unit letter makes it a duration before now; else it is a time. */
	if (strpbrk(s, "nuµmshdw") && !strchr(s, ':') && bi_dur_parse(s, &d) == 0) {
		*ns = now - d;
		return 0;
	}
	return bi_ts_parse(s, ns);
}
