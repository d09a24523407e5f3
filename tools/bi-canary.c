/*
 * bi-canary: release a new version of a service to a share of its traffic,
 * step by step, and promote it or roll it back from what it answers.
 *
 * On Docker (--docker): the canary image runs beside the stable container
 * of the compose service, on its network, with its environment; a bi-proxy
 * container (the canary proxy, kept between runs so that clients of its
 * port are never cut) splits new connections between the two by weight.
 * The steps of blissful-infra.yaml's canary: (10/25/50/100 % by default)
 * move the weight; every canary.interval each version's /metrics is read
 * and lib/analysis/canary.c decides pass, fail or wait (the run itself is
 * lib/analysis/canaryrun.c). When the last step passes, the canary's image
 * becomes the service's (the stable container is made again from it, as
 * compose would, while the proxy sends everything to the canary), and the
 * canary container goes; when failures pass canary.failure_limit, or on
 * abort or Ctrl-C, the weight goes back to 100 % stable at once, and the
 * canary container goes after canary.drain.
 * Every step and decision is a `canary` record on stdout and in the run's
 * journal (.blissful-infra/canary.jsonl); the running canary's state is in
 * .blissful-infra/canary.state, and the other commands (status, promote,
 * abort, pause, resume, watch) act through it and .blissful-infra/canary.ctl.
 *
 * On Kubernetes (--k8s): the canary is an Argo Rollouts Rollout that
 * `blissful-infra deploy` started; status and watch read it, and promote,
 * abort, pause and resume patch it through kubectl as the Argo Rollouts
 * plugin does (spec.paused, status.pauseConditions, status.abort,
 * status.promoteFull, status.currentStepIndex); the same `canary` records,
 * with source "k8s", on stdout.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/docker.h"
#include "sources/k8s.h"
#include "engines/rollout.h"
#include "analysis/canary.h"
#include "analysis/canaryrun.h"

static const char usage[] =
	"usage: bi-canary --docker start --image IMAGE [options]\n"
	"       bi-canary status | promote [--full] | abort | pause | resume | watch\n"
	"       bi-canary --docker clean\n"
	"       bi-canary --k8s [--namespace NS] [--rollout NAME] status | promote [--full] |\n"
	"                 abort | pause | resume | watch\n"
	"Release IMAGE to a share of a service's traffic, step by step (blissful-infra.yaml's\n"
	"canary.steps), and promote or abort it from its error rate and latency; `canary` records.\n"
	"\n"
	"  -d, --docker          on this machine's Docker, behind a bi-proxy split\n"
	"  -k, --k8s             the Argo Rollouts Rollout of a Kubernetes namespace, through kubectl\n"
	"      --namespace NS    --k8s: the namespace (default PROJECT-production)\n"
	"      --rollout NAME    --k8s: the Rollout (default the project's name)\n"
	"  -i, --image IMAGE     start: the canary's image\n"
	"  -s, --service S       the compose service (default app)\n"
	"  -p, --project NAME    the compose project (default blissful-infra.yaml's name)\n"
	"  -e, --env K=V         start: set K in the canary's environment (repeatable)\n"
	"  -l, --listen PORT     start: the canary proxy's port on 127.0.0.1 (canary.port;\n"
	"                        default any free one, kept by the proxy between runs)\n"
	"      --interval DUR    start: analyse every DUR (canary.interval, 30s)\n"
	"      --pause DUR       start: a step's pause when it gives none (canary.pause, 1m)\n"
	"      --failure-limit N start: more failed analyses than N abort (canary.failure_limit, 3)\n"
	"  -q, --quiet           start: no progress lines on stderr\n"
	"      --full            promote: skip every step and analysis left\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n"
	"Exit: 0 promoted (start), acknowledged or running (others); 1 aborted (start),\n"
	"no canary running (status, control); 2 usage or a canary already running;\n"
	"3 Docker unreachable; 4 this machine failed (state files, output).\n"
	"--k8s: 0 read or patched (watch: the Rollout Healthy), 1 no such Rollout (watch:\n"
	"aborted or Degraded), 3 kubectl missing or the cluster unreachable.\n";

#define SEC ((int64_t)1000000000)

static volatile int stop_sig;
static void on_signal(int sig) { stop_sig = sig; }

static bi_canaryrun R;	/* the Docker run (analysis/canaryrun.c) */
static jv cfg;

