/*
 * jenkins.c: a client of Jenkins's REST API, as Jenkins documents it.
 *
 * Writes need a crumb (CSRF protection): GET /crumbIssuer/api/json gives
 * {crumbRequestField, crumb}, and the crumb is bound to the web session that
 * asked for it, so the session cookie from that answer goes with every
 * request after it (Jenkins answers 403 to a crumb without its session). A
 * build is POST job/NAME/build, answered 201 with the queue item in
 * Location; the queue item (queue/item/N/api/json) gets executable.number
 * once an executor takes it; the console is read with
 * logText/progressiveText?start=K, whose X-Text-Size header says where the
 * next read starts and X-More-Data: true that the build is still writing.
 * The stage table comes from the Pipeline Stage View's wfapi/describe.
 *
 * Nothing here runs a shell: names travel percent-encoded in URLs,
 * form-encoded in bodies, and escaped in the job's XML.
 *
 * Layer: sources.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sources/jenkins.h"

#include "base/http.h"
#include "base/jsonl.h"
#include "base/time.h"
#include "base/util.h"

void
bi_jenkins_free(bi_jenkins *j)
{
	free(j->crumb_field);
	free(j->crumb);
	free(j->cookie);
	j->crumb_field = j->crumb = j->cookie = NULL;
}

/* ---- pure parts: headers, escaping, answers ---- */

void
bi_jenkins_hdrs_reset(bi_jenkins_hdrs *h)
{
	memset(h, 0, sizeof *h);
	h->text_size = -1;
}

/* The value of header name in line, trimmed, or NULL. */
static const char *
header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
	size_t k = strlen(name);

	if (len <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	const char *v = line + k + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*vlen = end - v;
	return v;
}

static void
copy_field(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return;	/* dropped, never cut */
	memcpy(dst, v, n);
	dst[n] = 0;
}

void
bi_jenkins_header(bi_jenkins_hdrs *h, const char *line, size_t len)
{
	const char *v;
	size_t n;

	if ((v = header_value(line, len, "Location", &n))) {
		copy_field(h->location, sizeof h->location, v, n);
	} else if ((v = header_value(line, len, "X-Text-Size", &n))) {
		long long x = 0;
		size_t i;
		for (i = 0; i < n && isdigit((unsigned char)v[i]) && x < (1LL << 50); i++)
			x = x * 10 + (v[i] - '0');
		h->text_size = n > 0 && i == n ? x : -1;
	} else if ((v = header_value(line, len, "X-More-Data", &n))) {
		h->more_data = n == 4 && strncasecmp(v, "true", 4) == 0;
	} else if ((v = header_value(line, len, "X-Jenkins", &n))) {
		copy_field(h->version, sizeof h->version, v, n);
	} else if ((v = header_value(line, len, "Set-Cookie", &n))) {
		const char *semi = memchr(v, ';', n);
		size_t k = semi ? (size_t)(semi - v) : n, have = strlen(h->cookie);
		if (k == 0 || !memchr(v, '=', k))
			return;
		for (size_t i = 0; i < k; i++)	/* a cookie is one token, no controls */
			if ((unsigned char)v[i] < 0x21 || v[i] == 0x7f)
				return;
		if (have + 2 + k + 1 > sizeof h->cookie)
			return;
		if (have)
			memcpy(h->cookie + have, "; ", 2), have += 2;
		memcpy(h->cookie + have, v, k);
		h->cookie[have + k] = 0;
	}
}

char *
bi_xml_escape(const char *s)
{
	bi_buf b = {0};

	for (s = s ? s : ""; *s; s++) {
		unsigned char c = *s;
		switch (c) {
		case '&': bi_buf_adds(&b, "&amp;"); break;
		case '<': bi_buf_adds(&b, "&lt;"); break;
		case '>': bi_buf_adds(&b, "&gt;"); break;
		case '"': bi_buf_adds(&b, "&quot;"); break;
		case '\'': bi_buf_adds(&b, "&apos;"); break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				bi_buf_printf(&b, "&#x%X;", c);
			else
				bi_buf_add(&b, s, 1);
		}
	}
	bi_buf_add(&b, NULL, 0);
	return b.p;
}

