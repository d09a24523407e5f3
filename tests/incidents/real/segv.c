/* segv: a job runner that trusts its input. Each job names the job it
 * continues; a job whose parent is missing makes it follow a NULL pointer,
 * and the kernel kills it with SIGSEGV (exit status 139 under Docker). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct job {
	int id;
	struct job *parent;
	char name[32];
};

static struct job *jobs[64];

static void
say(const char *level, const char *fmt, int a, const char *b)
{
	char ts[32];
	time_t t = time(NULL);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("%s %s ", ts, level);
	printf(fmt, a, b);
	putchar('\n');
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	int bad = argc > 1 ? atoi(argv[1]) : 12;

	for (int i = 0; i < 64; i++) {
		struct job *j = calloc(1, sizeof *j);
		j->id = i;
		snprintf(j->name, sizeof j->name, "job-%d", i);
		/* the bad job's parent was never loaded */
		j->parent = i == 0 || i == bad ? NULL : jobs[i - 1];
		jobs[i] = j;
	}
	for (int i = 1; i < 64; i++) {
		say("INFO", "running job %d after %s", i, jobs[i]->parent->name);
		usleep(300000);
	}
	return 0;
}
