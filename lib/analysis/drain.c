/*
 * drain.c: log templates, by the Drain method (He et al., ICWS 2017).
 *
 * A message is first masked: every word holding a digit (numbers, hex, ids,
 * IP addresses, durations, sizes) becomes <*>, and so does a file path; a
 * token of parts joined by separators (host:port, a~b,c, k=v) is one <*>
 * from its first variable part on, so that a value's shape never splits a
 * template. Masked messages then go down a tree of fixed depth: by their
 * number of tokens, then by their first constant tokens, wherever they stand
 * (any new token goes down the wildcard branch once a node has too many
 * children). At the leaf, the message joins the most similar cluster (the
 * share of positions where the template's token equals the message's) when
 * that similarity reaches a threshold; the template then gets <*> wherever
 * the two differ. Otherwise the message starts a cluster of its own.
 *
 * One set of settings serves every input: there is no tuning per system
 * (BI_TEMPLATE_SETTINGS changes it for a run).
 * Memory grows with the number of clusters and distinct prefix tokens, never
 * with the number of messages.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/drain.h"

#include "base/util.h"

/* The default settings, chosen by leaving one Loghub system out at a time
 * (tests/tools/loso.py); BI_TEMPLATE_SETTINGS="sim=S,depth=D" changes them. */
#define DEPTH 4		/* the length level, then DEPTH - 2 constant tokens */
#define SIM 0.85		/* least similarity to join a cluster */
#define MAXDEPTH 16
#define MAXKIDS 100	/* children of a prefix node before new ones go wild */
#define LEAF_SEARCH 1000	/* clusters of a leaf compared with a message */
#define MAXTOKENS 512	/* a longer message keeps its first tokens, and
			   the rest as one last token */

static const char WILD[] = "<*>";
static uint32_t wild_hash;	/* of WILD */
static unsigned char cls[256];	/* character classes, see below */
static void cls_init(void);

/* Tables set once, before main: no thread can race to fill them. */
__attribute__((constructor)) static void
drain_init(void)
{
	wild_hash = (uint32_t)bi_hash64(WILD, sizeof WILD - 1);
	cls_init();
}

struct node {
	char *key;
	uint32_t hash;
	struct node **kids;
	size_t nkids, capkids;
	struct node *wild;
	bi_drain_cluster **cl;		/* at a leaf */
	size_t ncl, capcl;
};

/* A cluster, with the hashes of its template's tokens to compare first. */
struct cl {
	bi_drain_cluster pub;	/* first: a pointer to one is one to the other */
	uint32_t *th;
};

struct bi_drain {
	struct node **bylen;		/* the first level: by token count */
	size_t nbylen;
	bi_drain_cluster **all;
	size_t nall, capall;
	uint64_t *ids;			/* a set of the ids given out */
	size_t capids;
	bi_buf masked;			/* the current message, masked */
	size_t *tokoff;			/* its tokens, as offsets into masked */
	uint32_t *tokhash;		/* and their hashes */
	unsigned char *tokwild;		/* and 2: <*>, 1: holds <*>, 0: constant */
	size_t ntok, captok;
	bi_buf text;			/* a template, joined */
	double sim;			/* the settings */
	size_t depth;
};

int
bi_drain_settings(const char *spec, double *sim, size_t *depth)
{
	double s = SIM;
	size_t dp = DEPTH;

	for (const char *p = spec ? spec : ""; *p;) {
		size_t n = strcspn(p, ",");
		char *end;
		if (n > 4 && !strncmp(p, "sim=", 4)) {
			s = strtod(p + 4, &end);
			if (end != p + n || !(s > 0 && s <= 1))
				return 0;
		} else if (n > 6 && !strncmp(p, "depth=", 6)) {
			long v = strtol(p + 6, &end, 10);
			if (end != p + n || v < 2 || v > MAXDEPTH)
				return 0;
			dp = (size_t)v;
		} else if (n) {
			return 0;
		}
		p += n + (p[n] == ',');
	}
	*sim = s;
	*depth = dp;
	return 1;
}

bi_drain *
bi_drain_new(void)
{
	bi_drain *d = bi_calloc(1, sizeof(bi_drain));
	const char *spec = getenv("BI_TEMPLATE_SETTINGS");

	if (!bi_drain_settings(spec, &d->sim, &d->depth)) {
		bi_warn("BI_TEMPLATE_SETTINGS=%s: not sim=S,depth=D (0 < S <= 1, "
			"2 <= D <= %d); using sim=%g,depth=%d", spec, MAXDEPTH, SIM, DEPTH);
		bi_drain_settings(NULL, &d->sim, &d->depth);
	}
	return d;
}