/* s percent-encoded: all but RFC 3986's unreserved characters. */
static void
pct(bi_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			bi_buf_add(b, &s[i], 1);
		else
			bi_buf_printf(b, "%%%02X", c);
	}
}

char *
bi_jenkins_job_path(const char *job)
{
	bi_buf b = {0};
	const char *p = job;

	if (!job || !*job)
		return NULL;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t k = slash ? (size_t)(slash - p) : strlen(p);
		if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.')) {
			bi_buf_free(&b);
			return NULL;
		}
		bi_buf_adds(&b, "/job/");
		pct(&b, p, k);
		if (!slash)
			break;
		p = slash + 1;
	}
	return b.p;
}

char *
bi_jenkins_job_xml(const bi_jenkins_job *job)
{
	char *desc = bi_xml_escape(job->description), *repo = bi_xml_escape(job->repo),
	     *branch = bi_xml_escape(job->branch ? job->branch : "main"),
	     *script = bi_xml_escape(job->script_path ? job->script_path : "Jenkinsfile"),
	     *cred = job->credentials ? bi_xml_escape(job->credentials) : NULL;
	bi_buf b = {0};

	bi_buf_printf(&b,
		"<?xml version='1.1' encoding='UTF-8'?>\n"
		"<flow-definition plugin=\"workflow-job\">\n"
		"  <description>%s</description>\n"
		"  <keepDependencies>false</keepDependencies>\n"
		"  <properties/>\n"
		"  <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition\" plugin=\"workflow-cps\">\n"
		"    <scm class=\"hudson.plugins.git.GitSCM\" plugin=\"git\">\n"
		"      <configVersion>2</configVersion>\n"
		"      <userRemoteConfigs>\n"
		"        <hudson.plugins.git.UserRemoteConfig>\n"
		"          <url>%s</url>\n", desc, repo);
	if (cred)
		bi_buf_printf(&b, "          <credentialsId>%s</credentialsId>\n", cred);
	bi_buf_printf(&b,
		"        </hudson.plugins.git.UserRemoteConfig>\n"
		"      </userRemoteConfigs>\n"
		"      <branches>\n"
		"        <hudson.plugins.git.BranchSpec>\n"
		"          <name>%s</name>\n"
		"        </hudson.plugins.git.BranchSpec>\n"
		"      </branches>\n"
		"      <doGenerateSubmoduleConfigurations>false</doGenerateSubmoduleConfigurations>\n"
		"      <submoduleCfg class=\"empty-list\"/>\n"
		"      <extensions/>\n"
		"    </scm>\n"
		"    <scriptPath>%s</scriptPath>\n"
		"    <lightweight>true</lightweight>\n"
		"  </definition>\n"
		"  <triggers/>\n"
		"  <disabled>false</disabled>\n"
		"</flow-definition>\n", branch, script);
	free(desc), free(repo), free(branch), free(script), free(cred);
	return b.p;
}

long
bi_jenkins_queue_number(jv item, char *err, size_t n)
{
	long r;

	if (jv_get_kind(item) != JV_KIND_OBJECT) {
		jv_free(item);
		return bi_errf(err, n, "the queue item is not a JSON object"), -2;
	}
	jv exe = jv_object_get(jv_copy(item), jv_string("executable"));
	jv cancelled = jv_object_get(jv_copy(item), jv_string("cancelled"));
	if (jv_get_kind(exe) == JV_KIND_OBJECT) {
		jv num = jv_object_get(jv_copy(exe), jv_string("number"));
		double d = jv_get_kind(num) == JV_KIND_NUMBER ? jv_number_value(num) : -1;
		jv_free(num);
		if (d >= 1 && d < 1e15 && d == (double)(long)d)
			r = (long)d;
		else
			r = (bi_errf(err, n, "the queue item's executable has no build number"), -2);
	} else if (jv_get_kind(cancelled) == JV_KIND_TRUE) {
		const char *why = bi_get_text(item, "why", NULL);
		bi_errf(err, n, "the build was cancelled in the queue%s%.200s", why ? ": " : "",
			why ? why : "");
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		r = -1;
	} else {
		r = 0;
	}
	jv_free(exe);
	jv_free(cancelled);
	jv_free(item);
	return r;
}

