/*
 * agentgit.c: what an agent learns from git, and how an accepted
 * suggestion becomes a commit, through libgit2.
 *
 * An accepted suggestion is never written into the person's working tree:
 * a new branch at HEAD is checked out in a new worktree (git worktree), the
 * changes are made there (each path confined to the worktree again, as a
 * checkout may hold symlinks of its own), the project's tests run there,
 * and only when they pass are the changes committed on that branch. The
 * person merges it, or not.
 *
 * A proposal is the model's new text against the file as it was then
 * (the working tree's, with whatever was not committed). Writing the new
 * text whole at HEAD would commit those uncommitted edits and undo commits
 * made to the file since; so the change old -> new is made as a patch on
 * HEAD's file, and a change that no longer fits is refused, not forced.
 * The project may be a folder of its repository: paths are taken under
 * that folder in the worktree, and the tests run there.
 *
 * Layer: analysis.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <git2.h>
#include <linux/openat2.h>

#include "analysis/agentgit.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "sources/gitctx.h"
#include "analysis/agenttool.h"

static int
git_fail(char *err, size_t n, const char *what)
{
	const git_error *e = git_error_last();
	return bi_errf(err, n, "git: %s: %s", what, e && e->message ? e->message : "error");
}

/* ---- what the model may ask ---- */

typedef struct {
	bi_buf b;
	int left;
} log_ctx;

static int
on_commit(void *ctx, jv c)
{
	log_ctx *l = ctx;
	bi_buf_printf(&l->b, "%.10s %s %s: %s\n", bi_get_text(c, "sha", "?"), bi_get_text(c, "ts", ""),
		      bi_get_text(c, "author", "?"), bi_get_text(c, "msg", ""));
	jv_free(c);
	return --l->left <= 0;
}

char *
bi_agent_git_log(const char *root, int n, char *err, size_t errlen)
{
	log_ctx l = {.left = n};

	bi_buf_add(&l.b, "", 0);
	if (bi_git_commits(root, NULL, 0, 0, on_commit, &l, err, errlen) != 0) {
		bi_buf_free(&l.b);
		return NULL;
	}
	return l.b.p;
}

char *
bi_agent_git_status(const char *root, char *err, size_t errlen)
{
	git_repository *repo = NULL;
	git_status_list *st = NULL;
	git_status_options o;
	bi_buf b = {0};

	git_libgit2_init();
	git_status_options_init(&o, GIT_STATUS_OPTIONS_VERSION);
	o.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX;
	if (git_repository_open_ext(&repo, root, 0, NULL) != 0 || git_status_list_new(&st, repo, &o) != 0) {
		git_fail(err, errlen, "status");
	} else {
		size_t n = git_status_list_entrycount(st);
		bi_buf_printf(&b, "%zu changed\n", n);
		for (size_t i = 0; i < n && b.len < BI_AGENT_RESULT_MAX - 512; i++) {
			const git_status_entry *s = git_status_byindex(st, i);
			const git_diff_delta *d = s->head_to_index ? s->head_to_index : s->index_to_workdir;
			unsigned f = s->status;
			bi_buf_printf(&b, "%c%c %s\n",
				      f & GIT_STATUS_INDEX_NEW ? 'A' : f & GIT_STATUS_INDEX_MODIFIED ? 'M' :
				      f & GIT_STATUS_INDEX_DELETED ? 'D' : f & GIT_STATUS_WT_NEW ? '?' : ' ',
				      f & GIT_STATUS_WT_MODIFIED ? 'M' : f & GIT_STATUS_WT_DELETED ? 'D' :
				      f & GIT_STATUS_WT_NEW ? '?' : ' ',
				      d && d->new_file.path ? d->new_file.path : "?");
		}
	}
	git_status_list_free(st);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return b.p;
}

typedef struct {
	bi_buf b;
	size_t max;
} diff_out;

static int
print_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l, void *ctx)
{
	diff_out *o = ctx;
	bi_buf *b = &o->b;
	(void)d, (void)h;
	if (b->len > o->max)
		return 0;
	if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		bi_buf_add(b, &l->origin, 1);
	bi_buf_add(b, l->content, l->content_len);
	return 0;
}