static void
open_docker(void)
{
	char derr[256];
	if (!(R.ro.d = bi_docker_open(derr, sizeof derr)))
		bi_die(BI_EXIT_UNREACHABLE, "Docker: %s", derr);
	R.ro.stop = R.stop = &stop_sig;
}

static int
start(int listen, char **env, int nenv)
{
	char err[512], path[700], p[128];

	R.started = bi_mono_ns();
	jv st = bi_canaryrun_state(R.state_path);
	if (jv_get_kind(st) == JV_KIND_OBJECT) {
		if (bi_canaryrun_alive(st))
			bi_die(BI_EXIT_USAGE, "a canary is running (pid %.0f): bi-canary status", bi_get_num(st, "pid", 0));
		bi_die(BI_EXIT_USAGE, "a canary run ended without cleaning up: bi-canary abort first");
	}
	jv_free(st);
	open_docker();
	jv img = jv_null();
	snprintf(path, sizeof path, "/images/%s/json", R.image);
	if (bi_docker_call(R.ro.d, "GET", path, NULL, &img) != 200)
		bi_die(BI_EXIT_USAGE, "no image %s", R.image);
	jv_free(img);

	snprintf(p, sizeof p, "services.%s.port", R.service);
	if (bi_rollout_find(&R.ro, R.ro.d, R.project, R.service, (int)bi_jv_path_num(cfg, p, 0), R.health,
			    err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s", err);
	R.ro.stop = &stop_sig;
	if (bi_rollout_proxy(&R.ro, listen, err, sizeof err) != 0)
		bi_die(BI_EXIT_FAIL, "%s", err);

	R.journal = fopen(R.journal_path, "w");
	if (!R.journal)
		bi_die(BI_EXIT_LOCAL, "unable to open %s:", R.journal_path);
	return bi_canaryrun_go(&R, env, nenv);
}

/* ---- the other commands ---- */

static int
status_cmd(void)
{
	jv s = bi_canaryrun_state(R.state_path);
	jv rec = bi_set(bi_record("canary"), "event", jv_string("status"));
	if (jv_get_kind(s) != JV_KIND_OBJECT) {
		jv_free(s);
		bi_write(bi_set(rec, "status", jv_string("none")));
		return BI_EXIT_FAIL;
	}
	int up = bi_canaryrun_alive(s);
	if (!up)
		s = bi_set(s, "status", jv_string("gone"));
	bi_write(jv_object_merge(rec, s));
	return up ? BI_EXIT_OK : BI_EXIT_FAIL;
}

static int
control(const char *cmd)
{
	char tmp[4096];
	jv s = bi_canaryrun_state(R.state_path);
	if (jv_get_kind(s) != JV_KIND_OBJECT) {
		jv_free(s);
		bi_warn("no canary is running");
		return BI_EXIT_FAIL;
	}
	if (!bi_canaryrun_alive(s)) {
		if (!strcmp(cmd, "abort")) {
			/* A runner that died (kill -9) left a split and a canary. */
			open_docker();
			return bi_canaryrun_cleanup(&R, s);
		}
		jv_free(s);
		bi_warn("the canary's runner is gone: bi-canary abort cleans up");
		return BI_EXIT_FAIL;
	}
	jv_free(s);
	snprintf(tmp, sizeof tmp, "%s.tmp", R.ctl_path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", cmd) < 0 || fclose(f) != 0 || rename(tmp, R.ctl_path) != 0)
		bi_die(BI_EXIT_LOCAL, "unable to write %s:", R.ctl_path);
	for (int i = 0; i < 100; i++) {	/* taken when the runner removed it */
		if (access(R.ctl_path, F_OK) != 0)
			return BI_EXIT_OK;
		usleep(100000);
	}
	bi_warn("the canary did not take '%s' within 10 s", cmd);
	return BI_EXIT_FAIL;
}

/* The run's records so far, then each new one until the run ends. */
static int
watch_cmd(void)
{
	bi_buf line = {0};
	char buf[8192];
	jv s = bi_canaryrun_state(R.state_path);
	int running = jv_get_kind(s) == JV_KIND_OBJECT && bi_canaryrun_alive(s);
	jv_free(s);
	int fd = open(R.journal_path, O_RDONLY);
	if (fd < 0) {
		bi_warn("no canary has run here");
		return BI_EXIT_FAIL;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] == '\n') {
					bi_write_raw(line.p ? line.p : "", line.len);
					line.len = 0;
				} else
					bi_buf_add(&line, &buf[i], 1);
			}
			bi_write_flush();
			continue;
		}
		if (!running || stop_sig)
			break;
		s = bi_canaryrun_state(R.state_path);
		running = jv_get_kind(s) == JV_KIND_OBJECT && bi_canaryrun_alive(s);
		jv_free(s);
		usleep(200000);
	}
	bi_buf_free(&line);
	close(fd);
	return BI_EXIT_OK;
}