static void
node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	node_free(n->wild);
	free(n->kids);
	free(n->cl);
	free(n->key);
	free(n);
}

void
bi_drain_free(bi_drain *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nbylen; i++)
		node_free(d->bylen[i]);
	free(d->bylen);
	for (size_t i = 0; i < d->nall; i++) {
		for (size_t t = 0; t < d->all[i]->ntok; t++)
			free(d->all[i]->tok[t]);
		free(d->all[i]->tok);
		free(((struct cl *)d->all[i])->th);
		free(d->all[i]);
	}
	free(d->all);
	free(d->ids);
	free(d->tokoff);
	free(d->tokhash);
	free(d->tokwild);
	bi_buf_free(&d->masked);
	bi_buf_free(&d->text);
	free(d);
}

/* ---- masking ---- */

/* Character classes, by table: the masker looks at every byte. */
enum { C_WORD = 1, C_DIGIT = 2, C_SEP = 4, C_OPEN = 8, C_CLOSE = 16, C_SLASH = 32 };

static void
cls_init(void)
{
	for (int c = 0; c < 256; c++) {
		cls[c] = (isalnum(c) || c == '_' || c >= 0x80) ? C_WORD : 0;
		if (isdigit(c))
			cls[c] |= C_DIGIT;
	}
	/* Characters that join the parts of one value (host:port, k=v,k=v,
	 * a~b, user@host, a/b, [a]), and the quotes and brackets that open
	 * and close a token. */
	for (const char *p = ",:;=/@~|&?#()[]{}<>"; *p; p++)
		cls[(unsigned char)*p] |= C_SEP;
	for (const char *p = "\"'([<{"; *p; p++)
		cls[(unsigned char)*p] |= C_OPEN;
	for (const char *p = "\"'),;:]}>."; *p; p++)
		cls[(unsigned char)*p] |= C_CLOSE;
	cls['/'] |= C_SLASH;
	cls['\\'] |= C_SLASH;
}

static int
word_char(int c)
{
	return cls[c] & C_WORD;
}

/* Where a file path starts in the token t (n bytes): at a '/', "./" or
 * "C:\" that opens the token or follows a quote, bracket or '='; it runs to
 * the end of the token but for closing punctuation, and holds two slashes at
 * least. URLs count too. 0 when there is none; else *from and *to. */
static int
find_path(const char *t, size_t n, size_t *from, size_t *to)
{
	size_t i = 0;

	while (i < n && ((cls[(unsigned char)t[i]] & C_OPEN) || t[i] == '='))
		i++;
	const char *url = memmem(t, n, "://", 3);
	if (url)
		i = url - t;
	else if (!(i < n && (t[i] == '/' || (t[i] == '.' && i + 1 < n && t[i + 1] == '/') ||
		   (i + 2 < n && isalpha((unsigned char)t[i]) && t[i + 1] == ':' && t[i + 2] == '\\'))))
		return 0;
	if (url)	/* the scheme belongs to the URL */
		while (i > 0 && isalpha((unsigned char)t[i - 1]))
			i--;
	size_t j = n;
	while (j > i && (cls[(unsigned char)t[j - 1]] & C_CLOSE))
		j--;
	size_t slashes = 0;
	for (size_t k = i; k < j; k++)
		slashes += t[k] == '/' || t[k] == '\\';
	if (slashes < 2)
		return 0;
	*from = i;
	*to = j;
	return 1;
}

/* Append the word-level masking of t (n bytes, no white space) to out:
 * every word holding a digit becomes <*>, the rest is kept. */
static void
mask_words(const char *t, size_t n, bi_buf *out)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)t[i];
		int sign = (c == '-' || c == '+') && i + 1 < n &&
			   isdigit((unsigned char)t[i + 1]) &&
			   (i == 0 || !word_char((unsigned char)t[i - 1]));
		if (!word_char(c) && !sign) {
			size_t j = i + 1;
			while (j < n && !word_char((unsigned char)t[j]) && t[j] != '-' && t[j] != '+')
				j++;
			bi_buf_add(out, t + i, j - i);
			i = j;
			continue;
		}
		/* A word: word characters, and '-' or '.' between two of
		 * them, so that 10.1.2.3, blk_-42 and 1a2b-3c4d are one word. */
		size_t j = i + 1, digits = isdigit(c);
		while (j < n) {
			unsigned char k = (unsigned char)t[j];
			if (word_char(k)) {
				digits += isdigit(k) != 0;
				j++;
			} else if ((k == '-' || k == '.') && j + 1 < n &&
				   word_char((unsigned char)t[j + 1])) {
				j++;
			} else {
				break;
			}
		}
		if (digits)
			bi_buf_adds(out, WILD);
		else
			bi_buf_add(out, t + i, j - i);
		i = j;
	}
}