char *
bi_agent_git_diff(const char *root, const char *path, size_t max, char *err, size_t errlen)
{
	git_repository *repo = NULL;
	git_diff *diff = NULL;
	git_diff_options o;
	git_tree *head = NULL;
	git_object *obj = NULL;
	diff_out d = {.max = max};
	bi_buf *b = &d.b;
	char *spec = (char *)path;

	git_libgit2_init();
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	if (path) {
		o.pathspec.strings = &spec;
		o.pathspec.count = 1;
	}
	if (git_repository_open_ext(&repo, root, 0, NULL) != 0 ||
	    (git_revparse_single(&obj, repo, "HEAD^{tree}") == 0 && git_tree_lookup(&head, repo, git_object_id(obj)) != 0) ||
	    git_diff_tree_to_workdir_with_index(&diff, repo, head, &o) != 0) {
		git_fail(err, errlen, "diff");
	} else {
		bi_buf_add(b, "", 0);
		git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, print_line, &d);
		if (b->len > max) {
			b->len = max;
			b->p[max] = '\0';
			bi_buf_adds(b, "\n[the diff is cut here]\n");
		}
		if (!b->len)
			bi_buf_adds(b, "no changes against HEAD\n");
	}
	git_diff_free(diff);
	git_tree_free(head);
	git_object_free(obj);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return b->p;
}

char *
bi_agent_diff(const char *path, const char *old, const char *new_)
{
	git_patch *p = NULL;
	git_buf out = {0};
	char *r;

	git_libgit2_init();
	if (git_patch_from_buffers(&p, old, old ? strlen(old) : 0, old ? path : NULL, new_, strlen(new_),
				   path, NULL) == 0 && git_patch_to_buf(&out, p) == 0)
		r = bi_strdup(out.ptr ? out.ptr : "");
	else
		r = bi_strdup("");
	git_buf_dispose(&out);
	git_patch_free(p);
	git_libgit2_shutdown();
	return r;
}

/* ---- accepting ---- */

