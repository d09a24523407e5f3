/*
 * canaryrun.c: a canary's run on Docker, from its container to its end.
 * The canary runs beside the stable container behind the canary proxy
 * (engines/rollout.c); each step of canary.steps moves the proxy's weight,
 * and every interval each version's /metrics is read and judged
 * (analysis/canary.c) until the step's pause is over and its last analysis
 * passed. When the last step passes, the canary's image becomes the
 * service's; when failures pass the limit, on abort or on the stop flag,
 * the weight goes back to 100 % stable at once and the canary goes after
 * the drain. Every step and decision is a `canary` record on stdout and in
 * the run's journal; the state file says where the run is to the commands
 * that read it, and the control file carries theirs (abort, promote,
 * promote-full, pause, resume) to the run, which takes it by removing it.
 *
 * Layer: analysis.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/canaryrun.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "engines/rollout.h"
#include "analysis/canary.h"

#define SEC ((int64_t)1000000000)
#define STOPPED(r) ((r)->stop && *(r)->stop)

void
bi_canaryrun_emit(bi_canaryrun *r, const char *event, jv extra)
{
	jv rec = bi_record("canary");
	rec = bi_set(rec, "project", jv_string(r->project));
	rec = bi_set(rec, "service", jv_string(r->service));
	rec = bi_set(rec, "source", jv_string("docker"));
	rec = bi_set(rec, "event", jv_string(event));
	if (r->nsteps)
		rec = bi_set(rec, "step", jv_number(r->run.step + 1));
	rec = bi_set(rec, "weight", jv_number(r->ro.weight));
	if (jv_get_kind(extra) == JV_KIND_OBJECT)
		rec = jv_object_merge(rec, extra);
	else
		jv_free(extra);
	if (r->journal) {
		jv s = jv_dump_string(jv_copy(rec), 0);
		fprintf(r->journal, "%s\n", jv_string_value(s));
		fflush(r->journal);
		jv_free(s);
	}
	if (!r->quiet) {
		const char *why = bi_get_text(rec, "reason", NULL), *dec = bi_get_text(rec, "decision", NULL);
		fprintf(stderr, "bi-canary: [step %d/%d, %d%%] %s%s%s%s%s\n", r->run.step + 1, r->nsteps,
			r->ro.weight, event, dec ? ": " : "", dec ? dec : "", why ? ": " : "", why ? why : "");
	}
	bi_write(rec);
	bi_write_flush();
}

/* The state file, replaced whole so that a reader never sees half of it. */
void
bi_canaryrun_save(const bi_canaryrun *r)
{
	jv s = jv_object();
	char tmp[4096], ts[40];
	s = bi_set(s, "pid", jv_number(getpid()));
	s = bi_set(s, "project", jv_string(r->project));
	s = bi_set(s, "service", jv_string(r->service));
	s = bi_set(s, "image", jv_string(r->image));
	s = bi_set(s, "status", jv_string(r->status));
	s = bi_set(s, "step", jv_number(r->run.step + 1));
	s = bi_set(s, "steps", jv_number(r->nsteps));
	s = bi_set(s, "weight", jv_number(r->ro.weight));
	s = bi_set(s, "paused", jv_bool(r->paused));
	s = bi_set(s, "failures", jv_number(r->run.failures));
	s = bi_set(s, "canary_id", jv_string(r->ro.canary_id));
	s = bi_set(s, "stable_id", jv_string(r->ro.stable_id));
	s = bi_set(s, "proxy_id", jv_string(r->ro.proxy_id));
	s = bi_set(s, "api", jv_number(r->ro.api_port));
	s = bi_set(s, "entry", jv_number(r->ro.entry_port));
	s = bi_set(s, "upstream_port", jv_number(r->ro.port));
	s = bi_set(s, "started", jv_string(bi_ts_now(ts)));
	jv text = jv_dump_string(s, 0);
	snprintf(tmp, sizeof tmp, "%s.tmp", r->state_path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", jv_string_value(text)) < 0 || fclose(f) != 0 || rename(tmp, r->state_path) != 0)
		bi_warn("unable to write %s:", r->state_path);
	jv_free(text);
}

/* The state of the running canary; jv_null when there is none. */
jv
bi_canaryrun_state(const char *path)
{
	char *text = bi_read_file(path, NULL);
	if (!text)
		return jv_null();
	jv s = jv_parse(text);
	free(text);
	if (!jv_is_valid(s)) {
		jv_free(s);
		return jv_null();
	}
	return s;
}

int
bi_canaryrun_alive(jv s)
{
	pid_t pid = (pid_t)bi_get_num(s, "pid", 0);
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* ---- the split and the containers, through engines/rollout.c ---- */

/* Weight % of new connections to the canary; a refusal is said. */
static int
set_weight(bi_canaryrun *r, int w)
{
	char err[512];
	if (bi_rollout_weight(&r->ro, w, err, sizeof err) == 0)
		return 0;
	bi_warn("%s", err);
	return -1;
}

static void
remove_container(bi_canaryrun *r, const char *id)
{
	char err[512];
	if (bi_rollout_remove(&r->ro, id, err, sizeof err) != 0)
		bi_warn("%s", err);
}

/* ---- reading each version ---- */

static int
scrape(const bi_canaryrun *r, int port, bi_canary_counts *out)
{
	char url[512];
	bi_http_resp resp;
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, r->metrics);
	bi_http_req req = {.url = url, .timeout_ms = 3000};
	int st = bi_http(&req, &resp);
	if (st == 0 && resp.status == 200)
		st = bi_canary_scrape(resp.body.p ? resp.body.p : "", resp.body.len, &r->names, out) < 0 ? -1 : 0;
	else
		st = -1;
	bi_http_resp_free(&resp);
	return st;
}

/* One analysis: each version's window since the last one. */
jv
bi_canaryrun_analyse(bi_canaryrun *r)
{
	bi_canary_counts sn, cn, sw, cw;
	jv a;

	int cs = scrape(r, r->ro.canary_port, &cn), ss = scrape(r, r->ro.stable_port, &sn);
	if (cs != 0) {
		a = bi_set(jv_object(), "decision", jv_string("fail"));
		return bi_set(a, "reason", jv_string("the canary's metrics did not answer"));
	}
	if (ss != 0) {
		a = bi_set(jv_object(), "decision", jv_string("wait"));
		return bi_set(a, "reason", jv_string("stable's metrics did not answer"));
	}
	bi_canary_window(&cn, &r->canary.last, &cw);
	bi_canary_window(&sn, &r->stable.last, &sw);
	r->canary.last = cn;
	r->stable.last = sn;
	return bi_canary_analyze(&sw, &cw, &r->limits);
}

static void
snapshot(bi_canaryrun *r)
{
	if (scrape(r, r->ro.canary_port, &r->canary.last) != 0)
		memset(&r->canary.last, 0, sizeof r->canary.last);
	if (scrape(r, r->ro.stable_port, &r->stable.last) != 0)
		memset(&r->stable.last, 0, sizeof r->stable.last);
	if (!r->canary.have_first) {
		r->canary.first = r->canary.last;
		r->canary.have_first = 1;
	}
}

/* ---- the ends of a run ---- */

void
bi_canaryrun_finish(bi_canaryrun *r)
{
	unlink(r->state_path);
	unlink(r->ctl_path);
	if (r->journal)
		fclose(r->journal);
	r->journal = NULL;
}

/* How long the run took, and what the canary answered in all. */
static jv
totals(bi_canaryrun *r, jv x)
{
	bi_canary_counts now, w;
	int64_t t = bi_mono_ns();
	x = bi_set(x, "elapsed_ms", jv_number((double)((t - r->started) / 1000000)));
	if (r->traffic_at)
		x = bi_set(x, "canary_traffic_ms", jv_number((double)((t - r->traffic_at) / 1000000)));
	if (r->canary.have_first && scrape(r, r->ro.canary_port, &now) == 0) {
		bi_canary_window(&now, &r->canary.first, &w);
		x = bi_set(x, "canary_requests", jv_number(w.requests));
		x = bi_set(x, "canary_errors", jv_number(w.errors));
	}
	return x;
}

/* Back to 100 % stable at once; the canary goes once its connections had
 * canary.drain to finish (not waited for when interrupted). */
static int
abort_run(bi_canaryrun *r, const char *why)
{
	int split = set_weight(r, 0);
	r->status = "aborting";
	bi_canaryrun_save(r);
	bi_canaryrun_emit(r, "abort", bi_set(jv_object(), "reason", jv_string(why)));
	jv fin = totals(r, bi_set(jv_object(), "reason", jv_string(why)));
	int64_t end = bi_mono_ns() + r->drain;
	while (split == 0 && bi_mono_ns() < end && !STOPPED(r))
		usleep(100000);
	remove_container(r, r->ro.canary_id);
	if (split)
		fin = bi_set(fin, "warning", jv_string("the canary proxy did not take the weight back"));
	bi_canaryrun_emit(r, "aborted", fin);
	bi_canaryrun_finish(r);
	return BI_EXIT_FAIL;
}

static int
promote_run(bi_canaryrun *r, const char *why)
{
	char err[512] = "";
	sigset_t block, old;

	/* Half a promotion is worse than either end: signals wait for it. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	r->status = "promoting";
	bi_canaryrun_save(r);
	bi_canaryrun_emit(r, "promote", bi_set(jv_object(), "reason", jv_string(why)));
	if (set_weight(r, 100) != 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return abort_run(r, "the canary proxy refused to send everything to the canary");
	}
	jv fin = totals(r, jv_object());
	if (bi_rollout_replace(&r->ro, r->image, err, sizeof err) != 0 && !*err)
		snprintf(err, sizeof err, "the service's container could not be made again");
	int split = set_weight(r, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (*err) {
		jv_free(fin);
		return abort_run(r, err);
	}
	int64_t end = bi_mono_ns() + r->drain;
	while (split == 0 && bi_mono_ns() < end)
		usleep(100000);
	remove_container(r, r->ro.canary_id);
	fin = bi_set(fin, "image", jv_string(r->ro.stable_image));
	bi_canaryrun_emit(r, "promoted", fin);
	bi_canaryrun_finish(r);
	return BI_EXIT_OK;
}

/* A command from the control file, or "" when none. */
static void
read_ctl(bi_canaryrun *r, char *cmd, size_t n)
{
	char *text = bi_read_file(r->ctl_path, NULL);
	*cmd = 0;
	if (!text)
		return;
	unlink(r->ctl_path);
	snprintf(cmd, n, "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
}

static void
set_paused(bi_canaryrun *r, int p, const char *why)
{
	r->paused = p;
	r->status = p ? "paused" : "running";
	bi_canaryrun_save(r);
	bi_canaryrun_emit(r, p ? "pause" : "resume", why ? bi_set(jv_object(), "reason", jv_string(why)) : jv_object());
}

/* The steps, each until its pause is over and its last analysis passed. */
int
bi_canaryrun_steps(bi_canaryrun *r)
{
	char cmd[64], why[300];
	jv_array_foreach(r->steps, i, st) {
		r->run.step = i;
		int w = (int)bi_jv_path_num(st, "weight", 100);
		int64_t pause = (int64_t)bi_jv_path_num(st, "pause_ms", 0) * 1000000;
		jv_free(st);
		if (set_weight(r, w) != 0)
			return abort_run(r, "the canary proxy refused the step's weight");
		if (!r->traffic_at)
			r->traffic_at = bi_mono_ns();
		r->status = r->paused ? "paused" : "running";
		bi_canaryrun_save(r);
		bi_canaryrun_emit(r, "step", bi_set(jv_object(), "pause_ms", jv_number((double)(pause / 1000000))));
		snapshot(r);
		int64_t t0 = bi_mono_ns(), held = 0;
		int64_t next = t0 + (pause > 0 && pause < r->interval ? pause : r->interval);
		for (;;) {
			if (STOPPED(r))
				return abort_run(r, "interrupted");
			read_ctl(r, cmd, sizeof cmd);
			if (!strcmp(cmd, "abort"))
				return abort_run(r, "aborted by a person");
			if (!strcmp(cmd, "promote-full"))
				return promote_run(r, "promoted by a person, the steps left skipped");
			if (!strcmp(cmd, "pause") && !r->paused)
				set_paused(r, 1, "paused by a person");
			if (!strcmp(cmd, "resume") && r->paused)
				set_paused(r, 0, NULL);
			if (!strcmp(cmd, "promote")) {
				if (r->paused)
					set_paused(r, 0, "promoted to the next step by a person");
				if (i + 1 == r->nsteps)
					return promote_run(r, "promoted by a person at the last step");
				break;
			}
			if (r->paused) {
				held += 100000000;
				next += 100000000;
				usleep(100000);
				continue;
			}
			int64_t now = bi_mono_ns();
			if (now < next) {
				usleep(100000);
				continue;
			}
			int over = now - t0 - held >= pause;
			jv a = bi_canaryrun_analyse(r);
			enum bi_canary_next x = bi_canary_after(&r->run, bi_get_text(a, "decision", "wait"), over);
			a = bi_set(a, "failures", jv_number(r->run.failures));
			a = bi_set(a, "next", jv_string(bi_canary_next_name(x)));
			snprintf(why, sizeof why, "%s", bi_get_text(a, "reason", ""));
			bi_canaryrun_emit(r, "analysis", a);
			bi_canaryrun_save(r);
			if (x == BI_CANARY_ABORT)
				return abort_run(r, why);
			if (x == BI_CANARY_PROMOTE)
				return promote_run(r, "every step passed");
			if (x == BI_CANARY_NEXT)
				break;
			if (x == BI_CANARY_HOLD) {
				r->run.inconclusive = 0;
				set_paused(r, 1, why);
			}
			next = now + r->interval;
		}
	}
	return promote_run(r, "every step passed");
}

int
bi_canaryrun_cleanup(bi_canaryrun *r, jv s)
{
	char url[256];
	r->ro.stable = jv_null();
	r->ro.api_port = (int)bi_get_num(s, "api", 0);
	r->ro.port = (int)bi_get_num(s, "upstream_port", 0);
	snprintf(r->ro.project, sizeof r->ro.project, "%s", bi_get_text(s, "project", r->project));
	snprintf(r->ro.service, sizeof r->ro.service, "%s", bi_get_text(s, "service", r->service));
	r->project = r->ro.project;
	r->service = r->ro.service;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/version", r->ro.api_port);
	int split = r->ro.api_port && bi_http_status(url, 2000) == 200 ? set_weight(r, 0) : -1;
	snprintf(r->ro.canary_id, sizeof r->ro.canary_id, "%s", bi_get_text(s, "canary_id", ""));
	jv_free(s);
	remove_container(r, r->ro.canary_id);
	r->journal = fopen(r->journal_path, "a");
	jv x = bi_set(jv_object(), "reason", jv_string("its runner was gone: cleaned up"));
	if (split != 0)
		x = bi_set(x, "warning", jv_string("the canary proxy did not answer"));
	bi_canaryrun_emit(r, "aborted", x);
	bi_canaryrun_finish(r);
	return BI_EXIT_OK;
}

int
bi_canaryrun_go(bi_canaryrun *r, char *const *env, int nenv)
{
	char err[512], entry[64];

	r->status = "starting";
	bi_canaryrun_save(r);
	if (bi_rollout_canary(&r->ro, r->image, env, nenv, err, sizeof err) != 0) {
		remove_container(r, r->ro.canary_id);
		bi_canaryrun_emit(r, "aborted", bi_set(jv_object(), "reason", jv_string(err)));
		bi_canaryrun_finish(r);
		return BI_EXIT_FAIL;
	}
	bi_canaryrun_save(r);
	jv s = bi_set(jv_object(), "image", jv_string(r->image));
	s = bi_set(s, "stable_image", jv_string(r->ro.stable_image));
	snprintf(entry, sizeof entry, "127.0.0.1:%d", r->ro.entry_port);
	s = bi_set(bi_set(s, "entry", jv_string(entry)), "steps", jv_copy(r->steps));
	s = bi_set(s, "failure_limit", jv_number(r->run.failure_limit));
	s = bi_set(s, "interval_ms", jv_number((double)(r->interval / 1000000)));
	if (nenv) {
		jv e = jv_array();
		for (int k = 0; k < nenv; k++)
			e = jv_array_append(e, jv_string(env[k]));
		s = bi_set(s, "env", e);
	}
	bi_canaryrun_emit(r, "start", s);
	if (bi_rollout_wait(&r->ro, r->ro.canary_port, r->health, 120 * SEC) != 0)
		return abort_run(r, STOPPED(r) ? "interrupted" : "the canary never became healthy");
	return bi_canaryrun_steps(r);
}

