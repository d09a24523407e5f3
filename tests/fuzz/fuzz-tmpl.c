/* fuzz-tmpl: template rendering and path checks on arbitrary templates. */
#include <stdlib.h>
#include <string.h>

#include "base/tmpl.h"
int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	static jv vars;
	static int init;
	char err[256];

	if (!init) {
		vars = jv_parse("{\"A\":\"x\",\"N\":8080,\"t\":true,\"f\":false,\"P\":\"a/b\"}");
		init = 1;
	}
	for (int esc = BI_ESC_NONE; esc <= BI_ESC_HTML; esc++) {
		char *s = bi_tmpl_render((const char *)data, n, vars, esc, NULL, err, sizeof err);
		free(s);
	}
	char *p = malloc(n + 1);
	memcpy(p, data, n);
	p[n] = '\0';
	char *r = bi_tmpl_path(p, vars, err, sizeof err);
	/* A path that could escape must never be returned. */
	if (r && (r[0] == '/' || !strcmp(r, "..") || !strncmp(r, "../", 3) ||
		  strstr(r, "/../") || (strlen(r) >= 3 && !strcmp(r + strlen(r) - 3, "/.."))))
		abort();
	free(r);
	free(p);
	return 0;
}
