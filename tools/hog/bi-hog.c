/*
 * bi-hog: a small static helper that bi-chaos copies into a container and runs
 * there, so that the pressure lands in the container's own cgroup.
 *
 *   bi-hog mem MIB SECONDS   allocate MIB mebibytes, touch every page, hold
 *   bi-hog cpu WORKERS SECONDS   spin WORKERS threads
 *
 * It ends by itself after SECONDS (an alarm), whatever happens to its parent,
 * so nothing is left behind if bi-chaos dies. Linked statically: it runs in
 * any Linux container, with or without a libc. No library of ours.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *
spin(void *arg)
{
	volatile unsigned long x = 0;
	(void)arg;
	for (;;)
		x++;
	return NULL;
}

int
main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[1], "mem") && strcmp(argv[1], "cpu"))) {
		fprintf(stderr, "usage: bi-hog mem MIB SECONDS | bi-hog cpu WORKERS SECONDS\n");
		return 2;
	}
	long n = atol(argv[2]), secs = atol(argv[3]);
	if (n <= 0 || secs <= 0 || n > 1 << 20) {
		fprintf(stderr, "bi-hog: bad numbers\n");
		return 2;
	}
	signal(SIGALRM, SIG_DFL);	/* the alarm ends us */
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
