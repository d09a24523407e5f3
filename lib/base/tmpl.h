/* base/tmpl.h: the interface of tmpl.c (layer: base). */
#ifndef BI_BASE_TMPL_H
#define BI_BASE_TMPL_H

#include <jv.h>
#include <stddef.h>

/* The template language of bi-scaffold, rendered with vars (a jv object of
 * strings, numbers and booleans, borrowed):
 *   {{NAME}}                    the value, escaped as the file's type needs
 *   {{NAME|raw}}, {{NAME|str}}, {{NAME|sh}}, {{NAME|html}}   explicit escaping
 *   {{#if COND}} ... {{else}} ... {{/if}}   blocks, nested; COND is NAME,
 *                               !NAME, or NAME,NAME,... (any of them)
 *   \{{                         a literal "{{"
 * A line holding nothing but a block tag disappears whole. An unknown name,
 * a string value holding a NUL (refused, not cut short), an unclosed block
 * or a stray tag is an error. */
enum { BI_ESC_NONE, BI_ESC_STR, BI_ESC_SH, BI_ESC_HTML };

/* The escaping a file's name calls for: STR inside the double-quoted strings
 * of JSON, YAML, C, Go, Kotlin, TypeScript, Python; SH for shell, Dockerfile,
 * Makefile, Jenkinsfile; HTML for .html; NONE otherwise. */
int bi_tmpl_esc_for(const char *path);

/* Render text. Returns the output (*outlen bytes, NUL-terminated), or NULL
 * with "LINE: what" in err. */
char *bi_tmpl_render(const char *text, size_t len, jv vars, int esc,
		     size_t *outlen, char *err, size_t errlen);

/* Evaluate a condition (as in {{#if}}): 1 true, 0 false, -1 an unknown
 * name or a value holding a NUL. */
int bi_tmpl_cond(const char *expr, jv vars);

/* Render the {{NAME}}s of a relative path and check that it stays inside the
 * target: not absolute, no "." or ".." or empty part, no backslash or
 * control character. NULL with the reason in err otherwise. */
char *bi_tmpl_path(const char *path, jv vars, char *err, size_t errlen);

/* Write data to rel under the directory dirfd, making parents as needed and
 * following no symbolic link on the way (a link planted in the target cannot
 * lead the write outside); the file's mode is mode. Without
 * BI_TMPL_OVERWRITE an existing file is an error. With it, an existing file
 * is replaced, never written into: the data goes to a new file beside it
 * (removed on failure) that is renamed over it, so another link to the old
 * file (a hard link from outside the target) keeps what it held; a symbolic
 * link in its place is still refused. 0 on success, -1 with the reason in
 * err and errno set: ELOOP a symbolic link, ENOTDIR a file where a directory
 * goes, EEXIST the file exists (without BI_TMPL_OVERWRITE), EISDIR a
 * directory where the file goes; anything else is the system's (EACCES,
 * ENOSPC ...). */
enum { BI_TMPL_OVERWRITE = 1 };
int bi_tmpl_write(int dirfd, const char *rel, const char *data, size_t n,
		  int mode, int flags, char *err, size_t errlen);

#endif
