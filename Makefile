# mnemo - plain Makefile; dependencies found with pkg-config (liblinear has no
# .pc file on Debian, so it is linked by name).
#
#   make            build build/mnemo (developer flags, -Werror)
#   make test       install missing packages, build under ASan+UBSan, run every suite
#   make check      run every suite on the plain build (faster)
#   make layers     check the layered tree (scripts/check-layers.py)
#   make lint       cppcheck and clang-tidy on the tree
#   make run        install missing packages, build, start the daemon (embedded default)
#   make bench      build optimised and run the benchmarks in bench/
#   make web        install the dashboard's chart library from npm into web/vendor/
#   make install    PREFIX=/usr/local DESTDIR= (as a user without PREFIX: ~/.local)
#   make clean

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS := sqlite3 libcurl jansson libpcre2-8 yaml-0.1 libmicrohttpd zlib
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl, libmicrohttpd and liblinear are not linked: src/base/dynlib.c
# dlopen()s each the first time one of its functions is called, so a command
# that needs no HTTP model, server or training skips loading their ~35
# dependencies (most of a short command's cost). Their sonames come from
# the development .so links, so the ABI loaded is the one compiled against.
DL_PKGS := libcurl libmicrohttpd
PKG_LIBS = $(shell pkg-config --libs $(filter-out $(DL_PKGS),$(PKGS)) 2>/dev/null) -lm -lpthread -ldl
soname = $(shell objdump -p $$($(CC) -print-file-name=lib$(1).so) 2>/dev/null | awk '/SONAME/ {print $$2}')
SONAME_DEFS := $(foreach l,curl:CURL microhttpd:MHD linear:LINEAR,$(if $(call soname,$(word 1,$(subst :, ,$(l)))),-DMN_SONAME_$(word 2,$(subst :, ,$(l)))='"$(call soname,$(word 1,$(subst :, ,$(l))))"'))
# -Werror is for developers; `make install` builds without it, so a newer
# compiler's new warning never stops a user's install.
WERROR ?= -Werror
WARN = -std=c17 -Wall -Wextra -Wpedantic $(WERROR) -Wformat=2 -Wvla -Wstrict-prototypes \
	-Wno-unused-parameter
DEFS := -D_GNU_SOURCE -DMN_VERSION='"$(VERSION)"' \
	-DMN_DATADIR='"$(PREFIX)/share/mnemo"' $(SONAME_DEFS)
OPT ?= -O2 -g
# GCC 12 reports false format-truncation/overflow positives under -fsanitize=undefined;
# the plain build keeps those warnings.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	-Wno-format-truncation -Wno-format-overflow

# sqlite3, jansson, pcre2 and yaml are linked statically where their archives
# are installed (as shared libraries where not): the shared libsqlite3 is bound
# at load time, some 1,200 symbol lookups that cost a short command about a
# quarter of its instructions (bench/bench_cli.sh).
STATIC_LIBS := $(foreach l,sqlite3 jansson pcre2-8 yaml z,$(if $(filter /%,$(shell $(CC) -print-file-name=lib$(l).a)),$(l)))
static_libs = $(foreach f,$(1),$(if $(filter $(patsubst -l%,%,$(f)),$(STATIC_LIBS)),-l:lib$(patsubst -l%,%,$(f)).a,$(f)))

B ?= build
CFLAGS_ALL = $(WARN) $(DEFS) $(OPT) $(EXTRA_CFLAGS) -iquote src $(PKG_CFLAGS) -MMD -MP
LDFLAGS_ALL = $(EXTRA_CFLAGS) $(call static_libs,$(PKG_LIBS))
# The approximate vector index (hnswlib, from libhnswlib-dev) is the
# tree's only C++, built as a plugin beside the binary that
# src/store/vec_index.c dlopen()s when a large store is searched: no other
# process loads it or libstdc++ (linked in, it cost every command 15% more
# instructions to start).
CXXFLAGS_ALL = -std=c++17 -Wall -Wextra $(WERROR) -Wno-unused-parameter $(OPT) $(EXTRA_CFLAGS) \
	-iquote src -MMD -MP -fPIC -fvisibility=hidden
PLUGIN := $(B)/mnemo-hnsw.so

