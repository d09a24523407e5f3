/* test-jsonl: the record reader and writer. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bi.h"
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

int
main(void)
{
	char err[4096];
	size_t errors;

	plan(27);
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

	/* --strict: the first bad line is fatal, exit 2. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		count(mixed, strlen(mixed), BI_STRICT, NULL, 0, NULL);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 2, "strict: exit 2 on a bad line");

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
	jv_free(r2);

	/* bi_reader_ready: a pipe with a whole line waiting is ready; an empty
	 * one is not; a line read back leaves it not ready. */
	int p[2];
	if (pipe(p) != 0)
		return 1;
	r = bi_reader_new(p[0], "pipe", 0);
	ok(!bi_reader_ready(r), "empty pipe: not ready");
	if (write(p[1], "{\"a\":1}\n{\"b\":2}\n", 16) != 16)
		return 1;
	ok(bi_reader_ready(r), "pipe with data: ready");
	const char *l;
	size_t ln;
	bi_read_line(r, &l, &ln);
	ok(bi_reader_ready(r), "a second line buffered: ready");
	bi_read_line(r, &l, &ln);
	is_str(l, "{\"b\":2}", "raw line without its newline");
	ok(!bi_reader_ready(r), "drained pipe: not ready");
	bi_reader_free(r);
	close(p[0]);
	close(p[1]);
	return done();
}
