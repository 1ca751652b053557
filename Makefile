# oemkvm — plain GNU make build.
#
#   make                 build liboemkvm, oemkvm, the hook
#   make check           unit + CLI tests, again under ASan/UBSan, then the
#                        end-to-end guest tests (need root, libvirt, QEMU)
#   make install         honours DESTDIR PREFIX BINDIR LIBDIR SYSCONFDIR
#                        LOCALSTATEDIR HOOKDIR APPARMORDIR SYSTEMDUNITDIR
#   make demo            the whole flow on this machine (root)
#   make bench           speed/memory figures
#
# BUILDDIR selects an out-of-tree build directory (default: build).

PREFIX        ?= /usr/local
EXEC_PREFIX   ?= $(PREFIX)
BINDIR        ?= $(EXEC_PREFIX)/bin
LIBDIR        ?= $(EXEC_PREFIX)/lib
INCLUDEDIR    ?= $(PREFIX)/include
DATAROOTDIR   ?= $(PREFIX)/share
MANDIR        ?= $(DATAROOTDIR)/man
PKGCONFIGDIR  ?= $(LIBDIR)/pkgconfig
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
SOVERSION     := 0

XML_CFLAGS      := $(shell $(PKG_CONFIG) --cflags libxml-2.0)
XML_LIBS        := $(shell $(PKG_CONFIG) --libs libxml-2.0)
VIRT_CFLAGS     := $(shell $(PKG_CONFIG) --cflags libvirt)
VIRT_LIBS       := $(shell $(PKG_CONFIG) --libs libvirt)
APPARMOR_CFLAGS := $(shell $(PKG_CONFIG) --cflags libapparmor)
APPARMOR_LIBS   := $(shell $(PKG_CONFIG) --libs libapparmor)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral -Wvla
CFLAGS   ?= -O2 -g
ifeq ($(SANITIZE),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -fPIC $(WARNINGS) \
               -DOEMKVM_STORE_DIR='"$(STOREDIR)"' \
               -DOEMKVM_QEMU_GROUP='"$(QEMU_GROUP)"' \
               -DOEMKVM_QEMU_USER='"$(QEMU_USER)"' \
               -DOEMKVM_LIBDIR='"$(LIBDIR)"' \
               -DOEMKVM_HOOKDIR='"$(HOOKDIR)"' \
               -DOEMKVM_VERSION='"$(VERSION)"'

# ---------------------------------------------------------------- sources
# lib/ is moving into layers (lib/util, lib/firmware, lib/host, …); until
# the glob covers them, files at their new place are listed here.
LIB_SRCS   := $(sort $(wildcard lib/*.c)) lib/host/mdev.c
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
HOOK_SRCS  := $(sort $(wildcard hooks/*.c))
UNIT_SRCS  := $(sort $(wildcard tests/unit/test-*.c)) tests/unit/host/test-mdev.c
TESTLIB_SRCS := $(sort $(wildcard tests/unit/lib/*.c))

LIB_OBJS   := $(LIB_SRCS:%.c=$(B)/%.o)
TOOL_OBJS  := $(TOOL_SRCS:%.c=$(B)/%.o)
HOOK_OBJS  := $(HOOK_SRCS:%.c=$(B)/%.o)
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(B)/%.o)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

LIB_REAL   := $(B)/liboemkvm.so.$(VERSION)
LIB_SONAME := liboemkvm.so.$(SOVERSION)
OEMKVM     := $(B)/oemkvm
HOOK       := $(B)/oemkvm-hook

all: $(LIB_REAL) $(B)/$(LIB_SONAME) $(B)/liboemkvm.so $(OEMKVM) $(HOOK)

$(B)/lib/%.o: lib/%.c lib/oemkvm.h lib/internal.h $(wildcard lib/*priv.h) $(wildcard lib/host/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Ilib -fvisibility=hidden $(XML_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tools/%.o: tools/%.c lib/oemkvm.h $(wildcard tools/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Ilib $(VIRT_CFLAGS) $(APPARMOR_CFLAGS) $(XML_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/hooks/%.o: hooks/%.c lib/oemkvm.h $(wildcard hooks/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Ilib $(CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/%.c lib/oemkvm.h lib/internal.h $(wildcard lib/host/*.h) $(wildcard tests/unit/lib/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Ilib -Itests/unit/lib $(XML_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB_REAL): $(LIB_OBJS) lib/liboemkvm.sym
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--version-script=lib/liboemkvm.sym \
		-Wl,--no-undefined -Wl,-z,defs $(LDFLAGS) -o $@ $(LIB_OBJS) $(XML_LIBS)

$(B)/$(LIB_SONAME) $(B)/liboemkvm.so: $(LIB_REAL)
	ln -sf $(notdir $(LIB_REAL)) $@

# The tool is the only libvirt client; libapparmor serves the host checks
# (--as-needed: a library no code of the tool calls yet is not loaded).
$(OEMKVM): $(TOOL_OBJS) $(B)/$(LIB_SONAME)
	$(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $(TOOL_OBJS) -L$(B) -loemkvm -Wl,-rpath,$(LIBDIR) \
		$(VIRT_LIBS) $(APPARMOR_LIBS) $(XML_LIBS)

# The hook links libc only: the untagged path must stay a bare exec.  It
# dlopen()s liboemkvm when a domain carries the oemkvm tag.
$(HOOK): $(HOOK_OBJS)
	$(CC) $(LDFLAGS) -Wl,-rpath,$(LIBDIR) -o $@ $(HOOK_OBJS)

# Unit tests link the library's objects directly, so they reach the private
# entry points declared in lib/*priv.h.
$(B)/tests/test-%: $(B)/tests/unit/test-%.o $(LIB_OBJS) $(TESTLIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS)

$(B)/tests/host/test-%: $(B)/tests/unit/host/test-%.o $(LIB_OBJS) $(TESTLIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS)

# Run inside the mdev guest (tests/guest/test-mdev-lib.sh).
GUEST_BINS := $(B)/tests/guest/mdev-kernel
$(B)/tests/guest/mdev-kernel: $(B)/tests/guest/mdev/mdev-kernel.o $(LIB_OBJS) $(TESTLIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS)

# ---------------------------------------------------------------- tests
TEST_ENV = OEMKVM_BUILDDIR=$(abspath $(B)) OEMKVM_SRCDIR=$(CURDIR) \
           LD_LIBRARY_PATH=$(abspath $(B))$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}

# One pass over the unit and CLI tests with the build in $(B).
check-one: all $(UNIT_BINS)
	$(TEST_ENV) tests/run-tests $(UNIT_BINS) $(sort $(wildcard tests/cli/*.sh))

# The guest tests: a real QEMU (and a real libvirtd in a private mount
# namespace); they need root and the packages .ci/run installs.
check-guest: all $(GUEST_BINS)
	$(TEST_ENV) tests/run-tests $(sort $(wildcard tests/guest/test-*.sh)) $(sort $(wildcard tests/e2e/test-*.sh))

check:
	$(MAKE) BUILDDIR=$(B) check-one
	$(MAKE) BUILDDIR=$(B)/asan SANITIZE=1 check-one
	$(MAKE) BUILDDIR=$(B) check-guest

demo: all
	$(TEST_ENV) demo/run

$(B)/execbench: bench/execbench.c
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench: all $(B)/execbench
	$(TEST_ENV) bench/run

# ---------------------------------------------------------------- install
install: all
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(HOOKDIR)/qemu.d $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(SYSTEMDUNITDIR)
	$(INSTALL) -m 0755 $(LIB_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_REAL)) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/liboemkvm.so
	$(INSTALL) -m 0644 lib/oemkvm.h $(DESTDIR)$(INCLUDEDIR)/
	# Written at install time: the directories are the ones given to install.
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
		'Name: liboemkvm' 'Description: OEM license data and domain patching for KVM guests' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -loemkvm' 'Cflags: -I$${includedir}' \
		> $(DESTDIR)$(PKGCONFIGDIR)/liboemkvm.pc
	$(INSTALL) -m 0755 $(OEMKVM) $(DESTDIR)$(BINDIR)/oemkvm
	$(INSTALL) -m 0755 $(HOOK) $(DESTDIR)$(HOOKDIR)/qemu.d/oemkvm
	$(INSTALL) -m 0644 man/oemkvm.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 man/oemkvm.7 $(DESTDIR)$(MANDIR)/man7/
	sed -e 's|@BINDIR@|$(BINDIR)|g' systemd/oemkvm-watch.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/oemkvm-watch.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/oemkvm-watch.service
	APPARMORDIR='$(DESTDIR)$(APPARMORDIR)' STOREDIR='$(STOREDIR)' apparmor/local-rules add
	@if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi
	@echo
	@echo 'oemkvm is installed.  One thing is left:'
	@echo '  - make libvirt see the hook:   sudo systemctl restart libvirtd   (or virtqemud)'
	@echo '  - patch tagged domains on define: sudo systemctl enable --now oemkvm-watch'
	@echo 'Then dump the license data once:  sudo oemkvm dump'

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(notdir $(LIB_REAL)) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME) \
		$(DESTDIR)$(LIBDIR)/liboemkvm.so $(DESTDIR)$(INCLUDEDIR)/oemkvm.h \
		$(DESTDIR)$(PKGCONFIGDIR)/liboemkvm.pc $(DESTDIR)$(BINDIR)/oemkvm \
		$(DESTDIR)$(HOOKDIR)/qemu.d/oemkvm $(DESTDIR)$(MANDIR)/man1/oemkvm.1 \
		$(DESTDIR)$(MANDIR)/man7/oemkvm.7 $(DESTDIR)$(SYSTEMDUNITDIR)/oemkvm-watch.service
	APPARMORDIR='$(DESTDIR)$(APPARMORDIR)' STOREDIR='$(STOREDIR)' apparmor/local-rules remove
	@echo 'oemkvm is removed.  The dumped license data stays in $(STOREDIR); delete it by hand if you want.'

clean:
	rm -rf $(B)

.SECONDARY:

.PHONY: all check check-one check-guest demo bench install uninstall clean
