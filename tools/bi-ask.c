/*
 * bi-ask: ask a local LLM about the project, with the records piped in as
 * its context; answer the common questions with no model at all.
 *
 * Reads records on stdin (when it is not a terminal) and from --context
 * files (a malformed line is skipped, or with --strict ends the tool
 * before anything is asked), and condenses them to fit a token budget
 * (estimated as bytes / 4): bi-rca's findings first, then error logs
 * grouped by message template with counts, container events, the latest
 * health, stats and metrics, commits, warnings and the last log lines.
 * That context and the question go to Ollama (/api/chat) or an
 * OpenAI-compatible server (/v1/chat/completions), to the first installed
 * model of a preference list. The answer streams to a terminal as it
 * comes, or is written as one `answer` record. With no server (or
 * --offline), recent logs, errors, status, commits and "why did X fail"
 * are answered from the records alone. With no question on a terminal it
 * holds a conversation (libedit). Nothing is sent off this machine unless
 * a remote server is allowed explicitly. The digest of the records and
 * the context are lib/analysis/context.c's, the client of the server
 * llm.c's.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <editline/readline.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "analysis/context.h"
#include "analysis/llm.h"
#include "analysis/offline.h"
static const char usage[] =
	"usage: bi-ask [options] [QUESTION...]\n"
	"Ask a local LLM about the records piped in; some questions need no model.\n"
	"With no question on a terminal: a conversation (/context, /model, /quit).\n"
	"\n"
	"  -q, --query Q          the question (or give it as arguments)\n"
	"  -m, --model M          this model (default: agent.models, then llama3.1:70b,\n"
	"                         llama3.1:8b, llama3:70b, llama3:8b, then any installed)\n"
	"      --api A            ollama (default) or openai (any OpenAI-compatible server)\n"
	"      --base-url URL     the server (default: agent.base_url, else $OLLAMA_HOST\n"
	"                         or http://127.0.0.1:11434; openai: http://127.0.0.1:8080)\n"
	"      --api-key-env VAR  openai: the key is in $VAR (default OPENAI_API_KEY)\n"
	"      --allow-remote     allow a server that is not on this machine\n"
	"  -c, --context FILE     also read records from FILE (repeatable)\n"
	"  -b, --budget N         context budget in tokens of ~4 bytes (default 6000)\n"
	"      --strict           a malformed input line is fatal (exit 2, no answer)\n"
	"      --show-prompt      print what would be sent, and send nothing\n"
	"      --offline          use no model: answer from the records alone\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"Exit: 0, 2 usage, input that cannot be read (--strict: a malformed line) or\n"
	"      a question that needs a model with --offline, 3 the server unreachable,\n"
	"      the model missing, or the answer cut off, 4 writing the output failed or\n"
	"      memory ran out.\n";

static const char *const default_models[] = {
	"llama3.1:70b", "llama3.1:8b", "llama3:70b", "llama3:8b", NULL};

static const char preamble[] =
	"You are the agent of blissful-infra, which runs a developer's services "
	"on one machine. Answer questions about this project from the records "
	"below: root-cause findings, error logs grouped by template with counts, "
	"container events, health, stats, metrics and commits. Be brief and "
	"concrete: name the service, the evidence, and the next step to take. "
	"When the records do not show something, say so rather than guess.\n";

static struct {
	bi_llm llm;		/* the server (lib/analysis/llm.c); base and auth are ours */
	const char *model;
	long budget;		/* tokens of ~4 bytes */
	int allow_remote, offline, show_prompt, tty_out;
	int read_flags;		/* BI_STRICT */
	jv prefs;		/* the preferred models, in order */
} opt;

static bi_llm_records in;	/* the records read */

/* ---- the server and its model ---- */

static _Noreturn void
missing(const char *model, jv have)
{
	if (opt.llm.api == BI_LLM_OLLAMA)
		bi_die(BI_EXIT_UNREACHABLE, "model %s is not installed at %s; run: ollama pull %s",
		       model, opt.llm.base, model);
	jv all = jv_dump_string(have, 0);
	bi_die(BI_EXIT_UNREACHABLE, "model %s is not served at %s (it has %s)", model, opt.llm.base,
	       jv_string_value(all));
}

/* The model to use: --model, else the first preference installed, else any. */
static char *
choose_model(jv have)
{
	char *m, *absent = NULL;

	if (opt.model) {
		if (!(m = bi_llm_find_model(have, opt.model)))
			missing(opt.model, have);
	} else if (!(m = bi_llm_choose(have, opt.prefs, &absent))) {
		bi_die(BI_EXIT_UNREACHABLE, "no model is installed at %s; run: ollama pull %s",
		       opt.llm.base, default_models[1]);
	}
	if (absent)
		bi_warn("using model %s (not installed: %s)", m, absent);
	else
		bi_warn("using model %s", m);
	free(absent);
	jv_free(have);
	return m;
}

