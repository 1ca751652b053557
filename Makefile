# oemkvm — plain GNU make build.
#
#   make                 build liboemkvm, oemkvm, the hook
#   make check           unit + CLI tests, the hook under valgrind, again under
#                        ASan/UBSan, then the end-to-end guest tests (need root,
#                        libvirt, QEMU)
#   make install         honours DESTDIR PREFIX BINDIR LIBDIR PKGLIBDIR SYSCONFDIR
#                        LOCALSTATEDIR HOOKDIR APPARMORDIR SYSTEMDUNITDIR
#   make demo            the whole flow on this machine (root)
#   make bench           speed/memory figures
#   make fuzz            every libFuzzer target for FUZZ_TIME seconds (clang)
#   make fuzz-smoke      the same for 20 s each, after replaying every corpus file
#
# BUILDDIR selects an out-of-tree build directory (default: build).

PREFIX        ?= /usr/local
EXEC_PREFIX   ?= $(PREFIX)
BINDIR        ?= $(EXEC_PREFIX)/bin
LIBDIR        ?= $(EXEC_PREFIX)/lib
# liboemkvm and the tool's libvirt plugin are private to the package, as
# libsystemd-shared is: a directory of their own, found through RUNPATH.
PKGLIBDIR     ?= $(LIBDIR)/oemkvm
DATAROOTDIR   ?= $(PREFIX)/share
MANDIR        ?= $(DATAROOTDIR)/man
# The store and the libvirt/AppArmor configuration are system places whatever
# the prefix: libvirt and AppArmor read no other.
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
HOOKDIR       ?= /etc/libvirt/hooks
APPARMORDIR   ?= $(SYSCONFDIR)/apparmor.d
SYSTEMDUNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
STOREDIR      := $(LOCALSTATEDIR)/lib/oemkvm/host
# The group QEMU runs under when qemu.conf says nothing: the distribution's
# build default (Debian/Ubuntu: libvirt-qemu, Fedora: qemu).
QEMU_GROUP    ?= $(shell getent group libvirt-qemu >/dev/null 2>&1 && echo libvirt-qemu || echo qemu)
QEMU_USER     ?= $(shell getent passwd libvirt-qemu >/dev/null 2>&1 && echo libvirt-qemu || echo qemu)

BUILDDIR      ?= build
B             := $(BUILDDIR)

PKG_CONFIG    ?= pkg-config
CC            ?= cc
INSTALL       ?= install

VERSION       := 0.1.0

