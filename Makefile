# renewd — build, test and install.
#
#   make            build renewd and renewctl into $(BUILD)/
#   make check      install missing Debian packages, build, run every test
#   make asan       the same suite with AddressSanitizer + UndefinedBehaviorSanitizer
#   make static     clang-tidy and cppcheck over src/ and tests/unit/ (part of
#                   `lint`, so of `check`); writes $(BUILD)/compile_commands.json
#   make valgrind   the end-to-end suite with renewd and renewctl under
#                   valgrind's memcheck (errors and definite leaks fail a test)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install missing Debian packages (idempotent, quiet when done)
#   make fuzz       build the libFuzzer harnesses (fuzz/fuzz_*.c) with clang
#                   into $(BUILD)-fuzz/ and run each for FUZZ_SECONDS
#   make fuzz-smoke the same, ~3 s each over the seed corpus (part of `test`)

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
COMPLETIONSDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR  ?=
# systemd's directories: where pkg-config systemd puts them when PREFIX=/usr
# (Debian 12: units in /lib/systemd/system), else under $(PREFIX)/lib.
sddir = $(or $(if $(filter /usr,$(PREFIX)),$(shell pkg-config --variable=$(1) systemd 2>/dev/null)),$(2))
UNITDIR     ?= $(call sddir,systemdsystemunitdir,$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(call sddir,sysusersdir,$(PREFIX)/lib/sysusers.d)
TMPFILESDIR ?= $(call sddir,tmpfilesdir,$(PREFIX)/lib/tmpfiles.d)
CATALOGDIR  ?= $(call sddir,catalogdir,$(PREFIX)/lib/systemd/catalog)

BUILD    ?= build
CC       ?= cc
PYTEST   ?= /usr/bin/python3 -m pytest
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS     := openssl libcurl libevent libevent_openssl libsystemd inih jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wconversion -Wsign-conversion \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
OPT      ?= -O2 -g
SAN      ?=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      := -O1 -g
endif
# SAN=fuzz (set by `make fuzz`, with CC=clang): the same sanitizers plus
# libFuzzer's coverage instrumentation for every object, harnesses included.
ifeq ($(SAN),fuzz)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      := -O1 -g
endif
CFLAGS   ?=
CPPFLAGS += -Iinclude -D_GNU_SOURCE -DRENEWD_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
ALL_CFLAGS = -std=c17 -pthread $(WARN) $(OPT) $(SANFLAGS) -MMD -MP $(CFLAGS)
LDFLAGS  += -pthread $(SANFLAGS)

CORE_SRC   := $(sort $(wildcard src/core/*.c))
COMMON_SRC := $(sort $(wildcard src/common/*.c))
RENEWD_SRC := $(sort $(wildcard src/renewd/*.c))
CTL_SRC    := $(sort $(wildcard src/renewctl/*.c))
TSUP_SRC   := $(sort $(wildcard tests/unit/support/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CORE_OBJ   := $(call obj,$(CORE_SRC))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
RENEWD_OBJ := $(call obj,$(RENEWD_SRC))
CTL_OBJ    := $(call obj,$(CTL_SRC))
TSUP_OBJ   := $(call obj,$(TSUP_SRC))
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

LIBCORE   := $(BUILD)/libcore.a
LIBCOMMON := $(BUILD)/libcommon.a
# The daemon less main(), so that unit tests can link its files.
LIBRENEWD := $(BUILD)/librenewd.a

.SECONDARY:
.PHONY: all check test unit e2e lint static valgrind asan deps install uninstall clean demo bench
.PHONY: fuzz fuzz-smoke fuzz-build fuzz-run
.DEFAULT_GOAL := all

all: $(BUILD)/renewd $(BUILD)/renewctl

V ?= 0
ifeq ($(V),0)
Q := @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBRENEWD): $(filter-out %/main.o,$(RENEWD_OBJ))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/renewd: $(RENEWD_OBJ) $(LIBCOMMON) $(LIBCORE)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(RENEWD_OBJ) $(LIBCOMMON) $(LIBCORE) $(PKG_LIBS) -lm

$(BUILD)/renewctl: $(CTL_OBJ) $(LIBCOMMON) $(LIBCORE)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CTL_OBJ) $(LIBCOMMON) $(LIBCORE) $(PKG_LIBS) -lm

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TSUP_OBJ) $(LIBRENEWD) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(TSUP_OBJ) $(LIBRENEWD) $(LIBCOMMON) $(LIBCORE) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

# ---- tests ---------------------------------------------------------------

check: deps
	@$(MAKE) --no-print-directory test

# The whole suite on an already provisioned machine.
test: all $(UNIT_BIN)
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(if $(filter 1,$(SAN)),,$(MAKE) --no-print-directory fuzz-smoke)

unit: $(UNIT_BIN)
	@scripts/run-unit-tests $(UNIT_BIN)

# The test files run E2E_JOBS at a time when pytest-xdist is installed
# (each file's tests in order, on one worker). VALGRIND=1: every renewd,
# renewctl and unit test binary the tests start runs under valgrind's
# memcheck (RENEWD_VALGRIND=1: tests/e2e/helpers/renewd.py); a report with
# an error or a definite or indirect leak fails its test. CI runs `make
# check VALGRIND=1`: the same tests as a plain run, and memcheck's too.
E2E_JOBS ?= 2
XDIST = $(shell /usr/bin/python3 -c 'import xdist' 2>/dev/null && echo yes)

e2e: all $(UNIT_BIN)
	$(if $(filter 1,$(VALGRIND)),RENEWD_VALGRIND=1) RENEWD_BUILD=$(abspath $(BUILD)) \
		$(PYTEST) -q -p no:cacheprovider \
		$(if $(XDIST),-n $(E2E_JOBS) --dist loadfile) tests/e2e

# The static analysis sees the same sources whatever SAN is: once, in the
# plain build's lint.
lint:
	@scripts/check-core-purity
	@scripts/check-man
	@RENEWD_BUILD=$(abspath $(BUILD)) scripts/check-systemd
	@$(if $(SAN),,$(MAKE) --no-print-directory static)

static:
	@BUILD=$(BUILD) scripts/check-static

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 test

# The end-to-end suite with the programs under valgrind (see e2e).
valgrind: deps
	@$(MAKE) --no-print-directory VALGRIND=1 e2e

deps:
	@scripts/install-deps

# ---- fuzzing -------------------------------------------------------------
# Every fuzz/fuzz_NAME.c is a libFuzzer harness linked with libcore built by
# clang with SAN=fuzz into $(BUILD)-fuzz/ (the object rules above, another
# BUILD); its seeds are fuzz/corpus/NAME/. `make fuzz` runs each for
# FUZZ_SECONDS on a copy of its seeds in $(BUILD)-fuzz/corpus/NAME (kept
# between runs); `make fuzz-smoke` runs each for FUZZ_SMOKE_SECONDS over the
# seeds alone. Crashes are saved as $(BUILD)-fuzz/crash-*. fuzz/README.md.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_SRC     := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES   := $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_BIN     := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_MAKE     = $(MAKE) --no-print-directory BUILD=$(BUILD)-fuzz CC=$(FUZZ_CC) SAN=fuzz

fuzz:
	@$(FUZZ_MAKE) fuzz-run FUZZ_TIME=$(FUZZ_SECONDS) FUZZ_KEEP=1

fuzz-smoke:
	@$(FUZZ_MAKE) fuzz-run FUZZ_TIME=$(FUZZ_SMOKE_SECONDS) FUZZ_KEEP=0

fuzz-build: $(FUZZ_BIN)

$(BUILD)/fuzz/%: $(BUILD)/obj/fuzz/%.o $(LIBCORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBCORE) $(PKG_LIBS) -lm

# Runs in the SAN=fuzz sub-make: BUILD is already the fuzz directory.
fuzz-run: fuzz-build
	@BUILD=$(BUILD) TIME=$(FUZZ_TIME) KEEP=$(FUZZ_KEEP) fuzz/run $(FUZZ_NAMES)

# ---- install -------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/renewd $(DESTDIR)$(SBINDIR)/renewd
	install -m 0755 $(BUILD)/renewctl $(DESTDIR)$(BINDIR)/renewctl
	for m in $(wildcard man/*.5); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/; done
	for m in $(wildcard man/*.8); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done
	install -d $(DESTDIR)$(SYSCONFDIR)/renewd
	test -e $(DESTDIR)$(SYSCONFDIR)/renewd/renewd.conf || \
		install -m 0644 conf/renewd.conf $(DESTDIR)$(SYSCONFDIR)/renewd/renewd.conf
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(CATALOGDIR)
	sed 's|/usr/sbin/renewd|$(SBINDIR)/renewd|' systemd/renewd.service >$(DESTDIR)$(UNITDIR)/renewd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/renewd.service
	install -m 0644 systemd/renewd.socket $(DESTDIR)$(UNITDIR)/renewd.socket
	install -m 0644 systemd/renewd.sysusers $(DESTDIR)$(SYSUSERSDIR)/renewd.conf
	install -m 0644 systemd/renewd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/renewd.conf
	install -m 0644 systemd/renewd.catalog $(DESTDIR)$(CATALOGDIR)/renewd.catalog
	install -d $(DESTDIR)$(COMPLETIONSDIR)
	install -m 0644 completion/renewctl.bash $(DESTDIR)$(COMPLETIONSDIR)/renewctl
	@# On a running systemd (not into a DESTDIR): the user, the directories,
	@# the catalog and the units take effect now.
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemd-sysusers $(SYSUSERSDIR)/renewd.conf && \
		systemd-tmpfiles --create $(TMPFILESDIR)/renewd.conf && \
		journalctl --update-catalog && systemctl daemon-reload; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/renewd $(DESTDIR)$(BINDIR)/renewctl
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8)))
	rm -f $(DESTDIR)$(UNITDIR)/renewd.service $(DESTDIR)$(UNITDIR)/renewd.socket
	rm -f $(DESTDIR)$(SYSUSERSDIR)/renewd.conf $(DESTDIR)$(TMPFILESDIR)/renewd.conf
	rm -f $(DESTDIR)$(CATALOGDIR)/renewd.catalog
	rm -f $(DESTDIR)$(COMPLETIONSDIR)/renewctl

bench: all
	bench/run

# A self-contained tour: loopback TLS servers, a local SMTP server, renewd.
demo: deps
	@$(MAKE) --no-print-directory all
	@demo/run --build $(BUILD)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
