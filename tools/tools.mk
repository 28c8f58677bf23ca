# SPDX-License-Identifier: GPL-2.0
#
# tools/: magpie-stat, the slabtop-like viewer of /proc/magpie, and
# magpie-check, which runs the in-kernel self-checks and benchmarks, built
# for this host and statically for the test guests (which have only
# busybox); magpie-stat's host test; the arena benchmark for the bench guest and the
# userspace demo for `make run`. Included by the top-level Makefile, which defines
# TOP, BUILD, PREFIX, DESTDIR and HOSTCC.

TOOLS_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror

$(BUILD)/tools/magpie-stat: tools/magpie-stat.c tools/json.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -o $@ $<

$(BUILD)/tools/magpie-stat-static: tools/magpie-stat.c tools/json.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -o $@ $<

# magpie-check: MAGPIE_IOC_RUN_CHECKS from the command line; static for
# the guests, which run it in check and bench mode.
$(BUILD)/tools/magpie-check: tools/magpie-check.c tools/json.h uapi/linux/magpie.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -I$(TOP)/uapi -o $@ $<

$(BUILD)/tools/magpie-check-static: tools/magpie-check.c tools/json.h uapi/linux/magpie.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -I$(TOP)/uapi -o $@ $<

# The arena benchmark, run in the bench guest (static: busybox only there).
$(BUILD)/tools/arena_bench: tools/bench/arena_bench.c tools/bench/bench_util.h uapi/linux/magpie.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -I$(TOP)/uapi -o $@ $<

# The cost of cooperation: libmagpie on /dev/magpie against the anon
# backend, in the bench guest (static).
$(BUILD)/tools/backend_bench: tools/bench/backend_bench.c tools/bench/bench_util.h \
		$(BUILD)/userlib/libmagpie.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -pthread -I$(TOP)/userlib/include -o $@ $< \
		$(BUILD)/userlib/libmagpie.a

# The make-run demo: a static program on libmagpie.a over /dev/magpie.
$(BUILD)/tools/magpie-demo: tools/magpie-demo.c $(BUILD)/userlib/libmagpie.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -pthread -I$(TOP)/userlib/include -o $@ $< \
		$(BUILD)/userlib/libmagpie.a

tools: $(BUILD)/tools/magpie-demo $(BUILD)/tools/magpie-stat $(BUILD)/tools/magpie-stat-static \
	$(BUILD)/tools/arena_bench $(BUILD)/tools/backend_bench $(BUILD)/tools/magpie-check \
	$(BUILD)/tools/magpie-check-static

tools-test: $(BUILD)/tools/magpie-stat $(BUILD)/tools/magpie-check
	python3 tools/testing/stat/test_magpie_stat.py $(BUILD)/tools/magpie-stat
	python3 tools/testing/check/test_magpie_check.py $(BUILD)/tools/magpie-check

tools-install: $(BUILD)/tools/magpie-stat $(BUILD)/tools/magpie-check
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/tools/magpie-stat $(DESTDIR)$(PREFIX)/bin/magpie-stat
	install -m 0755 $(BUILD)/tools/magpie-check $(DESTDIR)$(PREFIX)/bin/magpie-check

.PHONY: tools tools-test tools-install
