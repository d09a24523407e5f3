/*
 * bi-wait: wait until services are healthy, with a deadline.
 *
 * Targets are HTTP URLs (healthy on a 2xx answer), TCP addresses (healthy when
 * a connection opens), containers (healthy when Docker says so, or running if
 * they have no health check), or every container of a compose project. All
 * are polled every --interval until each is healthy or --timeout passes.
 * Writes a `health` record for each target when it becomes healthy and, at
 * the deadline, one for each that did not, with its last error; exit 1 then.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "base/http.h"
#include "sources/docker.h"
static const char usage[] =
	"usage: bi-wait [options] TARGET...\n"
	"       bi-wait [options] --project NAME [--service S]...\n"
	"Wait until every target is healthy; a `health` record for each.\n"
	"\n"
	"TARGET is http[s]://HOST:PORT/PATH (a 2xx answer), tcp://HOST:PORT or\n"
	"HOST:PORT (a connection), or container:ID (Docker's health status).\n"
	"  -p, --project NAME   every container of this compose project\n"
	"  -s, --service S      only this service of the project (repeatable)\n"
	"  -t, --timeout DUR    give up after DUR (default 60s)\n"
	"  -i, --interval DUR   poll every DUR (default 500ms)\n"
	"  -q, --quiet          no records, only the exit status\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0 all healthy, 1 the deadline passed, 2 usage, 3 Docker unreachable.\n";

enum type { HTTP, TCP, CONTAINER };

struct target {
	enum type type;
	char *addr;		/* URL, host:port or container id, as given */
	char host[256];		/* tcp: the host ("": this machine) and port */
	int port;
	char *service;		/* compose service, when known */
	char *label;		/* what to call it: "Postgres", "Application" */
	int done;
	int64_t since;		/* when we started waiting */
	char last[256];		/* the last reason it was not healthy */
	jv status;		/* the last HTTP status or health state */
	double latency_ms;
};

static struct target *targets;
static size_t ntargets;
static bi_docker *docker;

static struct target *
add(enum type t, const char *addr, const char *service, const char *label)
{
	targets = bi_realloc(targets, (ntargets + 1) * sizeof *targets);
	targets[ntargets] = (struct target){.type = t, .addr = bi_strdup(addr),
		.service = service ? bi_strdup(service) : NULL, .label = label ? bi_strdup(label) : NULL,
		.last = "not checked yet", .status = jv_null(), .latency_ms = -1};
	return &targets[ntargets++];
}

/* A target from the command line, its address taken apart by base/addr.c's
 * rules: a bad one (a port outside 1-65535, a host with a space) is refused
 * here, exit 2, instead of being waited for until the deadline. */
