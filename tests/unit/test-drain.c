/* test-drain: masking, clustering, stable ids, odd input. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "analysis/drain.h"
#include "tap.h"

static const char *
mask(const char *s)
{
	static bi_buf b;

	b.len = 0;
	bi_drain_mask(s, strlen(s), &b);
	return b.p;
}

static const char *
text_of(bi_drain *d, const char *msg)
{
	return bi_drain_text(d, bi_drain_add(d, msg, strlen(msg)));
}

int
main(void)
{
	plan(40);
	bi_init("test-drain");

	/* Masking: every kind of variable the RCA meets. */
	is_str(mask("took 250ms for 42 rows"), "took <*> for <*> rows", "numbers and durations");
	is_str(mask("block blk_-6952295868487656571 and blk_38865"), "block <*> and <*>",
	       "ids with a sign and an underscore");
	is_str(mask("from 10.251.73.220:50010 to [fe80::1]"), "from <*> to [<*>]",
	       "IPv4 and IPv6 addresses and a port: one variable each");
	is_str(mask("object 0x7ffd5a3c at deadbeef01"), "object <*> at <*>", "hex");
	is_str(mask("request 550e8400-e29b-41d4-a716-446655440000 done"), "request <*> done", "a UUID");
	is_str(mask("open /var/lib/app/data.db: no such file"), "open <*>: no such file",
	       "a path, its closing colon kept");
	is_str(mask("fetch \"https://example.com/a/b?c=1\" failed"), "fetch \"<*>\" failed",
	       "a URL inside quotes");
	is_str(mask("  spaced\tout \n words  "), "spaced out words", "white space normalised");
	is_str(mask("ask to delete blk_1 blk_2 blk_3 blk_4"), "ask to delete <*>",
	       "a list of variables is one variable");
	is_str(mask("onExtend:1514038530000 14 0 4"), "onExtend:<*> <*>",
	       "a key keeps its name when its value is masked");
	is_str(mask("GET /hello 200"), "GET /hello <*>", "a one-level URL path is a word");
	/* A value of parts joined by separators is one variable when a
	 * part is: its shape does not make another template. */
	is_str(mask("got a1~b2,c3 and x~y,z"), "got <*> and x~y,z",
	       "parts joined by ~ and , with a variable part: one <*>; constant: kept");
	is_str(mask("node=worker-3:8080/api@eu"), "node=<*>", "a key keeps its name, the value is one <*>");
	is_str(mask("(12) [fe80::1]: \"5s\""), "(<*>) [<*>]: \"<*>\"", "quotes and brackets around a value kept");
	is_str(mask("= : , ~"), "= : , ~", "separators alone are words");

	/* Settings. */
	double sim = 0;
	size_t depth = 0;
	ok(bi_drain_settings("sim=0.5,depth=6", &sim, &depth) && sim == 0.5 && depth == 6,
	   "settings: sim and depth");
	ok(bi_drain_settings(NULL, &sim, &depth) && sim > 0 && sim <= 1 && depth >= 2,
	   "settings: the defaults (sim %g depth %zu)", sim, depth);
	ok(!bi_drain_settings("sim=0", &sim, &depth) && !bi_drain_settings("depth=1", &sim, &depth) &&
	   !bi_drain_settings("sim=0.5x", &sim, &depth) && !bi_drain_settings("size=3", &sim, &depth) &&
	   !bi_drain_settings("sim=1.5", &sim, &depth),
	   "settings: out of range or unknown: refused");

	/* Clustering: one template for a message with varying parts. */
	bi_drain *d = bi_drain_new();
	const bi_drain_cluster *c = NULL;
	char msg[256];
	for (int i = 0; i < 10000; i++) {
		snprintf(msg, sizeof msg, "payment %d for user u%d failed after %dms: card %x declined",
			 i * 7, i, i % 900, i * 2654435761u);
		c = bi_drain_add(d, msg, strlen(msg));
	}
	is_num(bi_drain_count(d), 1, "10 000 messages with varying numbers and ids: one cluster");
	is_num(c->count, 10000, "... counting them all");
	is_str(bi_drain_text(d, c), "payment <*> for user <*> failed after <*>: card <*> declined",
	       "... with the variables as <*>");
	const char *id = c->id;
	ok(strlen(id) == 9 && id[0] == 't', "an id of t and 8 hex digits (%s)", id);

	/* Words that differ widen the template when most of it agrees, and
	 * start another cluster when they do not. */
	is_str(text_of(d, "cache connection lost, retrying in a moment with host redis"),
	       "cache connection lost, retrying in a moment with host redis",
	       "a new message, its own template");
	is_str(text_of(d, "cache connection lost, retrying in a moment with host postgres"),
	       "cache connection lost, retrying in a moment with host <*>", "one word of ten differs: widened");
	is_num(bi_drain_count(d), 2, "... in the same cluster");
	text_of(d, "cache warmed in the background by the worker pool thread");
	is_num(bi_drain_count(d), 3, "as many tokens, little in common: another cluster");
	text_of(d, "cache connection lost, retrying");
	is_num(bi_drain_count(d), 4, "fewer tokens: another cluster");

	/* Down the tree by the first constant words: messages that open with
	 * a variable still find their own kind, and each other. */
	bi_drain *r = bi_drain_new();
	const bi_drain_cluster *r1 = bi_drain_add(r, "10.0.0.1 sent 5 bytes to server alpha ok", 40);
	const bi_drain_cluster *r2 = bi_drain_add(r, "10.0.0.2 sent 7 bytes to server alpha ok", 40);
	const bi_drain_cluster *r3 = bi_drain_add(r, "10.0.0.3 lost 7 bytes to server alpha ok", 40);
	ok(r1 == r2, "an opening variable does not keep alike messages apart");
	ok(r3 != r1, "... and another word after it makes another template");
	is_str(bi_drain_text(r, r1), "<*> sent <*> bytes to server alpha ok", "... whose template is right");
	bi_drain_free(r);

	/* Matching changes nothing; ids stay put and are the same next run. */
	const char *kafka = "cache connection lost, retrying in a moment with host kafka";
	const bi_drain_cluster *m = bi_drain_match(d, kafka, strlen(kafka));
	ok(m && m->index == 1 && m->count == 2, "match finds the cluster without adding to it");
	ok(bi_drain_match(d, "never seen anything like this", 29) == NULL, "match of a stranger: NULL");
	bi_drain *e = bi_drain_new();
	snprintf(msg, sizeof msg, "payment %d for user u%d failed after %dms: card %x declined", 1, 2, 3, 4);
	const bi_drain_cluster *again = bi_drain_add(e, msg, strlen(msg));
	is_str(again->id, bi_drain_get(d, 0)->id, "the same first message gets the same id in another run");
	int distinct = 1;
	for (size_t i = 0; i < bi_drain_count(d); i++)
		for (size_t k = i + 1; k < bi_drain_count(d); k++)
			distinct &= strcmp(bi_drain_get(d, i)->id, bi_drain_get(d, k)->id) != 0;
	ok(distinct, "ids differ between clusters");
	ok(bi_drain_get(d, 99) == NULL, "get past the end: NULL");

	/* Odd input: nothing, NUL bytes, bytes that are not UTF-8, a huge line. */
	const bi_drain_cluster *empty = bi_drain_add(e, "", 0);
	ok(empty && empty->ntok == 0, "an empty message is a cluster of no tokens");
	is_str(bi_drain_text(e, empty), "", "... whose template is empty");
	c = bi_drain_add(e, "a\0b 12\0\0", 8);
	ok(c != NULL, "NUL bytes do not stop it");
	c = bi_drain_add(e, "\xff\xfe bad \xc3 bytes 7", 17);
	ok(c && strstr(bi_drain_text(e, c), "bad") != NULL, "invalid UTF-8 is kept as bytes");
	size_t n = 1 << 20;
	char *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 3 == 2 ? ' ' : 'a' + i % 26;
	c = bi_drain_add(e, big, n);
	ok(c && c->ntok <= 512, "a 1 MiB message: at most 512 tokens (%zu)", c ? c->ntok : 0);
	free(big);
	bi_drain_free(e);
	bi_drain_free(d);
	return done();
}
