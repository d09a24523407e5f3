/*
 * agentdb.c: the agents' state, in the project database.
 *
 * The tables are made with CREATE TABLE IF NOT EXISTS after the store's
 * own migrations (store.c), not as a migration of their own: they belong
 * to bi-agent alone, nothing else reads them, and a database made before
 * them gains them the first time an agent is hired. Times in ns. The
 * conversation of a task is kept as JSON, so that a revision goes on
 * where the model left off; each suggestion's revision keeps its changes
 * whole (old and new text), so that a review shows what was proposed even
 * after the files moved on.
 *
 * Layer: analysis.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/agentdb.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/store.h"

static const char tables[] =
	"CREATE TABLE IF NOT EXISTS agent_agents ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  hired INTEGER NOT NULL,"
	"  fired INTEGER);"
	"CREATE INDEX IF NOT EXISTS agent_agents_name ON agent_agents (name, fired);"
	"CREATE TABLE IF NOT EXISTS agent_tasks ("
	"  id INTEGER PRIMARY KEY,"
	"  agent INTEGER NOT NULL REFERENCES agent_agents (id),"
	"  role TEXT NOT NULL,"
	"  task TEXT NOT NULL,"
	"  status TEXT NOT NULL,"		/* working, suggested, done, stopped, failed, accepted, rejected */
	"  revision INTEGER NOT NULL DEFAULT 0,"
	"  steps INTEGER NOT NULL DEFAULT 0,"
	"  tokens INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT,"
	"  messages TEXT,"			/* the conversation, JSON */
	"  branch TEXT,"
	"  commit_sha TEXT,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS agent_tasks_agent ON agent_tasks (agent, id);"
	"CREATE TABLE IF NOT EXISTS agent_steps ("
	"  id INTEGER PRIMARY KEY,"
	"  task INTEGER NOT NULL REFERENCES agent_tasks (id),"
	"  revision INTEGER NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  tool TEXT NOT NULL,"
	"  args TEXT NOT NULL,"
	"  result TEXT NOT NULL,"
	"  error INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS agent_steps_task ON agent_steps (task, revision, id);"
	"CREATE TABLE IF NOT EXISTS agent_suggestions ("
	"  task INTEGER NOT NULL REFERENCES agent_tasks (id),"
	"  revision INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  plan TEXT,"
	"  feedback TEXT,"
	"  changes TEXT NOT NULL,"		/* {path: {old, new}}, JSON */
	"  PRIMARY KEY (task, revision));"
	"CREATE TABLE IF NOT EXISTS agent_outcomes ("
	"  id INTEGER PRIMARY KEY,"
	"  task INTEGER NOT NULL REFERENCES agent_tasks (id),"
	"  revision INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'tests-failed')),"
	"  detail TEXT);"
	"CREATE TABLE IF NOT EXISTS agent_findings ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  runbook TEXT NOT NULL,"
	"  silenced_by TEXT,"
	"  record TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS agent_silences ("
	"  id INTEGER PRIMARY KEY,"
	"  pattern TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  until INTEGER NOT NULL);";