/* ---- one answer ---- */

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* On a terminal, the answer as it comes. */
static void
echo(void *ctx, const char *text, size_t n)
{
	(void)ctx;
	fwrite(text, 1, n, stdout);
	fflush(stdout);
}

static void
write_answer(const char *q, const char *model, const char *text, long tokens,
	     int64_t t0, jv evidence, const char *err)
{
	jv r = bi_record("answer");

	r = bi_set(r, "question", jv_string(q));
	r = bi_set(r, "model", model ? jv_string(model) : jv_null());
	r = bi_set(r, "answer", jv_string(text));
	r = bi_set(r, "tokens", jv_number((double)tokens));
	r = bi_set(r, "duration_ms", jv_number((double)((bi_mono_ns() - t0) / BI_NS_PER_MS)));
	r = bi_set(r, "offline", jv_bool(!model));
	if (jv_is_valid(evidence))
		r = bi_set(r, "evidence", evidence);
	else
		jv_free(evidence);
	if (err)
		r = bi_set(r, "error", jv_string(err));
	bi_write(r);
	bi_write_flush();
}

/* Ask once: the answer on the terminal or as a record. NULL, or the error. */
static char *
turn(jv *messages, const char *q, const char *model)
{
	bi_llm_stream s = {.on_text = opt.tty_out ? echo : NULL, .stop = &interrupted};
	int64_t t0 = bi_mono_ns();
	char *err = bi_llm_turn(&opt.llm, model, messages, q, &s);

	if (opt.tty_out && s.text.len && s.text.p[s.text.len - 1] != '\n') {
		putchar('\n');
		fflush(stdout);
	}
	if (!opt.tty_out && (!err || s.text.len))
		write_answer(q, model, s.text.p ? s.text.p : "", s.tokens, t0, jv_invalid(), err);
	bi_llm_stream_free(&s);
	return err;
}

/* Answer q without a model; 0, or -1 when it cannot be answered so. */
static int
answer_offline(const char *q)
{
	int64_t t0 = bi_mono_ns();
	jv evidence;
	char *text = bi_offline_answer(&in, q, &evidence);

	if (!text) {
		jv_free(evidence);
		return -1;
	}
	if (opt.tty_out) {
		fputs(text, stdout);
		fflush(stdout);
		jv_free(evidence);
	} else {
		write_answer(q, NULL, text, 0, t0, evidence, NULL);
	}
	free(text);
	return 0;
}

static const char offline_help[] =
	"without a model I can answer: show me recent logs, what errors are there, "
	"status, recent commits, why did SERVICE fail";

/* ---- the conversation ---- */

/* The conversation on the terminal, until /quit or end-of-file. messages
 * (the system message), model (NULL: offline) and have (the installed
 * models) are consumed. */
static int
converse(jv messages, char *model, jv have, const char *context)
{
	char *hist = bi_asprintf("%s/.bi_ask_history", getenv("HOME") ? getenv("HOME") : ".");
	char *line;

	if (!opt.tty_out)
		rl_outstream = stderr;
	using_history();
	read_history(hist);
	stifle_history(1000);
	fprintf(stderr, "%s: %s; /context, /model [NAME], /quit\n", bi_progname,
		model ? model : offline_help);
	while ((line = readline("ask> "))) {
		char *q = line + strspn(line, " \t");
		q[strcspn(q, "\r\n")] = '\0';
		if (!*q) {
			free(line);
			continue;
		}
		add_history(q);
		write_history(hist);
		if (!strcmp(q, "/quit") || !strcmp(q, "/exit")) {
			free(line);
			break;
		} else if (!strcmp(q, "/context")) {
			fputs(context, stdout);
		} else if (!strncmp(q, "/model", 6) && (!q[6] || q[6] == ' ')) {
			const char *want = q + 6 + strspn(q + 6, " ");
			char *m = *want && model ? bi_llm_find_model(have, want) : NULL;
			if (m) {
				free(model);
				model = m;
			} else if (*want) {
				bi_warn("%s is not installed at %s%s%s", want, opt.llm.base,
					opt.llm.api == BI_LLM_OLLAMA ? "; run: ollama pull " : "",
					opt.llm.api == BI_LLM_OLLAMA ? want : "");
			}
			/* Offline, have is invalid: libjq cannot print it. */
			jv all = jv_is_valid(have) ? jv_dump_string(jv_copy(have), 0) : jv_string("-");
			printf("model: %s (installed: %s)\n", model ? model : "none, offline",
			       jv_string_value(all));
			jv_free(all);
		} else if (q[0] == '/') {
			printf("commands: /context, /model [NAME], /quit\n");
		} else if (!model) {
			if (answer_offline(q) != 0)
				printf("%s\n", offline_help);
		} else {
			struct sigaction sa = {.sa_handler = on_sigint}, old;
			interrupted = 0;
			sigaction(SIGINT, &sa, &old);
			char *err = turn(&messages, q, model);
			sigaction(SIGINT, &old, NULL);
			if (err)
				bi_warn("%s", err);
			free(err);
			messages = bi_llm_trim(messages, (size_t)opt.budget * 4);
		}
		fflush(stdout);
		free(line);
	}
	free(hist);
	free(model);
	jv_free(messages);
	jv_free(have);
	return BI_EXIT_OK;
}