static void
add_arg(const char *a)
{
	bi_url u;
	char err[512];

	if (!strncmp(a, "container:", 10) && a[10]) {
		add(CONTAINER, a + 10, NULL, NULL);
		return;
	}
	if (!strchr(a, ':'))
		bi_usage_error(usage, "not a target: %s", a);
	if (bi_url_parse(a, &u, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s", err);
	if (!strcmp(u.scheme, "http") || !strcmp(u.scheme, "https")) {
		if (!*u.host)
			bi_die(BI_EXIT_USAGE, "no host in %s", a);
		add(HTTP, a, NULL, NULL);
	} else if (!strcmp(u.scheme, "tcp") || !*u.scheme) {
		if (!u.port)
			bi_die(BI_EXIT_USAGE, "%s: a TCP target needs a port (HOST:PORT)", a);
		if (*u.path)
			bi_die(BI_EXIT_USAGE, "%s: a TCP target has no path", a);
		struct target *t = add(TCP, a, NULL, NULL);
		snprintf(t->host, sizeof t->host, "%s", u.host);
		t->port = u.port;
	} else {
		bi_usage_error(usage, "not a target: %s", a);
	}
}

static bi_docker *
need_docker(void)
{
	char err[512];

	if (!docker && !(docker = bi_docker_open(err, sizeof err)))
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	return docker;
}

/* ---- checks: 1 healthy, 0 not yet (reason in t->last) ---- */

static int
check_http(struct target *t)
{
	bi_http_req req = {.method = "GET", .url = t->addr, .timeout_ms = 2000,
			   .connect_timeout_ms = 1000};
	bi_http_resp resp;
	int64_t t0 = bi_mono_ns();
	int r = bi_http(&req, &resp);

	t->latency_ms = (bi_mono_ns() - t0) / 1e6;
	jv_free(t->status);
	t->status = r == 0 ? jv_number(resp.status) : jv_null();
	if (r != 0)
		snprintf(t->last, sizeof t->last, "%s", resp.error);
	else if (resp.status < 200 || resp.status > 299)
		snprintf(t->last, sizeof t->last, "HTTP %ld", resp.status);
	bi_http_resp_free(&resp);
	return r == 0 && resp.status >= 200 && resp.status <= 299;
}

/* Every address the host has is tried: "localhost" may give ::1 first to a
 * service that listens on 127.0.0.1 only. */
static int
check_tcp(struct target *t)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai, *p;
	char port[8];

	snprintf(port, sizeof port, "%d", t->port);
	int e = getaddrinfo(*t->host ? t->host : NULL, port, &hints, &ai);
	if (e) {
		snprintf(t->last, sizeof t->last, "%.200s: %s", t->host, gai_strerror(e));
		return 0;
	}
	int ok = 0;
	int64_t t0 = bi_mono_ns();
	for (p = ai; p && !ok; p = p->ai_next) {
		char name[80];
		bi_addr_name(p->ai_addr, name, sizeof name);
		int fd = socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(t->last, sizeof t->last, "%s: %s", name, strerror(errno));
			continue;
		}
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) {
			ok = 1;
		} else if (errno == EINPROGRESS) {
			struct pollfd pf = {fd, POLLOUT, 0};
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			if (poll(&pf, 1, 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				ok = 1;
			else
				snprintf(t->last, sizeof t->last, "%s: %s", name,
					 soerr ? strerror(soerr) : "connect timed out");
		} else {
			snprintf(t->last, sizeof t->last, "%s: %s", name, strerror(errno));
		}
		close(fd);
	}
	t->latency_ms = (bi_mono_ns() - t0) / 1e6;
	freeaddrinfo(ai);
	return ok;
}

static int
check_container(struct target *t)
{
	jv c = bi_docker_inspect(need_docker(), t->addr);

	if (!jv_is_valid(c)) {
		snprintf(t->last, sizeof t->last, "%s", bi_docker_error(docker));
		return 0;
	}
	jv state = bi_jv_path(c, "State.Status");
	jv health = bi_jv_path(c, "State.Health.Status");
	int ok = 0;
	jv_free(t->status);
	if (jv_get_kind(health) == JV_KIND_STRING) {
		ok = !strcmp(jv_string_value(health), "healthy");
		t->status = jv_copy(health);
		if (!ok)
			snprintf(t->last, sizeof t->last, "health check: %s", jv_string_value(health));
	} else {
		ok = jv_get_kind(state) == JV_KIND_STRING && !strcmp(jv_string_value(state), "running");
		t->status = jv_copy(state);
		if (!ok)
			snprintf(t->last, sizeof t->last, "container %s",
				 jv_get_kind(state) == JV_KIND_STRING ? jv_string_value(state) : "gone");
	}
	/* A container that exited will not get better: say so early. */
	if (!ok && jv_get_kind(state) == JV_KIND_STRING &&
	    (!strcmp(jv_string_value(state), "exited") || !strcmp(jv_string_value(state), "dead"))) {
		jv code = bi_jv_path(c, "State.ExitCode");
		snprintf(t->last, sizeof t->last, "container exited with code %.0f",
			 jv_get_kind(code) == JV_KIND_NUMBER ? jv_number_value(code) : -1);
		jv_free(code);
	}
	jv_free(state);
	jv_free(health);
	jv_free(c);
	return ok;
}

static jv
record(struct target *t, int ok, const char *project)
{
	static const char *const checks[] = {"http", "tcp", "container"};
	jv r = bi_record("health");

	if (project)
		r = jv_object_set(r, jv_string("project"), jv_string(project));
	if (t->service)
		r = jv_object_set(r, jv_string("service"), jv_string(t->service));
	if (t->label)
		r = jv_object_set(r, jv_string("label"), jv_string(t->label));
	r = jv_object_set(r, jv_string("target"), jv_string(t->addr));
	r = jv_object_set(r, jv_string("check"), jv_string(checks[t->type]));
	r = jv_object_set(r, jv_string("ok"), jv_bool(ok));
	r = jv_object_set(r, jv_string("status"), jv_copy(t->status));
	if (ok && t->latency_ms >= 0 && t->type != CONTAINER)
		r = jv_object_set(r, jv_string("latency_ms"), jv_number(t->latency_ms));
	r = jv_object_set(r, jv_string("waited_ms"),
			  jv_number((double)((bi_mono_ns() - t->since) / BI_NS_PER_MS)));
	if (!ok)
		r = jv_object_set(r, jv_string("msg"), jv_string(t->last));
	return r;
}

/* The people-facing name of a compose service: blissful-infra.yaml's label,
 * "Application" for app, else the name capitalised. */
static char *
label_for(jv cfg, const char *service)
{
	char path[160];

	snprintf(path, sizeof path, "services.%s.label", service);
	const char *l = bi_jv_path_str(cfg, path, NULL);
	if (l)
		return bi_strdup(l);
	if (!strcmp(service, "app"))
		return bi_strdup("Application");
	char *s = bi_strdup(service);
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] -= 32;
	return s;
}

