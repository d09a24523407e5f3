/* sources/jenkins.h: the interface of jenkins.c (layer: sources). */
#ifndef BI_SOURCES_JENKINS_H
#define BI_SOURCES_JENKINS_H

#include <jv.h>
#include <stddef.h>

/* How a conversation with Jenkins ended. */
enum {
	BI_JENKINS_OK = 0,
	BI_JENKINS_FAILED = 1,		/* the build ran and did not succeed */
	BI_JENKINS_REFUSED = 2,		/* Jenkins answered no: a job that does not
					 * exist, bad credentials, a name it refuses */
	BI_JENKINS_UNREACHABLE = 3	/* no answer, or an answer that is not Jenkins's */
};

/* A connection: the base address and the credentials, and what Jenkins
 * gave back (the crumb and the session cookie it belongs to). Zero it,
 * set url (and user/secret), and free it with bi_jenkins_free. */
typedef struct bi_jenkins {
	const char *url;	/* http://127.0.0.1:8080, no trailing slash needed */
	const char *user;	/* NULL: anonymous */
	const char *secret;	/* the user's password or API token */
	long timeout_ms;	/* each request; 0: 30 s */
	long poll_ms;		/* between queue and console polls; 0: 1 s */
	const volatile int *stop;	/* set by a signal: give up waiting */
	/* Kept between requests: */
	char *crumb_field, *crumb;	/* NULL until asked; "" when Jenkins has none */
	char *cookie;		/* "NAME=VALUE; ..." from its Set-Cookie */
} bi_jenkins;

void bi_jenkins_free(bi_jenkins *j);

/* What one response's headers said that the client uses. */
typedef struct bi_jenkins_hdrs {
	char location[1024];	/* Location: (a queue item after a build) */
	long long text_size;	/* X-Text-Size: where the next progressiveText starts; -1 absent */
	int more_data;		/* X-More-Data: true */
	char cookie[1024];	/* every Set-Cookie's NAME=VALUE, joined by "; " */
	char version[64];	/* X-Jenkins: */
} bi_jenkins_hdrs;

/* Read one response header line (without its line ending) into h; the
 * status line and headers it does not use are ignored. Cannot fail; a
 * value longer than its field is dropped, never cut. Reset h with
 * bi_jenkins_hdrs_reset before a response. */
void bi_jenkins_hdrs_reset(bi_jenkins_hdrs *h);
void bi_jenkins_header(bi_jenkins_hdrs *h, const char *line, size_t len);

/* s (NULL: "") escaped for XML text and attribute values: & < > " ' as
 * entities, control characters other than tab, newline and return as
 * character references (XML 1.1, which Jenkins writes). The caller frees it. */
char *bi_xml_escape(const char *s);

/* A job's path ("folder/name", each part a name) as Jenkins's URL path
 * ("/job/folder/job/name"), every part percent-encoded. NULL when a part
 * is empty, "." or "..". The caller frees it. */
char *bi_jenkins_job_path(const char *job);

/* A Pipeline job that reads script_path (NULL: Jenkinsfile) from branch
 * (NULL: main) of the git repository repo, as config.xml; every value
 * escaped. credentials (an id in Jenkins's store) may be NULL. */
typedef struct bi_jenkins_job {
	const char *description;
	const char *repo;
	const char *branch;
	const char *script_path;
	const char *credentials;
} bi_jenkins_job;
char *bi_jenkins_job_xml(const bi_jenkins_job *job);

/* The build number in a queue item's JSON (answer consumed): > 0 once it
 * has one (executable.number), 0 while it waits, -1 when it was cancelled
 * (why in err), -2 when the text is not a queue item. */
long bi_jenkins_queue_number(jv item, char *err, size_t n);

/* The run a build's records belong to, as the Jenkinsfile names it for
 * `blissful-infra pipeline` (BI_PIPELINE_RUN, JOB_NAME-BUILD_NUMBER):
 * job and number joined by '-', every byte but A-Za-z0-9._- made '-'.
 * Allocated. */
char *bi_jenkins_run_id(const char *job, long build);

/* `stage` records from a wfapi/describe answer (consumed): {name, status
 * passed/failed/skipped/running, jenkins_status as Jenkins said it,
 * duration_ms, source "jenkins", job, build, run}; an array, or jv_invalid
 * with a message when the answer is not a run's description. */
jv bi_jenkins_stages(jv describe, const char *job, long build);

/* `jenkins_job` records from the answer of api/json?tree=jobs[name,color,
 * lastBuild[number,result,timestamp]] (consumed): {name, color, status
 * (passed, failed, unstable, aborted, running, never built, disabled),
 * last_build, last_result, last_ts}; an array or jv_invalid with a message. */
jv bi_jenkins_jobs(jv answer, const char *folder);

/* Jenkins's result word (SUCCESS, FAILURE, UNSTABLE, ABORTED,
 * NOT_BUILT) as ours: passed, failed, unstable, aborted, not built. */
const char *bi_jenkins_result_word(const char *result);

/* Ask Jenkins for a crumb (GET /crumbIssuer/api/json) and keep it with
 * the session cookie that came with it: Jenkins refuses a crumb that
 * arrives without its session. A Jenkins without CSRF protection (404)
 * leaves an empty crumb. BI_JENKINS_* with err set on failure; *version
 * gets the X-Jenkins header when version is not NULL. */
int bi_jenkins_connect(bi_jenkins *j, char *version, size_t vn, char *err, size_t n);

/* Create the job (or replace its configuration when it exists) from xml;
 * the folders above it must exist. *created says which. */
int bi_jenkins_put_job(bi_jenkins *j, const char *job, const char *xml, int *created,
		       char *err, size_t n);

/* Create a folder (cloudbees-folder) at path when it does not exist. */
int bi_jenkins_put_folder(bi_jenkins *j, const char *path, char *err, size_t n);

/* Start a build: POST build (or buildWithParameters, form-encoded, when
 * params, an object of strings, is not null; consumed); Jenkins answers
 * 201 with the queue item in Location, which is waited on until it has a
 * build number (*number). */
int bi_jenkins_build(bi_jenkins *j, const char *job, jv params, long *number,
		     char *err, size_t n);

/* Follow build number's console with progressiveText until Jenkins says
 * there is no more, calling on_line with each complete line (the last
 * one too, unterminated); then read its result (*result: SUCCESS ...;
 * the caller frees it). BI_JENKINS_OK when it was read (whatever it is). */
int bi_jenkins_follow(bi_jenkins *j, const char *job, long number,
		      void (*on_line)(void *ctx, const char *line, size_t len), void *ctx,
		      char **result, char *err, size_t n);

/* GET path (after the base url) as JSON: *out on BI_JENKINS_OK. */
int bi_jenkins_get_json(bi_jenkins *j, const char *path, jv *out, char *err, size_t n);

#endif
