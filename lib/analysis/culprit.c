/*
 * culprit.c: the service at fault for a problem, which is not always the
 * one that logged it. A cart that cannot reach Redis complains; Redis is at
 * fault. Where several services show symptoms, the culprit is the one the
 * records name as the others' trouble: a host their connection errors name
 * (as clients print it), a dependency whose container stopped as the trouble
 * began, one they depend on (compose's depends_on) that was in trouble, one
 * whose trouble began first, more so of the same kind, one whose own state
 * changed (restarted, a commit to its files), one whose container went down
 * in the minute before, the server whose error reply (bi_kb_reply) a
 * client relays, when it is a client of one, or when one other service
 * logged that very reply then; one whose trouble began first
 * when the errors name another host by address (an IP, which no record
 * maps to a service); the callee of timed-out requests, whose answers found
 * the caller gone (a broken pipe as it wrote) while the caller's requests
 * of that kind failed (and by address again when the caller's errors name
 * one: a callee's sign comes after its caller gave up, not first). Each
 * way weighs (3, 3, 2, 2, 1, 1, 2, 1, 2) and a
 * culprit needs 3: one inference from time alone is not enough,
 * two are. Among equals what was seen (a name, a stop) beats what the times
 * suggest. A complainer that itself changed just before its errors name a
 * host no record knows keeps the blame: its own new address or setting is
 * the likelier fault. A service whose clients gave up on it is the slow
 * one: that their timeouts began first says nothing. Where the records
 * hold traces, a service whose own spans failed under the complainer's
 * failed calls is seen at fault (3), or the service under its failed calls
 * in those traces, to the deepest: the trace shows who failed whom.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/culprit.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/symptom.h"

#define MAX_CANDS 64		/* services weighed for one problem */
#define DOWN_BEFORE (60 * 1000000000LL)	/* a container down this long before */

static int
host_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* The host name at p, into out: a letter first (no address), not
 * localhost; its length, or 0. */
static size_t
host_at(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	while (host_char((unsigned char)p[n]) && n + 1 < cap)
		n++;
	while (n && (p[n - 1] == '.' || p[n - 1] == '-'))
		n--;
	memcpy(out, p, n);
	out[n] = '\0';
	if (!n || !isalpha((unsigned char)out[0]) || !strcasecmp(out, "localhost"))
		return 0;
	return n;
}

/* bi_culprit_host: the host a connection error names, as clients print it: Go's "dial tcp
 * HOST:PORT", Node's "ECONNREFUSED HOST:PORT" and "ENOTFOUND HOST", redis-py's
 * "connecting to HOST:PORT", libpq's 'host "HOST"' and 'server at "HOST"',
 * urllib3's "host='HOST'", PgJDBC's "Connection to HOST:PORT", Go's
 * "lookup HOST on", a URL, Java's "HOST/10.0.0.7:PORT", glibc's "HOST: Name
 * or service not known"; or a known service's "NAME:PORT". 1 with it in
 * out, else 0. */
