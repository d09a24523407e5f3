/*
 * gitctx.c: a repository's recent history as `commit` records, through
 * libgit2: who, when, what message, which files, how many lines in and out.
 * The analysis uses it to ask whether trouble began just after a change.
 *
 * Layer: sources.
 */
#include <stdlib.h>
#include <string.h>
#include <git2.h>

#include "sources/gitctx.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"

static void
git_err(char *err, size_t n, const char *what)
{
	const git_error *e = git_error_last();
	snprintf(err, n, "git: %s: %s", what, e && e->message ? e->message : "error");
}

int
bi_git_is_repo(const char *start)
{
	git_repository *repo;

	git_libgit2_init();
	int r = git_repository_open_ext(&repo, start, 0, NULL);
	if (r == 0)
		git_repository_free(repo);
	git_libgit2_shutdown();
	return r == 0;
}

/* One commit as a record, with the files and line counts of its diff
 * against its first parent (or the empty tree). */
static jv
commit_record(git_repository *repo, git_commit *c, const char *workdir, char *err, size_t n)
{
	char sha[GIT_OID_HEXSZ + 1], ts[BI_TS_LEN];
	const git_signature *a = git_commit_author(c);
	git_tree *tree = NULL, *ptree = NULL;
	git_commit *parent = NULL;
	git_diff *diff = NULL;
	git_diff_stats *stats = NULL;

	git_oid_tostr(sha, sizeof sha, git_commit_id(c));
	jv rec = bi_record("commit");
	rec = bi_set(rec, "ts", jv_string(bi_ts_fmt((int64_t)git_commit_time(c) * BI_NS_PER_S, ts)));
	rec = bi_set(rec, "sha", jv_string(sha));
	rec = bi_set(rec, "author", jv_string(a && a->name ? a->name : ""));
	rec = bi_set(rec, "email", jv_string(a && a->email ? a->email : ""));
	const char *summary = git_commit_summary(c);
	rec = bi_set(rec, "msg", jv_string(summary ? summary : ""));
	const char *body = git_commit_body(c);
	if (body && *body)
		rec = bi_set(rec, "body", jv_string(body));
	rec = bi_set(rec, "repo", jv_string(workdir));

	if (git_commit_tree(&tree, c) != 0) {
		git_err(err, n, "tree");
		jv_free(rec);
		return jv_invalid();
	}
	if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0)
		git_commit_tree(&ptree, parent);
	if (git_diff_tree_to_tree(&diff, repo, ptree, tree, NULL) != 0) {
		git_err(err, n, "diff");
		jv_free(rec);
		rec = jv_invalid();
		goto out;
	}
	jv files = jv_array();
	size_t nd = git_diff_num_deltas(diff);
	for (size_t i = 0; i < nd; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
		files = jv_array_append(files, jv_string(path ? path : "?"));
	}
	if (git_diff_get_stats(&stats, diff) == 0) {
		rec = bi_set(rec, "files_changed", jv_number(git_diff_stats_files_changed(stats)));
		rec = bi_set(rec, "insertions", jv_number(git_diff_stats_insertions(stats)));
		rec = bi_set(rec, "deletions", jv_number(git_diff_stats_deletions(stats)));
		git_diff_stats_free(stats);
	}
	rec = bi_set(rec, "files", files);
out:
	git_diff_free(diff);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	return rec;
}

int
bi_git_commits(const char *start, const char *range, int64_t since, int64_t until,
	       int (*fn)(void *ctx, jv commit), void *ctx, char *err, size_t n)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid oid;
	int r = 0;

	git_libgit2_init();
	int o = git_repository_open_ext(&repo, start, 0, NULL);
	if (o != 0) {
		if (o == GIT_ENOTFOUND)
			snprintf(err, n, "not a git repository: %s", start);
		else
			git_err(err, n, start);
		git_libgit2_shutdown();
		return o == GIT_ENOTFOUND ? -1 : -2;
	}
	const char *workdir = git_repository_workdir(repo);
	char *wd = bi_strdup(workdir ? workdir : git_repository_path(repo));
	size_t wl = strlen(wd);
	if (wl > 1 && wd[wl - 1] == '/')
		wd[wl - 1] = '\0';
	if (git_revwalk_new(&walk, repo) != 0) {
		git_err(err, n, "revwalk");
		r = -2;
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TIME);
	if (range) {
		if (git_revwalk_push_range(walk, range) != 0) {
			snprintf(err, n, "git: not a range of this repository: %s", range);
			r = -2;
			goto out;
		}
	} else if (git_revwalk_push_head(walk) != 0) {
		goto out;	/* an empty repository: nothing to say */
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		git_commit *c;
		if (git_commit_lookup(&c, repo, &oid) != 0) {
			git_err(err, n, "commit");
			r = -2;
			break;
		}
		int64_t t = (int64_t)git_commit_time(c) * BI_NS_PER_S;
		if (!range && since && t < since) {
			git_commit_free(c);
			break;	/* sorted by time: the rest is older */
		}
		if (range || !until || t <= until) {
			jv rec = commit_record(repo, c, wd, err, n);
			if (!jv_is_valid(rec)) {
				jv_free(rec);
				git_commit_free(c);
				r = -2;
				break;
			}
			if (fn(ctx, rec)) {
				git_commit_free(c);
				break;
			}
		}
		git_commit_free(c);
	}
out:
	git_revwalk_free(walk);
	git_repository_free(repo);
	free(wd);
	git_libgit2_shutdown();
	return r;
}