/* The canary proxy and anything a run left, removed. */
static int
clean_cmd(void)
{
	char err[512];
	jv s = bi_canaryrun_state(R.state_path);
	if (jv_get_kind(s) == JV_KIND_OBJECT && bi_canaryrun_alive(s))
		bi_die(BI_EXIT_USAGE, "a canary is running: abort it first");
	jv_free(s);
	open_docker();
	if (bi_rollout_clean(R.ro.d, R.project, R.service, err, sizeof err) != 0)
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	bi_canaryrun_finish(&R);
	return BI_EXIT_OK;
}

/* ---- Kubernetes: the Rollout, through kubectl ---- */

static struct {
	const char *ns, *name, *context;
} K;

static jv
k8s_call(const char *verb, const char *patch, char *err, size_t n)
{
	return bi_k8s_rollout_call(K.context, K.ns, K.name, verb, patch, err, n);
}

/* The exit status for a kubectl failure: 1 when the Rollout is not there,
 * 3 when the cluster (or kubectl) is not. */
static int
k8s_failed(const char *err)
{
	int missing = strstr(err, "NotFound") || strstr(err, "not found") || strstr(err, "the server doesn't have a resource type");
	bi_warn("%s/%s: %s", K.ns, K.name, err);
	return missing && !strstr(err, "kubectl is not installed") ? BI_EXIT_FAIL : BI_EXIT_UNREACHABLE;
}

static void
k8s_emit(const char *event, jv state)
{
	jv rec = bi_record("canary");
	rec = bi_set(rec, "project", jv_string(R.project));
	rec = bi_set(rec, "service", jv_string(K.name));
	rec = bi_set(rec, "source", jv_string("k8s"));
	rec = bi_set(rec, "namespace", jv_string(K.ns));
	rec = bi_set(rec, "event", jv_string(event));
	rec = jv_object_merge(rec, state);
	bi_write(rec);
	bi_write_flush();
}

/* watch: a record each time the canary's phase, step, weight, pause or
 * analysis changes, until it is Healthy (0) or aborted (1). */
