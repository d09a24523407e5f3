/* fuzz-agent: what a model sends an agent. The first byte picks the API
 * (bit 0) and what the rest is (bits 1-2): a reply to take apart into tool
 * calls (the body, when our scanner vouches for it as JSON: fuzz.h says
 * why; the arguments inside it are parsed by libjq as they come, whence
 * the suppression in fuzz-agent.env), a text and a unified diff to apply
 * to it (split at the first NUL), or a path to confine to a folder that
 * holds a symlink out. What must hold: at most BI_AGENT_CALLS_MAX calls,
 * each with a name and arguments; a diff applied or refused, never a
 * crash; a path confined only inside the folder, never into a .git or
 * .blissful-infra (a symlink leads to each). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/llm.h"
#include "analysis/agent.h"
#include "analysis/agenttool.h"

#include "fuzz.h"

static char *root;

static void
reply(int api, const char *p, size_t n)
{
	bi_agent_reply r;
	char err[256];

	if (!fuzz_vouched(p, n))
		return;
	if (bi_agent_parse_reply(api, p, n, &r, err, sizeof err) == 0) {
		if (jv_array_length(jv_copy(r.calls)) > BI_AGENT_CALLS_MAX ||
		    jv_get_kind(r.message) != JV_KIND_OBJECT)
			abort();
		jv_array_foreach(r.calls, i, c) {
			if (!bi_get_str(c, "name") || !bi_get_str(c, "id"))
				abort();
			jv m = bi_agent_tool_msg(api, c, "x");
			jv_free(m);
			jv_free(c);
		}
	}
	bi_agent_reply_free(&r);
}

/* Has path a component .git or .blissful-infra? */
static int
closed(const char *path)
{
	for (const char *p = path; *p;) {
		size_t k = strcspn(p, "/");
		if ((k == 4 && !memcmp(p, ".git", 4)) || (k == 15 && !memcmp(p, ".blissful-infra", 15)))
			return 1;
		p += k + (p[k] == '/');
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	if (n < 1)
		return 0;
	int api = data[0] & 1 ? BI_LLM_OPENAI : BI_LLM_OLLAMA, what = (data[0] >> 1) & 3;
	const char *p = (const char *)data + 1;
	n--;
	if (what == 0) {
		reply(api, p, n);
		return 0;
	}
	char *s = malloc(n + 1), err[512];
	memcpy(s, p, n);
	s[n] = '\0';
	if (what == 1) {
		size_t k = strlen(s);
		const char *diff = k < n ? s + k + 1 : "";
		free(bi_agent_patch(s, diff, err, sizeof err));
	} else {
		if (!root) {
			/* Where make fuzz runs: the source tree's build folder. */
			if (system("mkdir -p build/fuzz/agent-root/in/.git build/fuzz/agent-root/.blissful-infra && "
				   "ln -sfn / build/fuzz/agent-root/out && ln -sfn in/.git build/fuzz/agent-root/g && "
				   "ln -sfn .blissful-infra build/fuzz/agent-root/b") != 0 ||
			    !(root = realpath("build/fuzz/agent-root", NULL)))
				abort();
		}
		char *out;
		if (bi_agent_confine(root, s, what == 2, &out, err, sizeof err) == 0) {
			char *full = bi_asprintf("%s/%s", root, out);
			char *real = realpath(full, NULL);
			/* What it gave, when it exists, is inside. */
			if (real && (strncmp(real, root, strlen(root)) || (real[strlen(root)] && real[strlen(root)] != '/')))
				abort();
			/* ... and neither it nor where it leads is in .git or .blissful-infra. */
			if (closed(out) || (real && closed(real + strlen(root))))
				abort();
			free(real);
			free(full);
			free(out);
		}
	}
	free(s);
	return 0;
}