/* ---- the story ---- */

/* The records of stdin (unless it is a terminal), then of the --context
 * files. A file that cannot be opened, or with --strict a malformed line,
 * ends the tool (exit 2) before anything is asked: an answer from part of
 * the records would read as one from all of them. */
static void
read_input(char **files, int nfiles)
{
	char **paths = bi_calloc((size_t)nfiles + 1, sizeof *paths);
	int n = 0;

	if (!isatty(0))
		paths[n++] = "-";
	for (int i = 0; i < nfiles; i++)
		paths[n++] = files[i];
	bi_llm_records_init(&in);
	int bad = n ? bi_llm_records_read(&in, n, paths, opt.read_flags) : 0;
	free(paths);
	if (bad)
		exit(BI_EXIT_USAGE);	/* bi_each has said which, and why */
}

static void
show_prompt(jv messages, const char *question)
{
	jv sys = jv_array_get(messages, 0);

	const char *content = bi_get_str(sys, "content");

	printf("=== system\n%s", content ? content : "");
	if (question)
		printf("=== user\n%s\n", question);
	jv_free(sys);
}

/* Ask the server: once (question), or in a conversation (question NULL).
 * With no server, answer without a model what can be so answered.
 * messages (the system message) is consumed. */
static int
ask(jv messages, const char *question, const char *context)
{
	int down;

	if (!bi_llm_is_local(opt.llm.base) && !opt.allow_remote)
		bi_die(BI_EXIT_USAGE, "%s is not on this machine, and the project's records would "
		       "go there; --allow-remote or agent.allow_remote: true permits it", opt.llm.base);
	jv have = bi_llm_models(&opt.llm, &down);
	if (!jv_is_valid(have)) {
		jv why = jv_invalid_get_msg(have);
		if (!down || (question && !bi_offline_answerable(question)))
			bi_die(BI_EXIT_UNREACHABLE, "%s", jv_string_value(why));
		bi_warn("%s; answering without a model", jv_string_value(why));
		jv_free(why);
		if (!question)
			return converse(messages, NULL, jv_invalid(), context);
		answer_offline(question);
		jv_free(messages);
		return BI_EXIT_OK;
	}
	char *model = choose_model(jv_copy(have));
	if (!question)
		return converse(messages, model, have, context);
	char *err = turn(&messages, question, model);
	if (err)
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	free(model);
	jv_free(have);
	jv_free(messages);
	return BI_EXIT_OK;
}

static void
forget(void)
{
	free((char *)opt.llm.base);
	free((char *)opt.llm.auth);
	jv_free(opt.prefs);
	bi_llm_records_free(&in);
}