static int
k8s_watch(void)
{
	char err[512], last[1024] = "";
	int64_t every = bi_cfg_dur(cfg, "canary.watch_interval", 2 * SEC);
	int misses = 0;

	while (!stop_sig) {
		jv ro = k8s_call("get", NULL, err, sizeof err);
		if (!jv_is_valid(ro)) {
			jv_free(ro);
			if (++misses >= 3 || k8s_failed(err) == BI_EXIT_FAIL)
				return k8s_failed(err);
			usleep((useconds_t)(every / 1000));
			continue;
		}
		misses = 0;
		jv st = bi_k8s_rollout(ro);
		jv_free(ro);
		if (!jv_is_valid(st)) {
			jv_free(st);
			bi_die(BI_EXIT_FAIL, "%s/%s is not a Rollout", K.ns, K.name);
		}
		jv key = jv_dump_string(jv_copy(st), JV_PRINT_SORTED);
		int changed = strcmp(last, jv_string_value(key)) != 0;
		snprintf(last, sizeof last, "%s", jv_string_value(key));
		jv_free(key);
		const char *phase = bi_get_str(st, "phase");
		jv ab = jv_object_get(jv_copy(st), jv_string("aborted"));
		int aborted = jv_get_kind(ab) == JV_KIND_TRUE || (phase && !strcmp(phase, "Degraded"));
		int done = phase && !strcmp(phase, "Healthy");
		jv_free(ab);
		if (changed || aborted || done)
			k8s_emit(aborted ? "aborted" : done ? "promoted" : "status", st);
		else
			jv_free(st);
		if (aborted)
			return BI_EXIT_FAIL;
		if (done)
			return BI_EXIT_OK;
		usleep((useconds_t)(every / 1000));
	}
	return 128 + stop_sig;
}

