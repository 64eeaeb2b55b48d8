# sa — Makefile.  `make` builds every command into bin/; `make check` installs
# what is missing (deps), builds, and runs every test; `make check-asan` runs
# the same tests against an ASan+UBSan build; `make bench` prints benchmarks.
#
# Layout: lib/*.c -> libsa.a (prefix sa_); each tool directory T/ holds
# main.c plus modules; T's modules (not main.c) also go into libT.a so unit
# tests can link them.  tests/unit/test_*.c are cmocka programs; tests/tools/*.c
# are test helpers; tests/bats/*.bats run under prove.

PREFIX   ?= /usr/local
VERSION  := 0.1.0
CC       ?= cc
PKGS     := libcjson sqlite3 libpipeline libevent libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
VARIANT  := asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BINDIR   := build/asan/bin
else
VARIANT  := release
SANFLAGS :=
BINDIR   := bin
endif
BUILD    := build/$(VARIANT)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -DSA_VERSION='"$(VERSION)"' \
            -Ilib $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   := $(PKG_LIBS) -lm

TOOLS    := sa-spawn sa-normalize sa-store sa-replay sa-serve
LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBSA    := $(BUILD)/libsa.a

tool_src  = $(wildcard $(1)/*.c)
tool_mods = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
tool_lib  = $(BUILD)/$(1)/lib$(1).a

BINS     := $(TOOLS:%=$(BINDIR)/%) $(BINDIR)/sa-mock-agent
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
TOOL_LIBS := $(foreach t,$(TOOLS),$(call tool_lib,$(t)))

.PHONY: all deps check check-asan unit shell-tests bench install clean serve
all: $(BINS)

$(BUILD)/%.o: %.c $(wildcard lib/*.h) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBSA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

define TOOL_RULES
$(call tool_lib,$(1)): $(patsubst %.c,$(BUILD)/%.o,$(call tool_mods,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@; $(AR) rcs $$@ $$^
$(BINDIR)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(call tool_src,$(1))) $(LIBSA)
	@mkdir -p $$(dir $$@)
	$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call TOOL_RULES,$(t))))

$(BINDIR)/sa-mock-agent: $(patsubst %.c,$(BUILD)/%.o,$(wildcard sa-spawn/mock/*.c)) $(LIBSA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TOOL_LIBS) $(LIBSA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Isa-spawn -Isa-normalize -Isa-store -Isa-replay -Isa-serve \
	  -o $@ $< -Wl,--start-group $(TOOL_LIBS) $(LIBSA) -Wl,--end-group $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/tools/%.c $(LIBSA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBSA) $(LDLIBS)

# Debian packages the build and the tests need.
DEB_PKGS := gcc make pkg-config jq sqlite3 libsqlite3-dev libpipeline-dev libevent-dev \
            libcjson-dev libcmocka-dev bats perl python3 curl tar libpq-dev postgresql
# npm (for the pinned agent CLIs) may come from elsewhere than Debian; only
# when no npm command exists do we ask apt-get for Debian's.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null 2>&1 || echo npm); \
	if [ -z "$$missing" ]; then echo "deps: all present"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing $$missing"; \
	  (apt-get install -y --no-install-recommends $$missing || \
	   (apt-get update && apt-get install -y --no-install-recommends $$missing)); \
	else echo "deps: missing packages; run as root:"; \
	  echo "  apt-get install -y $$missing"; exit 1; fi

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

TEST_ENV = PATH="$(CURDIR)/$(BINDIR):$(CURDIR)/$(BUILD)/tests:$$PATH" \
           SA_AGENTS_DIR="$(CURDIR)/sa-normalize/agents" SA_TOP="$(CURDIR)" \
           SA_BINDIR="$(CURDIR)/$(BINDIR)" SA_TESTBIN="$(CURDIR)/$(BUILD)/tests"

shell-tests: $(BINS) $(TOOL_BIN)
	$(TEST_ENV) prove --failures --comments -e 'bats --tap' $(if $(TESTS),$(TESTS),$(sort $(wildcard tests/bats/*.bats)))

check: deps
	$(MAKE) all $(TOOL_BIN) $(UNIT_BIN)
	$(MAKE) unit
	$(MAKE) shell-tests

check-asan:
	$(MAKE) check SANITIZE=1

bench: $(BINS) $(TOOL_BIN)
	$(TEST_ENV) sh tests/bench/run.sh

serve: deps
	$(MAKE) all
	@mkdir -p "$${XDG_STATE_HOME:-$$HOME/.local/state}/sa"
	exec $(BINDIR)/sa-serve --host 127.0.0.1 --port 2468 --no-token \
	  --db "$${SA_DB:-$${XDG_STATE_HOME:-$$HOME/.local/state}/sa/sa.db}"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/sa/agents \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 sa-normalize/agents/*.jq $(DESTDIR)$(PREFIX)/share/sa/agents/
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/

clean:
	rm -rf build $(TOOLS:%=bin/%) bin/sa-mock-agent
