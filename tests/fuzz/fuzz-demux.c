/* fuzz-demux: Docker's log frames, fed in pieces whose sizes the input sets. */
#include "sources/demux.h"
static int
sink(void *ctx, int stream, int64_t ts, const char *line, size_t n)
{
	(void)ctx; (void)stream; (void)ts;
	volatile char c = n ? line[n - 1] : 0;
	(void)c;
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	if (n < 2)
		return 0;
	int tty = data[0] % 3 - 1;
	size_t step = data[1] % 64 + 1;
	bi_demux m;
	bi_demux_init(&m, tty, sink, NULL);
	for (size_t i = 2; i < n; i += step)
		bi_demux_feed(&m, (const char *)data + i, n - i < step ? n - i : step);
	bi_demux_end(&m);
	bi_demux_free(&m);
	return 0;
}
