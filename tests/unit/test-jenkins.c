/* test-jenkins: the parts of the Jenkins client that need no server:
 * headers, escaping, job paths, the job's XML, queue items, stage tables
 * and job lists as Jenkins writes them. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "base/jsonl.h"
#include "sources/jenkins.h"

static void
hdr(bi_jenkins_hdrs *h, const char *line)
{
	bi_jenkins_header(h, line, strlen(line));
}

static jv
J(const char *s)
{
	return jv_parse(s);
}

int
main(void)
{
	bi_jenkins_hdrs h;
	char err[256];
	char *s;
	jv v;

	plan(35);

	bi_jenkins_hdrs_reset(&h);
	ok(h.text_size == -1 && !h.more_data && !h.location[0], "reset: no size, no more data");
	hdr(&h, "HTTP/1.1 201 Created");
	hdr(&h, "location: http://127.0.0.1:8080/queue/item/17/");
	is_str(h.location, "http://127.0.0.1:8080/queue/item/17/", "Location, any case");
	hdr(&h, "X-Text-Size: 4096\r");
	is_num((double)h.text_size, 4096, "X-Text-Size");
	hdr(&h, "X-Text-Size: 12ab");
	is_num((double)h.text_size, -1, "a size that is not a number is none");
	hdr(&h, "X-More-Data: true");
	ok(h.more_data, "X-More-Data: true");
	hdr(&h, "X-More-Data: false");
	ok(!h.more_data, "X-More-Data: false");
	hdr(&h, "Set-Cookie: JSESSIONID.4f2a=abc123; Path=/; HttpOnly");
	hdr(&h, "Set-Cookie: other=1");
	hdr(&h, "Set-Cookie: bad");
	hdr(&h, "Set-Cookie: evil=a\tb; Path=/");
	is_str(h.cookie, "JSESSIONID.4f2a=abc123; other=1", "cookies: name=value joined, attributes and junk dropped");
	hdr(&h, "X-Jenkins: 2.479.2");
	is_str(h.version, "2.479.2", "X-Jenkins");
	{
		char big[2100];
		memset(big, 'a', sizeof big);
		memcpy(big, "Location: ", 10);
		big[sizeof big - 1] = 0;
		hdr(&h, big);
		is_str(h.location, "http://127.0.0.1:8080/queue/item/17/", "a Location too long is dropped, not cut");
	}

	s = bi_xml_escape("a<b>&\"c\" 'd' $(x)\x01\t\n");
	is_str(s, "a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos; $(x)&#x1;\t\n", "XML escaping, controls as references");
	free(s);
	s = bi_xml_escape(NULL);
	is_str(s, "", "NULL escapes to empty");
	free(s);

	s = bi_jenkins_job_path("bi/my job \"x\"");
	is_str(s, "/job/bi/job/my%20job%20%22x%22", "job path: each part percent-encoded");
	free(s);
	s = bi_jenkins_job_path("a/$(rm -rf)/?#&");
	is_str(s, "/job/a/job/%24%28rm%20-rf%29/job/%3F%23%26", "job path: every reserved character encoded");
	free(s);
	ok(!bi_jenkins_job_path("a//b") && !bi_jenkins_job_path("../x") && !bi_jenkins_job_path("") &&
	   !bi_jenkins_job_path("a/.") && !bi_jenkins_job_path(NULL), "empty, . and .. parts are refused");

	bi_jenkins_job job = {.description = "<b>x</b>", .repo = "/srv/a&b", .branch = "feat/\"q\"",
			      .credentials = "git'key"};
	s = bi_jenkins_job_xml(&job);
	ok(strstr(s, "<description>&lt;b&gt;x&lt;/b&gt;</description>") != NULL, "xml: description escaped");
	ok(strstr(s, "<url>/srv/a&amp;b</url>") != NULL, "xml: repository escaped");
	ok(strstr(s, "<name>feat/&quot;q&quot;</name>") != NULL, "xml: branch escaped");
	ok(strstr(s, "<credentialsId>git&apos;key</credentialsId>") != NULL, "xml: credentials escaped");
	ok(strstr(s, "<scriptPath>Jenkinsfile</scriptPath>") != NULL, "xml: Jenkinsfile by default");
	free(s);
	job = (bi_jenkins_job){.repo = "r"};
	s = bi_jenkins_job_xml(&job);
	ok(strstr(s, "<name>main</name>") && !strstr(s, "credentialsId"), "xml: main, no credentials when none");
	free(s);

	ok(bi_jenkins_queue_number(J("{\"why\":\"Waiting for next available executor\",\"executable\":null}"),
				   err, sizeof err) == 0, "queue: waiting");
	ok(bi_jenkins_queue_number(J("{\"executable\":{\"number\":42,\"url\":\"u\"}}"), err, sizeof err) == 42,
	   "queue: the build's number");
	ok(bi_jenkins_queue_number(J("{\"cancelled\":true,\"why\":\"no\\nway\"}"), err, sizeof err) == -1 &&
	   !strchr(err, '\n') && strstr(err, "cancelled"), "queue: cancelled, said on one line");
	ok(bi_jenkins_queue_number(J("{\"executable\":{\"number\":1.5}}"), err, sizeof err) == -2 &&
	   bi_jenkins_queue_number(J("[1]"), err, sizeof err) == -2, "queue: not a queue item");

	v = bi_jenkins_stages(J("{\"stages\":[{\"name\":\"Build\",\"status\":\"SUCCESS\",\"durationMillis\":1200,"
				"\"startTimeMillis\":1764900000000},{\"name\":\"Test\",\"status\":\"FAILED\"},"
				"{\"name\":\"Push\",\"status\":\"NOT_EXECUTED\"},7]}"), "bi/x", 3);
	ok(jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) == 3, "stages: three, the junk skipped");
	{
		jv a = jv_array_get(jv_copy(v), 0), b = jv_array_get(jv_copy(v), 1), c = jv_array_get(jv_copy(v), 2);
		is_str(bi_get_str(a, "ts"), "2025-12-05T02:00:00.000Z", "stages: ts from startTimeMillis");
		ok(!strcmp(bi_get_str(a, "status"), "passed") && bi_get_num(a, "duration_ms", 0) == 1200 &&
		   bi_get_num(a, "build", 0) == 3, "stages: passed, its duration, the build");
		is_str(bi_get_str(c, "run"), "bi-x-3", "stages: the run as the Jenkinsfile names it");
		ok(!strcmp(bi_get_str(b, "status"), "failed") && !strcmp(bi_get_str(c, "status"), "skipped") &&
		   !strcmp(bi_get_str(c, "jenkins_status"), "NOT_EXECUTED"), "stages: failed, skipped, Jenkins's word kept");
		jv_free(a), jv_free(b), jv_free(c);
	}
	jv_free(v);
	{
		char *r = bi_jenkins_run_id("team a/caf\xc3\xa9.svc_2", 17);
		is_str(r, "team-a-caf--.svc_2-17", "run id: every byte but A-Za-z0-9._- made '-', as tr -c does");
		free(r);
	}
	v = bi_jenkins_stages(J("{\"status\":\"x\"}"), "j", 1);
	ok(!jv_is_valid(v), "stages: an answer without stages is refused");
	jv_free(v);

	v = bi_jenkins_jobs(J("{\"jobs\":[{\"name\":\"a\",\"color\":\"blue_anime\",\"lastBuild\":{\"number\":4,"
			      "\"result\":null,\"timestamp\":1764900000000}},{\"name\":\"b\",\"color\":\"red\","
			      "\"lastBuild\":null},{\"name\":\"f\"},{\"color\":\"blue\"}]}"), "bi");
	ok(jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) == 3, "jobs: three named ones");
	{
		jv a = jv_array_get(jv_copy(v), 0), b = jv_array_get(jv_copy(v), 1), f = jv_array_get(jv_copy(v), 2);
		ok(!strcmp(bi_get_str(a, "name"), "bi/a") && !strcmp(bi_get_str(a, "status"), "running") &&
		   bi_get_num(a, "last_build", 0) == 4, "jobs: a running job in the folder, its last build");
		ok(!strcmp(bi_get_str(b, "status"), "failed") && !strcmp(bi_get_str(f, "status"), "folder"),
		   "jobs: red is failed, no colour is a folder");
		jv_free(a), jv_free(b), jv_free(f);
	}
	jv_free(v);
	ok(!strcmp(bi_jenkins_result_word("FAILURE"), "failed") && !strcmp(bi_jenkins_result_word(NULL), "running"),
	   "result words");
	return done();
}