static const char *
stage_word(const char *st)
{
	static const struct { const char *jenkins, *ours; } map[] = {
		{"SUCCESS", "passed"}, {"FAILED", "failed"}, {"UNSTABLE", "failed"},
		{"ABORTED", "failed"}, {"NOT_EXECUTED", "skipped"}, {"IN_PROGRESS", "running"},
		{"PAUSED_PENDING_INPUT", "running"}, {"QUEUED", "running"}, {NULL, NULL}};

	for (int i = 0; map[i].jenkins; i++)
		if (st && !strcmp(st, map[i].jenkins))
			return map[i].ours;
	return "unknown";
}

static jv
num_or_null(jv obj, const char *key)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		return v;
	jv_free(v);
	return jv_null();
}

char *
bi_jenkins_run_id(const char *job, long build)
{
	char *id = bi_asprintf("%s-%ld", job ? job : "", build);

	for (char *c = id; *c; c++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", *c))
			*c = '-';
	return id;
}

jv
bi_jenkins_stages(jv d, const char *job, long build)
{
	if (jv_get_kind(d) != JV_KIND_OBJECT) {
		jv_free(d);
		return jv_invalid_with_msg(jv_string("wfapi/describe did not answer a JSON object"));
	}
	jv stages = jv_object_get(jv_copy(d), jv_string("stages"));
	if (jv_get_kind(stages) != JV_KIND_ARRAY) {
		jv_free(stages);
		jv_free(d);
		return jv_invalid_with_msg(jv_string("wfapi/describe's answer has no stages"));
	}
	char *run = bi_jenkins_run_id(job, build);
	jv out = jv_array();
	jv_array_foreach(stages, i, s) {
		if (jv_get_kind(s) != JV_KIND_OBJECT) {
			jv_free(s);
			continue;
		}
		const char *name = bi_get_str(s, "name"), *st = bi_get_str(s, "status");
		jv rec = bi_record("stage");
		jv start = num_or_null(s, "startTimeMillis");
		/* Milliseconds below 9e12 (the year 2255) fit in int64 nanoseconds. */
		if (jv_get_kind(start) == JV_KIND_NUMBER && jv_number_value(start) > 0 &&
		    jv_number_value(start) < 9e12) {
			char ts[40];
			bi_ts_fmt((int64_t)jv_number_value(start) * 1000000, ts);
			rec = bi_set(rec, "ts", jv_string(ts));
		}
		jv_free(start);
		rec = bi_set(rec, "name", jv_string(name ? name : "?"));
		rec = bi_set(rec, "status", jv_string(stage_word(st)));
		rec = bi_set(rec, "jenkins_status", st ? jv_string(st) : jv_null());
		rec = bi_set(rec, "duration_ms", num_or_null(s, "durationMillis"));
		rec = bi_set(rec, "source", jv_string("jenkins"));
		rec = bi_set(rec, "job", jv_string(job ? job : ""));
		rec = bi_set(rec, "build", jv_number(build));
		rec = bi_set(rec, "run", jv_string(run));
		out = jv_array_append(out, rec);
		jv_free(s);
	}
	jv_free(stages);
	jv_free(d);
	free(run);
	return out;
}

static const char *
color_word(const char *c)
{
	static const struct { const char *color, *ours; } map[] = {
		{"blue", "passed"}, {"green", "passed"}, {"red", "failed"}, {"yellow", "unstable"},
		{"aborted", "aborted"}, {"notbuilt", "never built"}, {"nobuilt", "never built"},
		{"disabled", "disabled"}, {"grey", "never built"}, {NULL, NULL}};

	if (!c)
		return "folder";	/* only jobs have a colour */
	if (strstr(c, "_anime"))
		return "running";
	for (int i = 0; map[i].color; i++)
		if (!strcmp(c, map[i].color))
			return map[i].ours;
	return "unknown";
}

const char *
bi_jenkins_result_word(const char *r)
{
	static const struct { const char *jenkins, *ours; } map[] = {
		{"SUCCESS", "passed"}, {"FAILURE", "failed"}, {"UNSTABLE", "unstable"},
		{"ABORTED", "aborted"}, {"NOT_BUILT", "not built"}, {NULL, NULL}};

	for (int i = 0; map[i].jenkins; i++)
		if (r && !strcmp(r, map[i].jenkins))
			return map[i].ours;
	return r ? "unknown" : "running";
}

jv
bi_jenkins_jobs(jv a, const char *folder)
{
	if (jv_get_kind(a) != JV_KIND_OBJECT) {
		jv_free(a);
		return jv_invalid_with_msg(jv_string("the job list is not a JSON object"));
	}
	jv jobs = jv_object_get(jv_copy(a), jv_string("jobs"));
	if (jv_get_kind(jobs) != JV_KIND_ARRAY) {
		jv_free(jobs);
		jv_free(a);
		return jv_invalid_with_msg(jv_string("the answer has no job list"));
	}
	jv out = jv_array();
	jv_array_foreach(jobs, i, job) {
		const char *name = jv_get_kind(job) == JV_KIND_OBJECT ? bi_get_str(job, "name") : NULL;
		if (!name) {
			jv_free(job);
			continue;
		}
		const char *color = bi_get_str(job, "color");
		jv rec = bi_record("jenkins_job");
		rec = bi_set(rec, "name", folder && *folder ? jv_string_fmt("%s/%s", folder, name)
							    : jv_string(name));
		rec = bi_set(rec, "color", color ? jv_string(color) : jv_null());
		rec = bi_set(rec, "status", jv_string(color_word(color)));
		jv last = jv_object_get(jv_copy(job), jv_string("lastBuild"));
		if (jv_get_kind(last) == JV_KIND_OBJECT) {
			const char *res = bi_get_str(last, "result");
			rec = bi_set(rec, "last_build", num_or_null(last, "number"));
			rec = bi_set(rec, "last_result", res ? jv_string(res) : jv_null());
			jv t = num_or_null(last, "timestamp");
			if (jv_get_kind(t) == JV_KIND_NUMBER && jv_number_value(t) > 0 &&
			    jv_number_value(t) < 9e12) {
				char ts[40];
				bi_ts_fmt((int64_t)jv_number_value(t) * 1000000, ts);
				rec = bi_set(rec, "last_ts", jv_string(ts));
			}
			jv_free(t);
		}
		jv_free(last);
		out = jv_array_append(out, rec);
		jv_free(job);
	}
	jv_free(jobs);
	jv_free(a);
	return out;
}

/* ---- talking to Jenkins ---- */

static void
b64(bi_buf *b, const char *s)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n) v |= (unsigned char)s[i + 2];
		char q[4] = {al[v >> 18 & 63], al[v >> 12 & 63],
			     i + 1 < n ? al[v >> 6 & 63] : '=', i + 2 < n ? al[v & 63] : '='};
		bi_buf_add(b, q, 4);
	}
}