/* Write text at rel inside wt, confined as the model's paths are. */
static int
write_in(const char *wt, const char *rel, const char *text, char *err, size_t n)
{
	char *in;

	if (bi_agent_confine(wt, rel, 0, &in, err, n) != 0)
		return -1;
	char *slash = strrchr(in, '/');
	if (slash) {
		char *dir = bi_asprintf("%s/%.*s", wt, (int)(slash - in), in);
		int r = bi_mkdirs(dir);
		free(dir);
		if (r != 0) {
			free(in);
			return bi_errf(err, n, "%s: %s", rel, strerror(errno));
		}
	}
	int dfd = open(wt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct open_how how = {.flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, .mode = 0644,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int fd = dfd < 0 ? -1 : (int)syscall(SYS_openat2, dfd, in, &how, sizeof how);
	if (fd < 0 && errno == ENOSYS)
		fd = openat(dfd, in, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int saved = errno;
	if (dfd >= 0)
		close(dfd);
	size_t len = strlen(text), off = 0;
	while (fd >= 0 && off < len) {
		ssize_t k = write(fd, text + off, len - off);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	if (fd < 0 || off < len || close(fd) != 0) {
		bi_errf(err, n, "%s: %s", rel, strerror(fd < 0 ? saved : errno));
		free(in);
		return -1;
	}
	free(in);
	return 0;
}

/* One proposed change, made in the worktree's dir (a checkout of HEAD) as
 * a change against what the file held when it was proposed: the file as
 * it was then gets the new text; a file changed since (on HEAD, or by
 * edits uncommitted at the time) gets the change patched in, or refuses. */
static int
apply_one(const char *dir, const char *rel, jv ch, char *err, size_t n)
{
	jv ov = jv_object_get(jv_copy(ch), jv_string("old"));
	const char *old = jv_get_kind(ov) == JV_KIND_STRING ? jv_string_value(ov) : NULL;
	const char *neu = bi_get_text(ch, "new", "");
	char *in = NULL, *cur = NULL, *out = NULL, why[512];
	size_t len;
	int r = -1;

	if (bi_agent_confine(dir, rel, 0, &in, err, n) != 0)
		goto done;
	if (!(cur = bi_agent_read(dir, in, &len, why, sizeof why)) && errno != ENOENT) {
		bi_errf(err, n, "%s", why);
		goto done;
	}
	if (cur && !strcmp(cur, neu)) {
		r = 0;	/* already so */
	} else if (!old && cur) {
		bi_errf(err, n, "%s: proposed as a new file, but the branch holds one now; revise or reject", rel);
	} else if (old && !cur) {
		bi_errf(err, n, "%s: gone from HEAD since it was proposed; revise or reject", rel);
	} else if (!old || !strcmp(cur, old)) {
		r = write_in(dir, rel, neu, err, n);
	} else {
		char *d = bi_agent_diff(rel, old, neu);
		out = *d ? bi_agent_patch(cur, d, why, sizeof why) : bi_strdup(cur);
		free(d);
		if (!out)
			bi_errf(err, n, "%s: changed since it was proposed (on HEAD, or edits not committed "
				"then), and the change does not apply to it (%s); revise or reject", rel, why);
		else
			r = write_in(dir, rel, out, err, n);
	}
done:
	jv_free(ov);
	free(in);
	free(cur);
	free(out);
	return r;
}

/* Commit the paths of changes (under prefix, the project's folder in the
 * repository) in the worktree's index, on its HEAD. */
static int
commit(const bi_agent_accept_req *a, const char *prefix, char *sha, char *err, size_t n)
{
	git_repository *repo = NULL;
	git_index *idx = NULL;
	git_oid tree_id, parent_id, id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *author = NULL, *committer = NULL;
	int r = -1;

	if (git_repository_open(&repo, a->wt) != 0 || git_repository_index(&idx, repo) != 0) {
		git_fail(err, n, "open the worktree");
		goto out;
	}
	jv keys = jv_keys(jv_copy(a->changes));
	int bad = 0;
	jv_array_foreach(keys, i, k) {
		char *path = bi_asprintf("%s%s%s", prefix, *prefix ? "/" : "", jv_string_value(k));
		if (!bad && git_index_add_bypath(idx, path) != 0)
			bad = git_fail(err, n, path);
		free(path);
		jv_free(k);
	}
	jv_free(keys);
	if (bad)
		goto out;
	if (git_index_write(idx) != 0 || git_index_write_tree(&tree_id, idx) != 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) != 0 ||
	    git_reference_name_to_id(&parent_id, repo, "HEAD") != 0 ||
	    git_commit_lookup(&parent, repo, &parent_id) != 0 ||
	    git_signature_now(&author, a->author, a->email) != 0) {
		git_fail(err, n, "commit");
		goto out;
	}
	/* The committer is the person who accepted: git's own settings, when
	 * there are any; else the agent stands for both. */
	if (git_signature_default(&committer, repo) != 0 && git_signature_dup(&committer, author) != 0) {
		git_fail(err, n, "signature");
		goto out;
	}
	const git_commit *parents[] = {parent};
	if (git_commit_create(&id, repo, "HEAD", author, committer, NULL, a->msg, tree, 1, parents) != 0) {
		git_fail(err, n, "commit");
		goto out;
	}
	git_oid_tostr(sha, GIT_OID_HEXSZ + 1, &id);
	r = 0;
out:
	git_signature_free(author);
	git_signature_free(committer);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(repo);
	return r;
}

/* The project root's folder inside repo's working directory ("" at its
 * top), or NULL when it is not inside. The caller frees it. */
static char *
project_prefix(git_repository *repo, const char *root)
{
	const char *wd = git_repository_workdir(repo);
	char *rw = wd ? realpath(wd, NULL) : NULL, *rr = realpath(root, NULL), *p = NULL;

	if (rw && rr) {
		size_t l = strlen(rw);
		if (!strcmp(rw, "/"))
			l = 0;
		if (!strncmp(rr, rw, l) && (rr[l] == '/' || rr[l] == '\0'))
			p = bi_strdup(rr[l] == '/' ? rr + l + 1 : "");
	}
	free(rw);
	free(rr);
	return p;
}

/* Remove what an earlier accept left of branch and its worktree (git name
 * wtname): the worktree, its files with it, and the branch, unless the
 * branch holds commits HEAD does not (a person's work: kept, refused).
 * 0 when nothing is left (or was there), -1 with the reason. */
static int
discard(git_repository *repo, const char *branch, const char *wtname, char *err, size_t n)
{
	git_worktree *w = NULL;
	git_reference *br = NULL;
	git_oid hid;
	int r = 0;

	if (git_branch_lookup(&br, repo, branch, GIT_BRANCH_LOCAL) == 0) {
		const git_oid *tip = git_reference_target(br);
		if (git_reference_name_to_id(&hid, repo, "HEAD") != 0 ||
		    !tip || (!git_oid_equal(tip, &hid) && git_graph_descendant_of(repo, &hid, tip) != 1)) {
			git_reference_free(br);
			return bi_errf(err, n, "%s holds commits of its own; merge or delete it first", branch);
		}
	}
	if (git_worktree_lookup(&w, repo, wtname) == 0) {
		git_worktree_prune_options po;
		git_worktree_prune_options_init(&po, GIT_WORKTREE_PRUNE_OPTIONS_VERSION);
		po.flags = GIT_WORKTREE_PRUNE_VALID | GIT_WORKTREE_PRUNE_LOCKED | GIT_WORKTREE_PRUNE_WORKING_TREE;
		if (git_worktree_prune(w, &po) != 0)
			r = git_fail(err, n, wtname);
		git_worktree_free(w);
	}
	/* git_branch_delete would also drop the branch's config, which it
	 * has none of, and leaks doing so (libgit2 1.5). */
	if (r == 0 && br && git_reference_delete(br) != 0)
		r = git_fail(err, n, branch);
	git_reference_free(br);
	return r;
}

int
bi_agent_discard(const char *root, const char *branch, const char *wtname, char *err, size_t n)
{
	git_repository *repo = NULL;
	int r;

	git_libgit2_init();
	r = git_repository_open_ext(&repo, root, 0, NULL) != 0 ? 0 :	/* no repository, nothing left */
		discard(repo, branch, wtname, err, n);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return r;
}

int
bi_agent_accept(const bi_agent_accept_req *a, jv *report, char *err, size_t n)
{
	git_repository *repo = NULL;
	git_reference *br = NULL;
	git_commit *head = NULL;
	git_worktree *wt = NULL;
	git_oid hid;
	git_worktree_add_options o;
	char *prefix = NULL, *dir = NULL;
	int r = -1, made_wt = 0;

	git_worktree_add_options_init(&o, GIT_WORKTREE_ADD_OPTIONS_VERSION);
	*report = bi_set(bi_set(jv_object(), "branch", jv_string(a->branch)), "worktree", jv_string(a->wt));
	git_libgit2_init();
	if (git_repository_open_ext(&repo, a->root, 0, NULL) != 0) {
		git_fail(err, n, "the project is no git repository");
		goto out;
	}
	if (git_repository_is_bare(repo) || !(prefix = project_prefix(repo, a->root))) {
		bi_errf(err, n, "%s: not in the working tree of its repository", a->root);
		goto out;
	}
	/* A retry: what the earlier try left goes first. */
	if (discard(repo, a->branch, a->wtname, err, n) != 0)
		goto out;
	if (git_reference_name_to_id(&hid, repo, "HEAD") != 0 || git_commit_lookup(&head, repo, &hid) != 0 ||
	    git_branch_create(&br, repo, a->branch, head, 0) != 0) {
		git_fail(err, n, a->branch);
		goto out;
	}
	o.ref = br;
	char *parent = bi_strdup(a->wt), *slash = strrchr(parent, '/');
	if (slash && slash > parent)
		*slash = '\0';
	int made = !slash || slash == parent || bi_mkdirs(parent) == 0;
	free(parent);
	if (!made || git_worktree_add(&wt, repo, a->wtname, a->wt, &o) != 0) {
		git_fail(err, n, a->wt);
		git_reference_delete(br);	/* no branch left for a worktree that is not */
		goto out;
	}
	made_wt = 1;
	/* The project's folder in the new worktree, as a real path: the fence
	 * compares real paths. */
	char *d = bi_asprintf("%s%s%s", a->wt, *prefix ? "/" : "", prefix);
	dir = realpath(d, NULL);
	if (!dir && bi_mkdirs(d) == 0)
		dir = realpath(d, NULL);
	free(d);
	if (!dir) {
		bi_errf(err, n, "%s/%s: %s", a->wt, prefix, strerror(errno));
		goto out;
	}
	jv keys = jv_keys(jv_copy(a->changes));
	int bad = 0;
	jv_array_foreach(keys, i, k) {
		jv ch = jv_object_get(jv_copy(a->changes), jv_copy(k));
		if (!bad)
			bad = apply_one(dir, jv_string_value(k), ch, err, n);
		jv_free(ch);
		jv_free(k);
	}
	jv_free(keys);
	if (bad)
		goto out;
	int passed = 1;
	if (a->test_cmd) {
		const char *argv[] = {"sh", "-c", a->test_cmd, NULL};
		char *out;
		int st = bi_agent_exec(argv, dir, a->timeout, 8192, a->stop, &out);
		if (st < 0) {
			bi_errf(err, n, "the tests could not start: %s", strerror(errno));
			goto out;
		}
		*report = bi_set(*report, "tests", bi_set(bi_set(bi_set(jv_object(),
			"command", jv_string(a->test_cmd)), "status", jv_number(st)), "output", jv_string(out)));
		free(out);
		if (a->stop && *a->stop) {
			bi_errf(err, n, "interrupted while the tests ran");
			goto out;
		}
		passed = st == 0;
	}
	if (passed) {
		char sha[GIT_OID_HEXSZ + 1];
		if (commit(a, prefix, sha, err, n) != 0)
			goto out;
		*report = bi_set(*report, "commit", jv_string(sha));
	}
	r = !passed;
out:
	if (r < 0 && made_wt) {	/* nothing half-done is left behind */
		char e2[256];
		git_worktree_free(wt);
		wt = NULL;
		git_reference_free(br);
		br = NULL;
		discard(repo, a->branch, a->wtname, e2, sizeof e2);
	}
	git_worktree_free(wt);
	git_reference_free(br);
	git_commit_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(prefix);
	free(dir);
	return r;
}