/* Append the token t (n bytes, no white space) to out, masked; 1 when it
 * masked something. A token of parts joined by separators is one value
 * when a part is variable (holds a digit): it keeps the quotes and brackets
 * around it and its constant parts up to the first variable one (a key's
 * name: "port=<*>", "onExtend:<*>"), and the rest is one <*>, so that
 * "10.0.0.1:80", "[fe80::1]" and "a1~b2,c3" mask the same whatever their
 * shape. A file path or URL is one <*> too. */
static int
mask_token(const char *t, size_t n, bi_buf *out)
{
	size_t from, to, digits = 0, slashes = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char k = cls[(unsigned char)t[i]];
		digits += (k & C_DIGIT) != 0;
		slashes += (k & C_SLASH) != 0;
	}
	if (slashes >= 2 && find_path(t, n, &from, &to)) {
		mask_words(t, from, out);
		bi_buf_adds(out, WILD);
		mask_words(t + to, n - to, out);
		return 1;
	}
	if (!digits) {		/* nothing to mask: the common case */
		bi_buf_add(out, t, n);
		return 0;
	}
	size_t lead = 0, trail = n;
	while (lead < n && (cls[(unsigned char)t[lead]] & C_OPEN))
		lead++;
	while (trail > lead && (cls[(unsigned char)t[trail - 1]] & C_CLOSE))
		trail--;
	/* The first variable part: a part holding a digit. */
	size_t part = lead, var = n, dig = 0;
	for (size_t i = lead; i <= trail; i++) {
		if (i < trail && !(cls[(unsigned char)t[i]] & C_SEP)) {
			dig += (cls[(unsigned char)t[i]] & C_DIGIT) != 0;
			continue;
		}
		if (dig) {
			var = part;
			break;
		}
		part = i + 1;
	}
	if (var == n) {		/* not met (no digit is a quote or bracket) */
		mask_words(t, n, out);
		return 1;
	}
	bi_buf_add(out, t, var);
	bi_buf_adds(out, WILD);
	bi_buf_add(out, t + trail, n - trail);
	return 1;
}

static const char *
tok(const bi_drain *d, size_t i)
{
	return d->masked.p + d->tokoff[i];
}

/* Mask msg into d->masked and cut it into tokens. */
static void
tokenize(bi_drain *d, const char *msg, size_t n)
{
	d->masked.len = 0;
	d->ntok = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && isspace((unsigned char)msg[i]))
			i++;
		if (i == n)
			break;
		size_t j = i;
		while (j < n && !isspace((unsigned char)msg[j]))
			j++;
		if (d->ntok == MAXTOKENS - 1)
			j = n;	/* the rest, as one last token */
		if (d->ntok == d->captok) {
			d->captok = d->captok ? d->captok * 2 : 32;
			d->tokoff = bi_realloc(d->tokoff, d->captok * sizeof *d->tokoff);
			d->tokhash = bi_realloc(d->tokhash, d->captok * sizeof *d->tokhash);
			d->tokwild = bi_realloc(d->tokwild, d->captok * sizeof *d->tokwild);
		}
		size_t at = d->masked.len;
		int masked = mask_token(msg + i, j - i, &d->masked);
		size_t len = d->masked.len - at;
		unsigned char w = 0;
		if (len == sizeof WILD - 1 && !memcmp(d->masked.p + at, WILD, len))
			w = 2;
		else if ((masked || memchr(msg + i, '<', j - i)) &&
			 memmem(d->masked.p + at, len, WILD, sizeof WILD - 1))
			w = 1;
		/* A run of variables is one variable: a list of ids is as
		 * long as it happens to be. */
		if (w == 2 && d->ntok > 0 && d->tokwild[d->ntok - 1] == 2) {
			d->masked.len = at;
			i = j;
			continue;
		}
		d->tokwild[d->ntok] = w;
		d->tokhash[d->ntok] = (uint32_t)bi_hash64(d->masked.p + at, d->masked.len - at);
		d->tokoff[d->ntok++] = at;
		bi_buf_add(&d->masked, "", 1);	/* each token NUL-terminated */
		i = j;
	}
}