static void
on_hdr(void *ctx, const char *line, size_t len)
{
	bi_jenkins_header(ctx, line, len);
}

/* One line of what an error answer said, for a message. */
static void
say_status(char *err, size_t n, const char *what, const bi_http_resp *r)
{
	int k = bi_line_span(r->body.p ? r->body.p : "", r->body.len, 160);
	bi_errf(err, n, "%s: HTTP %ld%s%.*s", what, r->status, k ? ": " : "", k,
		r->body.p ? r->body.p : "");
}

/* A request to the base url + path (a header line may not hold a newline:
 * credentials and crumbs with one are refused before they are sent). */
static int
request(bi_jenkins *j, const char *method, const char *path, const char *body,
	const char *ctype, bi_jenkins_hdrs *h, bi_http_resp *resp, char *err, size_t n)
{
	const char *hdr[5];
	int nh = 0;
	bi_buf auth = {0}, cookie = {0}, crumb = {0}, url = {0};
	size_t bl = strlen(j->url);
	int rc = BI_JENKINS_OK;

	/* The caller reads both whatever happens, even when nothing is sent. */
	memset(resp, 0, sizeof *resp);
	bi_jenkins_hdrs_reset(h);
	while (bl > 0 && j->url[bl - 1] == '/')
		bl--;
	bi_buf_add(&url, j->url, bl);
	bi_buf_adds(&url, path);
	if (j->user) {
		bi_buf tok = {0};
		bi_buf_printf(&tok, "%s:%s", j->user, j->secret ? j->secret : "");
		bi_buf_adds(&auth, "Authorization: Basic ");
		b64(&auth, tok.p);
		bi_buf_free(&tok);
		hdr[nh++] = auth.p;
	}
	if (j->cookie && *j->cookie) {
		bi_buf_printf(&cookie, "Cookie: %s", j->cookie);
		hdr[nh++] = cookie.p;
	}
	if (body && j->crumb && *j->crumb) {
		bi_buf_printf(&crumb, "%s: %s", j->crumb_field, j->crumb);
		hdr[nh++] = crumb.p;
	}
	hdr[nh] = NULL;
	for (int i = 0; i < nh; i++)
		if (strpbrk(hdr[i], "\r\n")) {
			rc = BI_JENKINS_REFUSED;
			bi_errf(err, n, "a credential or crumb holds a line break");
			goto out;
		}
	bi_http_req req = {.method = method, .url = url.p, .body = body, .content_type = ctype,
			   .headers = hdr, .timeout_ms = j->timeout_ms > 0 ? j->timeout_ms : 30000,
			   .on_header = on_hdr, .ctx = h};
	if (bi_http(&req, resp) != 0) {
		bi_errf(err, n, "%s: %s", url.p, resp->error);
		rc = BI_JENKINS_UNREACHABLE;
	} else if (resp->status >= 500 || resp->status < 200) {
		say_status(err, n, url.p, resp);
		rc = BI_JENKINS_UNREACHABLE;
	} else if (resp->status >= 400) {
		say_status(err, n, url.p, resp);
		rc = BI_JENKINS_REFUSED;
	}
out:
	bi_buf_free(&auth), bi_buf_free(&cookie), bi_buf_free(&crumb), bi_buf_free(&url);
	return rc;
}

