# SPDX-License-Identifier: GPL-2.0
#
# userlib: libmagpie.so (versioned by libmagpie.map), libmagpie.a,
# libmagpie.pc and the LD_PRELOAD allocator libmagpie-malloc.so, all under
# build/userlib/; its host tests under build/host/. Included by the
# top-level Makefile, which defines TOP, BUILD, PREFIX, DESTDIR, VERSION,
# HOSTCC, HOST_CFLAGS and SAN_FLAGS.

USERLIB_OUT := $(BUILD)/userlib
USERLIB_CORE := userlib/src/arena.c userlib/src/alloc.c userlib/src/central.c \
	userlib/src/tcache.c userlib/src/pageheap.c userlib/src/os.c userlib/src/os_device.c
# The engine, compiled unchanged through platform.h's userspace branch.
USERLIB_ENGINE := mod/engine/sizeclass.c mod/engine/span.c mod/engine/magazine.c
USERLIB_SRCS := $(USERLIB_CORE) $(USERLIB_ENGINE)
USERLIB_DEPS := $(wildcard userlib/src/*.h userlib/include/*.h mod/engine/*.h) \
	uapi/linux/magpie.h uapi/linux/magpie_sizeclasses.h
USERLIB_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -fPIC \
	-fvisibility=hidden -I$(TOP)/userlib/include
USERLIB_OBJS := $(patsubst %.c,$(USERLIB_OUT)/obj/%.o,$(USERLIB_SRCS))
USERLIB_SONAME := libmagpie.so.0

$(USERLIB_OUT)/obj/%.o: %.c $(USERLIB_DEPS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(USERLIB_CFLAGS) -c -o $@ $<

$(USERLIB_OUT)/libmagpie.a: $(USERLIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(USERLIB_OUT)/$(USERLIB_SONAME): $(USERLIB_OBJS) userlib/libmagpie.map
	$(HOSTCC) -shared -pthread -Wl,-soname,$(USERLIB_SONAME) \
		-Wl,--version-script=userlib/libmagpie.map -Wl,-z,defs -o $@ $(USERLIB_OBJS)

$(USERLIB_OUT)/libmagpie.so: $(USERLIB_OUT)/$(USERLIB_SONAME)
	ln -sf $(USERLIB_SONAME) $@

$(USERLIB_OUT)/libmagpie-malloc.so: $(USERLIB_OUT)/obj/userlib/src/malloc.o $(USERLIB_OBJS) \
		userlib/libmagpie-malloc.map
	$(HOSTCC) -shared -pthread -Wl,--version-script=userlib/libmagpie-malloc.map \
		-Wl,-z,defs -o $@ $(USERLIB_OUT)/obj/userlib/src/malloc.o $(USERLIB_OBJS)

$(USERLIB_OUT)/libmagpie.pc: userlib/libmagpie.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

USERLIB_TARGETS := $(USERLIB_OUT)/libmagpie.a $(USERLIB_OUT)/libmagpie.so \
	$(USERLIB_OUT)/libmagpie-malloc.so $(USERLIB_OUT)/libmagpie.pc

userlib: $(USERLIB_TARGETS)

userlib-static-test: $(USERLIB_OUT)/userlib-test-static

userlib-install: userlib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(USERLIB_OUT)/$(USERLIB_SONAME) $(USERLIB_OUT)/libmagpie-malloc.so \
		$(DESTDIR)$(PREFIX)/lib/
	ln -sf $(USERLIB_SONAME) $(DESTDIR)$(PREFIX)/lib/libmagpie.so
	install -m 0644 $(USERLIB_OUT)/libmagpie.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(USERLIB_OUT)/libmagpie.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 userlib/include/libmagpie.h $(DESTDIR)$(PREFIX)/include/

# Host tests: the API under ASan+UBSan, threads under TSan, and real
# programs under LD_PRELOAD=libmagpie-malloc.so (not sanitized: ASan
# brings its own malloc).
USERLIB_TEST_DEPS := $(USERLIB_SRCS) $(USERLIB_DEPS) $(wildcard tools/testing/userlib/*.h) \
	tools/testing/engine/mt_host.h
USERLIB_TEST_CFLAGS := $(HOST_CFLAGS) -pthread -I$(TOP)/userlib/include

$(BUILD)/host/userlib-asan: tools/testing/userlib/main.c tools/testing/userlib/cases_errors.c \
		$(USERLIB_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(USERLIB_TEST_CFLAGS) $(SAN_FLAGS) -o $@ tools/testing/userlib/main.c \
		tools/testing/userlib/cases_errors.c $(USERLIB_SRCS)

$(BUILD)/host/userlib-tsan: tools/testing/userlib/threads.c $(USERLIB_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(USERLIB_TEST_CFLAGS) -fsanitize=thread -o $@ $< $(USERLIB_SRCS)

$(BUILD)/host/userlib-mtprog: tools/testing/userlib/mtprog.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(USERLIB_TEST_CFLAGS) -o $@ $<

$(BUILD)/host/userlib-preload: tools/testing/userlib/preload.c tools/testing/userlib/param.h \
		$(USERLIB_OUT)/libmagpie-malloc.so $(BUILD)/host/userlib-mtprog
	@mkdir -p $(dir $@)
	$(HOSTCC) $(USERLIB_TEST_CFLAGS) -DMGP_BUILD_DIR='"$(BUILD)"' -o $@ $<

# The same API suite, static and unsanitized, for the QEMU guests (no
# shared libraries there): it runs on the device backend when /dev/magpie
# opens. Links libmagpie.a as any static user would.
$(USERLIB_OUT)/userlib-test-static: tools/testing/userlib/main.c tools/testing/userlib/cases_errors.c \
		$(USERLIB_OUT)/libmagpie.a $(wildcard tools/testing/userlib/*.h)
	$(HOSTCC) -static -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -I$(TOP)/mod \
		-I$(TOP)/userlib/include -o $@ tools/testing/userlib/main.c \
		tools/testing/userlib/cases_errors.c $(USERLIB_OUT)/libmagpie.a

userlib-test: $(BUILD)/host/userlib-asan $(BUILD)/host/userlib-tsan $(BUILD)/host/userlib-preload
	$(BUILD)/host/userlib-asan
	$(BUILD)/host/userlib-tsan
	$(BUILD)/host/userlib-preload

# make bench-userlib: see tools/testing/userlib/bench.c.
$(USERLIB_OUT)/bench-userlib: tools/testing/userlib/bench.c $(USERLIB_OUT)/libmagpie.a
	$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -I$(TOP)/userlib/include \
		-DMGP_SHIM='"$(USERLIB_OUT)/libmagpie-malloc.so"' -o $@ $< $(USERLIB_OUT)/libmagpie.a

bench-userlib: $(USERLIB_OUT)/bench-userlib $(USERLIB_OUT)/libmagpie-malloc.so
	$(USERLIB_OUT)/bench-userlib

.PHONY: userlib userlib-install userlib-test userlib-static-test bench-userlib
