# SPDX-License-Identifier: GPL-2.0
#
# magpie - top-level Makefile. Kernel objects are described in Kbuild; this
# file drives the out-of-tree build, the host tests, the VM harness and
# installation. `make help` lists the targets.

VERSION := 0.1.0
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD ?= $(TOP)/build
PREFIX ?= /usr/local
DESTDIR ?=

# The kernel to build against. On a machine that runs its own kernel this is
# the usual build link; where that is missing (containers, or a machine like
# magpie's CI whose running kernel is not a test target) fall back to the
# newest installed Debian headers. `make KDIR=/path/to/tree` always wins.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
KBUILD_NAME := kdir-$(subst /,_,$(patsubst /%,%,$(realpath $(KDIR))))

HOSTCC ?= cc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I$(TOP)/mod
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ENGINE_SRCS := mod/engine/sizeclass.c mod/engine/span.c mod/engine/magazine.c \
	mod/engine/runq.c
GENERATED := uapi/linux/magpie_sizeclasses.h mod/engine/sizeclass_lookup.h \
	Documentation/sizeclass-table.rst

.PHONY: all selftests modules clean help check run bench lint host-test gen check-gen install \
	modules_install headers_install dkms-install dkms-uninstall deps bench-userlib

include userlib/userlib.mk

include tools/tools.mk

all: modules

help:
	@echo 'magpie $(VERSION)'
	@echo '  make run          build, boot the stock Debian 6.1 kernel in QEMU, show magpie'
	@echo '  make check        every test: host, W=1 builds on 3 kernels, lint, KUnit, kselftests'
	@echo '  make bench        magpie vs SLUB in one boot each of the perf and stock kernels'
	@echo '  make              build magpie.ko against KDIR ($(KDIR))'
	@echo '  make host-test    engine and userlib tests natively under ASan+UBSan and TSan'
	@echo '  make userlib      libmagpie.so/.a/.pc and libmagpie-malloc.so in build/userlib'
	@echo '  make bench-userlib  userlib against glibc, jemalloc, tcmalloc, mimalloc'
	@echo '  make lint         checkpatch --strict and sparse'
	@echo '  make tools        magpie-stat, the /proc/magpie viewer (build/tools/)'
	@echo '  make gen          regenerate the size-class headers'
	@echo '  make install      install module (modules_install) and uapi headers'
	@echo '  make dkms-install register the sources with DKMS'

deps:
	@tools/vm/deps.sh

# Build in build/<kdir>/ so builds for different kernels never share objects.
modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "no kernel build tree: install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	@tools/vm/build-module.sh $(KBUILD_NAME) $(KDIR)
	@echo "magpie.ko and Module.symvers are in $(BUILD)/$(KBUILD_NAME)/module"

modules_install: modules
	$(MAKE) -C $(KDIR) M=$(BUILD)/$(KBUILD_NAME)/module INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install

headers_install:
	install -d $(DESTDIR)$(PREFIX)/include/linux $(DESTDIR)$(PREFIX)/include/magpie
	install -m 0644 $(wildcard uapi/linux/*.h) $(DESTDIR)$(PREFIX)/include/linux/
	install -m 0644 mod/magpie.h $(DESTDIR)$(PREFIX)/include/magpie/

install: modules_install headers_install tools-install userlib-install

# DKMS builds for the installed kernel whose build link is KDIR (the
# running kernel by default).
DKMS_SRC := $(DESTDIR)/usr/src/magpie-$(VERSION)
DKMS_KERNEL ?= $(or $(firstword $(foreach l,$(wildcard /lib/modules/*/build),\
	$(if $(filter $(realpath $(KDIR)),$(realpath $(l))),$(notdir $(patsubst %/build,%,$(l)))))),\
	$(shell uname -r))
dkms-install:
	install -d $(DKMS_SRC)
	cp -r Kbuild Makefile dkms.conf mod uapi $(DKMS_SRC)/
	dkms add -m magpie -v $(VERSION)
	dkms build -m magpie -v $(VERSION) -k $(DKMS_KERNEL)
	dkms install -m magpie -v $(VERSION) -k $(DKMS_KERNEL)

dkms-uninstall:
	-dkms remove -m magpie -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# The size-class table is generated and checked in; `check-gen` fails when
# the generator and the checked-in headers disagree.
$(BUILD)/tools/gen-sizeclasses: tools/gen-sizeclasses.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

gen: $(BUILD)/tools/gen-sizeclasses
	$< $(GENERATED)

check-gen: $(BUILD)/tools/gen-sizeclasses
	@rm -rf $(BUILD)/gen && mkdir -p $(BUILD)/gen
	@$< $(addprefix $(BUILD)/gen/,$(notdir $(GENERATED)))
	@for f in $(GENERATED); do \
		diff -u $$f $(BUILD)/gen/$$(basename $$f) || \
		{ echo "$$f is stale: run 'make gen'" >&2; exit 1; }; \
	done

# Host unit tests: the engine and the shared test cases, natively.
$(BUILD)/host/engine-asan: tools/testing/engine/main.c $(ENGINE_SRCS) $(wildcard mod/engine/*.h mod/tests/*.h tools/testing/engine/*.h) $(GENERATED)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $(SAN_FLAGS) -o $@ tools/testing/engine/main.c $(ENGINE_SRCS) -lpthread

# Concurrency stresses of the engine under ThreadSanitizer.
$(BUILD)/host/depot-tsan: tools/testing/engine/depot_threads.c $(ENGINE_SRCS) $(wildcard mod/engine/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -fsanitize=thread -o $@ $< $(ENGINE_SRCS) -lpthread

$(BUILD)/host/runq-tsan: tools/testing/engine/runq_threads.c $(ENGINE_SRCS) $(wildcard mod/engine/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -fsanitize=thread -o $@ $< $(ENGINE_SRCS) -lpthread

host-test: $(BUILD)/host/engine-asan $(BUILD)/host/depot-tsan $(BUILD)/host/runq-tsan \
		$(BUILD)/host/userlib-asan $(BUILD)/host/userlib-tsan $(BUILD)/host/userlib-preload
	$(BUILD)/host/engine-asan
	$(BUILD)/host/depot-tsan
	$(BUILD)/host/runq-tsan
	$(BUILD)/host/userlib-asan
	$(BUILD)/host/userlib-tsan
	$(BUILD)/host/userlib-preload

# Static kselftest binaries for the guests.
SELFTESTS := $(patsubst selftests/magpie/%.c,$(BUILD)/selftests/%,$(wildcard selftests/magpie/*_test.c))
$(BUILD)/selftests/%: selftests/magpie/%.c $(wildcard selftests/kselftest/*.h selftests/magpie/*.h) $(wildcard uapi/linux/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) -static -O2 -Wall -Wextra -Werror -I$(TOP)/uapi -o $@ $<

# A freestanding 32-bit program for arena_test's compat case: the build
# machine has no 32-bit libc, only GCC's -m32 and the x86 uapi headers.
$(BUILD)/selftests-helpers/arena32: selftests/magpie/arena32.c $(wildcard uapi/linux/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie -fno-stack-protector \
		-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -mstackrealign \
		-O2 -Wall -Wextra -Werror -I$(TOP)/uapi \
		-I/usr/include/$(shell $(HOSTCC) -print-multiarch) -o $@ $<

selftests: $(SELFTESTS) $(BUILD)/selftests-helpers/arena32

lint:
	@tools/vm/lint.sh $(KDIR) $(KBUILD_NAME)

check:
	@tools/vm/check.sh

bench:
	@tools/vm/bench.sh

run:
	@tools/vm/run.sh

clean:
	rm -rf $(BUILD)
