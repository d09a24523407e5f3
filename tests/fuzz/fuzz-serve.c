/* fuzz-serve: the dashboard API's request checks and query building from
 * arbitrary bytes. Input: lines (Host, Origin, Authorization (also read as
 * a Cookie header), then KEY=VALUE
 * parameters; a value may hold a NUL). What the gate lets in is loopback
 * with our port and the token; what the parameter check passes holds no
 * control byte and no "../"; the SQL built holds no byte of the input and
 * runs, its FTS5 match included, on a store of the real schema. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "sources/store.h"
#include "engines/serve.h"

#define TOKEN "fuzz-token-0123456789"

static sqlite3 *db;

static void
setup(void)
{
	static const char *const schema[] = {
		"CREATE TABLE records (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, ts INTEGER NOT NULL,"
		" service TEXT, level INTEGER, hash INTEGER NOT NULL UNIQUE, body TEXT NOT NULL);"
		"CREATE VIRTUAL TABLE logs_fts USING fts5 (msg, stack);"
		"INSERT INTO records VALUES (1, 'log', 1, 'api', 4, 1, '{}');"
		"INSERT INTO logs_fts (rowid, msg, stack) VALUES (1, 'connection refused', '');"};
	char err[256];
	db = bi_store_open_with(":memory:", schema, 1, err, sizeof err);
	if (!db)
		abort();
}

static int
host_is_ours(const char *h)
{
	return h && (!strcasecmp(h, "127.0.0.1:8470") || !strcasecmp(h, "localhost:8470") ||
		     !strcasecmp(h, "[::1]:8470"));
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char *line[3 + BI_SERVE_PARAMS_MAX + 2] = {0};
	size_t len[3 + BI_SERVE_PARAMS_MAX + 2] = {0};
	int nl = 0;
	const char *p = (const char *)data, *end = p + n;

	if (!db)
		setup();
	while (p < end && nl < (int)(sizeof line / sizeof line[0])) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t k = e ? (size_t)(e - p) : (size_t)(end - p);
		line[nl] = bi_malloc(k + 1);
		memcpy(line[nl], p, k);
		line[nl][k] = '\0';
		len[nl++] = k;
		p += k + 1;
	}

	bi_serve s = {.token = TOKEN, .port = 8470};
	const char *why;
	const char *host = nl > 0 ? line[0] : NULL, *origin = nl > 1 && len[1] ? line[1] : NULL;
	const char *auth = nl > 2 ? line[2] : NULL;
	int st = bi_serve_gate(&s, host, origin, auth, (int64_t)n * 1000, &why);
	if (st == 0) {
		if (!host_is_ours(host) || strcmp(auth, "Bearer " TOKEN) ||
		    (origin && (strncmp(origin, "http://", 7) || !host_is_ours(origin + 7))) ||
		    n * 1000 > BI_SERVE_BODY_MAX)
			abort();
	} else if ((st != 401 && st != 403 && st != 413) || !why) {
		abort();
	}

	/* The cookie's value: a whole cookie's, so no ';' nor the name in it. */
	char tok[128];
	if (auth && bi_serve_cookie_token(auth, 8470, tok, sizeof tok) == 0) {
		if (strchr(tok, ';') || strlen(tok) >= sizeof tok || !strstr(auth, "bi_token_8470="))
			abort();
	}

	bi_serve_param ps[BI_SERVE_PARAMS_MAX + 2];
	int np = 0;
	for (int i = 3; i < nl; i++) {
		char *eq = memchr(line[i], '=', len[i]);
		size_t kl = eq ? (size_t)(eq - line[i]) : len[i];
		ps[np++] = (bi_serve_param){line[i], eq ? eq + 1 : "", kl, eq ? len[i] - kl - 1 : 0};
	}
	char err[300];
	if (bi_serve_params_ok("/api/logs", ps, np, err, sizeof err) == 0) {
		for (int i = 0; i < np; i++) {
			const bi_serve_param *q = &ps[i];
			for (size_t j = 0; j < q->vlen; j++)
				if ((unsigned char)q->value[j] < 0x20 ||
				    (j + 2 < q->vlen && !memcmp(q->value + j, "../", 3)))
					abort();
		}
		/* Now each value is a C string: cut the keys at their '='. */
		for (int i = 0; i < np; i++)
			((char *)ps[i].key)[ps[i].klen] = '\0';
		bi_serve_query q;
		if (bi_serve_query_parse(ps, np, INT64_C(1795480000000000000), &q, err, sizeof err) == 0) {
			static const char *const kinds[] = {"log", NULL};
			if (q.limit < 1 || q.limit > BI_SERVE_LIMIT_MAX)
				abort();
			q.kinds = kinds;
			bi_buf sql = {0};
			char *match;
			bi_serve_query_sql(&q, &sql, &match);
			if (strpbrk(sql.p, "'\";-"))
				abort();	/* no value, quote or comment in the text */
			sqlite3_stmt *stmt = bi_sql_prepare(db, sql.p);
			if (!stmt || bi_serve_query_bind(stmt, &q, match))
				abort();
			int rc;
			while ((rc = bi_sql_step(stmt)) == 1)
				;
			if (rc < 0)
				abort();	/* the words of q must never be FTS5 syntax */
			sqlite3_finalize(stmt);
			free(match);
			bi_buf_free(&sql);
		}
	}
	for (int i = 0; i < nl; i++)
		free(line[i]);
	return 0;
}