LIB_SRC := $(sort $(wildcard src/*/*.c) $(filter-out src/main.c,$(wildcard src/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
MAIN_OBJ := $(B)/obj/src/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: all deps test check run bench install clean unit fuzz-build asan layers lint web

all: $(B)/mnemo $(PLUGIN)

deps:
	@scripts/install-deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(PLUGIN): src/store/vec_hnsw.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_ALL) -shared $< -o $@

$(B)/libmnemo.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/mnemo: $(MAIN_OBJ) $(B)/libmnemo.a
	$(CC) -o $@ $^ $(LDFLAGS_ALL)

$(B)/tests/%: tests/unit/%.c $(B)/libmnemo.a tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DMN_SRCDIR='"$(CURDIR)"' -iquote tests/unit \
		$(shell pkg-config --cflags cmocka) $< -o $@ \
		$(B)/libmnemo.a $(LDFLAGS_ALL) $(shell pkg-config --libs cmocka)

# Fuzz targets are built as corpus replayers (tests/fuzz/replay.c supplies main).
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libmnemo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< tests/fuzz/replay.c -o $@ $(B)/libmnemo.a $(LDFLAGS_ALL)

unit: $(UNIT_BIN) $(FUZZ_BIN) $(B)/mnemo $(PLUGIN)

# The README's test command: everything under ASan+UBSan.
test: deps layers
	@$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g" EXTRA_CFLAGS="$(SAN_FLAGS)" unit
	@MNEMO_BUILD=build-asan tests/run.sh

check: layers unit
	@MNEMO_BUILD=$(B) tests/run.sh

# Dependencies point down the layers only, and no two modules need each
# other (docs/architecture.md).
layers:
	@python3 scripts/check-layers.py src

run: deps all
	@echo "mnemo: starting the daemon in the foreground (Ctrl-C stops it). From another shell:"
	@echo "  $(CURDIR)/$(B)/mnemo remember 'chose SQLite WAL for the store'"
	@echo "  $(CURDIR)/$(B)/mnemo recall store"
	@echo "  $(CURDIR)/$(B)/mnemo status"
	@echo "  claude mcp add mnemo -- $(CURDIR)/$(B)/mnemo mcp"
	@echo "  (or 'make install' to put mnemo on PATH)"
	./$(B)/mnemo serve

bench: deps
	@$(MAKE) --no-print-directory B=build-bench OPT="-O2 -DNDEBUG" all
	@MNEMO_BUILD=build-bench bench/run.sh

# cppcheck and clang-tidy on the tree (.clang-tidy); both must be clean.
LINT_DEFS := -D_GNU_SOURCE -DMN_VERSION='"lint"' -DMN_DATADIR='"/nonexistent"'
lint:
	cppcheck --quiet --std=c11 --enable=warning,portability,performance --inline-suppr \
		--error-exitcode=1 --include=scripts/lint/cppcheck.h -I src $(LINT_DEFS) src
	ls src/*/*.c src/main.c | xargs -P2 -I{} clang-tidy --quiet {} -- -std=c17 $(LINT_DEFS) \
		-iquote src $(PKG_CFLAGS)

# The dashboard (web/) is plain files; its chart library, uPlot, comes from
# npm at the version web/package-lock.json pins, into a versioned folder.
UPLOT_VERSION := $(shell sed -n 's/.*"uplot": *"\([0-9.]*\)".*/\1/p' web/package.json)
WEB_VENDOR := web/vendor/uplot-$(UPLOT_VERSION)

web: $(WEB_VENDOR)/uPlot.iife.min.js

$(WEB_VENDOR)/uPlot.iife.min.js: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --silent
	rm -rf web/vendor && mkdir -p $(WEB_VENDOR)
	cp web/node_modules/uplot/dist/uPlot.iife.min.js web/node_modules/uplot/dist/uPlot.min.css \
		web/node_modules/uplot/LICENSE $(WEB_VENDOR)/

# Where `make install` puts mnemo: PREFIX when given (command line or
# environment) or when packaging (DESTDIR) or as root; otherwise, as a user,
# ~/.local (bin/ there is on PATH in most login shells), with no sudo.
IPREFIX = $(if $(or $(filter-out file,$(origin PREFIX)),$(DESTDIR),$(filter 0,$(shell id -u))),$(PREFIX),$(HOME)/.local)

install: web
	@# the data directory is compiled in: rebuild when it changed
	@if [ "$$(cat build-release/.prefix 2>/dev/null)" != "$(IPREFIX)" ]; then \
		rm -rf build-release; mkdir -p build-release; echo "$(IPREFIX)" >build-release/.prefix; fi
	@$(MAKE) --no-print-directory B=build-release PREFIX="$(IPREFIX)" WERROR= \
		EXTRA_CFLAGS="-ffile-prefix-map=$(CURDIR)=." all
	install -d $(DESTDIR)$(IPREFIX)/bin $(DESTDIR)$(IPREFIX)/share/mnemo
	install -m 0755 build-release/mnemo $(DESTDIR)$(IPREFIX)/bin/mnemo
	install -d $(DESTDIR)$(IPREFIX)/lib/mnemo
	install -m 0644 build-release/mnemo-hnsw.so $(DESTDIR)$(IPREFIX)/lib/mnemo/mnemo-hnsw.so
	cp -r data/. $(DESTDIR)$(IPREFIX)/share/mnemo/
	install -d $(DESTDIR)$(IPREFIX)/share/mnemo/docs
	install -m 0644 docs/*.md $(DESTDIR)$(IPREFIX)/share/mnemo/docs/
	install -d $(DESTDIR)$(IPREFIX)/share/mnemo/web/$(WEB_VENDOR:web/%=%)
	install -m 0644 web/index.html web/app.js web/style.css $(DESTDIR)$(IPREFIX)/share/mnemo/web/
	install -m 0644 $(WEB_VENDOR)/* $(DESTDIR)$(IPREFIX)/share/mnemo/web/$(WEB_VENDOR:web/%=%)/
	@echo "mnemo: installed $(DESTDIR)$(IPREFIX)/bin/mnemo (data: $(DESTDIR)$(IPREFIX)/share/mnemo)"
	@if [ -z "$(DESTDIR)" ]; then case ":$$PATH:" in *":$(IPREFIX)/bin:"*) \
		echo "mnemo: next: mnemo remember 'first note'; claude mcp add mnemo -- mnemo mcp";; \
		*) echo "mnemo: $(IPREFIX)/bin is not on PATH; add it: export PATH=\"$(IPREFIX)/bin:\$$PATH\"" \
			"(e.g. in ~/.profile)";; esac; fi

clean:
	rm -rf build build-asan build-bench build-release

-include $(shell find $(B) -name '*.d' 2>/dev/null)
