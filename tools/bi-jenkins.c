/*
 * bi-jenkins: drive a Jenkins server over its REST API.
 *
 *   bi-jenkins status            is it there: a jenkins_status record
 *   bi-jenkins add-job NAME ...  create or update a Pipeline job from a git repository
 *   bi-jenkins build NAME ...    start a build, follow its console, read its stages
 *   bi-jenkins list [FOLDER]     the jobs and their last builds
 *
 * Reads nothing on stdin; writes records (log lines of the console, stage
 * and pipeline records for a build, jenkins_job records for a list). The
 * password (or API token) comes from a file or the environment, never the
 * command line, where ps would show it. Names, branches and parameters go
 * to Jenkins percent-encoded, form-encoded or XML-escaped (lib/sources/
 * jenkins.c); no shell sees them.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "base/time.h"
#include "sources/jenkins.h"

static const char usage[] =
	"usage: bi-jenkins [options] status\n"
	"       bi-jenkins [options] add-job NAME --repo URL [--branch B] [--script-path P]\n"
	"                  [--description TEXT] [--credentials ID]\n"
	"       bi-jenkins [options] build NAME [--param KEY=VALUE]... [--no-follow]\n"
	"       bi-jenkins [options] list [FOLDER]\n"
	"Talk to Jenkins's REST API; records on stdout.\n"
	"\n"
	"  -u, --url URL          Jenkins (default $JENKINS_URL, else http://127.0.0.1:8080)\n"
	"      --user NAME        the user (default $JENKINS_USER, else admin)\n"
	"      --password-file F  the user's password or API token, first line of F\n"
	"                         (default $JENKINS_PASSWORD_FILE; else $JENKINS_PASSWORD)\n"
	"      --poll DURATION    between reads of the queue and the console (default 1s)\n"
	"      --timeout DURATION each request (default 30s)\n"
	"  add-job: NAME may be FOLDER/NAME; folders missing on the way are made.\n"
	"      --repo URL         the git repository the job checks out (required)\n"
	"      --branch B         its branch (default main)\n"
	"      --script-path P    the Jenkinsfile's path in it (default Jenkinsfile)\n"
	"      --description TEXT the job's description\n"
	"      --credentials ID   a credentials id in Jenkins for the repository\n"
	"  build:\n"
	"      --param KEY=VALUE  a build parameter (buildWithParameters); repeatable\n"
	"      --no-follow        stop once the build has a number\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"Exit: 0, 1 the build did not succeed, 2 usage or Jenkins refused (no such job,\n"
	"bad credentials), 3 Jenkins unreachable (or not Jenkins).\n";

static volatile int stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
fail(int rc, const char *err)
{
	bi_warn("%s", err);
	return rc;
}

struct follow {
	const char *job;
	long build;
};

static void
console_line(void *ctx, const char *line, size_t len)
{
	struct follow *f = ctx;
	jv rec = bi_record("log");

	rec = bi_set(rec, "source", jv_string("jenkins"));
	rec = bi_set(rec, "service", jv_string(f->job));
	rec = bi_set(rec, "build", jv_number(f->build));
	rec = bi_set(rec, "msg", jv_string_sized(line, (int)len));
	bi_write(rec);
	bi_write_flush();
}

static int
cmd_status(bi_jenkins *j)
{
	char err[512], version[64];
	int rc = bi_jenkins_connect(j, version, sizeof version, err, sizeof err);

	if (rc)
		return fail(rc, err);
	jv rec = bi_record("jenkins_status");
	rec = bi_set(rec, "url", jv_string(j->url));
	rec = bi_set(rec, "version", jv_string(version));
	rec = bi_set(rec, "csrf", jv_bool(j->crumb && *j->crumb));
	bi_write(rec);
	return BI_EXIT_OK;
}

static int
cmd_add_job(bi_jenkins *j, const char *name, const bi_jenkins_job *job)
{
	char err[512];
	int rc = 0, created = 0;

	if (!job->repo)
		bi_usage_error(usage, "add-job needs --repo URL");
	char *xml = bi_jenkins_job_xml(job);
	/* The folders on the way, outermost first. */
	for (const char *s = strchr(name, '/'); s && !rc; s = strchr(s + 1, '/')) {
		char *folder = bi_strndup(name, s - name);
		rc = bi_jenkins_put_folder(j, folder, err, sizeof err);
		free(folder);
	}
	if (!rc)
		rc = bi_jenkins_put_job(j, name, xml, &created, err, sizeof err);
	free(xml);
	if (rc)
		return fail(rc, err);
	jv rec = bi_record("jenkins_job");
	rec = bi_set(rec, "name", jv_string(name));
	rec = bi_set(rec, "action", jv_string(created ? "created" : "updated"));
	rec = bi_set(rec, "repo", jv_string(job->repo));
	rec = bi_set(rec, "branch", jv_string(job->branch ? job->branch : "main"));
	bi_write(rec);
	return BI_EXIT_OK;
}