int
bi_culprit_host(bi_symptoms *set, const char *text, char *out, size_t cap)
{
	static const struct { const char *before; char then; } forms[] = {
		{"dial tcp ", ':'}, {"dial udp ", ':'}, {"ECONNREFUSED ", ':'},
		{"ETIMEDOUT ", ':'}, {"EHOSTUNREACH ", ':'}, {"ENOTFOUND ", 0},
		{"EAI_AGAIN ", 0}, {"connecting to ", ':'}, {"connect to ", ':'},
		{"Redis at ", ':'}, {"host \"", '"'}, {"host name \"", '"'}, {"server at \"", '"'},
		{"host='", '\''}, {"Connection to ", ':'}, {"lookup ", ' '}, {"://", 0}};
	static const char *const after[] = {": Name or service not known",
		": Temporary failure in name resolution", ": nodename nor servname", NULL};

	for (size_t k = 0; text && k < sizeof forms / sizeof *forms; k++)
		for (const char *p = strcasestr(text, forms[k].before); p;
		     p = strcasestr(p + 1, forms[k].before)) {
			const char *h = p + strlen(forms[k].before);
			size_t n = host_at(h, out, cap);
			if (n && (!forms[k].then || (h[n] == forms[k].then &&
			    (forms[k].then != ':' || isdigit((unsigned char)h[n + 1])))))
				return 1;
		}
	for (const char *const *a = after; text && *a; a++) {
		const char *q = strstr(text, *a), *h = q;
		while (h && h > text && host_char((unsigned char)h[-1]))
			h--;
		if (q && q > h && host_at(h, out, cap) == (size_t)(q - h))
			return 1;
	}
	/* Java's InetSocketAddress, "NAME/10.0.0.7:5432". */
	for (const char *p = text; p && (p = strchr(p, '/')); p++) {
		const char *h = p;
		unsigned d[4];
		int used = 0;
		while (h > text && host_char((unsigned char)h[-1]))
			h--;
		if (p > h && (h == text || !strchr("/:", h[-1])) &&
		    host_at(h, out, cap) == (size_t)(p - h) &&
		    sscanf(p + 1, "%3u.%3u.%3u.%3u:%n", &d[0], &d[1], &d[2], &d[3], &used) == 4 && used)
			return 1;
	}
	for (const char *p = text; p && (p = strchr(p, ':')); p++) {
		const char *h = p;
		while (h > text && host_char((unsigned char)h[-1]))
			h--;
		if (p > h && isdigit((unsigned char)p[1]) && host_at(h, out, cap) == (size_t)(p - h) &&
		    bi_symptoms_service(set, out))
			return 1;
	}
	if (cap)
		out[0] = '\0';
	return 0;
}

/* Ways a service is told to be the culprit, each counted once, and what
 * each weighs (a culprit needs 3). */
enum { BY_HOST, BY_STOP, BY_DEPENDS, BY_FIRST, BY_SAME, BY_CHANGE, BY_DOWN, BY_ADDR, BY_CALLEE,
       BY_TRACE, BY_N };
static const int by_weight[BY_N] = {3, 3, 2, 2, 1, 1, 2, 1, 2, 3};

/* Does text name a remote IPv4 address with a port ("10.0.0.7:5432",
 * nginx's upstream "http://192.168.208.2:8000/"), not a loopback one? The
 * fault is then another host's, though not which. */
static int
names_address(const char *text)
{
	for (const char *p = text; p && *p; p++) {
		unsigned d[4], port;
		int used = 0;
		if (!isdigit((unsigned char)*p) || (p > text && (isalnum((unsigned char)p[-1]) ||
								 p[-1] == '.')))
			continue;
		if (sscanf(p, "%3u.%3u.%3u.%3u:%5u%n", &d[0], &d[1], &d[2], &d[3], &port, &used) == 5 &&
		    used && d[0] != 127 && d[0] != 0 && d[0] < 256 && d[1] < 256 && d[2] < 256 &&
		    d[3] < 256)
			return 1;
	}
	return 0;
}

struct cand {
	const char *name;
	unsigned by;
	int64_t ts;
	char *why;
};

static void
cand_add(struct cand *c, size_t *n, const char *name, int by, int64_t ts, char *why)	/* takes why */
{
	size_t i = 0;

	while (i < *n && strcmp(c[i].name, name))
		i++;
	if (i == *n) {
		if (*n == MAX_CANDS) {
			free(why);
			return;
		}
		c[(*n)++] = (struct cand){.name = name};
	}
	if (c[i].by & (1u << by)) {
		free(why);
		return;
	}
	c[i].by |= 1u << by;
	if (ts && (!c[i].ts || ts < c[i].ts))
		c[i].ts = ts;
	if (!c[i].why) {
		c[i].why = why;
	} else if (why) {	/* every way it was told, in the order found */
		char *both = bi_asprintf("%s, and %s", c[i].why, why);
		free(c[i].why);
		free(why);
		c[i].why = both;
	}
}

