# SPDX-License-Identifier: GPL-2.0
#
# tools/: magpie-stat, the slabtop-like viewer of /proc/magpie, built for
# this host and statically for the test guests (which have only busybox),
# and its host test; the arena benchmark for the bench guest and the
# userspace demo for `make run`. Included by the top-level Makefile, which defines
# TOP, BUILD, PREFIX, DESTDIR and HOSTCC.

TOOLS_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror

$(BUILD)/tools/magpie-stat: tools/magpie-stat.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -o $@ $<

$(BUILD)/tools/magpie-stat-static: tools/magpie-stat.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -o $@ $<

# The arena benchmark, run in the bench guest (static: busybox only there).
$(BUILD)/tools/arena_bench: tools/bench/arena_bench.c uapi/linux/magpie.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -I$(TOP)/uapi -o $@ $<

# The make-run demo: a static program on libmagpie.a over /dev/magpie.
$(BUILD)/tools/magpie-demo: tools/magpie-demo.c $(BUILD)/userlib/libmagpie.a
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TOOLS_CFLAGS) -static -pthread -I$(TOP)/userlib/include -o $@ $< \
		$(BUILD)/userlib/libmagpie.a

tools: $(BUILD)/tools/magpie-demo $(BUILD)/tools/magpie-stat $(BUILD)/tools/magpie-stat-static $(BUILD)/tools/arena_bench

tools-test: $(BUILD)/tools/magpie-stat
	python3 tools/testing/stat/test_magpie_stat.py $<

tools-install: $(BUILD)/tools/magpie-stat
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $< $(DESTDIR)$(PREFIX)/bin/magpie-stat

.PHONY: tools tools-test tools-install
