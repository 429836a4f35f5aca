# rebound: one flat GNU Makefile.
#   make              build build/rebound
#   make check        install missing packages, build, run every test
#                     (normal build, then ASan+UBSan build)
#   make test         run the tests against the current build only
#   make SANITIZE=1   build with AddressSanitizer + UBSan into build-san/
#   make fuzz         libFuzzer target (clang)
#   make demo         the README's first command
#   make bench        benchmarks (speed and memory targets)
#   make corpus-check accuracy against the real-bounce corpus beside the
#                     checkout (scripts/corpus-check.py; REBOUND_CORPUS=DIR)

PKGS     = gmime-3.0 libetpan libpq libpcre2-8 jansson gnutls glib-2.0 libidn2 \
           libmicrohttpd
CC      ?= cc
ifeq ($(origin CC),default)
CC       = cc
endif
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
B        = build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
OPT      = -O1 -g
else
B        = build
SANFLAGS =
OPT      = -O2 -g
endif

# pkg-config is evaluated lazily so that `make check` can install the
# packages first; -isystem keeps library headers out of our warnings.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2 \
          -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wundef \
          -Wno-unused-parameter
CFLAGS  += -std=c11 -D_GNU_SOURCE -iquote . $(OPT) $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lm

# the floors, lowest first: a folder includes only folders before it
# (tests/t_layers.sh checks)
DIRS    = lib core parsers ingest store reports daemon serve cli
LIB_SRC = $(filter-out cli/main.c,$(foreach d,$(DIRS),$(wildcard $(d)/*.c)))
LIB_OBJ = $(LIB_SRC:%.c=$(B)/%.o) $(B)/gen/rules_default.o \
          $(B)/gen/rules_pcre.o $(B)/gen/migrations.o
TEST_SRC = $(wildcard tests/unit/test_*.c)
TEST_BIN = $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
RULES    = $(sort $(wildcard etc/rules/*.rules))
MIGRATIONS = $(sort $(wildcard store/migrations/[0-9][0-9][0-9]_*.sql))

.PHONY: all deps check test test-only clean fuzz demo bench bench-store bench-imap bench-serve bench-links bench-tenants corpus-check

all: $(B)/rebound $(TEST_BIN) $(B)/tests/fuzz_replay

deps:
	@./scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# the directory too: its time changes when a file is removed, which the
# list of files alone would not notice
$(B)/gen/rules_default.c: $(RULES) etc/rules
	@mkdir -p $(dir $@)
	{ echo '/* generated from etc/rules/*.rules: do not edit */'; \
	  echo 'const unsigned char rb_default_rules[] = {'; \
	  cat $(RULES) | xxd -i; \
	  echo ', 0x00};'; \
	  echo "const unsigned int rb_default_rules_len = $$(cat $(RULES) | wc -c);"; \
	} > $@.tmp && mv $@.tmp $@

$(B)/gen/rules_default.o: $(B)/gen/rules_default.c
	$(CC) -std=c11 $(OPT) $(SANFLAGS) -Wno-missing-variable-declarations -c $< -o $@

# The built-in rules' patterns compiled by PCRE2 at build time (a process
# decodes them instead of compiling): written by a generator that is
# linked with the rules code and an empty blob of its own.
GEN_PCRE_OBJ = $(B)/parsers/rules.o $(B)/parsers/prefilter.o \
               $(B)/parsers/reason.o $(B)/parsers/status.o $(B)/lib/arena.o \
               $(B)/gen/rules_default.o $(B)/gen/rules_pcre_none.o
$(B)/gen/rules_pcre_none.c: Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' '#include "parsers/rules.h"' \
	  'const unsigned char rb_rules_pcre[] = {0};' \
	  'const unsigned int rb_rules_pcre_len = 0;' \
	  'const struct rb_rule_baked rb_rules_baked[1];' \
	  'const unsigned int rb_rules_baked_n = 0;' > $@

$(B)/gen/gen-rules-pcre: scripts/gen-rules-pcre.c $(GEN_PCRE_OBJ)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ scripts/gen-rules-pcre.c \
	  $(GEN_PCRE_OBJ) $(LDFLAGS) $(LDLIBS)

$(B)/gen/rules_pcre.c: $(B)/gen/gen-rules-pcre
	$(B)/gen/gen-rules-pcre > $@.tmp && mv $@.tmp $@

$(B)/gen/rules_pcre.o $(B)/gen/rules_pcre_none.o: %.o: %.c parsers/rules.h \
                                                parsers/prefilter.h parsers/limits.h
	$(CC) -std=c11 $(OPT) $(SANFLAGS) -iquote . -Wno-missing-variable-declarations -c $< -o $@

# Schema migrations store/migrations/NNN_name.sql, embedded in order.
$(B)/gen/migrations.c: $(MIGRATIONS) store/migrations scripts/gen-migrations.sh
	@mkdir -p $(dir $@)
	./scripts/gen-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(B)/gen/migrations.o: $(B)/gen/migrations.c
	$(CC) -std=c11 $(OPT) $(SANFLAGS) -c $< -o $@

$(B)/librebound.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/rebound: $(B)/cli/main.o $(B)/librebound.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/t.h tests/unit/t_parse.h $(B)/librebound.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(B)/librebound.a $(LDFLAGS) $(LDLIBS)

$(B)/tests/fuzz_replay: fuzz/fuzz_parse.c fuzz/replay.c $(B)/librebound.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ fuzz/fuzz_parse.c fuzz/replay.c $(B)/librebound.a $(LDFLAGS) $(LDLIBS)

# Tests against the current build (B=build, or build-san with SANITIZE=1).
test: all
	@REBOUND_BUILD=$(B) ./tests/run.sh

# The README's test command: set-up, both builds, every test.
check: deps
	@$(MAKE) --no-print-directory -j2 all
	@$(MAKE) --no-print-directory -j2 SANITIZE=1 all
	@./tests/run.sh build build-san

fuzz: deps
	@mkdir -p build-fuzz/corpus
	@# warnings are policed by the gcc builds; clang's extra ones (e.g.
	@# -Wformat-nonliteral on v*printf wrappers) must not stop fuzzing
	$(MAKE) --no-print-directory B=build-fuzz CC=clang SANITIZE=0 \
	  OPT="-O1 -g" SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
	  WARN="-Wall -Wextra -Wno-unused-parameter -Wno-format-nonliteral" \
	  build-fuzz/librebound.a
	clang -O1 -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -iquote . \
	  $(PKG_CFLAGS) -o build-fuzz/fuzz_parse fuzz/fuzz_parse.c \
	  build-fuzz/librebound.a $(LDLIBS)
	./build-fuzz/fuzz_parse -max_total_time=$${FUZZ_SECONDS:-60} \
	  -max_len=65536 -dict=fuzz/rebound.dict -artifact_prefix=build-fuzz/ \
	  build-fuzz/corpus fuzz/seeds

demo: deps
	@$(MAKE) --no-print-directory -j2 all
	@./scripts/demo.sh

corpus-check: all
	@./scripts/corpus-check.py

bench: all
	@./scripts/bench.sh
	@./scripts/bench-store.sh
	@./scripts/bench-imap.sh
	@./scripts/bench-reports.sh
	@./scripts/bench-serve.sh
	@./scripts/bench-links.sh
	@./scripts/bench-tenants.sh

# ingest into PostgreSQL (fsync on) and filter throughput, peak RSS
bench-store: all
	@./scripts/bench-store.sh

# scoped suppressions: filter and lookups with 1,000 tenants
bench-tenants: all
	@./scripts/bench-tenants.sh

# rebound serve: single lookups (keep-alive) and batch checks
bench-serve: all
	@./scripts/bench-serve.sh

bench-links: all
	@./scripts/bench-links.sh

# the IMAP daemon end to end (Dovecot -> PostgreSQL, fsync on)
bench-imap: all
	@./scripts/bench-imap.sh

clean:
	rm -rf build build-san build-fuzz

# header dependencies of the build being made (B: build, build-san or
# build-fuzz): without them a changed header leaves stale objects behind
-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- installation -------------------------------------------------------
#   make install [PREFIX=/usr/local] [DESTDIR=]   binary, man pages, unit,
#                     sysusers entry, example configuration, docs
#   make man          build/man/rebound.1 and rebound.conf.5, written by
#                     the binary from its command and key tables
#   make deb          build/rebound_VERSION_ARCH.deb (scripts/deb.sh)
PREFIX      ?= /usr/local
SYSCONFDIR  ?= /etc
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/rebound
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MAN_PAGES    = $(B)/man/rebound.1 $(B)/man/rebound.conf.5
DOCS         = README.md README.zh-CN.md

.PHONY: man install deb

man: $(MAN_PAGES)

$(B)/man/rebound.1: $(B)/rebound
	@mkdir -p $(dir $@)
	$(B)/rebound help --man >$@.tmp && mv $@.tmp $@

$(B)/man/rebound.conf.5: $(B)/rebound
	@mkdir -p $(dir $@)
	$(B)/rebound help --man-conf >$@.tmp && mv $@.tmp $@

# the unit names the installed binary and docs
install: $(B)/rebound $(MAN_PAGES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/rebound \
	  $(DESTDIR)$(DOCDIR)/docs
	install -m 755 $(B)/rebound $(DESTDIR)$(BINDIR)/rebound
	install -m 644 $(B)/man/rebound.1 $(DESTDIR)$(MANDIR)/man1/rebound.1
	install -m 644 $(B)/man/rebound.conf.5 $(DESTDIR)$(MANDIR)/man5/rebound.conf.5
	for u in rebound rebound-db rebound-serve; do \
	  sed -e 's|/usr/local/bin/rebound|$(BINDIR)/rebound|g' \
	      -e 's|/usr/share/doc/rebound|$(DOCDIR)|g' \
	      -e 's|/etc/rebound|$(SYSCONFDIR)/rebound|g' \
	    etc/systemd/$$u.service >$(DESTDIR)$(UNITDIR)/$$u.service && \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
	done
	install -m 644 etc/rebound.sysusers $(DESTDIR)$(SYSUSERSDIR)/rebound.conf
	install -m 644 etc/rebound.conf.example $(DESTDIR)$(SYSCONFDIR)/rebound/rebound.conf.example
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	cd docs && find . -type f \( -name '*.md' -o -name '*.png' \) \
	  -exec install -D -m 644 {} $(DESTDIR)$(DOCDIR)/docs/{} \;

deb: deps
	@$(MAKE) --no-print-directory -j2 SANITIZE=0 all
	@./scripts/deb.sh build