static int
cand_score(const struct cand *c)
{
	int s = 0;
	for (int b = 0; b < BY_N; b++)
		s += c->by & (1u << b) ? by_weight[b] : 0;
	return s;
}

/* What culprit() reads, indexed once for all the problems: each service's
 * problem symptoms' first times by pattern, sorted; each commit's time and
 * files. */
struct svc_ix {
	const bi_service *sv;
	int64_t **first;	/* [pattern + 1]: -1 (none) first */
	size_t *n;
	int64_t gone;		/* its first write that found its client gone; 0 if none */
	int gone_pattern;
};

struct commit_ix {
	int64_t ts;
	char **files;
	size_t nfiles;
};

/* A failed call seen in a trace: a span of `to` that ended in error under
 * a span of `from`, another service, that ended in error too (the caller
 * saw it fail: a call retried to success is none). */
struct call {
	const char *from, *to;
	int64_t ts;
	const char *trace;
	uint64_t th;		/* the trace's hash */
};

struct bi_culprits {
	bi_symptoms *set;
	size_t npats;
	struct svc_ix *ix;
	size_t nix;
	size_t *slot, nslots;	/* a hash of the services' names: ix index + 1, 0 empty */
	struct commit_ix *commits;
	size_t ncommits;
	struct call *calls;
	size_t ncalls;
};

static struct svc_ix *
ix_of(const bi_culprits *c, const char *name)
{
	if (!c->nslots)
		return NULL;
	for (size_t h = bi_hash64(name, strlen(name)) % c->nslots;; h = (h + 1) % c->nslots) {
		if (!c->slot[h])
			return NULL;
		if (!strcmp(c->ix[c->slot[h] - 1].sv->name, name))
			return &c->ix[c->slot[h] - 1];
	}
}

static int
by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

bi_culprits *
bi_culprits_new(bi_symptoms *set, size_t npats, const jv *commits, size_t ncommits)
{
	bi_culprits *c = bi_calloc(1, sizeof *c);

	c->set = set;
	c->npats = npats;
	for (const bi_service *sv = bi_symptoms_services(set); sv; sv = sv->next)
		c->nix++;
	c->ix = bi_calloc(c->nix ? c->nix : 1, sizeof *c->ix);
	c->nslots = 2 * c->nix + 1;
	c->slot = bi_calloc(c->nslots, sizeof *c->slot);
	size_t i = 0;
	for (const bi_service *sv = bi_symptoms_services(set); sv; sv = sv->next, i++) {
		c->ix[i].sv = sv;
		c->ix[i].first = bi_calloc(npats + 1, sizeof *c->ix[i].first);
		c->ix[i].n = bi_calloc(npats + 1, sizeof *c->ix[i].n);
		size_t h = bi_hash64(sv->name, strlen(sv->name)) % c->nslots;
		while (c->slot[h])
			h = (h + 1) % c->nslots;
		c->slot[h] = i + 1;
	}
	for (const bi_symptom *s = bi_symptoms_list(set); s; s = s->next) {
		struct svc_ix *x = s->problem && s->first ? ix_of(c, s->service) : NULL;
		size_t p = s->pattern >= 0 && (size_t)s->pattern < npats ? (size_t)s->pattern + 1 : 0;
		if (!x)
			continue;
		if (s->gone && (!x->gone || s->first < x->gone)) {
			x->gone = s->first;
			x->gone_pattern = s->pattern;
		}
		x->first[p] = bi_realloc(x->first[p], (x->n[p] + 1) * sizeof *x->first[p]);
		x->first[p][x->n[p]++] = s->first;
	}
	for (i = 0; i < c->nix; i++)
		for (size_t p = 0; p <= npats; p++)
			if (c->ix[i].n[p] > 1)
				qsort(c->ix[i].first[p], c->ix[i].n[p], sizeof (int64_t), by_time);
	c->commits = bi_calloc(ncommits ? ncommits : 1, sizeof *c->commits);
	for (i = 0; i < ncommits; i++) {
		struct commit_ix *k = &c->commits[c->ncommits];
		jv files = jv_object_get(jv_copy(commits[i]), jv_string("files"));
		k->ts = bi_record_ts(commits[i]);
		if (jv_get_kind(files) == JV_KIND_ARRAY)
			jv_array_foreach(files, j, fl) {
				if (jv_get_kind(fl) == JV_KIND_STRING) {
					k->files = bi_realloc(k->files, (k->nfiles + 1) * sizeof *k->files);
					k->files[k->nfiles++] = bi_strdup(jv_string_value(fl));
				}
				jv_free(fl);
			}
		jv_free(files);
		if (k->ts && k->nfiles)
			c->ncommits++;
		else
			free(k->files);
	}
	return c;
}

