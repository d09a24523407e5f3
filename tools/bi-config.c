/*
 * bi-config: the project's configuration, for the shell layer.
 *
 *   bi-config get PATH [DEFAULT]   the value at a dotted path of blissful-infra.yaml
 *   bi-config seconds PATH [DEFAULT]  a duration there ("1m30s", or seconds), in seconds
 *   bi-config root                 the project's directory
 *
 * Scripts ask this tool instead of reading YAML with sed, so that they get
 * the same answer the tools get: the same libyaml reading (anchors,
 * quoting, flow style, comments), the same project lookup ($BI_PROJECT_DIR,
 * else the nearest blissful-infra.yaml at or above the working directory).
 * A scalar prints as it is (a string without quotes, a number in its
 * shortest exact form, true/false); a list or a map as one compact JSON
 * line. A key present with no value (null) is absent, as the tools read it.
 * This is the one tool whose output is values, not records: it is read by
 * $(...), not by another tool.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"

static const char usage[] =
	"usage: bi-config get PATH [DEFAULT]\n"
	"       bi-config seconds PATH [DEFAULT]\n"
	"       bi-config root\n"
	"Read the project's blissful-infra.yaml as the tools read it.\n"
	"\n"
	"  get PATH [DEFAULT]  the value at PATH (\"metrics.interval\", \"services.app.port\",\n"
	"                      \"chaos.scenarios.0\"): a scalar as it is, a list or map as\n"
	"                      JSON; DEFAULT when absent (or null)\n"
	"  seconds PATH [DEFAULT]  a duration at PATH (\"5s\", \"1m30s\", or a number of\n"
	"                      seconds) in seconds, as a number: for sleep(1) and the like\n"
	"  root                the project's directory\n"
	"  -h, --help          show this help\n"
	"      --version       show the version\n"
	"Exit: 0, 1 PATH is absent and no DEFAULT was given (or no project, for root),\n"
	"2 usage, a malformed blissful-infra.yaml, or (seconds) a value that is no duration.\n";

static void
print_value(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		fputs(jv_string_value(v), stdout);
		break;
	default: {	/* numbers too: libjq writes the shortest form that reads back */
		jv s = jv_dump_string(jv_copy(v), 0);
		fputs(jv_string_value(s), stdout);
		jv_free(s);
	}
	}
	putchar('\n');
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int c, st = BI_EXIT_OK;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	const char *cmd = optind < argc ? argv[optind++] : NULL;
	if (!cmd)
		bi_usage_error(usage, "get or root?");
	if (!strcmp(cmd, "root")) {
		if (optind < argc)
			bi_usage_error(usage, "root takes no argument");
		char *dir = bi_project_dir();
		if (!dir) {
			bi_warn("not in a blissful-infra project (no blissful-infra.yaml here or above)");
			return BI_EXIT_FAIL;
		}
		puts(dir);
		free(dir);
	} else if (!strcmp(cmd, "get") || !strcmp(cmd, "seconds")) {
		int secs = !strcmp(cmd, "seconds");
		if (optind >= argc || argc - optind > 2)
			bi_usage_error(usage, "%s PATH [DEFAULT]", cmd);
		const char *path = argv[optind], *def = optind + 1 < argc ? argv[optind + 1] : NULL;
		jv cfg = bi_config();	/* a malformed file is fatal, exit 2 */
		jv v = bi_jv_path(cfg, path);
		if (jv_get_kind(v) == JV_KIND_NULL) {	/* "key:" with nothing after it */
			jv_free(v);
			v = jv_invalid();
		}
		if (!jv_is_valid(v) && def) {
			jv_free(v);
			v = jv_string(def);
		}
		if (!jv_is_valid(v)) {
			st = BI_EXIT_FAIL;
		} else if (secs) {
			int64_t ns;
			if (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0)
				ns = (int64_t)(jv_number_value(v) * BI_NS_PER_S);
			else if (jv_get_kind(v) != JV_KIND_STRING || bi_dur_parse(jv_string_value(v), &ns))
				bi_die(BI_EXIT_USAGE, "%s: not a duration", path);
			printf("%g\n", (double)ns / BI_NS_PER_S);
		} else {
			print_value(v);
		}
		jv_free(v);
		jv_free(cfg);
	} else {
		bi_usage_error(usage, "unknown command: %s", cmd);
	}
	bi_fshut(stdout, "stdout");
	return st;
}