void
bi_drain_mask(const char *msg, size_t n, bi_buf *out)
{
	bi_drain d = {0};

	tokenize(&d, msg, n);
	for (size_t i = 0; i < d.ntok; i++) {
		if (i)
			bi_buf_add(out, " ", 1);
		bi_buf_adds(out, tok(&d, i));
	}
	if (!out->p)
		bi_buf_add(out, "", 0);
	free(d.tokoff);
	free(d.tokhash);
	free(d.tokwild);
	bi_buf_free(&d.masked);
}

/* ---- the tree ---- */

/* The child of n for the constant token key (its hash h), made when make
 * is set (NULL otherwise). */
static struct node *
child(struct node *n, const char *key, uint32_t h, int make)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->hash == h && !strcmp(n->kids[i]->key, key))
			return n->kids[i];
	if (n->nkids >= MAXKIDS) {	/* too many: the rest go wild */
		if (!n->wild && make)
			n->wild = bi_calloc(1, sizeof *n->wild);
		return n->wild;
	}
	if (!make)
		return NULL;
	if (n->nkids == n->capkids) {
		n->capkids = n->capkids ? n->capkids * 2 : 4;
		n->kids = bi_realloc(n->kids, n->capkids * sizeof *n->kids);
	}
	struct node *k = bi_calloc(1, sizeof *k);
	k->key = bi_strdup(key);
	k->hash = h;
	n->kids[n->nkids++] = k;
	return k;
}

/* The leaf for the current message. */
static struct node *
leaf(bi_drain *d, int make)
{
	size_t len = d->ntok;

	if (len >= d->nbylen) {
		if (!make)
			return NULL;
		size_t n = len + 1 > d->nbylen * 2 ? len + 1 : d->nbylen * 2;
		d->bylen = bi_realloc(d->bylen, n * sizeof *d->bylen);
		memset(d->bylen + d->nbylen, 0, (n - d->nbylen) * sizeof *d->bylen);
		d->nbylen = n;
	}
	struct node *n = d->bylen[len];
	if (!n) {
		if (!make)
			return NULL;
		n = d->bylen[len] = bi_calloc(1, sizeof *n);
	}
	/* Down by the first constant tokens, wherever they are: a message
	 * that opens with a variable is still told apart by its words. */
	for (size_t i = 0, k = 0; i < len && k + 2 < d->depth && n; i++)
		if (!d->tokwild[i]) {
			n = child(n, tok(d, i), d->tokhash[i], make);
			k++;
		}
	return n;
}

/* Similarity of cluster c to the current message: the share of positions
 * where they hold the same token; *wild gets the template's <*> count. -1 as
 * soon as it cannot reach SIM: such a cluster is never chosen. */
static double
similarity(const bi_drain *d, const struct cl *c, size_t *wild)
{
	size_t n = c->pub.ntok, same = 0, differ = 0;
	size_t may_differ = n - (size_t)ceil(d->sim * (double)n - 1e-9);

	*wild = 0;
	for (size_t i = 0; i < n; i++) {
		*wild += c->th[i] == wild_hash && !strcmp(c->pub.tok[i], WILD);
		if (c->th[i] == d->tokhash[i] && !strcmp(c->pub.tok[i], tok(d, i)))
			same++;
		else if (++differ > may_differ)
			return -1;
	}
	return n ? (double)same / n : 1.0;
}

/* The most similar cluster of leaf n, at least SIM similar; NULL if none.
 * A leaf's clusters are kept the most recently used first, and only the
 * first LEAF_SEARCH are compared: messages that nothing masks and nothing
 * groups cannot make each new message cost more than that. When learn is
 * set the one found moves to the front. */
static bi_drain_cluster *
best(const bi_drain *d, struct node *n, int learn)
{
	size_t b = 0, bwild = 0;
	double bsim = -1;

	for (size_t i = 0; n && i < n->ncl && i < LEAF_SEARCH; i++) {
		size_t wild;
		double s = similarity(d, (const struct cl *)n->cl[i], &wild);
		if (s > bsim || (s == bsim && wild > bwild)) {
			b = i;
			bsim = s;
			bwild = wild;
		}
	}
	if (bsim < 0 || (bsim < d->sim && n->cl[b]->ntok != 0))
		return NULL;
	bi_drain_cluster *c = n->cl[b];
	if (learn && b > 0) {
		memmove(n->cl + 1, n->cl, b * sizeof *n->cl);
		n->cl[0] = c;
	}
	return c;
}