void
bi_culprits_free(bi_culprits *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nix; i++) {
		for (size_t p = 0; p <= c->npats; p++)
			free(c->ix[i].first[p]);
		free(c->ix[i].first);
		free(c->ix[i].n);
	}
	for (size_t i = 0; i < c->ncommits; i++) {
		for (size_t j = 0; j < c->commits[i].nfiles; j++)
			free(c->commits[i].files[j]);
		free(c->commits[i].files);
	}
	free(c->commits);
	free(c->calls);
	free(c->ix);
	free(c->slot);
	free(c);
}

uint64_t
bi_culprit_span_id(const char *hex)
{
	uint64_t v = 0;
	size_t n = 0;

	for (; hex && isxdigit((unsigned char)hex[n]) && n < 16; n++)
		v = v << 4 | (uint64_t)(isdigit((unsigned char)hex[n]) ? hex[n] - '0'
							       : tolower((unsigned char)hex[n]) - 'a' + 10);
	return hex && !hex[n] ? v : 0;
}

void
bi_culprits_spans(bi_culprits *c, const bi_culprit_span *sp, size_t n)
{
	size_t nslots = 2 * n + 1;
	size_t *slot = bi_calloc(nslots, sizeof *slot);	/* by trace and id: index + 1, 0 empty */
	uint64_t *th = bi_calloc(n ? n : 1, sizeof *th);

	/* By trace and id: ids that repeat across traces (a tracer counting
	 * from 1) must not pile up in one run of slots. */
	for (size_t i = 0; i < n; i++) {
		th[i] = bi_hash64(sp[i].trace, strlen(sp[i].trace));
		size_t h = (th[i] ^ sp[i].id) % nslots;
		while (slot[h])
			h = (h + 1) % nslots;
		slot[h] = i + 1;
	}
	free(c->calls);
	c->calls = bi_calloc(n ? n : 1, sizeof *c->calls);
	c->ncalls = 0;
	for (size_t i = 0; i < n; i++) {
		const bi_culprit_span *s = &sp[i], *up = NULL;
		if (!s->error || !s->parent || !s->service)
			continue;
		for (size_t h = (th[i] ^ s->parent) % nslots; slot[h] && !up; h = (h + 1) % nslots) {
			const bi_culprit_span *p = &sp[slot[h] - 1];
			if (p->id == s->parent && th[slot[h] - 1] == th[i] && !strcmp(p->trace, s->trace))
				up = p;
		}
		if (up && up->error && up->service && strcmp(up->service, s->service))
			c->calls[c->ncalls++] = (struct call){up->service, s->service, s->ts, s->trace,
							      th[i]};
	}
	free(th);
	free(slot);
}

/* Down the failed calls of the traces from path[0], from..to: at each
 * service the callee whose spans failed under its calls the most often
 * (the earliest among equals), none twice, to the deepest, into path
 * (MAX_HOPS + 1 long); the last, path[0] when there is none. Below the
 * first, only calls in the traces of the calls followed (the first
 * MAX_VIA): the same failure on its way down, not another client's. *ts
 * gets the first such call to it, *trace one trace of it, *hops how many
 * services down. */
