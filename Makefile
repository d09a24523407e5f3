# blissful-infra: one make builds lib/libbi.a and every tools/bi-*.c into bin/.
# A new tool is a new file in tools/; a new library module a .c and a .h in
# its layer's folder (lib/base, lib/sources, lib/engines, lib/analysis: see
# HACKING.md) with its test program in tests/unit/.

VERSION = 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
LIBEXECDIR = $(PREFIX)/libexec/blissful-infra
DATADIR = $(PREFIX)/share/blissful-infra
MANDIR = $(PREFIX)/share/man

CC ?= cc
PKGS = libcurl yaml-0.1 libgit2 sqlite3 libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
# -Werror is for our own checks (make check, CI), never for a packager's build:
# a newer compiler's new warning must not break a release.
WERROR ?=
BI_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -Ilib \
	-DBI_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
LDLIBS = $(PKG_LIBS) -ljq -lpthread -lm
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(wildcard lib/*/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=build/lib/%.o)
LIB_ASAN := $(LIB_SRC:lib/%.c=build/asan/lib/%.o)
LIB_FUZZ := $(LIB_SRC:lib/%.c=build/fuzz/lib/%.o)
# Each object's header dependencies, as the compiler saw them (-MMD).
DEPFLAGS = -MMD -MP
TOOLS := $(patsubst tools/%.c,bin/%,$(wildcard tools/bi-*.c))
UNIT := $(patsubst tests/unit/%.c,build/asan/%,$(wildcard tests/unit/test-*.c))
FUZZ := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))
SCRIPTS := $(wildcard scripts/blissful-infra scripts/bi-*.sh)
MAN1 := $(wildcard man/man1/*.1)
MAN7 := $(wildcard man/man7/*.7)

all: lib/libbi.a $(TOOLS) bin/bi-hog

# Before the first compile, say which library is missing (and which Debian
# package has it) instead of failing on a header. Installing is deps' job,
# which only make check and make demo run: a plain make installs nothing.
LIBCHECK = libcurl:libcurl4-openssl-dev yaml-0.1:libyaml-dev libgit2:libgit2-dev \
	sqlite3:libsqlite3-dev libmicrohttpd:libmicrohttpd-dev libedit:libedit-dev libpq:libpq-dev
build/libs.ok:
	@missing=""; \
	for pair in $(LIBCHECK); do \
		pkg-config --exists "$${pair%%:*}" 2>/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	printf '#include <jv.h>\n#include <jq.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 || \
		missing="$$missing libjq-dev"; \
	if [ -n "$$missing" ]; then \
		echo "make: missing libraries; install:$$missing (scripts/deps.sh, or make deps, does it on Debian)" >&2; \
		exit 2; \
	fi
	@mkdir -p $(@D) && touch $@

build/lib/%.o: lib/%.c | build/libs.ok
	@mkdir -p $(@D)
	$(CC) $(BI_CFLAGS) $(DEPFLAGS) $(CFLAGS) -c -o $@ $<

lib/libbi.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

EXTRA_LIBS_bi-ask = -ledit
EXTRA_LIBS_bi-proxy = -lmicrohttpd
EXTRA_LIBS_bi-serve = -lmicrohttpd
bin/%: tools/%.c lib/libbi.a | build/libs.ok
	@mkdir -p $(@D) build/tools
	$(CC) $(BI_CFLAGS) -MMD -MP -MF build/tools/$*.d $(CFLAGS) -o $@ $< lib/libbi.a $(LDLIBS) $(EXTRA_LIBS_$*)

# bi-chaos' helper, copied into containers: static, no library of ours.
bin/bi-hog: tools/hog/bi-hog.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -O2 -static -o $@ $< -lpthread

# Unit tests: every lib module under AddressSanitizer and UBSan.
build/asan/lib/%.o: lib/%.c | build/libs.ok
	@mkdir -p $(@D)
	$(CC) $(BI_CFLAGS) $(DEPFLAGS) -O1 -g $(SAN) -c -o $@ $<

build/asan/libbi.a: $(LIB_ASAN)
	rm -f $@
	$(AR) rcs $@ $(LIB_ASAN)

build/asan/test-%: tests/unit/test-%.c tests/unit/tap.h build/asan/libbi.a
	@mkdir -p $(@D) build/asan/deps
	$(CC) $(BI_CFLAGS) -MMD -MP -MF build/asan/deps/$*.d -Itests/unit -O1 -g $(SAN) -o $@ $< build/asan/libbi.a $(LDLIBS)

unit: $(UNIT)

# Fuzz harnesses (libFuzzer, clang). `make fuzz` builds them and runs each for
# FUZZ_SECONDS over its seed corpus, with the environment in tests/fuzz/NAME.env.
# The library is built once for all of them, instrumented for coverage.
FUZZ_SECONDS ?= 20
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
build/fuzz/lib/%.o: lib/%.c | build/libs.ok
	@mkdir -p $(@D)
	clang $(BI_CFLAGS) $(DEPFLAGS) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

build/fuzz/libbi.a: $(LIB_FUZZ)
	rm -f $@
	$(AR) rcs $@ $(LIB_FUZZ)

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c build/fuzz/libbi.a
	@mkdir -p $(@D) build/fuzz/deps
	clang $(BI_CFLAGS) -MMD -MP -MF build/fuzz/deps/$*.d -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< build/fuzz/libbi.a $(LDLIBS)

fuzz: $(FUZZ)
	@for f in $(FUZZ); do \
		n=$${f##*/fuzz-}; mkdir -p build/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		env $$(cat tests/fuzz/fuzz-$$n.env 2>/dev/null) $$f -max_total_time=$(FUZZ_SECONDS) \
			-max_len=65536 -artifact_prefix=build/fuzz/ build/corpus/$$n tests/fuzz/corpus/$$n \
			>build/fuzz/$$n.log 2>&1 || { tail -40 build/fuzz/$$n.log; exit 1; }; \
		grep -E '^#[0-9]+.*DONE' build/fuzz/$$n.log | tail -1 | cut -c1-80; \
	done