/* Put c at the front of leaf n's clusters. */
static void
leaf_add(struct node *n, bi_drain_cluster *c)
{
	if (n->ncl == n->capcl) {
		n->capcl = n->capcl ? n->capcl * 2 : 2;
		n->cl = bi_realloc(n->cl, n->capcl * sizeof *n->cl);
	}
	memmove(n->cl + 1, n->cl, n->ncl * sizeof *n->cl);	/* the newest first */
	n->cl[0] = c;
	n->ncl++;
}

/* Put id into the set; 0 if it was there already. */
static int
id_add(bi_drain *d, uint64_t id)
{
	if ((d->nall + 1) * 2 > d->capids) {
		size_t cap = d->capids ? d->capids * 2 : 64;
		uint64_t *ids = bi_calloc(cap, sizeof *ids);
		for (size_t i = 0; i < d->capids; i++) {
			if (!d->ids[i])
				continue;
			size_t j = d->ids[i] & (cap - 1);
			while (ids[j])
				j = (j + 1) & (cap - 1);
			ids[j] = d->ids[i];
		}
		free(d->ids);
		d->ids = ids;
		d->capids = cap;
	}
	size_t j = id & (d->capids - 1);
	while (d->ids[j]) {
		if (d->ids[j] == id)
			return 0;
		j = (j + 1) & (d->capids - 1);
	}
	d->ids[j] = id;
	return 1;
}

static bi_drain_cluster *
create(bi_drain *d, struct node *n)
{
	struct cl *cl = bi_calloc(1, sizeof *cl);
	bi_drain_cluster *c = &cl->pub;

	c->index = d->nall;
	c->ntok = d->ntok;
	c->tok = bi_calloc(d->ntok, sizeof *c->tok);
	cl->th = bi_calloc(d->ntok, sizeof *cl->th);
	for (size_t i = 0; i < d->ntok; i++) {
		c->tok[i] = bi_strdup(tok(d, i));
		cl->th[i] = d->tokhash[i];
	}
	/* The id: a hash of the first template, so that the same message
	 * gets the same id in another run; a clash moves it on. */
	uint64_t h = bi_hash64(d->masked.p, d->masked.len);
	for (uint32_t salt = 0;; salt++) {
		uint32_t id = (uint32_t)(h ^ h >> 32) + salt * 0x9E3779B9u;
		if (id && id_add(d, id)) {
			snprintf(c->id, sizeof c->id, "t%08x", id);
			break;
		}
	}
	leaf_add(n, c);
	if (d->nall == d->capall) {
		d->capall = d->capall ? d->capall * 2 : 16;
		d->all = bi_realloc(d->all, d->capall * sizeof *d->all);
	}
	d->all[d->nall++] = c;
	return c;
}

const bi_drain_cluster *
bi_drain_add(bi_drain *d, const char *msg, size_t n)
{
	tokenize(d, msg, n);
	struct node *l = leaf(d, 1);
	bi_drain_cluster *c = best(d, l, 1);

	if (!c)
		c = create(d, l);
	else
		for (size_t i = 0; i < c->ntok; i++)
			if (!(((struct cl *)c)->th[i] == wild_hash && !strcmp(c->tok[i], WILD)) &&
			    !(((struct cl *)c)->th[i] == d->tokhash[i] && !strcmp(c->tok[i], tok(d, i)))) {
				free(c->tok[i]);
				c->tok[i] = bi_strdup(WILD);
				((struct cl *)c)->th[i] = wild_hash;
			}
	c->count++;
	return c;
}

const bi_drain_cluster *
bi_drain_match(bi_drain *d, const char *msg, size_t n)
{
	tokenize(d, msg, n);
	return best(d, leaf(d, 0), 0);
}

const char *
bi_drain_text(bi_drain *d, const bi_drain_cluster *c)
{
	d->text.len = 0;
	for (size_t i = 0; i < c->ntok; i++) {
		if (i)
			bi_buf_add(&d->text, " ", 1);
		bi_buf_adds(&d->text, c->tok[i]);
	}
	if (!d->text.p)
		bi_buf_add(&d->text, "", 0);
	return d->text.p;
}

size_t
bi_drain_count(const bi_drain *d)
{
	return d->nall;
}

const bi_drain_cluster *
bi_drain_get(const bi_drain *d, size_t index)
{
	return index < d->nall ? d->all[index] : NULL;
}