enum { MAX_HOPS = 8, MAX_TALLY = 16, MAX_VIA = 64 };

static int
in_traces(const uint64_t *via, size_t n, uint64_t th)
{
	for (size_t i = 0; i < n; i++)
		if (via[i] == th)
			return 1;
	return 0;
}

static const char *
callee_at_fault(const bi_culprits *c, const char **path, int64_t from, int64_t to, int64_t *ts,
		const char **trace, size_t *hops)
{
	uint64_t via[MAX_VIA];
	size_t nvia = 0;

	*hops = 0;
	while (*hops < MAX_HOPS) {
		struct tally { const char *to, *trace; size_t n; int64_t ts; } t[MAX_TALLY];
		size_t nt = 0, best = 0;
		for (size_t i = 0; i < c->ncalls; i++) {
			const struct call *k = &c->calls[i];
			int seen = 0;
			if (k->ts < from || k->ts > to || strcmp(k->from, path[*hops]) ||
			    (*hops && !in_traces(via, nvia, k->th)))
				continue;
			for (size_t j = 0; j <= *hops; j++)
				seen |= !strcmp(path[j], k->to);
			size_t j = 0;
			while (j < nt && strcmp(t[j].to, k->to))
				j++;
			if (seen || (j == nt && nt == MAX_TALLY))
				continue;
			if (j == nt)
				t[nt++] = (struct tally){k->to, k->trace, 0, k->ts};
			t[j].n++;
			if (k->ts < t[j].ts) {
				t[j].ts = k->ts;
				t[j].trace = k->trace;
			}
		}
		if (!nt)
			break;
		for (size_t j = 1; j < nt; j++)
			if (t[j].n > t[best].n || (t[j].n == t[best].n && t[j].ts < t[best].ts))
				best = j;
		uint64_t next[MAX_VIA];	/* the traces of the calls followed */
		size_t n = 0;
		for (size_t i = 0; i < c->ncalls && n < MAX_VIA; i++) {
			const struct call *k = &c->calls[i];
			if (k->ts >= from && k->ts <= to && !strcmp(k->from, path[*hops]) &&
			    !strcmp(k->to, t[best].to) && (!*hops || in_traces(via, nvia, k->th)) &&
			    !in_traces(next, n, k->th))
				next[n++] = k->th;
		}
		memcpy(via, next, n * sizeof *via);
		nvia = n;
		path[++*hops] = t[best].to;
		*ts = t[best].ts;
		*trace = t[best].trace;
	}
	return path[*hops];
}

/* A service's trouble from..to: its first problem symptom there, or its
 * container dying or running out of memory; 0 when none. *same: one of
 * them is of pattern. */
static int64_t
trouble(const bi_culprits *c, const struct svc_ix *x, int64_t from, int64_t to, int *same,
	int pattern)
{
	int64_t first = 0;

	*same = 0;
	for (size_t p = 0; p <= c->npats; p++) {
		size_t lo = 0, hi = x->n[p];
		while (lo < hi) {	/* the first at or after from */
			size_t mid = lo + (hi - lo) / 2;
			if (x->first[p][mid] < from)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == x->n[p] || x->first[p][lo] > to)
			continue;
		if (!first || x->first[p][lo] < first)
			first = x->first[p][lo];
		*same |= pattern >= 0 && (size_t)pattern + 1 == p;
	}
	for (size_t i = 0; i < bi_service_nevents(x->sv); i++) {
		const bi_container_event *e = bi_service_event(x->sv, i);
		if (e->ts >= from && e->ts <= to && (!strcmp(e->action, "oom") ||
		    (!strcmp(e->action, "die") && e->exit_code)) && (!first || e->ts < first))
			first = e->ts;
	}
	return first;
}

/* Does a commit's path name the service: a directory or a file stem of
 * that name ("services/payments/main.go", "deploy/payments.yaml")? */
static int
path_names(const char *path, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = path; p && *p; p += strcspn(p, "/"), p += *p == '/') {
		size_t k = strcspn(p, "/");
		if (k >= n && !strncmp(p, name, n) && (k == n || p[n] == '.'))
			return 1;
	}
	return 0;
}

/* When its container went down (stopped, died, killed) from..to, the first
 * time; 0 when it did not. */
static int64_t
went_down(bi_symptoms *set, const char *name, int64_t from, int64_t to)
{
	const bi_service *sv = bi_symptoms_service(set, name);

	for (size_t i = 0; sv && i < bi_service_nevents(sv); i++) {
		const bi_container_event *e = bi_service_event(sv, i);
		if (e->ts >= from && e->ts <= to && (!strcmp(e->action, "die") ||
		    !strcmp(e->action, "stop") || !strcmp(e->action, "kill") || !strcmp(e->action, "oom")))
			return e->ts;
	}
	return 0;
}

/* When its container started again after it had stopped or died, from..to;
 * 0 when it did not. */
static int64_t
restarted(bi_symptoms *set, const char *name, int64_t from, int64_t to)
{
	const bi_service *sv = bi_symptoms_service(set, name);
	int down = 0;

	for (size_t i = 0; sv && i < bi_service_nevents(sv); i++) {
		const bi_container_event *e = bi_service_event(sv, i);
		if (!strcmp(e->action, "die") || !strcmp(e->action, "stop"))
			down = 1;
		if (e->ts >= from && e->ts <= to && (!strcmp(e->action, "restart") ||
		    (down && !strcmp(e->action, "start"))))
			return e->ts;
	}
	return 0;
}

/* When a commit changed its files, from..to; 0 when none did. */
static int64_t
committed(const bi_culprits *c, const char *name, int64_t from, int64_t to)
{
	for (size_t i = 0; i < c->ncommits; i++) {
		const struct commit_ix *k = &c->commits[i];
		if (k->ts < from || k->ts > to)
			continue;
		for (size_t j = 0; j < k->nfiles; j++)
			if (path_names(k->files[j], name))
				return k->ts;
	}
	return 0;
}

int64_t
bi_culprit_changed(const bi_culprits *c, const char *name, int64_t from, int64_t to)
{
	int64_t r = restarted(c->set, name, from, to), k = committed(c, name, from, to);
	return r && (!k || r < k) ? r : k;
}

/* The server whose error reply a symptom of me relays (Redis's "OOM
 * command not allowed"): the one known service me is a client of (names
 * as NAME:PORT in its lines, or depends on); NULL when none, or several. */
static const char *
reply_server(bi_symptoms *set, const char *me, const bi_symptom *s)
{
	const bi_service *mine = s->reply ? bi_symptoms_service(set, me) : NULL;
	const char *one = NULL;

	for (size_t i = 0; mine && i < mine->npeers + mine->ndeps; i++) {
		const char *x = i < mine->npeers ? mine->peers[i] : mine->deps[i - mine->npeers];
		if (one && strcmp(one, x))
			return NULL;
		one = x;
	}
	return one && bi_symptoms_service(set, one) ? bi_symptoms_service(set, one)->name : NULL;
}

/* The server whose error reply a symptom of me relays, when no record says
 * whom me is a client of: the one other service that logged that very
 * reply (the client's message within its own line, of the same pattern) in
 * the same stretch of time; NULL when none, or several. */