/* The run, as the Jenkinsfile's `blissful-infra pipeline --stage` calls
 * name it: the dashboard shows them and these records as one. */
static jv
run_id(const char *job, long number)
{
	char *id = bi_jenkins_run_id(job, number);
	jv v = jv_string(id);

	free(id);
	return v;
}

static int
cmd_build(bi_jenkins *j, const char *name, jv params, int follow)
{
	char err[512];
	long number;
	int64_t t0 = bi_mono_ns();
	int rc = bi_jenkins_build(j, name, params, &number, err, sizeof err);

	if (rc)
		return fail(rc, err);
	bi_warn("%s #%ld started", name, number);
	if (!follow) {
		jv rec = bi_record("pipeline");
		rec = bi_set(rec, "source", jv_string("jenkins"));
		rec = bi_set(rec, "job", jv_string(name));
		rec = bi_set(rec, "build", jv_number(number));
		rec = bi_set(rec, "run", run_id(name, number));
		rec = bi_set(rec, "status", jv_string("running"));
		bi_write(rec);
		return BI_EXIT_OK;
	}
	struct follow f = {name, number};
	char *result;
	rc = bi_jenkins_follow(j, name, number, console_line, &f, &result, err, sizeof err);
	if (rc)
		return fail(rc, err);

	/* The stage table, from the Pipeline Stage View plugin. */
	char *jpath = bi_jenkins_job_path(name);
	char *path = bi_asprintf("%s/%ld/wfapi/describe", jpath, number);
	jv d;
	int drc = bi_jenkins_get_json(j, path, &d, err, sizeof err);
	if (drc == BI_JENKINS_OK) {
		jv stages = bi_jenkins_stages(d, name, number);
		if (jv_is_valid(stages)) {
			jv_array_foreach(stages, i, s)
				bi_write(s);
		} else {
			jv msg = jv_invalid_get_msg(jv_copy(stages));
			bi_warn("%s #%ld: %s", name, number, jv_string_value(msg));
			jv_free(msg);
		}
		jv_free(stages);
	} else {
		bi_warn("%s (no stage table: is the pipeline-stage-view plugin installed?)", err);
		jv_free(d);
	}
	free(path);
	free(jpath);

	int ok = !strcmp(result, "SUCCESS");
	jv rec = bi_record("pipeline");
	rec = bi_set(rec, "source", jv_string("jenkins"));
	rec = bi_set(rec, "job", jv_string(name));
	rec = bi_set(rec, "build", jv_number(number));
	rec = bi_set(rec, "run", run_id(name, number));
	rec = bi_set(rec, "status", jv_string(ok ? "passed" : "failed"));
	rec = bi_set(rec, "result", jv_string(result));
	rec = bi_set(rec, "duration_ms", jv_number((double)((bi_mono_ns() - t0) / 1000000)));
	bi_write(rec);
	if (!ok)
		bi_warn("%s #%ld: %s", name, number, bi_jenkins_result_word(result));
	free(result);
	return ok ? BI_EXIT_OK : BI_EXIT_FAIL;
}

static int
cmd_list(bi_jenkins *j, const char *folder)
{
	char err[512];
	char *fpath = folder && *folder ? bi_jenkins_job_path(folder) : bi_strdup("");
	jv a;

	if (!fpath)
		bi_usage_error(usage, "%s: not a folder's name", folder);
	char *path = bi_asprintf("%s/api/json?tree=jobs[name,color,lastBuild[number,result,timestamp]]",
				 fpath);
	int rc = bi_jenkins_get_json(j, path, &a, err, sizeof err);
	free(path);
	free(fpath);
	if (rc) {
		jv_free(a);
		return fail(rc, err);
	}
	jv jobs = bi_jenkins_jobs(a, folder);
	if (!jv_is_valid(jobs)) {
		jv msg = jv_invalid_get_msg(jobs);
		bi_warn("%s", jv_string_value(msg));
		jv_free(msg);
		return BI_EXIT_UNREACHABLE;
	}
	jv_array_foreach(jobs, i, r)
		bi_write(r);
	jv_free(jobs);
	return BI_EXIT_OK;
}

/* The first line of path, or NULL. */
static char *
read_secret(const char *path)
{
	char *s = bi_read_file(path, NULL);

	if (!s)
		bi_die(BI_EXIT_USAGE, "%s:", path);
	s[strcspn(s, "\r\n")] = 0;
	return s;
}

int
main(int argc, char **argv)
{
	enum { O_USER = 256, O_PWFILE, O_POLL, O_TIMEOUT, O_REPO, O_BRANCH, O_SCRIPT,
	       O_DESC, O_CRED, O_PARAM, O_NOFOLLOW, O_VERSION };
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"user", required_argument, NULL, O_USER},
		{"password-file", required_argument, NULL, O_PWFILE},
		{"poll", required_argument, NULL, O_POLL},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"repo", required_argument, NULL, O_REPO},
		{"branch", required_argument, NULL, O_BRANCH},
		{"script-path", required_argument, NULL, O_SCRIPT},
		{"description", required_argument, NULL, O_DESC},
		{"credentials", required_argument, NULL, O_CRED},
		{"param", required_argument, NULL, O_PARAM},
		{"no-follow", no_argument, NULL, O_NOFOLLOW},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, O_VERSION},
		{NULL, 0, NULL, 0}};
	const char *url = getenv("JENKINS_URL"), *user = getenv("JENKINS_USER");
	const char *pwfile = getenv("JENKINS_PASSWORD_FILE");
	bi_jenkins_job job = {0};
	bi_jenkins j = {0};
	jv params = jv_object();
	int c, follow = 1, st;
	int64_t ns;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case O_USER: user = optarg; break;
		case O_PWFILE: pwfile = optarg; break;
		case O_POLL:
		case O_TIMEOUT:
			if (bi_dur_parse(optarg, &ns) || ns <= 0)
				bi_usage_error(usage, "not a duration: %s", optarg);
			*(c == O_POLL ? &j.poll_ms : &j.timeout_ms) = ns / 1000000 > 0 ? ns / 1000000 : 1;
			break;
		case O_REPO: job.repo = optarg; break;
		case O_BRANCH: job.branch = optarg; break;
		case O_SCRIPT: job.script_path = optarg; break;
		case O_DESC: job.description = optarg; break;
		case O_CRED: job.credentials = optarg; break;
		case O_PARAM: {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				bi_usage_error(usage, "--param wants KEY=VALUE: %s", optarg);
			params = jv_object_set(params, jv_string_sized(optarg, (int)(eq - optarg)),
					       jv_string(eq + 1));
			break;
		}
		case O_NOFOLLOW: follow = 0; break;
		case 'h': bi_help(usage);
		case O_VERSION: bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	const char *cmd = optind < argc ? argv[optind++] : NULL;
	const char *arg = optind < argc ? argv[optind++] : NULL;
	if (!cmd)
		bi_usage_error(usage, "status, add-job, build or list?");
	if (optind < argc)
		bi_usage_error(usage, "too many arguments");
	if (!url || !*url)
		url = "http://127.0.0.1:8080";
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		bi_usage_error(usage, "not an http(s) address: %s", url);
	j.url = url;
	j.user = user && *user ? user : "admin";
	char *secret = NULL;
	if (pwfile && *pwfile)
		secret = read_secret(pwfile);
	else if (getenv("JENKINS_PASSWORD"))
		secret = bi_strdup(getenv("JENKINS_PASSWORD"));
	j.secret = secret;
	j.stop = &stop;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (!strcmp(cmd, "status")) {
		if (arg)
			bi_usage_error(usage, "status takes no argument");
		st = cmd_status(&j);
	} else if (!strcmp(cmd, "add-job")) {
		if (!arg)
			bi_usage_error(usage, "add-job NAME");
		st = cmd_add_job(&j, arg, &job);
	} else if (!strcmp(cmd, "build")) {
		if (!arg)
			bi_usage_error(usage, "build NAME");
		st = cmd_build(&j, arg, jv_copy(params), follow);
	} else if (!strcmp(cmd, "list")) {
		st = cmd_list(&j, arg);
	} else {
		bi_usage_error(usage, "unknown command: %s", cmd);
	}
	jv_free(params);
	bi_jenkins_free(&j);
	free(secret);
	bi_write_flush();
	bi_fshut(stdout, "stdout");
	return st;
}
