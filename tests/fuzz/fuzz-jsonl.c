/* fuzz-jsonl: the record reader over arbitrary bytes, split into lines.
 * Runs with ASAN_OPTIONS=detect_leaks=0 (fuzz-jsonl.env): libjq 1.6 itself leaks a
 * few bytes on some malformed objects ({"a":"b""c"}), which we cannot fix;
 * the unit tests keep leak checking for our own use of jv. */
#include <sys/mman.h>
#include <unistd.h>

#include "bi.h"

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
	jv rec;
	while (bi_read(r, &rec)) {
		bi_get_str(rec, "kind");
		jv_free(rec);
	}
	bi_reader_free(r);
	bi_utf8_valid((const char *)data, n);
	return 0;
}
