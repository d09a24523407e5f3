/*
 * bi-hog: a small static helper that bi-chaos copies into a container and runs
 * there, so that the pressure lands in the container's own cgroup.
 *
 *   bi-hog mem MIB SECONDS   allocate MIB mebibytes, touch every page, hold
 *   bi-hog cpu WORKERS SECONDS   spin WORKERS threads
 *   bi-hog log RATE SECONDS  write RATE lines a second to stdout, each its
 *                            own ("bi-hog line N"), paced by the clock: a
 *                            log storm for the collectors (make bench)
 *   bi-hog stop              kill every other process running this file (by
 *                            its path), wait until they are gone, and remove it
 *
 * A hog ends by itself after SECONDS (an alarm), whatever happens to its
 * parent, and, as /tmp/bi-hog (where bi-chaos copies it into a container),
 * removes its own file as it goes, so nothing is left behind if bi-chaos
 * dies; run from anywhere else, its file stays. `stop` is how bi-chaos ends it sooner (an interrupt, a
 * rollback): it runs in the container, where the hog's pid means something.
 * Linked statically: it runs in any Linux container, with or without a libc.
 * No library of ours.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char self[4096];	/* this file's path, as the kernel knows it */

static void *
spin(void *arg)
{
	volatile unsigned long x = 0;
	(void)arg;
	for (;;)
		x++;
	return NULL;
}

static void
on_alarm(int sig)
{
	(void)sig;
	if (*self)
		unlink(self);
	_exit(0);
}

/* The executable of pid, "" when it cannot be read (gone, or not ours). */
static void
exe_of(const char *pid, char *buf, size_t n)
{
	char link[300];

	snprintf(link, sizeof link, "/proc/%s/exe", pid);
	ssize_t k = readlink(link, buf, n - 1);
	buf[k > 0 ? k : 0] = '\0';
	/* The file removed while it runs: the kernel says so after the name. */
	char *del = strstr(buf, " (deleted)");
	if (del && del[10] == '\0')
		*del = '\0';
}

/* The first argument of pid's command line, which any user may read (its
 * executable may not be: a process of another user, without CAP_SYS_PTRACE,
 * as in a container, even for root). */
static void
argv0_of(const char *pid, char *buf, size_t n)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
	buf[0] = '\0';
	if (!(f = fopen(path, "r")))
		return;
	size_t k = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[k] = '\0';	/* the first argument ends at its NUL */
}

/* Alive and not a zombie: a killed hog whose parent has not reaped it yet
 * holds no memory and no CPU any more. */
static int
alive(long pid)
{
	char path[64], buf[512];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static int
stop(void)
{
	long pids[256];
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d) {
		fprintf(stderr, "bi-hog: /proc: %s\n", strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) && n < (int)(sizeof pids / sizeof *pids)) {
		char exe[4096], *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		exe_of(e->d_name, exe, sizeof exe);
		if (!*exe)
			argv0_of(e->d_name, exe, sizeof exe);
		if (!strcmp(exe, self) && kill((pid_t)pid, SIGKILL) == 0)
			pids[n++] = pid;
	}
	closedir(d);
	/* Wait (at most 2 s) until they are gone: their memory is then free. */
	int left = n;
	for (int i = 0; i < 200 && left > 0; i++) {
		left = 0;
		for (int k = 0; k < n; k++)
			left += alive(pids[k]);
		if (left)
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	if (unlink(self) != 0 && errno != ENOENT) {
		fprintf(stderr, "bi-hog: cannot remove %s: %s\n", self, strerror(errno));
		return 1;
	}
	if (left) {
		fprintf(stderr, "bi-hog: %d of %d still running\n", left, n);
		return 1;
	}
	printf("bi-hog: stopped %d\n", n);
	return 0;
}

/* RATE lines a second, in batches of a hundredth of a second, each batch
 * on time by the monotonic clock; then exit (the alarm as a backstop). */
static int
storm(long rate, long secs)
{
	struct timespec t0, now;
	long per = rate / 100 > 0 ? rate / 100 : 1, n = 0, total = rate * secs;
	char buf[1 << 16];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long batch = 0; n < total; batch++) {
		size_t len = 0;
		for (long i = 0; i < per && n < total; i++, n++) {
			len += (size_t)snprintf(buf + len, sizeof buf - len, "bi-hog line %ld\n", n);
			if (len > sizeof buf - 64) {
				if (fwrite(buf, 1, len, stdout) != len)
					return 1;
				len = 0;
			}
		}
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
			return 1;
		/* Sleep until this batch's hundredth of a second is over. */
		long long due = (batch + 1) * 10000000LL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long spent = (now.tv_sec - t0.tv_sec) * 1000000000LL + (now.tv_nsec - t0.tv_nsec);
		if (spent < due) {
			struct timespec d = {(time_t)((due - spent) / 1000000000LL),
					     (long)((due - spent) % 1000000000LL)};
			nanosleep(&d, NULL);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	exe_of("self", self, sizeof self);
	/* Only the copy bi-chaos puts in a container removes itself (and only
	 * it is what `stop` removes): run from where it is installed, the file
	 * stays. */
	if (strcmp(self, "/tmp/bi-hog"))
		*self = '\0';
	if (argc == 2 && !strcmp(argv[1], "stop"))
		return *self ? stop() : 1;
	if (argc != 4 || (strcmp(argv[1], "mem") && strcmp(argv[1], "cpu") && strcmp(argv[1], "log"))) {
		fprintf(stderr, "usage: bi-hog mem MIB SECONDS | bi-hog cpu WORKERS SECONDS |\n"
				"       bi-hog log RATE SECONDS | bi-hog stop\n");
		return 2;
	}
	long n = atol(argv[2]), secs = atol(argv[3]);
	if (n <= 0 || secs <= 0 || n > 1 << 20) {
		fprintf(stderr, "bi-hog: bad numbers\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	if (!strcmp(argv[1], "log")) {
		alarm((unsigned)secs * 2 + 10);
		return storm(n, secs);
	}
	alarm((unsigned)secs);
	if (!strcmp(argv[1], "cpu")) {
		pthread_t t;
		for (long i = 1; i < n; i++)
			pthread_create(&t, NULL, spin, NULL);
		spin(NULL);
	}
	long page = sysconf(_SC_PAGESIZE);
	for (long i = 0; i < n; i++) {
		char *p = malloc(1 << 20);
		if (!p)
			break;
		for (long k = 0; k < 1 << 20; k += page)
			p[k] = (char)k;	/* resident, not just reserved */
	}
	printf("bi-hog: holding %ld MiB for %ld s\n", n, secs);
	fflush(stdout);
	for (;;)
		pause();
}