static const char *
reply_echo(bi_symptoms *set, const char *me, const bi_symptom *s)
{
	const char *one = NULL;
	const char *msg = s->reply && s->sample ? s->sample : "";

	while (*msg == ' ' || *msg == '\t')
		msg++;
	if (strlen(msg) < 12)	/* too short to be one reply's words */
		return NULL;
	for (const bi_symptom *o = bi_symptoms_list(set); o; o = o->next) {
		if (!o->problem || !o->reply || o->pattern != s->pattern || !o->sample ||
		    !strcmp(o->service, me) || !strcmp(o->service, "-") ||
		    o->first > s->last || o->last < s->first - BI_CULPRIT_WINDOW ||
		    !strstr(o->sample, msg))
			continue;
		if (one && strcmp(one, o->service))
			return NULL;
		one = o->service;
	}
	return one;
}

const char *
bi_culprit(bi_culprits *ctx, const bi_problem *f, char **why)
{
	bi_symptoms *set = ctx->set;
	struct cand c[MAX_CANDS];
	size_t n = 0;
	const char *me = f->service;
	char host[64];
	/* A service that changed just before its errors name a host no record
	 * knows: its own change (an address, a setting) is the likelier fault. */
	int me_changed = bi_culprit_changed(ctx, me, f->first - BI_CULPRIT_WINDOW, f->first) != 0;

	int addr = 0;	/* its errors name another host by address */
	int gone = 0;	/* its clients gave up on it: it is the slow one */
	for (size_t i = 0; i < f->nsyms; i++) {
		const bi_symptom *s = f->syms[i];
		gone |= s->gone && !strcmp(s->service, me);
		if (s->kind == BI_SYMPTOM_STOPPED && strcmp(s->service, me))
			cand_add(c, &n, s->service, BY_STOP, s->first,
				 bi_asprintf("its container stopped as %s's trouble began", me));
		if (!s->problem || s->pattern < 0 || s->pattern != f->pattern || strcmp(s->service, me))
			continue;
		char *text = bi_asprintf("%s\n%s", s->sample ? s->sample : "", s->stack ? s->stack : "");
		const bi_service *sv = NULL;
		int found = bi_culprit_host(set, text, host, sizeof host);
		addr |= !found && names_address(text);
		if (found) {
			sv = bi_symptoms_service(set, host);
			/* A service by its DNS name: "redis.shop.svc.cluster.local". */
			char label[64];
			size_t dot = strcspn(host, ".");
			if (!sv && host[dot] && dot < sizeof label) {
				memcpy(label, host, dot);
				label[dot] = '\0';
				sv = bi_symptoms_service(set, label);
			}
		}
		const char *name = sv ? sv->name : host;
		if (found && strcmp(name, me) && (sv || !me_changed))
			cand_add(c, &n, sv ? sv->name : bi_symptoms_name(set, host), BY_HOST,
				 s->first, bi_asprintf("%s's errors name it (%s)", me, host));
		const char *server = found ? NULL : reply_server(set, me, s);
		if (!server && !found)
			server = reply_echo(set, me, s);
		if (server)
			cand_add(c, &n, server, BY_HOST, s->first,
				 bi_asprintf("%s relays its error reply, and is its client", me));
		free(text);
	}
	const bi_service *mine = bi_symptoms_service(set, me);
	for (size_t x = 0; x < ctx->nix; x++) {
		const bi_service *sv = ctx->ix[x].sv;
		if (!strcmp(sv->name, me) || !strcmp(sv->name, "-"))
			continue;
		int same, dep = 0;
		for (size_t k = 0; mine && k < mine->ndeps; k++)
			dep |= !strcmp(mine->deps[k], sv->name);
		int64_t t = trouble(ctx, &ctx->ix[x], f->first - BI_CULPRIT_WINDOW, f->last, &same,
				    f->pattern);
		if (dep && t)
			cand_add(c, &n, sv->name, BY_DEPENDS, t,
				 bi_asprintf("%s depends on it, and it was in trouble", me));
		/* Its clients gave up on me: their timeouts come first, as
		 * effects of mine, and their time says nothing. */
		if (t && t < f->first && !gone) {
			cand_add(c, &n, sv->name, BY_FIRST, t,
				 bi_asprintf("its trouble began before %s's", me));
			if (addr)
				cand_add(c, &n, sv->name, BY_ADDR, t,
					 bi_asprintf("%s's errors name another host by its address", me));
			if (same)
				cand_add(c, &n, sv->name, BY_SAME, t, NULL);
		}
		/* Timed out on: its writes found its clients gone while my
		 * requests of that kind failed. A callee answers after its
		 * caller gave up, so its sign comes later, not first; an
		 * address in my errors (nginx's upstream) points the same way. */
		int64_t g = ctx->ix[x].gone;
		if (g && ctx->ix[x].gone_pattern == f->pattern && !gone &&
		    g >= f->first - BI_CULPRIT_WINDOW && g <= f->last + BI_CULPRIT_WINDOW) {
			cand_add(c, &n, sv->name, BY_CALLEE, g,
				 bi_asprintf("its answers found %s's requests gone: it is the callee they "
					     "timed out on", me));
			if (addr)
				cand_add(c, &n, sv->name, BY_ADDR, g,
					 bi_asprintf("%s's errors name another host by its address", me));
		}
		/* Down in the minute before, though its stop joined no symptom
		 * of this kind: a likely cause, not a sure one. A crash is
		 * counted as its trouble already. */
		int64_t down = t ? 0 : went_down(set, sv->name, f->first - DOWN_BEFORE, f->first);
		if (down)
			cand_add(c, &n, sv->name, BY_DOWN, down,
				 bi_asprintf("its container went down just before %s's trouble", me));
		/* A restart after its own crash is that trouble again, not news. */
		int64_t ch = committed(ctx, sv->name, f->first - BI_CULPRIT_WINDOW, f->first);
		if (!ch && !t)
			ch = restarted(set, sv->name, f->first - BI_CULPRIT_WINDOW, f->first);
		if (ch)
			cand_add(c, &n, sv->name, BY_CHANGE, ch,
				 bi_asprintf("it changed (restarted, or a commit) before %s's trouble", me));
		for (size_t i = 0; dep && i < n; i++)	/* named or stopped, and depended on */
			if (!strcmp(c[i].name, sv->name))
				cand_add(c, &n, sv->name, BY_DEPENDS, c[i].ts, NULL);
	}
	/* What the traces show: my calls failed because its own spans did. */
	int64_t ts = 0;
	const char *trace = NULL, *path[MAX_HOPS + 1] = {me};
	size_t hops;
	const char *callee = callee_at_fault(ctx, path, f->first - BI_CULPRIT_WINDOW, f->last, &ts,
					     &trace, &hops);
	if (hops) {
		bi_buf via = {0};
		for (size_t i = 1; i < hops; i++)
			bi_buf_printf(&via, "%s%s", i > 1 ? ", then " : " through ", path[i]);
		cand_add(c, &n, bi_symptoms_name(set, callee), BY_TRACE, ts,
			 bi_asprintf("its spans failed under %s's calls%s (trace %.16s)", me,
				     via.p ? via.p : "", trace));
		bi_buf_free(&via);
	}
	/* The most told; among equals, the one seen directly (named,
	 * stopped, or failing in a trace) before one inferred from time;
	 * then the earliest. */
	size_t best = n;
	unsigned direct = 1u << BY_HOST | 1u << BY_STOP | 1u << BY_TRACE;
	for (size_t i = 0; i < n; i++) {
		int si = cand_score(&c[i]), sb = best < n ? cand_score(&c[best]) : 0;
		if (si < 3 || (best < n && si < sb))
			continue;
		if (best == n || si > sb || (!!(c[i].by & direct) > !!(c[best].by & direct)) ||
		    (!!(c[i].by & direct) == !!(c[best].by & direct) && c[i].ts < c[best].ts))
			best = i;
	}
	const char *out = best < n ? c[best].name : me;
	*why = NULL;
	if (best < n) {
		*why = c[best].why;
		c[best].why = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(c[i].why);
	return out;
}