/* Sleep ms unless stop is set; nonzero when stopped. */
static int
nap(bi_jenkins *j, long ms)
{
	while (ms > 0) {
		if (j->stop && *j->stop)
			return 1;
		long k = ms > 100 ? 100 : ms;
		struct timespec t = {0, k * 1000000L};
		while (nanosleep(&t, &t) != 0 && errno == EINTR)
			if (j->stop && *j->stop)
				return 1;
		ms -= k;
	}
	return j->stop && *j->stop;
}

static long
poll_ms(const bi_jenkins *j)
{
	return j->poll_ms > 0 ? j->poll_ms : 1000;
}

static jv
parse_body(const bi_http_resp *r)
{
	return r->body.len ? jv_parse_sized(r->body.p, (int)r->body.len) : jv_invalid();
}

int
bi_jenkins_get_json(bi_jenkins *j, const char *path, jv *out, char *err, size_t n)
{
	bi_jenkins_hdrs h;
	bi_http_resp r;
	int rc = request(j, "GET", path, NULL, NULL, &h, &r, err, n);

	*out = jv_invalid();
	if (rc == BI_JENKINS_OK) {
		*out = parse_body(&r);
		if (!jv_is_valid(*out)) {
			jv_free(*out);
			*out = jv_invalid();
			bi_errf(err, n, "%s: the answer is not JSON", path);
			rc = BI_JENKINS_UNREACHABLE;
		}
	}
	bi_http_resp_free(&r);
	return rc;
}

