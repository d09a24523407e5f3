/* test-jsonl: the record reader and writer, and the scanner. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "tap.h"

/* A file holding data, open for reading from its start. */
static int
input(const char *data, size_t n)
{
	FILE *f = tmpfile();
	fwrite(data, 1, n, f);
	fflush(f);
	int fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Run the reader over data with stderr captured; count records. */
static int
count(const char *data, size_t n, int flags, char *err, size_t errlen, size_t *errors)
{
	int fd = input(data, n);
	FILE *cap = tmpfile();
	int saved = dup(2);
	dup2(fileno(cap), 2);
	bi_reader *r = bi_reader_new(fd, "in", flags);
	jv rec;
	int k = 0;
	while (bi_read(r, &rec)) {
		k++;
		jv_free(rec);
	}
	if (errors)
		*errors = bi_reader_errors(r);
	bi_reader_free(r);
	close(fd);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	size_t m = 0;
	if (err) {
		rewind(cap);
		m = fread(err, 1, errlen - 1, cap);
		err[m] = '\0';
	}
	fclose(cap);
	return k;
}

static const char *const keys[] = {"kind", "level", "service", "msg", NULL};

/* Scan line for keys; the span of key i as text ("-" when absent). */
static int
scan(const char *line, bi_json_span *v)
{
	return bi_json_scan(line, strlen(line), keys, v);
}

static char *
text(bi_json_span s, char *buf)
{
	if (!s.p)
		return strcpy(buf, "-");
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return buf;
}

/* The scanner against libjq, line by line: what it takes libjq parses too,
 * and a string it finds is libjq's string, byte for byte. Returns the
 * lines scanned; *bad counts disagreements. */
static int
agree(const char *line, size_t len, int *bad)
{
	static const char *const k[] = {"kind", "msg", "a", NULL};
	bi_json_span v[3];
	bi_buf b = {0};

	if (!bi_json_scan(line, len, k, v) || !bi_utf8_valid(line, len))
		return 0;
	/* Half a surrogate pair is valid JSON, but libjq 1.6 refuses it. */
	if (memmem(line, len, "\\ud", 3) || memmem(line, len, "\\uD", 3))
		return 0;
	jv rec = jv_parse_sized(line, (int)len);
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		(*bad)++;
		printf("# libjq refuses what the scanner took: %.*s\n", (int)len, line);
		jv_free(rec);
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		jv x = jv_object_get(jv_copy(rec), jv_string(k[i]));
		int same;
		if (!v[i].p) {
			same = !jv_is_valid(x);
		} else if (v[i].str) {
			bi_json_unescape(v[i], &b);
			same = jv_get_kind(x) == JV_KIND_STRING &&
				b.len == (size_t)jv_string_length_bytes(jv_copy(x)) &&
				!memcmp(b.p, jv_string_value(x), b.len);
		} else {
			jv y = jv_parse_sized(v[i].p, (int)v[i].n);
			same = jv_is_valid(x) && jv_get_kind(x) != JV_KIND_STRING && jv_equal(y, jv_copy(x));
		}
		jv_free(x);
		if (!same) {
			(*bad)++;
			printf("# %s differs in: %.*s\n", k[i], (int)len, line);
		}
	}
	jv_free(rec);
	bi_buf_free(&b);
	return 1;
}