deps:
	@./scripts/deps.sh

# The whole suite, in one prove run: unit tests, CLI tests, integration tests.
# It installs what is missing first, and builds with -Werror.
check: deps
	$(MAKE) WERROR=-Werror all unit
	LC_ALL=C TZ=UTC prove -f --exec tests/run-one $(UNIT) \
		$(wildcard tests/cli/*.t) $(wildcard tests/integration/*.t)

bench: all
	./tests/bench/run

# The README's first command: on a fresh machine it installs what is missing
# before the first compile.
demo: deps
	$(MAKE) all
	./scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/templates \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(TOOLS) bin/bi-hog $(DESTDIR)$(BINDIR)
	install -m 755 scripts/blissful-infra $(DESTDIR)$(BINDIR)
	install -m 755 $(wildcard scripts/cmd/*) $(DESTDIR)$(LIBEXECDIR)
	cp -R templates/. $(DESTDIR)$(DATADIR)/templates
	install -d $(DESTDIR)$(DATADIR)/dashboard
	install -m 644 $(wildcard share/blissful-infra/dashboard/*) $(DESTDIR)$(DATADIR)/dashboard
	install -d $(DESTDIR)$(DATADIR)/scripts
	cp -R scripts/images.sh scripts/images $(DESTDIR)$(DATADIR)/scripts/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7

uninstall:
	rm -f $(TOOLS:bin/%=$(DESTDIR)$(BINDIR)/%) $(DESTDIR)$(BINDIR)/bi-hog $(DESTDIR)$(BINDIR)/blissful-infra
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
	rm -f $(MAN1:man/man1/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN7:man/man7/%=$(DESTDIR)$(MANDIR)/man7/%)

lint-man:
	mandoc -Tlint -Wwarning $(MAN1) $(MAN7)

clean:
	rm -rf build bin lib/libbi.a

-include $(LIB_OBJ:.o=.d) $(LIB_ASAN:.o=.d) $(LIB_FUZZ:.o=.d) $(wildcard build/asan/deps/*.d) \
	$(wildcard build/fuzz/deps/*.d) $(TOOLS:bin/%=build/tools/%.d)

.PHONY: all unit fuzz deps check bench demo install uninstall lint-man clean
.DELETE_ON_ERROR:
