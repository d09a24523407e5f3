/*
 * chaos.c: what bi-chaos needs to break things safely. Every change is first
 * written to a journal (one JSON line, flushed to disk) with how to undo it,
 * and marked undone once it is; whatever remains pending is undone at the end,
 * on a signal, or by `bi-chaos --rollback` after a crash. A lock (flock on a
 * file beside the journal) keeps a second run from undoing the first one's
 * faults in the middle of its measurement; the kernel drops it when the
 * holder dies, so a crash never leaves the project locked.
 *
 * bi-hog runs detached in the container (an exec, not a child of ours): it
 * outlives a kill -9 of bi-chaos, so it is journalled like any other change,
 * and undone by running `bi-hog stop` beside it, as root, which kills it and
 * removes the file (copied in as root, so the app's user could not).
 *
 * Layer: engines.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engines/chaos.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/docker.h"

int
bi_journal_add(const char *path, jv entry)
{
	static int next;
	char *dir = bi_strdup(path), *slash = strrchr(dir, '/');

	if (slash) {
		*slash = '\0';
		bi_mkdirs(dir);
	}
	free(dir);
	/* Ids only need to be unique within a journal: time and a counter. */
	int id = (int)(bi_now_ns() / BI_NS_PER_MS % 100000000) * 10 + next++ % 10;
	entry = jv_object_set(entry, jv_string("id"), jv_number(id));
	entry = jv_object_set(entry, jv_string("ts"), jv_string(bi_ts_now((char[BI_TS_LEN]){0})));
	jv s = jv_dump_string(entry, 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int ok = fd >= 0 && dprintf(fd, "%s\n", jv_string_value(s)) > 0 && fsync(fd) == 0;
	int e = errno;
	if (fd >= 0)
		close(fd);
	jv_free(s);
	errno = e;
	return ok ? id : -1;
}

int
bi_journal_done(const char *path, int id)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	int ok = fd >= 0 && dprintf(fd, "{\"undone\":%d}\n", id) > 0 && fsync(fd) == 0;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

jv
bi_journal_pending(const char *path)
{
	FILE *f = fopen(path, "r");
	jv pending = jv_array();

	if (!f)
		return pending;
	bi_reader *r = bi_reader_new(fileno(f), path, 0);
	jv rec, done = jv_object();
	jv all = jv_array();
	while (bi_read(r, &rec)) {
		if (jv_object_has(jv_copy(rec), jv_string("undone"))) {
			char k[32];
			snprintf(k, sizeof k, "%.0f", bi_get_num(rec, "undone", 0));
			done = jv_object_set(done, jv_string(k), jv_true());
			jv_free(rec);
		} else {
			all = jv_array_append(all, rec);
		}
	}
	bi_reader_free(r);
	fclose(f);
	/* Newest first: undo in the reverse order of doing. */
	for (int i = jv_array_length(jv_copy(all)) - 1; i >= 0; i--) {
		jv e = jv_array_get(jv_copy(all), i);
		char k[32];
		snprintf(k, sizeof k, "%.0f", bi_get_num(e, "id", -1));
		if (jv_object_has(jv_copy(done), jv_string(k)))
			jv_free(e);
		else
			pending = jv_array_append(pending, e);
	}
	jv_free(all);
	jv_free(done);
	return pending;
}

/* Is pid still the process we started (its command line holds what)? */
static int
same_process(long pid, const char *what)
{
	char path[64], buf[4096];

	snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

/* A container that is gone or not running holds no process of ours (what it
 * ran died with it); a file left in a stopped one is inert. */
static int
not_running(bi_docker *d, const char *id)
{
	jv c = bi_docker_inspect(d, id);
	jv r = jv_is_valid(c) ? bi_jv_path(c, "State.Running") : jv_false();
	int down = jv_get_kind(r) != JV_KIND_TRUE;

	jv_free(r);
	jv_free(c);
	return down;
}

static int
stop_hog(bi_docker *d, const char *id, const char *path, char *err, size_t n)
{
	const char *argv[] = {path, "stop", NULL};
	char eid[128], why[256];

	if (bi_docker_exec_detached(d, id, argv, "0", eid, sizeof eid) != 0) {
		snprintf(why, sizeof why, "%s", bi_docker_error(d));
		if (not_running(d, id))
			return 0;
		/* The file is gone: the hog removed it when its time was up. */
		if (strstr(why, "no such file") || strstr(why, "not found"))
			return 0;
		snprintf(err, n, "bi-hog stop in %.12s: %s", id, why);
		return -1;
	}
	int code = bi_docker_exec_wait(d, eid, 5 * BI_NS_PER_S);
	/* 126, 127: the runtime found nothing to run, so nothing runs it. */
	if (code == 0 || code == 126 || code == 127 || (code != -1 && not_running(d, id)))
		return 0;
	snprintf(err, n, "bi-hog stop in %.12s: %s", id,
		 code == -1 ? "still running after 5 s" : code == -2 ? bi_docker_error(d) : "it failed");
	return -1;
}

int
bi_journal_undo(jv e, bi_docker *d, char *err, size_t n)
{
	const char *action = bi_get_str(e, "action");

	if (!action) {
		snprintf(err, n, "journal entry without an action");
		return -1;
	}
	if (!strcmp(action, "docker")) {
		const char *id = bi_get_str(e, "container"), *undo = bi_get_str(e, "undo");
		if (!d || !id || !undo) {
			snprintf(err, n, "no Docker to %s %.12s", undo ? undo : "?", id ? id : "?");
			return -1;
		}
		if (bi_docker_action(d, id, undo, NULL) != 0) {
			/* Gone, or already as it should be: nothing left to undo. */
			jv c = bi_docker_inspect(d, id);
			int gone = !jv_is_valid(c);
			jv_free(c);
			if (gone)
				return 0;
			snprintf(err, n, "%s %.12s: %s", undo, id, bi_docker_error(d));
			return -1;
		}
		return 0;
	}
	if (!strcmp(action, "toxic") || !strcmp(action, "proxy")) {
		const char *api = bi_get_str(e, "api"), *proxy = bi_get_str(e, "proxy");
		const char *toxic = bi_get_str(e, "toxic");
		if (!api || !proxy) {
			snprintf(err, n, "journal entry without api and proxy");
			return -1;
		}
		char *url = !strcmp(action, "toxic") ?
			bi_asprintf("%s/proxies/%s/toxics/%s", api, proxy, toxic ? toxic : "") :
			bi_asprintf("%s/proxies/%s", api, proxy);
		bi_http_req req = {.method = !strcmp(action, "toxic") ? "DELETE" : "POST", .url = url,
				   .body = !strcmp(action, "proxy") ? "{\"enabled\":true}" : NULL,
				   .timeout_ms = 5000};
		bi_http_resp resp;
		int r = bi_http(&req, &resp);
		free(url);
		/* A proxy that is gone took its toxics with it. */
		int fine = r != 0 || resp.status < 300 || resp.status == 404;
		if (!fine)
			snprintf(err, n, "%s %s: HTTP %ld", action, proxy, resp.status);
		bi_http_resp_free(&resp);
		return fine ? 0 : -1;
	}
	if (!strcmp(action, "hog")) {
		const char *id = bi_get_str(e, "container"), *path = bi_get_str(e, "path");
		if (!d || !id || !path) {
			snprintf(err, n, "no Docker to stop bi-hog in %.12s", id ? id : "?");
			return -1;
		}
		return stop_hog(d, id, path, err, n);
	}
	if (!strcmp(action, "process")) {
		long pid = (long)bi_get_num(e, "pid", 0);
		const char *what = bi_get_str(e, "command");
		if (pid > 1 && what && same_process(pid, what))
			kill((pid_t)pid, SIGTERM);
		return 0;
	}
	snprintf(err, n, "unknown journal action: %s", action);
	return -1;
}

int
bi_chaos_lock(const char *path, long *holder)
{
	char *dir = bi_strdup(path), *slash = strrchr(dir, '/');

	if (slash) {
		*slash = '\0';
		bi_mkdirs(dir);
	}
	free(dir);
	*holder = -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char buf[32] = {0};
		*holder = 0;
		if (e == EWOULDBLOCK && pread(fd, buf, sizeof buf - 1, 0) > 0)
			*holder = strtol(buf, NULL, 10);
		close(fd);
		if (e != EWOULDBLOCK)
			*holder = -1;
		errno = e;
		return -1;
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		bi_warn("cannot write the pid into %s:", path);
	return fd;
}