int
bi_jenkins_connect(bi_jenkins *j, char *version, size_t vn, char *err, size_t n)
{
	bi_jenkins_hdrs h;
	bi_http_resp r;
	int rc;

	free(j->cookie);
	j->cookie = NULL;
	rc = request(j, "GET", "/crumbIssuer/api/json", NULL, NULL, &h, &r, err, n);
	if (version)
		snprintf(version, vn, "%s", h.version);
	free(j->crumb_field), free(j->crumb);
	j->crumb_field = j->crumb = NULL;
	if (rc == BI_JENKINS_REFUSED && r.status == 404) {	/* no CSRF protection */
		j->crumb_field = bi_strdup("");
		j->crumb = bi_strdup("");
		rc = BI_JENKINS_OK;
	} else if (rc == BI_JENKINS_OK) {
		jv v = parse_body(&r);
		const char *f = jv_get_kind(v) == JV_KIND_OBJECT ? bi_get_str(v, "crumbRequestField") : NULL;
		const char *c = jv_get_kind(v) == JV_KIND_OBJECT ? bi_get_str(v, "crumb") : NULL;
		if (f && c && *f) {
			j->crumb_field = bi_strdup(f);
			j->crumb = bi_strdup(c);
		} else {
			bi_errf(err, n, "%s/crumbIssuer/api/json: no crumb in the answer (not Jenkins?)", j->url);
			rc = BI_JENKINS_UNREACHABLE;
		}
		jv_free(v);
	}
	if (rc == BI_JENKINS_OK && !h.version[0]) {
		bi_errf(err, n, "%s: the answer has no X-Jenkins header (not Jenkins?)", j->url);
		rc = BI_JENKINS_UNREACHABLE;
	}
	if (rc == BI_JENKINS_OK)
		j->cookie = bi_strdup(h.cookie);
	bi_http_resp_free(&r);
	return rc;
}

/* POST body (ctype) to path, crumb and cookie attached. */
static int
post(bi_jenkins *j, const char *path, const char *body, const char *ctype,
     bi_jenkins_hdrs *h, long *status, char *err, size_t n)
{
	bi_http_resp r;

	if (!j->crumb) {
		int rc = bi_jenkins_connect(j, NULL, 0, err, n);
		if (rc)
			return rc;
	}
	int rc = request(j, "POST", path, body, ctype, h, &r, err, n);
	*status = r.status;
	bi_http_resp_free(&r);
	return rc;
}

/* Does path (a job's or folder's) exist? 1, 0, or -(BI_JENKINS_*). */
static int
exists(bi_jenkins *j, const char *jpath, char *err, size_t n)
{
	bi_jenkins_hdrs h;
	bi_http_resp r;
	char *p = bi_asprintf("%s/api/json?tree=name", jpath);
	int rc = request(j, "GET", p, NULL, NULL, &h, &r, err, n);
	long st = r.status;

	free(p);
	bi_http_resp_free(&r);
	if (rc == BI_JENKINS_OK)
		return 1;
	if (rc == BI_JENKINS_REFUSED && st == 404)
		return 0;
	return -rc;
}

/* POST xml as a new item under the parent of job, or as job's config. */
static int
put_item(bi_jenkins *j, const char *job, const char *xml, int *created, char *err, size_t n)
{
	char *jpath = bi_jenkins_job_path(job);
	bi_jenkins_hdrs h;
	long st;
	int rc;

	if (!jpath)
		return bi_errf(err, n, "%s: not a job's name", job), BI_JENKINS_REFUSED;
	int e = exists(j, jpath, err, n);
	if (e < 0) {
		free(jpath);
		return -e;
	}
	bi_buf path = {0};
	if (e) {
		bi_buf_printf(&path, "%s/config.xml", jpath);
	} else {
		const char *base = strrchr(job, '/') ? strrchr(job, '/') + 1 : job;
		char *parent = strrchr(jpath, '/');	/* "/job/a/job/b": cut "/job/b" */
		*parent = 0;
		parent = strrchr(jpath, '/');
		*parent = 0;
		bi_buf_printf(&path, "%s/createItem?name=", jpath);
		pct(&path, base, strlen(base));
	}
	rc = post(j, path.p, xml, "application/xml", &h, &st, err, n);
	if (created)
		*created = !e;
	bi_buf_free(&path);
	free(jpath);
	return rc;
}

