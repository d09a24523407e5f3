/* test-time: timestamps and durations. */
#include "base/time.h"
#include "tap.h"

static const char *
fmt(int64_t ns)
{
	static char buf[BI_TS_LEN];
	return bi_ts_fmt(ns, buf);
}

static const char *
parse_fmt(const char *s)
{
	int64_t ns;
	if (bi_ts_parse(s, &ns) != 0)
		return "ERROR";
	return fmt(ns);
}

static int64_t
dur(const char *s)
{
	int64_t ns;
	return bi_dur_parse(s, &ns) == 0 ? ns : -1;
}

static const char *
dfmt(int64_t ns)
{
	static char buf[64];
	return bi_dur_fmt(ns, buf, sizeof buf);
}

int
main(void)
{
	int64_t ns;

	plan(47);
	is_str(fmt(0), "1970-01-01T00:00:00.000Z", "epoch");
	is_str(fmt(INT64_C(1795481205758) * BI_NS_PER_MS), "2026-11-24T00:46:45.758Z", "a known instant");
	is_str(fmt(-1), "1969-12-31T23:59:59.999Z", "before the epoch rounds down");
	is_str(fmt(INT64_C(951782400) * BI_NS_PER_S), "2000-02-29T00:00:00.000Z", "leap day");

	is_str(parse_fmt("2026-11-24T01:46:45.758Z"), "2026-11-24T01:46:45.758Z", "RFC 3339 Z");
	is_str(parse_fmt("2026-11-24T02:46:45.758+01:00"), "2026-11-24T01:46:45.758Z", "offset +01:00");
	is_str(parse_fmt("2026-11-23T20:16:45.758-0530"), "2026-11-24T01:46:45.758Z", "offset -0530");
	is_str(parse_fmt("2026-11-24 01:46:45,758"), "2026-11-24T01:46:45.758Z", "space, comma, no zone");
	is_str(parse_fmt("2026-11-24t01:46:45z"), "2026-11-24T01:46:45.000Z", "lower-case t and z");
	is_str(parse_fmt("2026-11-24"), "2026-11-24T00:00:00.000Z", "a date alone");
	ok(bi_ts_parse("2026-11-24T01:46:45.758123456Z", &ns) == 0 &&
	   ns % BI_NS_PER_S == 758123456, "Docker's nanoseconds kept");
	ok(bi_ts_parse("2026-11-24T01:46:45.7581234567891Z", &ns) == 0 &&
	   ns % BI_NS_PER_S == 758123456, "digits past nanoseconds ignored");
	is_str(parse_fmt("1795481205"), "2026-11-24T00:46:45.000Z", "epoch seconds");
	is_str(parse_fmt("1795481205.758"), "2026-11-24T00:46:45.758Z", "epoch seconds with fraction");
	is_str(parse_fmt("1795481205758"), "2026-11-24T00:46:45.758Z", "epoch milliseconds");
	is_str(parse_fmt("1795481205758000000"), "2026-11-24T00:46:45.758Z", "epoch nanoseconds");
	is_str(parse_fmt("2026-02-29T00:00:00Z"), "ERROR", "no Feb 29 in 2026");
	is_str(parse_fmt("2026-13-01T00:00:00Z"), "ERROR", "month 13");
	is_str(parse_fmt("2026-11-24T25:00:00Z"), "ERROR", "hour 25");
	is_str(parse_fmt("2026-11-24T01:02:03Zjunk"), "ERROR", "trailing junk");
	is_str(parse_fmt(""), "ERROR", "empty");
	is_str(parse_fmt("yesterday"), "ERROR", "words");
	is_str(parse_fmt("12345678901"), "ERROR", "11 digits is no epoch unit");

	is_num(dur("250ms"), 250 * BI_NS_PER_MS, "250ms");
	is_num(dur("90s"), 90 * BI_NS_PER_S, "90s");
	is_num(dur("2m"), 120 * BI_NS_PER_S, "2m");
	is_num(dur("1h30m"), 5400 * BI_NS_PER_S, "1h30m");
	is_num(dur("24h"), 86400 * BI_NS_PER_S, "24h");
	is_num(dur("1.5s"), 1500 * BI_NS_PER_MS, "1.5s");
	is_num(dur("500us"), 500000, "500us");
	is_num(dur("7d"), 7 * 86400 * BI_NS_PER_S, "7d");
	is_num(dur("30"), 30 * BI_NS_PER_S, "bare number is seconds");
	is_num(dur(""), -1, "empty is an error");
	is_num(dur("5x"), -1, "unknown unit");
	is_num(dur("-5s"), -1, "negative");
	is_num(dur("ms"), -1, "unit without number");
	is_num(dur("1m30"), -1, "number without unit after the first part");
	is_num(dur("999999999999999999h"), -1, "overflow");

	is_str(dfmt(250 * BI_NS_PER_MS), "250ms", "format 250ms");
	is_str(dfmt(1500 * BI_NS_PER_MS), "1.5s", "format 1.5s");
	is_str(dfmt(150 * BI_NS_PER_S), "2m30s", "format 2m30s");
	is_str(dfmt(5400 * BI_NS_PER_S), "1h30m", "format 1h30m");
	is_str(dfmt(0), "0ns", "format 0");

	int64_t now = INT64_C(1795481205) * BI_NS_PER_S;
	ok(bi_when_parse("15m", now, &ns) == 0 && ns == now - 900 * BI_NS_PER_S, "since 15m");
	ok(bi_when_parse("2026-11-24T01:00:00Z", now, &ns) == 0 &&
	   ns == INT64_C(1795482000) * BI_NS_PER_S - 0, "since a time");
	ok(bi_when_parse("now", now, &ns) == 0 && ns == now, "now");
	ok(bi_when_parse("soon", now, &ns) != 0, "nonsense refused");
	return done();
}