/* Settle the options from the flags given and blissful-infra.yaml. */
static void
configure(const char *api, const char *base, const char *key_env, int allow_remote)
{
	jv cfg = bi_config();

	api = api ? api : bi_jv_path_str(cfg, "agent.api", "ollama");
	if (!strcmp(api, "ollama"))
		opt.llm.api = BI_LLM_OLLAMA;
	else if (!strcmp(api, "openai"))
		opt.llm.api = BI_LLM_OPENAI;
	else
		bi_usage_error(usage, "--api: ollama or openai, not %s", api);
	const char *url = base ? base : bi_jv_path_str(cfg, "agent.base_url", NULL);
	char err[512];
	if (!(opt.llm.base = bi_llm_base_url(opt.llm.api, url, err, sizeof err)))
		bi_die(BI_EXIT_USAGE, "%s: %s", base ? "--base-url" : url ? "blissful-infra.yaml: agent.base_url" :
		       "OLLAMA_HOST", err);
	jv remote = bi_jv_path(cfg, "agent.allow_remote");
	opt.allow_remote = allow_remote || jv_get_kind(remote) == JV_KIND_TRUE;
	jv_free(remote);
	if (opt.budget == 0 && (opt.budget = (long)bi_jv_path_num(cfg, "agent.budget", 6000)) < 100)
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: agent.budget: at least 100 tokens");
	opt.llm.budget = opt.budget;
	const char *key = getenv(key_env ? key_env : bi_jv_path_str(cfg, "agent.api_key_env", "OPENAI_API_KEY"));
	if (opt.llm.api == BI_LLM_OPENAI && key && *key)
		opt.llm.auth = bi_asprintf("Authorization: Bearer %s", key);
	jv prefs = bi_jv_path(cfg, "agent.models");
	if (jv_get_kind(prefs) == JV_KIND_STRING)
		prefs = jv_array_append(jv_array(), prefs);
	if (jv_get_kind(prefs) != JV_KIND_ARRAY) {
		jv_free(prefs);
		prefs = jv_array();
		for (const char *const *m = default_models; *m; m++)
			prefs = jv_array_append(prefs, jv_string(*m));
	}
	opt.prefs = jv_array();
	jv_array_foreach(prefs, i, p) {
		if (jv_get_kind(p) == JV_KIND_STRING)
			opt.prefs = jv_array_append(opt.prefs, p);
		else
			jv_free(p);
	}
	jv_free(prefs);
	jv_free(cfg);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"query", required_argument, NULL, 'q'},
		{"model", required_argument, NULL, 'm'},
		{"api", required_argument, NULL, 'A'},
		{"base-url", required_argument, NULL, 'U'},
		{"api-key-env", required_argument, NULL, 'K'},
		{"allow-remote", no_argument, NULL, 'R'},
		{"context", required_argument, NULL, 'c'},
		{"budget", required_argument, NULL, 'b'},
		{"show-prompt", no_argument, NULL, 'P'},
		{"offline", no_argument, NULL, 'O'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *api = NULL, *base = NULL, *key_env = NULL;
	char **files = NULL, *end, *question = NULL;
	int nfiles = 0, allow_remote = 0, c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "q:m:c:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': question = bi_strdup(optarg); break;
		case 'm': opt.model = optarg; break;
		case 'A': api = optarg; break;
		case 'U': base = optarg; break;
		case 'K': key_env = optarg; break;
		case 'R': allow_remote = 1; break;
		case 'c':
			files = bi_realloc(files, (nfiles + 1) * sizeof *files);
			files[nfiles++] = optarg;
			break;
		case 'b':
			opt.budget = strtol(optarg, &end, 10);
			if (*end || opt.budget < 100 || opt.budget > 10000000)
				bi_usage_error(usage, "--budget: a number of tokens from 100, not %s", optarg);
			break;
		case 'P': opt.show_prompt = 1; break;
		case 'O': opt.offline = 1; break;
		case 'S': opt.read_flags |= BI_STRICT; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc) {
		if (question)
			bi_usage_error(usage, "a question as --query or as arguments, not both");
		bi_buf q = {0};
		for (int i = optind; i < argc; i++)
			bi_buf_printf(&q, "%s%s", i > optind ? " " : "", argv[i]);
		question = q.p;
	}
	configure(api, base, key_env, allow_remote);
	opt.tty_out = isatty(1);
	int interactive = !question && isatty(0);
	if (!question && !interactive)
		bi_usage_error(usage, "no question (give one, or run on a terminal to converse)");

	read_input(files, nfiles);
	free(files);

	/* The budget covers the preamble, the context and the question. */
	size_t fixed = sizeof preamble + 64 + (question ? strlen(question) : 512);
	size_t room = (size_t)opt.budget * 4 > fixed ? (size_t)opt.budget * 4 - fixed : 0;
	char *context = bi_llm_context(&in, room);
	jv messages = jv_array_append(jv_array(), bi_llm_msg("system",
		jv_string_fmt("%s\nThe records:\n%s", preamble, context)));
	int status = BI_EXIT_OK;

	if (opt.show_prompt)
		show_prompt(messages, question);
	else if (opt.offline && interactive)
		status = converse(messages, NULL, jv_invalid(), context);
	else if (opt.offline && answer_offline(question) != 0)
		bi_die(BI_EXIT_USAGE, "no model with --offline, and %s", offline_help);
	else if (opt.offline)
		jv_free(messages);
	else
		status = ask(messages, question, context);
	bi_fshut(stdout, "stdout");
	free(context);
	free(question);
	forget();
	return status;
}