XML_CFLAGS      := $(shell $(PKG_CONFIG) --cflags libxml-2.0)
XML_LIBS        := $(shell $(PKG_CONFIG) --libs libxml-2.0)
VIRT_CFLAGS     := $(shell $(PKG_CONFIG) --cflags libvirt)
VIRT_LIBS       := $(shell $(PKG_CONFIG) --libs libvirt)
# For the doctor's question to the running kernel: would a loaded
# AppArmor profile let QEMU read a file (libapparmor's label query)?
AA_CFLAGS       := $(shell $(PKG_CONFIG) --cflags libapparmor)
AA_LIBS         := $(shell $(PKG_CONFIG) --libs libapparmor)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral -Wvla
CFLAGS   ?= -O2 -g
ifeq ($(SANITIZE),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
# The libFuzzer build (make fuzz, with CC=clang): coverage for the fuzzer,
# and the same sanitizers as make check.
ifeq ($(SANITIZE),fuzz)
CFLAGS   += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
# config.h carries every directory and name the code embeds; it is rewritten
# only when one of them changes, and everything that embeds one depends on
# it, so `make install PREFIX=…` after a plain `make` rebuilds what it must.
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -fPIC $(WARNINGS) -include $(B)/config.h

# ---------------------------------------------------------------- sources
# lib/ is layered: util <- firmware <- host <- domain <- runtime (calls only
# go down; tests/check-layers enforces it).
LAYERS     := util firmware host domain runtime
LIB_SRCS   := $(foreach l,$(LAYERS),$(sort $(wildcard lib/$(l)/*.c)))
LIB_HDRS   := lib/oemkvm.h $(wildcard lib/*/*.h)
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
PLUGIN_SRCS := tools/tool.c $(sort $(wildcard tools/virt/*.c))
HOOK_SRCS  := $(sort $(wildcard hooks/*.c))
UNIT_SRCS  := $(sort $(wildcard tests/unit/*/test-*.c))
TESTLIB_SRCS := $(sort $(wildcard tests/unit/lib/*.c))

LIB_OBJS   := $(LIB_SRCS:%.c=$(B)/%.o)
TOOL_OBJS  := $(TOOL_SRCS:%.c=$(B)/%.o)
PLUGIN_OBJS := $(PLUGIN_SRCS:%.c=$(B)/plugin/%.o)
HOOK_OBJS  := $(HOOK_SRCS:%.c=$(B)/%.o)
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(B)/%.o)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
# tests/fuzz/fuzz-NAME.c: linked with replay.c in $(B) (make check replays
# the committed inputs), with libFuzzer in the SANITIZE=fuzz build.
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

# One file name per version, no soname links: nothing outside the package
# links it, and the hook and the tool must load the one they were built with.
LIB_NAME   := liboemkvm-$(VERSION).so
LIB        := $(B)/$(LIB_NAME)
PLUGIN     := $(B)/oemkvm-virt.so
OEMKVM     := $(B)/oemkvm
HOOK       := $(B)/oemkvm-hook

all: $(LIB) $(PLUGIN) $(OEMKVM) $(HOOK)

CONFIG_DEFS = \
	'\#define OEMKVM_VERSION "$(VERSION)"' \
	'\#define OEMKVM_LIB_NAME "$(LIB_NAME)"' \
	'\#define OEMKVM_STORE_DIR "$(STOREDIR)"' \
	'\#define OEMKVM_HOOKDIR "$(HOOKDIR)"' \
	'\#define OEMKVM_QEMU_GROUP "$(QEMU_GROUP)"' \
	'\#define OEMKVM_QEMU_USER "$(QEMU_USER)"' \
	'/* RUNPATH: $(PKGLIBDIR) */'

$(B)/config.h: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '/* Generated by the Makefile; do not edit. */' $(CONFIG_DEFS) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(B)/lib/%.o: lib/%.c $(LIB_HDRS) $(B)/config.h Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -fvisibility=hidden -Ilib $(XML_CFLAGS) $(AA_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tools/%.o: tools/%.c lib/oemkvm.h $(wildcard tools/*.h) $(B)/config.h Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Ilib $(CFLAGS) -c -o $@ $<

$(B)/plugin/tools/%.o: tools/%.c lib/oemkvm.h $(wildcard tools/*.h tools/virt/*.h) $(B)/config.h Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -fvisibility=hidden -Ilib -Itools $(VIRT_CFLAGS) $(XML_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/hooks/%.o: hooks/%.c lib/oemkvm.h $(wildcard hooks/*.h) $(B)/config.h Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Ilib $(CFLAGS) -c -o $@ $<

# The fuzz targets find the fixtures (their store) through the source tree.
$(B)/tests/fuzz/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB_HDRS) $(B)/config.h Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -DOEMKVM_TEST -DFUZZ_SRCDIR='"$(CURDIR)"' -Ilib -Itests/fuzz $(XML_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/%.c $(LIB_HDRS) $(wildcard tests/unit/lib/*.h) $(B)/config.h Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -DOEMKVM_TEST -Ilib -Itests/unit/lib $(XML_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS) lib/liboemkvm.sym
	$(CC) -shared -Wl,-soname,$(LIB_NAME) -Wl,--version-script=lib/liboemkvm.sym \
		-Wl,--no-undefined -Wl,-z,defs $(LDFLAGS) -o $@ $(LIB_OBJS) $(XML_LIBS) $(AA_LIBS)

# The offline verbs: liboemkvm (and libxml2 through it), never libvirt.
$(OEMKVM): $(TOOL_OBJS) $(LIB) $(B)/config.h
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(LIB) -ldl -Wl,-rpath,$(PKGLIBDIR)

# The verbs that talk to libvirt; the only object that links it.
$(PLUGIN): $(PLUGIN_OBJS) $(LIB) $(B)/config.h
	$(CC) -shared -Wl,--no-undefined -Wl,-z,defs $(LDFLAGS) -o $@ $(PLUGIN_OBJS) $(LIB) \
		-Wl,-rpath,$(PKGLIBDIR) $(VIRT_LIBS) $(XML_LIBS)

# The hook links libc only: the untagged path must stay a bare exec.  It
# dlopen()s liboemkvm when a domain carries the oemkvm tag.
$(HOOK): $(HOOK_OBJS) $(B)/config.h
	$(CC) $(LDFLAGS) -Wl,-rpath,$(PKGLIBDIR) -o $@ $(HOOK_OBJS) -ldl

# Unit tests link the library's objects directly, so they reach the
# entry points the version script hides.
$(B)/tests/%: $(B)/tests/unit/%.o $(LIB_OBJS) $(TESTLIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS) $(AA_LIBS)

# Run inside the mdev guest (tests/guest/test-mdev-lib.sh).
GUEST_BINS := $(B)/tests/guest/mdev-kernel
$(B)/tests/guest/mdev-kernel: $(B)/tests/guest/mdev/mdev-kernel.o $(LIB_OBJS) $(TESTLIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS) $(AA_LIBS)

ifeq ($(SANITIZE),fuzz)
FUZZ_DRIVER :=
FUZZ_LINK   := -fsanitize=fuzzer
else
FUZZ_DRIVER := $(B)/tests/fuzz/replay.o
FUZZ_LINK   :=
endif
$(B)/fuzz/%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/lib.o $(FUZZ_DRIVER) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(XML_LIBS) $(AA_LIBS)

# ---------------------------------------------------------------- tests
TEST_ENV = OEMKVM_BUILDDIR=$(abspath $(B)) OEMKVM_SRCDIR=$(CURDIR) OEMKVM_VERSION=$(VERSION) \
           LD_LIBRARY_PATH=$(abspath $(B))$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}

# One pass over the unit and CLI tests with the build in $(B).
check-one: all $(UNIT_BINS) $(FUZZ_BINS)
	$(TEST_ENV) tests/run-tests $(UNIT_BINS) $(FUZZ_BINS) $(sort $(wildcard tests/cli/*.sh))

# The unit tests again as an unprivileged user: root never sees EACCES.
check-unprivileged: all $(UNIT_BINS)
	@if [ "$$(id -u)" != 0 ]; then echo 'check-unprivileged: already unprivileged; make check ran the unit tests so'; \
	else chmod -R a+rX $(B) && $(TEST_ENV) setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		env HOME=/nonexistent TMPDIR=/tmp tests/run-tests $(UNIT_BINS); fi

# The guest tests: a real QEMU (and a real libvirtd in a private mount
# namespace); they need root and the packages .ci/run installs.
check-guest: all $(GUEST_BINS)
	$(TEST_ENV) tests/run-tests $(sort $(wildcard tests/guest/test-*.sh)) $(sort $(wildcard tests/e2e/test-*.sh))

# valgrind over every path of the hook binary, on the plain build
# (valgrind and ASan exclude each other).
check-valgrind: all
	$(TEST_ENV) tests/run-tests $(sort $(wildcard tests/valgrind/test-*.sh))

check:
	$(MAKE) BUILDDIR=$(B) check-one
	$(MAKE) BUILDDIR=$(B) check-unprivileged
	$(MAKE) BUILDDIR=$(B) check-valgrind
	$(MAKE) BUILDDIR=$(B)/asan SANITIZE=1 check-one
	$(MAKE) BUILDDIR=$(B) check-guest

# libFuzzer (clang): each target for FUZZ_TIME seconds from the committed
# corpus; what it learns stays in $(B)/fuzz-corpus, crashes land in
# $(B)/fuzz-artifacts.  fuzz-smoke is CI's short run.
FUZZ_TIME ?= 180
FUZZ_CC   ?= clang
fuzz:
	$(MAKE) BUILDDIR=$(B)/libfuzzer CC=$(FUZZ_CC) SANITIZE=fuzz fuzz-run FUZZ_TIME=$(FUZZ_TIME)

fuzz-smoke:
	$(MAKE) BUILDDIR=$(B)/libfuzzer CC=$(FUZZ_CC) SANITIZE=fuzz fuzz-run FUZZ_TIME=20

fuzz-run: $(FUZZ_BINS)
	$(TEST_ENV) tests/fuzz/run $(FUZZ_TIME) $(FUZZ_BINS)

demo: all
	$(TEST_ENV) demo/run

$(B)/pairbench: bench/pairbench.c $(B)/config.h
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/watchbench: bench/watchbench.c $(B)/config.h
	$(CC) $(BASE_CFLAGS) $(VIRT_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(VIRT_LIBS) -lpthread

bench: all $(B)/pairbench $(B)/watchbench
	$(TEST_ENV) bench/run

# Keeps the last `make bench` as the project's figures.
bench-update:
	cp $(B)/bench/BENCHMARKS.md BENCHMARKS.md
	cp $(B)/bench/scaling.png bench/scaling.png

# ---------------------------------------------------------------- install
# What versions before 0.1 installed as a public library; install and
# uninstall remove it (and run ldconfig, which knew of it).
INCLUDEDIR    ?= $(PREFIX)/include
OLD_PUBLIC    := $(LIBDIR)/liboemkvm.so.0.1.0 $(LIBDIR)/liboemkvm.so.0 $(LIBDIR)/liboemkvm.so \
                 $(INCLUDEDIR)/oemkvm.h $(LIBDIR)/pkgconfig/liboemkvm.pc
REMOVE_OLD_PUBLIC = old=; for f in $(addprefix $(DESTDIR),$(OLD_PUBLIC)); do \
		if [ -e "$$f" ] || [ -L "$$f" ]; then rm -f "$$f"; old=1; fi; done; \
	if [ -n "$$old" ] && [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

install: all
	$(INSTALL) -d $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(HOOKDIR)/qemu.d \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(SYSTEMDUNITDIR)
	@$(REMOVE_OLD_PUBLIC)
	$(INSTALL) -m 0755 $(LIB) $(PLUGIN) $(DESTDIR)$(PKGLIBDIR)/
	$(INSTALL) -m 0755 $(OEMKVM) $(DESTDIR)$(BINDIR)/oemkvm
	$(INSTALL) -m 0755 $(HOOK) $(DESTDIR)$(HOOKDIR)/qemu.d/oemkvm
	$(INSTALL) -m 0644 man/oemkvm.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 man/oemkvm.7 $(DESTDIR)$(MANDIR)/man7/
	sed -e 's|@BINDIR@|$(BINDIR)|g' systemd/oemkvm-watch.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/oemkvm-watch.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/oemkvm-watch.service
	APPARMORDIR='$(DESTDIR)$(APPARMORDIR)' STOREDIR='$(STOREDIR)' apparmor/local-rules add
	@# A package registers the SELinux context in its own scripts (INSTALL.md).
	[ -n '$(DESTDIR)' ] || STOREDIR='$(STOREDIR)' selinux/fcontext add
	@echo
	@echo 'oemkvm is installed.  Three things are left:'
	@echo '  - make libvirt see the hook:      sudo systemctl restart libvirtd   (or virtqemud)'
	@echo '  - patch tagged domains on define: sudo systemctl enable --now oemkvm-watch'
	@echo '  - see the license data a guest gets: sudo oemkvm show  (the first tag copies it into the store)'

# Other versions' library files in $(PKGLIBDIR) go too: the directory is ours.
uninstall:
	@if [ -z '$(DESTDIR)' ] && command -v systemctl >/dev/null && systemctl is-active --quiet oemkvm-watch 2>/dev/null; then \
		echo 'uninstall: oemkvm-watch is running — stop it first: sudo systemctl disable --now oemkvm-watch' >&2; exit 1; fi
	rm -f $(DESTDIR)$(PKGLIBDIR)/liboemkvm-*.so $(DESTDIR)$(PKGLIBDIR)/oemkvm-virt.so \
		$(DESTDIR)$(BINDIR)/oemkvm $(DESTDIR)$(HOOKDIR)/qemu.d/oemkvm \
		$(DESTDIR)$(MANDIR)/man1/oemkvm.1 $(DESTDIR)$(MANDIR)/man7/oemkvm.7 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/oemkvm-watch.service
	-rmdir $(DESTDIR)$(PKGLIBDIR) 2>/dev/null
	@$(REMOVE_OLD_PUBLIC)
	APPARMORDIR='$(DESTDIR)$(APPARMORDIR)' STOREDIR='$(STOREDIR)' apparmor/local-rules remove
	[ -n '$(DESTDIR)' ] || STOREDIR='$(STOREDIR)' selinux/fcontext remove
	@echo 'oemkvm is removed.  The dumped license data stays in $(STOREDIR); delete it by hand if you want.'

clean:
	rm -rf $(B)

.SECONDARY:

.PHONY: FORCE all bench-update check check-one check-unprivileged check-valgrind check-guest demo bench fuzz fuzz-smoke fuzz-run install uninstall clean