int
bi_jenkins_put_job(bi_jenkins *j, const char *job, const char *xml, int *created,
		   char *err, size_t n)
{
	return put_item(j, job, xml, created, err, n);
}

int
bi_jenkins_put_folder(bi_jenkins *j, const char *path, char *err, size_t n)
{
	static const char xml[] =
		"<?xml version='1.1' encoding='UTF-8'?>\n"
		"<com.cloudbees.hudson.plugins.folder.Folder plugin=\"cloudbees-folder\">\n"
		"  <description>blissful-infra's projects</description>\n"
		"</com.cloudbees.hudson.plugins.folder.Folder>\n";
	char *jpath = bi_jenkins_job_path(path);

	if (!jpath)
		return bi_errf(err, n, "%s: not a folder's name", path), BI_JENKINS_REFUSED;
	int e = exists(j, jpath, err, n);
	free(jpath);
	if (e < 0)
		return -e;
	return e ? BI_JENKINS_OK : put_item(j, path, xml, NULL, err, n);
}

int
bi_jenkins_build(bi_jenkins *j, const char *job, jv params, long *number, char *err, size_t n)
{
	char *jpath = bi_jenkins_job_path(job);
	bi_buf path = {0}, form = {0};
	bi_jenkins_hdrs h;
	long st;
	int rc;

	*number = 0;
	if (!jpath) {
		jv_free(params);
		return bi_errf(err, n, "%s: not a job's name", job), BI_JENKINS_REFUSED;
	}
	if (jv_get_kind(params) == JV_KIND_OBJECT && jv_object_length(jv_copy(params)) > 0) {
		bi_buf_printf(&path, "%s/buildWithParameters", jpath);
		jv_object_foreach(params, k, v) {
			if (form.len)
				bi_buf_adds(&form, "&");
			pct(&form, jv_string_value(k), jv_string_length_bytes(jv_copy(k)));
			bi_buf_adds(&form, "=");
			if (jv_get_kind(v) == JV_KIND_STRING)
				pct(&form, jv_string_value(v), jv_string_length_bytes(jv_copy(v)));
			jv_free(k);
			jv_free(v);
		}
	} else {
		bi_buf_printf(&path, "%s/build", jpath);
	}
	bi_buf_add(&form, NULL, 0);
	jv_free(params);
	free(jpath);
	rc = post(j, path.p, form.p, "application/x-www-form-urlencoded", &h, &st, err, n);
	bi_buf_free(&path);
	bi_buf_free(&form);
	if (rc)
		return rc;
	/* Location: .../queue/item/N/; read N and ask at our own address
	 * (Jenkins's idea of its root URL may not be how we reach it). */
	const char *q = strstr(h.location, "/queue/item/");
	char *end;
	long item = q ? strtol(q + 12, &end, 10) : 0;
	if (st != 201 || item <= 0)
		return bi_errf(err, n, "%s: the build's answer (HTTP %ld) names no queue item", job, st),
		       BI_JENKINS_UNREACHABLE;
	char *qpath = bi_asprintf("/queue/item/%ld/api/json", item);
	for (;;) {
		jv v;
		rc = bi_jenkins_get_json(j, qpath, &v, err, n);
		if (rc)
			break;
		long num = bi_jenkins_queue_number(v, err, n);
		if (num > 0) {
			*number = num;
			break;
		}
		if (num == -1) {
			rc = BI_JENKINS_FAILED;
			break;
		}
		if (num == -2) {
			rc = BI_JENKINS_UNREACHABLE;
			break;
		}
		if (nap(j, poll_ms(j))) {
			rc = BI_JENKINS_FAILED;
			bi_errf(err, n, "stopped while the build waited in the queue (item %ld)", item);
			break;
		}
	}
	free(qpath);
	return rc;
}

