/* engines/notify.h: the interface of notify.c (layer: engines). */
#ifndef BI_ENGINES_NOTIFY_H
#define BI_ENGINES_NOTIFY_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* The receivers a message can be shaped for. */
typedef enum {
	BI_NOTIFY_SLACK,	/* a Slack incoming webhook: text and Block Kit blocks */
	BI_NOTIFY_TEAMS,	/* a Teams incoming webhook: an Adaptive Card message */
	BI_NOTIFY_WEBHOOK	/* any receiver: the records' fields as one JSON object */
} bi_notify_to;

/* A line of the table of records that call for telling people. A record
 * matches when its kind is kind and both conditions hold (a condition
 * with a NULL field always holds): the field's value is the string want,
 * or, with want "true", the boolean true. The first line that matches
 * decides; send 0 says the record is known and stays quiet. */
typedef struct bi_notify_rule {
	const char *kind;
	const char *field, *want, *field2, *want2;
	int send;
	const char *event;	/* "firing", "repeat", "resolved", "failed", "drop", "aborted" */
	const char *title;	/* a headline template: {a} is the field a, {a|b} a or else b */
	const char *plural;	/* "alerts": what a summary counts them as */
} bi_notify_rule;

/* The rule rec (borrowed) matches, or NULL when no line of the table
 * does (other kinds, and records of a known kind that say nothing worth
 * telling, such as a chaos experiment that passed). */
const bi_notify_rule *bi_notify_match(jv rec);

/* Whether the table has lines for kind; and the kinds it has, as a
 * comma-separated list for messages ("alert, chaos, ..."). */
int bi_notify_kind_known(const char *kind);
const char *bi_notify_kinds(void);

/* The headline of a record that matched rule: its title template filled
 * in, as "Alert firing: error_rate on api". A new string. */
char *bi_notify_title(const bi_notify_rule *rule, jv rec);

/* The headline of a summary of recs (borrowed, an array of records that
 * matched): "12 more alerts", or "12 more notifications" when they are of
 * several kinds. A new string. */
char *bi_notify_summary_title(jv recs);

/* The message for a target. recs (borrowed) is an array of records that
 * matched, each with the "project" to show (the caller fills it in where
 * the record has none). One record, grouped 0: a message about it.
 * grouped 1: a summary of the records held back in a group's window, its
 * headline "N more alerts", listing at most BI_NOTIFY_LIST of them (the
 * generic webhook gets up to BI_NOTIFY_LIST_WEBHOOK, whole). Returns the
 * payload to POST as JSON; never fails. It keeps no state, so threads
 * may build messages at once, each from records no other thread touches
 * meanwhile (libjq's reference counts are not atomic). */
#define BI_NOTIFY_LIST 20
#define BI_NOTIFY_LIST_WEBHOOK 100
jv bi_notify_message(bi_notify_to to, jv recs, int grouped);

/* The targets and settings of blissful-infra.yaml's notifications:
 * section. A webhook's URL is a secret: url holds it with ${VAR} expanded,
 * and secrets[] the parts of it that error text must not show. */
typedef struct bi_notify_target {
	char name[80];			/* "slack", "teams", "webhook:NAME" */
	bi_notify_to to;
	char *url;
	char *secrets[4];		/* the URL, its path, host:port, host (for bi_notify_scrub) */
	char **on;			/* the kinds it is sent, NULL-terminated; NULL: every kind */
	int insecure;			/* plain http to another machine */
} bi_notify_target;

typedef struct bi_notify_config {
	bi_notify_target *t;
	int nt;				/* at least 1 */
	int64_t group, backoff, timeout;	/* ns: the grouping window, the first retry's wait, a delivery's time */
	long attempts, queue;		/* tries in all; messages a target holds waiting */
} bi_notify_config;

/* Read cfg's (borrowed) notifications: section into *c (freed with
 * bi_notify_config_free). 0, or -1 with the reason in err, as
 * "notifications.slack.webhook: the environment variable X is not set": no
 * section, no target, an unknown key, a bad duration, number or kind, a
 * URL that is not http(s) or names a variable unset. The reason never
 * quotes a URL. */
int bi_notify_config_read(jv cfg, bi_notify_config *c, char *err, size_t n);
void bi_notify_config_free(bi_notify_config *c);

/* Whether t is sent records of kind. */
int bi_notify_wants(const bi_notify_target *t, const char *kind);

/* Expand ${NAME} in s from the environment into *out (a new string). 0, or
 * -1 with the reason in err: a variable unset or empty (named), or a
 * malformed ${. The reason never quotes s, which may hold a secret. */
int bi_notify_expand(const char *s, char **out, char *err, size_t n);

/* A Retry-After header's value (delay-seconds, or an HTTP-date counted
 * from now_ns) in milliseconds, 0 for a date already past; -1 when it is
 * neither. */
int64_t bi_notify_retry_after(const char *value, int64_t now_ns);

/* Copy s to a new string with every occurrence of each of the n secrets
 * (empty ones skipped) replaced by with: for error text that may quote a
 * webhook's URL or a part of it. */
char *bi_notify_scrub(const char *s, const char *const *secrets, int n, const char *with);

#endif