sqlite3 *
bi_agentdb_open(const char *path, char *err, size_t n)
{
	sqlite3 *db = bi_store_open(path, err, n);

	if (db && bi_sql_exec(db, tables) != 0) {
		snprintf(err, n, "%s: %s", path, bi_sql_error(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* Run sql with its text arguments (NULL-terminated after the integers):
 * 0, or -1. Integers first: ni of them. */
static int
run(sqlite3 *db, const char *sql, int ni, const int64_t *ints, const char *const *strs)
{
	sqlite3_stmt *st = bi_sql_prepare(db, sql);
	if (!st)
		return -1;
	for (int i = 0; i < ni; i++)
		sqlite3_bind_int64(st, i + 1, ints[i]);
	for (int i = 0; strs && strs[i]; i++)
		bi_sql_bind_str(st, ni + i + 1, strs[i]);
	int r = bi_sql_run(st);
	sqlite3_finalize(st);
	return r;
}

int
bi_agentdb_hire(sqlite3 *db, const char *name, const char *role)
{
	jv a = bi_agentdb_agent(db, name);
	int taken = jv_get_kind(a) == JV_KIND_OBJECT;

	jv_free(a);
	if (taken)
		return 1;
	int64_t now = bi_now_ns();
	const char *s[] = {name, role, NULL};
	return run(db, "INSERT INTO agent_agents (hired, name, role) VALUES (?, ?, ?)", 1, &now, s);
}

int
bi_agentdb_fire(sqlite3 *db, const char *name)
{
	int64_t now = bi_now_ns();
	const char *s[] = {name, NULL};

	if (run(db, "UPDATE agent_agents SET fired = ? WHERE name = ? AND fired IS NULL", 1, &now, s))
		return -1;
	return sqlite3_changes(db) ? 0 : 1;
}

static jv
col_int(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? jv_null() :
		jv_number((double)sqlite3_column_int64(st, i));
}

jv
bi_agentdb_agent(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT name, role, hired, id FROM agent_agents "
					 "WHERE name = ? AND fired IS NULL ORDER BY id DESC LIMIT 1");
	jv a = jv_null();

	if (!st)
		return jv_invalid();
	bi_sql_bind_str(st, 1, name);
	int r = bi_sql_step(st);
	if (r == 1)
		a = bi_set(bi_set(bi_set(bi_set(jv_object(), "name", bi_sql_col_str(st, 0)),
					 "role", bi_sql_col_str(st, 1)), "hired", bi_sql_col_ts(st, 2)),
			   "id", col_int(st, 3));
	else if (r < 0)
		a = jv_invalid();
	sqlite3_finalize(st);
	return a;
}

jv
bi_agentdb_agents(sqlite3 *db)
{
	sqlite3_stmt *st = bi_sql_prepare(db,
		"SELECT a.name, a.role, a.hired,"
		" (SELECT count(*) FROM agent_tasks t WHERE t.agent = a.id),"
		" (SELECT count(*) FROM agent_outcomes o JOIN agent_tasks t ON o.task = t.id"
		"   WHERE t.agent = a.id AND o.outcome = 'accepted'),"
		" (SELECT count(*) FROM agent_outcomes o JOIN agent_tasks t ON o.task = t.id"
		"   WHERE t.agent = a.id AND o.outcome = 'rejected'),"
		" (SELECT status FROM agent_tasks t WHERE t.agent = a.id ORDER BY t.id DESC LIMIT 1)"
		" FROM agent_agents a WHERE a.fired IS NULL ORDER BY a.name");
	jv out = jv_array();
	int r;

	if (!st) {
		jv_free(out);
		return jv_invalid();
	}
	while ((r = bi_sql_step(st)) == 1) {
		jv a = bi_set(bi_set(jv_object(), "name", bi_sql_col_str(st, 0)), "role", bi_sql_col_str(st, 1));
		a = bi_set(bi_set(a, "hired", bi_sql_col_ts(st, 2)), "tasks", col_int(st, 3));
		a = bi_set(bi_set(a, "accepted", col_int(st, 4)), "rejected", col_int(st, 5));
		out = jv_array_append(out, bi_set(a, "last_status", bi_sql_col_str(st, 6)));
	}
	sqlite3_finalize(st);
	if (r < 0) {
		jv_free(out);
		return jv_invalid();
	}
	return out;
}

jv
bi_agentdb_roles(sqlite3 *db)
{
	sqlite3_stmt *st = bi_sql_prepare(db,
		"SELECT t.role, sum(o.outcome = 'accepted'), sum(o.outcome = 'rejected')"
		" FROM agent_outcomes o JOIN agent_tasks t ON o.task = t.id"
		" WHERE o.outcome IN ('accepted', 'rejected') GROUP BY t.role ORDER BY t.role");
	jv out = jv_array();
	int r;

	if (!st) {
		jv_free(out);
		return jv_invalid();
	}
	while ((r = bi_sql_step(st)) == 1) {
		int64_t acc = sqlite3_column_int64(st, 1), rej = sqlite3_column_int64(st, 2);
		jv x = bi_set(bi_set(jv_object(), "role", bi_sql_col_str(st, 0)), "accepted", jv_number((double)acc));
		x = bi_set(x, "rejected", jv_number((double)rej));
		out = jv_array_append(out, bi_set(x, "rate", acc + rej ? jv_number((double)acc / (double)(acc + rej)) :
						   jv_null()));
	}
	sqlite3_finalize(st);
	if (r < 0) {
		jv_free(out);
		return jv_invalid();
	}
	return out;
}

int64_t
bi_agentdb_task_new(sqlite3 *db, const char *agent, const char *role, const char *text)
{
	jv a = bi_agentdb_agent(db, agent);
	if (jv_get_kind(a) != JV_KIND_OBJECT) {
		jv_free(a);
		return -1;
	}
	int64_t v[] = {(int64_t)bi_get_num(a, "id", 0), bi_now_ns(), bi_now_ns()};
	const char *s[] = {role, text, NULL};
	jv_free(a);
	if (run(db, "INSERT INTO agent_tasks (agent, created, updated, role, task, status)"
		" VALUES (?, ?, ?, ?, ?, 'working')", 3, v, s))
		return -1;
	return sqlite3_last_insert_rowid(db);
}

jv
bi_agentdb_task_latest(sqlite3 *db, const char *agent)
{
	sqlite3_stmt *st = bi_sql_prepare(db,
		"SELECT t.id, a.name, t.role, t.task, t.status, t.revision, t.steps, t.tokens, t.reason,"
		" t.messages, t.branch, t.commit_sha, t.created, t.updated"
		" FROM agent_tasks t JOIN agent_agents a ON t.agent = a.id"
		" WHERE a.name = ? AND a.fired IS NULL ORDER BY t.id DESC LIMIT 1");
	static const char *const names[] = {"id", "agent", "role", "task", "status", "revision", "steps",
		"tokens", "reason", "messages", "branch", "commit", "created", "updated"};
	jv t = jv_null();

	if (!st)
		return jv_invalid();
	bi_sql_bind_str(st, 1, agent);
	int r = bi_sql_step(st);
	if (r == 1) {
		t = jv_object();
		for (int i = 0; i < 14; i++) {
			jv v = i == 0 || (i >= 5 && i <= 7) ? col_int(st, i) : i >= 12 ? bi_sql_col_ts(st, i) :
				bi_sql_col_str(st, i);
			if (i == 9 && jv_get_kind(v) == JV_KIND_STRING) {
				jv p = jv_parse(jv_string_value(v));
				jv_free(v);
				v = jv_is_valid(p) ? p : (jv_free(p), jv_array());
			}
			t = bi_set(t, names[i], v);
		}
	} else if (r < 0) {
		t = jv_invalid();
	}
	sqlite3_finalize(st);
	return t;
}

int
bi_agentdb_task_set(sqlite3 *db, int64_t task, jv f)
{
	static const char *const cols[][2] = {{"status", "status"}, {"revision", "revision"},
		{"steps", "steps"}, {"tokens", "tokens"}, {"reason", "reason"}, {"messages", "messages"},
		{"branch", "branch"}, {"commit", "commit_sha"}};
	int r = 0;

	for (size_t i = 0; i < sizeof cols / sizeof cols[0] && r == 0; i++) {
		jv v = jv_object_get(jv_copy(f), jv_string(cols[i][0]));
		if (!jv_is_valid(v)) {
			jv_free(v);
			continue;
		}
		char *sql = bi_asprintf("UPDATE agent_tasks SET %s = ?, updated = ? WHERE id = ?", cols[i][1]);
		sqlite3_stmt *st = bi_sql_prepare(db, sql);
		free(sql);
		if (!st) {
			jv_free(v);
			r = -1;
			break;
		}
		if (jv_get_kind(v) == JV_KIND_NUMBER) {
			sqlite3_bind_int64(st, 1, (int64_t)jv_number_value(v));
		} else if (jv_get_kind(v) == JV_KIND_STRING) {
			bi_sql_bind_str(st, 1, jv_string_value(v));
		} else if (jv_get_kind(v) != JV_KIND_NULL) {
			jv d = jv_dump_string(jv_copy(v), 0);
			bi_sql_bind_str(st, 1, jv_string_value(d));
			jv_free(d);
		}
		sqlite3_bind_int64(st, 2, bi_now_ns());
		sqlite3_bind_int64(st, 3, task);
		r = bi_sql_run(st);
		sqlite3_finalize(st);
		jv_free(v);
	}
	jv_free(f);
	return r;
}

int
bi_agentdb_step(sqlite3 *db, int64_t task, int revision, int step, const char *tool,
		jv args, const char *result, int is_error)
{
	jv d = jv_dump_string(jv_copy(args), 0);
	int64_t v[] = {task, revision, step, bi_now_ns(), is_error};
	const char *s[] = {tool, jv_string_value(d), result, NULL};
	int r = run(db, "INSERT INTO agent_steps (task, revision, step, ts, error, tool, args, result)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 5, v, s);
	jv_free(d);
	return r;
}

jv
bi_agentdb_steps(sqlite3 *db, int64_t task, int revision)
{
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT step, tool, args, error, result FROM agent_steps"
					 " WHERE task = ? AND revision = ? ORDER BY id");
	jv out = jv_array();
	int r;

	if (!st) {
		jv_free(out);
		return jv_invalid();
	}
	sqlite3_bind_int64(st, 1, task);
	sqlite3_bind_int64(st, 2, revision);
	while ((r = bi_sql_step(st)) == 1) {
		jv a = bi_sql_col_str(st, 2), p = jv_parse(jv_string_value(a));
		jv_free(a);
		jv x = bi_set(bi_set(jv_object(), "step", col_int(st, 0)), "tool", bi_sql_col_str(st, 1));
		x = bi_set(bi_set(x, "args", jv_is_valid(p) ? p : (jv_free(p), jv_null())),
			   "error", jv_bool(sqlite3_column_int(st, 3)));
		out = jv_array_append(out, bi_set(x, "result", bi_sql_col_str(st, 4)));
	}
	sqlite3_finalize(st);
	if (r < 0) {
		jv_free(out);
		return jv_invalid();
	}
	return out;
}

int
bi_agentdb_suggest(sqlite3 *db, int64_t task, int revision, const char *plan,
		   const char *feedback, jv changes)
{
	jv d = jv_dump_string(jv_copy(changes), 0);
	int64_t v[] = {task, revision, bi_now_ns()};
	sqlite3_stmt *st = bi_sql_prepare(db, "INSERT OR REPLACE INTO agent_suggestions"
					 " (task, revision, ts, plan, feedback, changes) VALUES (?, ?, ?, ?, ?, ?)");
	int r = -1;

	if (st) {
		for (int i = 0; i < 3; i++)
			sqlite3_bind_int64(st, i + 1, v[i]);
		bi_sql_bind_str(st, 4, plan);
		bi_sql_bind_str(st, 5, feedback);
		bi_sql_bind_str(st, 6, jv_string_value(d));
		r = bi_sql_run(st);
		sqlite3_finalize(st);
	}
	jv_free(d);
	return r;
}

jv
bi_agentdb_suggestion(sqlite3 *db, int64_t task, int revision)
{
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT plan, feedback, changes FROM agent_suggestions"
					 " WHERE task = ? AND revision = ?");
	jv s = jv_null();

	if (!st)
		return jv_invalid();
	sqlite3_bind_int64(st, 1, task);
	sqlite3_bind_int64(st, 2, revision);
	int r = bi_sql_step(st);
	if (r == 1) {
		jv c = bi_sql_col_str(st, 2), p = jv_parse(jv_string_value(c));
		jv_free(c);
		s = bi_set(bi_set(jv_object(), "revision", jv_number(revision)), "plan", bi_sql_col_str(st, 0));
		s = bi_set(bi_set(s, "feedback", bi_sql_col_str(st, 1)), "changes",
			   jv_get_kind(p) == JV_KIND_OBJECT ? p : (jv_free(p), jv_object()));
	} else if (r < 0) {
		s = jv_invalid();
	}
	sqlite3_finalize(st);
	return s;
}

int
bi_agentdb_outcome(sqlite3 *db, int64_t task, int revision, const char *outcome, const char *detail)
{
	int64_t v[] = {task, revision, bi_now_ns()};
	const char *s[] = {outcome, detail, NULL};

	/* detail may be NULL: bind it apart so the list above ends at outcome. */
	sqlite3_stmt *st = bi_sql_prepare(db, "INSERT INTO agent_outcomes (task, revision, ts, outcome, detail)"
					 " VALUES (?, ?, ?, ?, ?)");
	if (!st)
		return -1;
	for (int i = 0; i < 3; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	bi_sql_bind_str(st, 4, s[0]);
	bi_sql_bind_str(st, 5, s[1]);
	int r = bi_sql_run(st);
	sqlite3_finalize(st);
	return r;
}

int64_t
bi_agentdb_finding_add(sqlite3 *db, jv finding, const char *silenced_by)
{
	jv d = jv_dump_string(jv_copy(finding), 0);
	int64_t now = bi_now_ns();
	const char *s[] = {bi_get_text(finding, "runbook", "?"), jv_string_value(d), silenced_by, NULL};
	int r = run(db, "INSERT INTO agent_findings (ts, runbook, record, silenced_by) VALUES (?, ?, ?, ?)", 1, &now, s);
	jv_free(d);
	return r ? -1 : sqlite3_last_insert_rowid(db);
}

jv
bi_agentdb_finding(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT record FROM agent_findings WHERE id = ?");
	jv f = jv_null();

	if (!st)
		return jv_invalid();
	sqlite3_bind_int64(st, 1, id);
	int r = bi_sql_step(st);
	if (r == 1) {
		jv t = bi_sql_col_str(st, 0);
		f = jv_parse(jv_string_value(t));
		jv_free(t);
		if (jv_get_kind(f) != JV_KIND_OBJECT) {
			jv_free(f);
			f = jv_null();
		}
	} else if (r < 0) {
		f = jv_invalid();
	}
	sqlite3_finalize(st);
	return f;
}

int
bi_agentdb_silence(sqlite3 *db, const char *pattern, int64_t until)
{
	int64_t v[] = {bi_now_ns(), until};
	const char *s[] = {pattern, NULL};

	return run(db, "INSERT INTO agent_silences (created, until, pattern) VALUES (?, ?, ?)", 2, v, s);
}

jv
bi_agentdb_silences(sqlite3 *db, int64_t now)
{
	sqlite3_stmt *st = bi_sql_prepare(db, "SELECT pattern FROM agent_silences WHERE until > ? ORDER BY id");
	jv out = jv_array();
	int r;

	if (!st) {
		jv_free(out);
		return jv_invalid();
	}
	sqlite3_bind_int64(st, 1, now);
	while ((r = bi_sql_step(st)) == 1)
		out = jv_array_append(out, bi_sql_col_str(st, 0));
	sqlite3_finalize(st);
	if (r < 0) {
		jv_free(out);
		return jv_invalid();
	}
	return out;
}
