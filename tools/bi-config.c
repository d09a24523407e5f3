/*
 * bi-config: the project's configuration, for the shell layer.
 *
 *   bi-config get PATH [DEFAULT]   the value at a dotted path of blissful-infra.yaml
 *   bi-config root                 the project's directory
 *
 * Scripts ask this tool instead of reading YAML with sed, so that they get
 * the same answer the tools get: the same libyaml reading (anchors,
 * quoting, flow style, comments), the same project lookup ($BI_PROJECT_DIR,
 * else the nearest blissful-infra.yaml at or above the working directory).
 * A scalar prints as it is (a string without quotes, a number as written
 * by %g, true/false, null); a list or a map as one compact JSON line.
 * This is the one tool whose output is values, not records: it is read by
 * $(...), not by another tool.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "base/config.h"

static const char usage[] =
	"usage: bi-config get PATH [DEFAULT]\n"
	"       bi-config root\n"
	"Read the project's blissful-infra.yaml as the tools read it.\n"
	"\n"
	"  get PATH [DEFAULT]  the value at PATH (\"metrics.interval\", \"services.app.port\",\n"
	"                      \"chaos.scenarios.0\"): a scalar as it is, a list or map as\n"
	"                      JSON; DEFAULT when absent\n"
	"  root                the project's directory\n"
	"  -h, --help          show this help\n"
	"      --version       show the version\n"
	"Exit: 0, 1 PATH is absent and no DEFAULT was given (or no project, for root),\n"
	"2 usage or a malformed blissful-infra.yaml.\n";

static void
print_value(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		fputs(jv_string_value(v), stdout);
		break;
	case JV_KIND_NUMBER:
		printf("%.17g", jv_number_value(v));
		break;
	default: {
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
	} else if (!strcmp(cmd, "get")) {
		if (optind >= argc || argc - optind > 2)
			bi_usage_error(usage, "get PATH [DEFAULT]");
		const char *path = argv[optind], *def = optind + 1 < argc ? argv[optind + 1] : NULL;
		jv cfg = bi_config();	/* a malformed file is fatal, exit 2 */
		jv v = bi_jv_path(cfg, path);
		if (jv_is_valid(v))
			print_value(v);
		else if (def)
			puts(def);
		else
			st = BI_EXIT_FAIL;
		jv_free(v);
		jv_free(cfg);
	} else {
		bi_usage_error(usage, "unknown command: %s", cmd);
	}
	bi_fshut(stdout, "stdout");
	return st;
}
