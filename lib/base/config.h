/* base/config.h: the interface of config.c (layer: base). */
#ifndef BI_BASE_CONFIG_H
#define BI_BASE_CONFIG_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* Load YAML into jv. Plain scalars follow the YAML 1.2 core schema (null,
 * true/false, integers, floats, else strings); quoted ones are strings.
 * Anchors and aliases work, but a document whose aliases would expand to more
 * than BI_YAML_MAX_NODES nodes is rejected (a "billion laughs" bomb).
 * On error returns jv_invalid_with_msg("FILE:LINE:COLUMN: what"). */
#define BI_YAML_MAX_NODES 1000000
jv bi_yaml_parse(const char *text, size_t len, const char *name);
jv bi_yaml_load(const char *path);

/* The project: the nearest directory at or above the working directory that
 * holds blissful-infra.yaml (or $BI_PROJECT_DIR when set). NULL when none. */
char *bi_project_dir(void);

/* The project's configuration: blissful-infra.yaml of bi_project_dir(), or
 * an empty object when there is no project. A malformed file is fatal (exit
 * 2, naming its file, line and column): a convenience for tools, which all
 * read it first thing; no module of the library calls it (they are given
 * the configuration), and bi_yaml_load returns the error instead. */
jv bi_config(void);

/* A duration at a dotted path of cfg (borrowed), as configurations write
 * them: "30s", "1h30m", or a number of seconds; def when absent or not one. */
int64_t bi_cfg_dur(jv cfg, const char *path, int64_t def);

#endif
