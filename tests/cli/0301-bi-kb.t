#!/bin/sh
# bi-kb on SQLite files: incidents recorded from findings, resolved, listed,
# shown, counted, exported and imported; and the learning loop: a finding
# recorded, resolved and seen again is matched to the earlier incident, with
# its fix and the success rate its outcome changed. The cases are
# tests/kb-cases.sh's, run on PostgreSQL too by 0303-bi-kb-postgres.t.
. "$(dirname "$0")/../lib.sh"
plan 36
cd "$TMP" || exit 1

kb_url() { echo "$TMP/$1.db"; }
kb_exists() { [ -e "$TMP/$1.db" ]; }
kb_copy() { cp "$TMP/$1.db" "$TMP/$2.db"; }
kb_drop() {
	python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DROP TABLE " + sys.argv[2]); c.commit()' \
		"$TMP/$1.db" "$2"
}
KB_NO_TABLE="no such table: kb_incidents"
KB_BAD=/proc/nope/kb.db KB_BAD_EXIT=4 KB_BAD_WHY="a database that cannot be made"
. "$ROOT/tests/kb-cases.sh"