/* Hand on_line the complete lines of buf, keeping the rest. */
static void
lines(bi_buf *buf, int last, void (*on_line)(void *, const char *, size_t), void *ctx)
{
	size_t at = 0;

	for (;;) {
		char *nl = memchr(buf->p + at, '\n', buf->len - at);
		if (!nl)
			break;
		size_t k = nl - (buf->p + at);
		if (k && buf->p[at + k - 1] == '\r')
			on_line(ctx, buf->p + at, k - 1);
		else
			on_line(ctx, buf->p + at, k);
		at += k + 1;
	}
	if (last && at < buf->len) {
		on_line(ctx, buf->p + at, buf->len - at);
		at = buf->len;
	}
	memmove(buf->p, buf->p + at, buf->len - at);
	buf->len -= at;
}

int
bi_jenkins_follow(bi_jenkins *j, const char *job, long number,
		  void (*on_line)(void *ctx, const char *line, size_t len), void *ctx,
		  char **result, char *err, size_t n)
{
	char *jpath = bi_jenkins_job_path(job);
	long long start = 0;
	bi_buf pending = {0};
	int rc = BI_JENKINS_OK;

	*result = NULL;
	if (!jpath)
		return bi_errf(err, n, "%s: not a job's name", job), BI_JENKINS_REFUSED;
	bi_buf_add(&pending, NULL, 0);
	for (;;) {
		bi_jenkins_hdrs h;
		bi_http_resp r;
		char *path = bi_asprintf("%s/%ld/logText/progressiveText?start=%lld", jpath, number, start);
		rc = request(j, "GET", path, NULL, NULL, &h, &r, err, n);
		free(path);
		if (rc == BI_JENKINS_OK && h.text_size < 0) {
			bi_errf(err, n, "%s #%ld: progressiveText without X-Text-Size (not Jenkins?)", job, number);
			rc = BI_JENKINS_UNREACHABLE;
		}
		if (rc) {
			bi_http_resp_free(&r);
			break;
		}
		bi_buf_add(&pending, r.body.p, r.body.len);
		bi_http_resp_free(&r);
		if (on_line)
			lines(&pending, !h.more_data, on_line, ctx);
		else
			pending.len = 0;
		/* A size that goes back would read the same text again forever. */
		if (h.text_size < start) {
			bi_errf(err, n, "%s #%ld: X-Text-Size went back from %lld to %lld", job, number,
				start, h.text_size);
			rc = BI_JENKINS_UNREACHABLE;
			break;
		}
		start = h.text_size;
		if (!h.more_data)
			break;
		if (nap(j, poll_ms(j))) {
			bi_errf(err, n, "stopped while following %s #%ld", job, number);
			rc = BI_JENKINS_FAILED;
			break;
		}
	}
	bi_buf_free(&pending);
	/* The console ends a moment before the result is set. */
	for (int tries = 0; rc == BI_JENKINS_OK; tries++) {
		jv v;
		char *path = bi_asprintf("%s/%ld/api/json?tree=result,building,number", jpath, number);
		rc = bi_jenkins_get_json(j, path, &v, err, n);
		free(path);
		if (rc)
			break;
		const char *res = jv_get_kind(v) == JV_KIND_OBJECT ? bi_get_str(v, "result") : NULL;
		if (res) {
			*result = bi_strdup(res);
			jv_free(v);
			break;
		}
		jv_free(v);
		if (tries >= 60 || nap(j, poll_ms(j))) {
			bi_errf(err, n, "%s #%ld: the console ended and no result came", job, number);
			rc = BI_JENKINS_FAILED;
		}
	}
	free(jpath);
	return rc;
}