static void
test_scanner(void)
{
	bi_json_span v[4];
	char buf[256];
	bi_buf b = {0};

	const char *line = "{\"kind\":\"log\", \"ts\":\"2026-11-24T01:02:03.000Z\",\"level\" : \"info\","
		"\"msg\":\"GET /a 200\",\"attrs\":{\"status\":200,\"kind\":\"nested\"}}";
	ok(scan(line, v) == 1, "scan: a log line");
	is_str(text(v[0], buf), "log", "scan: kind");
	is_str(text(v[1], buf), "info", "scan: level, spaces around its colon");
	is_str(text(v[2], buf), "-", "scan: an absent key");
	ok(v[0].str && !v[0].esc && !v[2].p, "scan: strings are strings; absent is NULL");
	ok(bi_json_is(v[0], "log") && !bi_json_is(v[0], "lo") && !bi_json_is(v[2], "log"),
	   "bi_json_is: the whole word, and never an absent value");

	ok(scan("{\"kind\":17,\"level\":{\"a\":[1,2]},\"service\":null,\"msg\":-1.5e3}", v) == 1 &&
	   !v[0].str && !v[1].str && !v[3].str, "scan: values of other kinds");
	is_str(text(v[0], buf), "17", "scan: a number's text");
	is_str(text(v[1], buf), "{\"a\":[1,2]}", "scan: an object's text");
	is_str(text(v[3], buf), "-1.5e3", "scan: an exponent's text");
	ok(!bi_json_is(v[2], "null"), "bi_json_is: null is not the string \"null\"");

	ok(scan("{\"msg\":\"one\",\"msg\":\"two\"}", v) && bi_json_is(v[3], "two"),
	   "scan: the last of a repeated key wins, as in libjq");
	ok(scan("  { }  ", v) == 1 && !v[0].p, "scan: an empty object, with blanks around");
	ok(scan("{\"msg\":\"a\\\"b\\u00e9\"}", v) == 1 && v[3].esc, "scan: an escaped string is marked");
	bi_json_unescape(v[3], &b);
	is_str(b.p, "a\"b\xc3\xa9", "unescape: \\\" and \\u00e9");

	static const char *const refused[] = {
		"", "[1]", "{", "{\"kind\":\"log\"", "{\"kind\":\"log\"} x", "{\"kind\":\"log\",}",
		"{\"k\\u0069nd\":\"log\"}", "{\"kind\":\"a\\qb\"}", "{\"kind\":\"a\tb\"}",
		"{\"kind\":01}", "{\"kind\":1.}", "{\"kind\":+1}", "{\"kind\":tru}", "{kind:1}",
		"{\"kind\":\"\\u12\"}", "{\"kind\" \"log\"}", "{\"a\":[1,]}", NULL};
	int all = 1;
	for (const char *const *r = refused; *r; r++)
		if (scan(*r, v)) {
			all = 0;
			printf("# taken: %s\n", *r);
		}
	ok(all, "scan: refuses what is not one valid object, and escaped keys");

	char deep[200];
	int k = sprintf(deep, "{\"a\":");
	for (int i = 0; i < 33; i++)
		deep[k++] = '[';
	for (int i = 0; i < 33; i++)
		deep[k++] = ']';
	strcpy(deep + k, "}");
	ok(scan(deep, v) == 1, "scan: 33 levels deep is taken");
	memmove(deep + 6, deep + 5, strlen(deep + 5) + 1);
	deep[5] = '[';
	k = (int)strlen(deep);
	memmove(deep + k, deep + k - 1, 2);
	deep[k - 1] = ']';
	ok(scan(deep, v) == 0, "scan: 34 is refused");

	/* No NUL needed: only len bytes are read. */
	const char *more = "{\"msg\":\"x\"}{\"msg\":\"y\"}";
	ok(bi_json_scan(more, 11, keys, v) == 1 && bi_json_is(v[3], "x"), "scan: only len bytes");
	ok(bi_json_scan(more, 9, keys, v) == 0, "scan: a line cut short is refused");

	/* Raw numbers, at any depth. */
	const char *nums = "{\"msg\":\"\\\"status\\\": 7\",\"attrs\":{\"status\": 503,\"duration_ms\":12.5e1}}";
	is_num(bi_json_raw_num(nums, strlen(nums), "status"), 503, "raw_num: nested, after a space");
	is_num(bi_json_raw_num(nums, strlen(nums), "duration_ms"), 125, "raw_num: an exponent");
	is_num(bi_json_raw_num(nums, strlen(nums), "nope"), -1, "raw_num: absent");
	const char *neg = "{\"status\":-5,\"code\":\"500\",\"n\":12345}";
	is_num(bi_json_raw_num(neg, strlen(neg), "status"), -1, "raw_num: negative");
	is_num(bi_json_raw_num(neg, strlen(neg), "code"), -1, "raw_num: a string");
	is_num(bi_json_raw_num(neg, strlen(neg) - 3, "n"), 123, "raw_num: only len bytes");

	/* Numbers as strtod reads them, to the last bit. */
	srand(11);
	int same = 1;
	for (int i = 0; i < 100000 && same; i++) {
		char num[64], line[96];
		int len = rand() % 3 ? sprintf(num, "%d", rand() % 100000) : sprintf(num, "%u", (unsigned)rand());
		if (rand() % 2)
			len += sprintf(num + len, ".%0*d", 1 + rand() % 9, rand() % 1000000000);
		if (i % 7 == 0)
			len += sprintf(num + len, "%llu", (unsigned long long)rand() * (unsigned)rand());
		if (i % 11 == 0)
			sprintf(num + len, "e%d", rand() % 40 - 20);
		int n = sprintf(line, "{\"v\":%s}", num);
		double want = strtod(num, NULL), got = bi_json_raw_num(line, (size_t)n, "v");
		if (memcmp(&want, &got, sizeof want)) {
			same = 0;
			printf("# %s: %.17g, not %.17g\n", num, got, want);
		}
	}
	ok(same, "raw_num: 100000 numbers exactly as strtod reads them");

	/* Unescaping: every escape; surrogate pairs; halves. */
	ok(scan("{\"msg\":\"\\b\\f\\n\\r\\t\\/\\\\ \\u0041\\u00e9\\u20ac\\ud83d\\ude00\"}", v), "scan: escapes");
	bi_json_unescape(v[3], &b);
	is_str(b.p, "\b\f\n\r\t/\\ A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "unescape: every escape, a pair as one");
	ok(scan("{\"msg\":\"a\\ud83db\\udc00c\"}", v), "scan: halves of pairs");
	bi_json_unescape(v[3], &b);
	is_str(b.p, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c", "unescape: a half is U+FFFD");
	ok(scan("{\"msg\":\"\"}", v) && v[3].str && v[3].n == 0, "scan: an empty string");
	bi_json_unescape(v[3], &b);
	ok(b.p && b.len == 0 && !b.p[0], "unescape: empty, NUL-terminated");

	/* Quoting: what libjq reads back is what went in. */
	b.len = 0;
	bi_json_quote(&b, "a\"b\\c\n\x01\x1f\x7f caf\xc3\xa9");
	is_str(b.p, "\"a\\\"b\\\\c\\u000a\\u0001\\u001f\x7f caf\xc3\xa9\"", "quote: escapes");
	jv back = jv_parse(b.p);
	is_str(jv_get_kind(back) == JV_KIND_STRING ? jv_string_value(back) : "",
	       "a\"b\\c\n\x01\x1f\x7f caf\xc3\xa9", "quote: libjq reads it back");
	jv_free(back);
	bi_buf_free(&b);

	/* Against libjq on many mutated lines. */
	static const char *const seeds[] = {
		"{\"kind\":\"log\",\"msg\":\"caf\\u00e9 \\\"x\\\" \\n 12\",\"a\":[1,{\"b\":null}]}",
		"{\"a\":-0.5e-3,\"kind\":true,\"msg\":\"\\ud83d\\ude00\"}",
		"{\"a\":[\"\\u00e9\\u20ac\",\"x\"],\"kind\":\"\\u0041\\u00ff ok\",\"msg\":\"\\\\\\/\"}",
		"{ \"msg\" : \"x\" , \"a\" : { } , \"kind\" : [ ] }"};
	srand(7);
	int lines = 0, bad = 0;
	char m[256];
	for (int i = 0; i < 20000; i++) {
		const char *seed = seeds[i % 4];
		size_t n = strlen(seed);
		memcpy(m, seed, n);
		for (int j = rand() % 3; j >= 0; j--) {
			static const char pool[] = "\"\\{}[]:,0123456789.eE+-u tnfalsr\x01\xc3\xa9";
			size_t at = (size_t)rand() % n;
			switch (rand() % 3) {
			case 0: m[at] = pool[rand() % (sizeof pool - 1)]; break;
			case 1: memmove(m + at, m + at + 1, n - at - 1); n--; break;
			default:
				if (n + 1 < sizeof m) {
					memmove(m + at + 1, m + at, n - at);
					m[at] = pool[rand() % (sizeof pool - 1)];
					n++;
				}
			}
		}
		lines += agree(m, n, &bad);
	}
	ok(lines > 1000 && bad == 0, "scan agrees with libjq on %d mutated lines it took", lines);
}

/* v as compact JSON, consumed; valid until the next call. */
static const char *
dumped(jv v)
{
	static char buf[256];
	jv s = jv_dump_string(v, 0);

	snprintf(buf, sizeof buf, "%s", jv_string_value(s));
	jv_free(s);
	return buf;
}

int
main(void)
{
	char err[4096];
	size_t errors;

	plan(29 + 42);
	bi_init("test-jsonl");

	const char *mixed = "not json\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T01:02:03.000Z\",\"msg\":\"x\"}\n"
		"[1,2]\n"
		"\n"
		"{\"kind\":\"log\",\"msg\":\"crlf\"}\r\n"
		"{\"kind\":\"log\",\"msg\":\"last, no newline\"}";
	is_num(count(mixed, strlen(mixed), 0, err, sizeof err, &errors), 3,
	       "valid records around bad lines are kept");
	is_num(errors, 2, "two malformed lines counted");
	ok(strstr(err, "test-jsonl: in:1: malformed record") != NULL, "line 1 reported");
	ok(strstr(err, "in:3: not a JSON object") != NULL, "line 3 reported as not an object");
	ok(strstr(err, "in:4") == NULL, "a blank line is not an error");

	/* A 20 MiB record in one line passes intact. */
	size_t big = 20u << 20;
	char *line = malloc(big + 64);
	int n = sprintf(line, "{\"kind\":\"log\",\"msg\":\"");
	memset(line + n, 'a', big);
	strcpy(line + n + big, "\"}\n");
	int fd = input(line, strlen(line));
	bi_reader *r = bi_reader_new(fd, "big", 0);
	jv rec;
	ok(bi_read(r, &rec) == 1, "20 MiB line read");
	const char *msg = bi_get_str(rec, "msg");
	ok(msg && strlen(msg) == big && msg[0] == 'a' && msg[big - 1] == 'a', "20 MiB message intact");
	jv_free(rec);
	ok(bi_read(r, &rec) == 0, "then the end");
	bi_reader_free(r);
	close(fd);
	free(line);

	/* Random bytes: errors, never a crash. */
	srand(42);
	size_t rn = 1 << 20;
	char *rnd = malloc(rn);
	for (size_t i = 0; i < rn; i++)
		rnd[i] = (char)(rand() & 0xff);
	int k = count(rnd, rn, 0, NULL, 0, &errors);
	ok(k >= 0 && errors > 0, "random bytes: %zu errors, %d records, no crash", errors, k);
	free(rnd);

	const char *bad8 = "{\"kind\":\"log\",\"msg\":\"\xff\xfe\"}\n{\"kind\":\"log\"}\n";
	is_num(count(bad8, strlen(bad8), 0, err, sizeof err, &errors), 1, "invalid UTF-8 line skipped");
	ok(strstr(err, "in:1: invalid UTF-8") != NULL, "invalid UTF-8 reported");

	ok(bi_utf8_valid("plain ascii", 11), "ASCII is UTF-8");
	ok(bi_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14), "2, 3 and 4 byte sequences");
	ok(!bi_utf8_valid("\xc0\xaf", 2), "overlong refused");
	ok(!bi_utf8_valid("\xed\xa0\x80", 3), "surrogate refused");
	ok(!bi_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF refused");
	ok(!bi_utf8_valid("abc\xe2\x82", 5), "truncated sequence refused");

	/* --strict: the first bad line is fatal: said so, reading ends there,
	 * and the reader (which never exits) says it ended so. */
	const char *strict = "{\"kind\":\"a\"}\n{\"kind\":\"b\"}\nnot json\n{\"kind\":\"c\"}\n";
	is_num(count(strict, strlen(strict), BI_STRICT, err, sizeof err, &errors), 2,
	       "strict: the records before the bad line, none after");
	ok(strstr(err, "fatal: in:3: malformed record") != NULL && !strstr(err, "skipped"),
	   "strict: one line, 'fatal:', no 'skipped': %s", err);
	int sfd = input(strict, strlen(strict));
	bi_reader *sr = bi_reader_new(sfd, "in", BI_STRICT);
	int saved2 = dup(2), null2 = open("/dev/null", O_WRONLY);
	dup2(null2, 2);
	while (bi_read(sr, &rec))
		jv_free(rec);
	dup2(saved2, 2);
	close(saved2);
	close(null2);
	ok(bi_reader_fatal(sr), "strict: bi_reader_fatal says reading ended on it");
	bi_reader_free(sr);
	close(sfd);

	/* The writer: compact lines, to a file (buffered). */
	FILE *out = tmpfile();
	int saved = dup(1);
	fflush(stdout);
	dup2(fileno(out), 1);
	bi_write(jv_parse("{ \"kind\" : \"x\", \"n\" : 1.5, \"s\": \"a\\nb\" }"));
	bi_write_raw("{\"kind\":\"raw\"}", 14);
	bi_write_flush();
	dup2(saved, 1);
	close(saved);
	rewind(out);
	char got[256] = {0};
	size_t gn = fread(got, 1, sizeof got - 1, out);
	got[gn] = '\0';
	fclose(out);
	is_str(got, "{\"kind\":\"x\",\"n\":1.5,\"s\":\"a\\nb\"}\n{\"kind\":\"raw\"}\n", "writer output");

	jv r2 = bi_record("health");
	is_str(bi_get_str(r2, "kind"), "health", "bi_record sets kind");
	const char *ts = bi_get_str(r2, "ts");
	int64_t tns;
	ok(ts && strlen(ts) == 24 && bi_ts_parse(ts, &tns) == 0, "bi_record sets ts: %s", ts ? ts : "");
	is_num(bi_get_num(r2, "missing", -7), -7, "bi_get_num default");
	/* An absent value set into a record is null, and the record prints. */
	r2 = bi_set(r2, "p95_ms", jv_object_get(jv_object(), jv_string("p95_ms")));
	r2 = bi_set(r2, "n", jv_number(2));
	ok(jv_get_kind(jv_object_get(jv_copy(r2), jv_string("p95_ms"))) == JV_KIND_NULL,
	   "bi_set: an invalid value is stored as null");
	is_num(bi_get_num(r2, "n", 0), 2, "bi_set: a valid value as given");
	jv_free(jv_dump_string(jv_copy(r2), 0));
	r2 = bi_set(r2, "empty", jv_string(""));
	is_str(bi_get_text(r2, "empty", "-"), "-", "bi_get_text: an empty string is the default");
	jv_free(r2);
	is_str(dumped(bi_jv_last(jv_parse("[1,2,3,4]"), 2)), "[3,4]", "bi_jv_last: the last n");
	is_str(dumped(bi_jv_last(jv_parse("[1]"), 5)), "[1]", "bi_jv_last: all, when fewer");
	is_str(dumped(bi_jv_values(jv_parse("{\"b\":2,\"a\":1}"))), "[1,2]", "bi_jv_values: by key");

	/* bi_reader_ready: a pipe with a whole line waiting is ready; an empty
	 * one is not; a line read back leaves it not ready. */
	int p[2];
	if (pipe(p) != 0)
		return 1;
	r = bi_reader_new(p[0], "pipe", 0);
	ok(!bi_reader_ready(r, 0), "empty pipe: not ready");
	if (write(p[1], "{\"a\":1}\n{\"b\":2}\n", 16) != 16)
		return 1;
	ok(bi_reader_ready(r, 0), "pipe with data: ready");
	const char *l;
	size_t ln;
	bi_read_line(r, &l, &ln);
	ok(bi_reader_ready(r, 0), "a second line buffered: ready");
	bi_read_line(r, &l, &ln);
	is_str(l, "{\"b\":2}", "raw line without its newline");
	ok(!bi_reader_ready(r, 0), "drained pipe: not ready");
	bi_reader_free(r);
	close(p[0]);
	close(p[1]);

	test_scanner();
	return done();
}