static int
k8s_cmd(const char *cmd, int full)
{
	char err[512];
	const char *patch = NULL;
	char buf[160];

	if (!strcmp(cmd, "watch"))
		return k8s_watch();
	jv ro = k8s_call("get", NULL, err, sizeof err);
	if (!jv_is_valid(ro)) {
		jv_free(ro);
		return k8s_failed(err);
	}
	if (!strcmp(cmd, "promote")) {
		if (bi_k8s_promote_patch(ro, full, buf, sizeof buf) != 0) {
			jv_free(ro);
			bi_warn("%s/%s: at its last step already: nothing to promote", K.ns, K.name);
			return BI_EXIT_FAIL;
		}
		patch = buf;
	} else if (!strcmp(cmd, "abort"))
		patch = "{\"status\":{\"abort\":true}}";
	else if (!strcmp(cmd, "pause"))
		patch = "{\"spec\":{\"paused\":true}}";
	else if (!strcmp(cmd, "resume"))
		patch = "{\"spec\":{\"paused\":false}}";
	if (patch) {
		jv_free(ro);
		ro = k8s_call("patch", patch, err, sizeof err);
		if (!jv_is_valid(ro)) {
			jv_free(ro);
			return k8s_failed(err);
		}
	}
	jv st = bi_k8s_rollout(ro);
	jv_free(ro);
	if (!jv_is_valid(st)) {
		jv_free(st);
		bi_warn("%s/%s is not a Rollout", K.ns, K.name);
		return BI_EXIT_FAIL;
	}
	k8s_emit(cmd, st);
	return BI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"docker", no_argument, NULL, 'd'}, {"image", required_argument, NULL, 'i'},
		{"service", required_argument, NULL, 's'}, {"project", required_argument, NULL, 'p'},
		{"env", required_argument, NULL, 'e'}, {"listen", required_argument, NULL, 'l'},
		{"full", no_argument, NULL, 'F'}, {"help", no_argument, NULL, 'h'},
		{"interval", required_argument, NULL, 'I'}, {"pause", required_argument, NULL, 'P'},
		{"failure-limit", required_argument, NULL, 'L'}, {"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'}, {"k8s", no_argument, NULL, 'k'},
		{"namespace", required_argument, NULL, 'N'}, {"rollout", required_argument, NULL, 'R'},
		{0, 0, 0, 0}};
	char **env = NULL, err[512], p[128];
	int nenv = 0, docker = 0, k8s = 0, full = 0, listen = -1, c;
	jv over = jv_object();	/* the flags that override blissful-infra.yaml's canary: */
	int64_t ns;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "dki:s:p:e:l:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': docker = 1; break;
		case 'k': k8s = 1; break;
		case 'N':
		case 'R':
			/* Never passed on to kubectl as a flag of its own. */
			if (!*optarg || *optarg == '-')
				bi_die(BI_EXIT_USAGE, "--%s '%s': a name, not starting with '-'",
				       c == 'N' ? "namespace" : "rollout", optarg);
			*(c == 'N' ? &K.ns : &K.name) = optarg;
			break;
		case 'i': R.image = optarg; break;
		case 's': R.service = optarg; break;
		case 'p': R.project = optarg; break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				bi_die(BI_EXIT_USAGE, "--env %s: K=V", optarg);
			env = bi_realloc(env, (size_t)(nenv + 1) * sizeof *env);
			env[nenv++] = optarg;
			break;
		case 'l':
			if (!*optarg || strspn(optarg, "0123456789") != strlen(optarg) || strlen(optarg) > 5 ||
			    (listen = atoi(optarg)) > 65535)
				bi_die(BI_EXIT_USAGE, "--listen %s: a port", optarg);
			break;
		case 'F': full = 1; break;
		case 'q': R.quiet = 1; break;
		case 'I':
		case 'P':
			if (bi_dur_parse(optarg, &ns) != 0 || ns <= 0)
				bi_die(BI_EXIT_USAGE, "--%s %s: a duration", c == 'I' ? "interval" : "pause", optarg);
			over = bi_set(over, c == 'I' ? "interval" : "pause", jv_string(optarg));
			break;
		case 'L':
			if (!*optarg || strspn(optarg, "0123456789") != strlen(optarg) || strlen(optarg) > 6)
				bi_die(BI_EXIT_USAGE, "--failure-limit %s: a number, 0 or more", optarg);
			over = bi_set(over, "failure_limit", jv_number(atoi(optarg)));
			break;
		case 'h': fputs(usage, stdout); return BI_EXIT_OK;
		case 'V': puts("bi-canary " BI_VERSION); return BI_EXIT_OK;
		default: fputs(usage, stderr); return BI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return BI_EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	static const char *const cmds[] = {"start", "status", "promote", "abort", "pause", "resume",
					   "watch", "clean"};
	size_t ci = 0;
	while (ci < sizeof cmds / sizeof cmds[0] && strcmp(cmd, cmds[ci]))
		ci++;
	if (ci == sizeof cmds / sizeof cmds[0]) {
		bi_warn("no command %s", cmd);
		fputs(usage, stderr);
		return BI_EXIT_USAGE;
	}
	if (docker && k8s)
		bi_die(BI_EXIT_USAGE, "--docker or --k8s, not both");
	if (k8s && (!strcmp(cmd, "start") || !strcmp(cmd, "clean")))
		bi_die(BI_EXIT_USAGE, "%s --k8s: on Kubernetes, blissful-infra deploy --env production starts "
		       "the canary (its Rollout), and Argo Rollouts runs it", cmd);
	if (!docker && !k8s && (!strcmp(cmd, "start") || !strcmp(cmd, "clean")))
		bi_die(BI_EXIT_USAGE, "%s: give --docker (the only engine that starts a canary)", cmd);
	if ((K.ns || K.name) && !k8s)
		bi_die(BI_EXIT_USAGE, "--namespace and --rollout are for --k8s");

	cfg = bi_config();
	if (jv_get_kind(cfg) == JV_KIND_OBJECT) {
		jv cc = jv_object_get(jv_copy(cfg), jv_string("canary"));
		if (jv_get_kind(cc) != JV_KIND_OBJECT) {
			jv_free(cc);
			cc = jv_object();
		}
		cfg = bi_set(cfg, "canary", jv_object_merge(cc, over));
	} else
		jv_free(over);
	char *root = bi_project_dir();
	if (!root)
		bi_die(BI_EXIT_USAGE, "not in a blissful-infra project (no blissful-infra.yaml here or above)");
	char *dir = bi_asprintf("%s/.blissful-infra", root);
	if (bi_mkdirs(dir) != 0)
		bi_die(BI_EXIT_LOCAL, "unable to make %s:", dir);
	R.state_path = bi_asprintf("%s/canary.state", dir);
	R.ctl_path = bi_asprintf("%s/canary.ctl", dir);
	R.journal_path = bi_asprintf("%s/canary.jsonl", dir);
	if (!R.service)
		R.service = "app";
	if (!R.project) {
		const char *b = strrchr(root, '/');
		R.project = bi_jv_path_str(cfg, "name", NULL);
		if (!R.project)
			R.project = bi_strdup(b ? b + 1 : root);
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (k8s) {
		if (!K.name)
			K.name = R.project;
		if (!K.ns)
			K.ns = bi_asprintf("%s-production", R.project);
		K.context = bi_jv_path_str(cfg, "kubernetes.context", NULL);
		if (K.context && (!*K.context || *K.context == '-'))
			bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: kubernetes.context '%s': a context's name", K.context);
		int st = k8s_cmd(cmd, full);
		bi_fshut(stdout, "stdout");
		return st;
	}
	if (!strcmp(cmd, "status"))
		return status_cmd();
	if (!strcmp(cmd, "watch"))
		return watch_cmd();
	if (!strcmp(cmd, "promote"))
		return control(full ? "promote-full" : "promote");
	if (!strcmp(cmd, "abort") || !strcmp(cmd, "pause") || !strcmp(cmd, "resume"))
		return control(cmd);
	if (!strcmp(cmd, "clean"))
		return clean_cmd();

	if (!R.image)
		bi_die(BI_EXIT_USAGE, "start: --image is required");
	if (bi_canary_limits_config(cfg, &R.limits, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: %s", err);
	R.steps = bi_canary_steps(cfg, err, sizeof err);
	if (!jv_is_valid(R.steps))
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: %s", err);
	R.nsteps = jv_array_length(jv_copy(R.steps));
	R.run = (bi_canary_run){.nsteps = R.nsteps,
		.failure_limit = (int)bi_jv_path_num(cfg, "canary.failure_limit", 3),
		.inconclusive_limit = (int)bi_jv_path_num(cfg, "canary.inconclusive_limit", 3)};
	R.interval = bi_cfg_dur(cfg, "canary.interval", 30 * SEC);
	R.drain = bi_cfg_dur(cfg, "canary.drain", 5 * SEC);
	if (R.interval <= 0 || R.run.failure_limit < 0 || R.run.inconclusive_limit < 0)
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: canary.interval above 0, canary.failure_limit "
		       "and canary.inconclusive_limit 0 or more");
	if (listen < 0)
		listen = (int)bi_jv_path_num(cfg, "canary.port", 0);
	snprintf(p, sizeof p, "services.%s.metrics", R.service);
	snprintf(R.metrics, sizeof R.metrics, "%s", bi_jv_path_str(cfg, p, "/metrics"));
	snprintf(p, sizeof p, "services.%s.health", R.service);
	snprintf(R.health, sizeof R.health, "%s", bi_jv_path_str(cfg, p, "/health"));
	R.names.requests = bi_jv_path_str(cfg, "canary.requests_metric", NULL);
	R.names.duration = bi_jv_path_str(cfg, "canary.duration_metric", NULL);
	R.names.skip_path = R.metrics;
	int st = start(listen, env, nenv);
	bi_fshut(stdout, "stdout");
	if (st == BI_EXIT_FAIL && stop_sig)
		return 128 + stop_sig;
	return st;
}