static void
add_project(const char *project, char **services, int nservices)
{
	jv list = bi_docker_containers(need_docker(), project, NULL, 1);
	jv cfg = bi_config();

	if (!jv_is_valid(list))
		bi_die(BI_EXIT_UNREACHABLE, "%s", bi_docker_error(docker));
	jv_array_foreach(list, i, c) {
		jv labels = jv_object_get(jv_copy(c), jv_string("Labels"));
		jv s = jv_object_get(labels, jv_string("com.docker.compose.service"));
		const char *service = jv_get_kind(s) == JV_KIND_STRING ? jv_string_value(s) : "?";
		int want = nservices == 0;
		for (int k = 0; k < nservices; k++)
			want |= !strcmp(services[k], service);
		if (want) {
			char *label = label_for(cfg, service);
			add(CONTAINER, bi_get_str(c, "Id"), service, label);
			free(label);
		}
		jv_free(s);
		jv_free(c);
	}
	jv_free(list);
	jv_free(cfg);
	if (ntargets == 0)
		bi_die(BI_EXIT_FAIL, "no containers of compose project %s%s", project,
		       nservices ? " with those services" : "");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"project", required_argument, NULL, 'p'},
		{"service", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'},
		{"interval", required_argument, NULL, 'i'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int64_t timeout = 60 * BI_NS_PER_S, interval = 500 * BI_NS_PER_MS;
	const char *project = NULL;
	char **services = NULL;
	int nservices = 0, quiet = 0, c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "p:s:t:i:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': project = optarg; break;
		case 's':
			services = bi_realloc(services, (nservices + 1) * sizeof *services);
			services[nservices++] = optarg;
			break;
		case 't':
			if (bi_dur_parse(optarg, &timeout))
				bi_usage_error(usage, "--timeout: not a duration: %s", optarg);
			break;
		case 'i':
			if (bi_dur_parse(optarg, &interval) || interval <= 0)
				bi_usage_error(usage, "--interval: not a duration: %s", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	for (int i = optind; i < argc; i++)
		add_arg(argv[i]);
	if (project)
		add_project(project, services, nservices);
	if (ntargets == 0)
		bi_usage_error(usage, "nothing to wait for");

	int64_t start = bi_mono_ns(), deadline = start + timeout;
	size_t left = ntargets;
	for (size_t i = 0; i < ntargets; i++)
		targets[i].since = start;
	for (;;) {
		for (size_t i = 0; i < ntargets; i++) {
			struct target *t = &targets[i];
			if (t->done)
				continue;
			int ok = t->type == HTTP ? check_http(t) : t->type == TCP ? check_tcp(t)
										: check_container(t);
			if (ok) {
				t->done = 1;
				left--;
				if (!quiet)
					bi_write(record(t, 1, project));
			}
		}
		if (left == 0 || bi_mono_ns() >= deadline)
			break;
		int64_t wait = deadline - bi_mono_ns();
		if (wait > interval)
			wait = interval;
		if (wait > 0)
			usleep((useconds_t)(wait / 1000));
	}
	for (size_t i = 0; i < ntargets; i++)
		if (!targets[i].done && !quiet)
			bi_write(record(&targets[i], 0, project));
	bi_write_flush();
	if (left > 0) {
		for (size_t i = 0; i < ntargets; i++)
			if (!targets[i].done)
				bi_warn("%s: not healthy after %llds: %s", targets[i].label ?
					targets[i].label : targets[i].addr,
					(long long)(timeout / BI_NS_PER_S), targets[i].last);
	}
	bi_docker_close(docker);
	return left > 0 ? BI_EXIT_FAIL : BI_EXIT_OK;
}
