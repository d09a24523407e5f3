/* fuzz-jsonl: the record reader over arbitrary bytes, split into lines, and
 * the scanner on each line, checked against libjq: a line the scanner takes
 * (valid UTF-8, no half surrogate pair, which libjq 1.6 refuses) libjq must
 * parse, and a string the scanner finds must decode to libjq's string.
 * Runs with ASAN_OPTIONS=detect_leaks=0 (fuzz-jsonl.env): libjq 1.6 itself leaks a
 * few bytes on some malformed objects ({"a":"b""c"}), which we cannot fix;
 * the unit tests keep leak checking for our own use of jv. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
static void
scan(const char *line, size_t len)
{
	static const char *const keys[] = {"kind", "msg", "status", NULL};
	static bi_buf b, q;
	bi_json_span v[3];

	bi_json_raw_num(line, len, "status");
	if (!bi_json_scan(line, len, keys, v))
		return;
	bi_json_is(v[0], "log");
	if (v[1].str) {
		bi_json_unescape(v[1], &b);
		q.len = 0;
		bi_json_quote(&q, b.p);
	}
	if (!bi_utf8_valid(line, len) || memmem(line, len, "\\ud", 3) || memmem(line, len, "\\uD", 3))
		return;
	jv rec = jv_parse_sized(line, (int)len);
	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		abort();	/* the scanner took what libjq refuses */
	jv msg = jv_object_get(jv_copy(rec), jv_string("msg"));
	if (v[1].str && (jv_get_kind(msg) != JV_KIND_STRING ||
			 b.len != (size_t)jv_string_length_bytes(jv_copy(msg)) ||
			 memcmp(b.p, jv_string_value(msg), b.len)))
		abort();	/* a string decoded unlike libjq's */
	if (!v[1].p != !jv_is_valid(msg))
		abort();	/* a key found that is not there, or missed */
	jv_free(msg);
	jv_free(rec);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	static int fd = -1;
	if (fd < 0)
		fd = memfd_create("fuzz", 0);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, n, 0) != (ssize_t)n)
		return 0;
	lseek(fd, 0, SEEK_SET);
	bi_reader *r = bi_reader_new(fd, "fuzz", 0);
	const char *line;
	size_t len;
	jv rec;
	while (bi_read_line(r, &line, &len)) {
		scan(line, len);
		if (bi_reader_parse(r, &rec)) {
			bi_get_str(rec, "kind");
			jv_free(rec);
		}
	}
	bi_reader_free(r);
	bi_utf8_valid((const char *)data, n);
	scan((const char *)data, n);	/* no NUL after it, as a line has */
	return 0;
}
