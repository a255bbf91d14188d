# SPDX-License-Identifier: GPL-2.0
# kscope: one binary, build/kscope. Everything this Makefile makes lives in build/.
# Quiet by default; `make V=1` prints the full commands.
#
# Adding a collector: drop bpf/<name>.bpf.c in, its skeleton build/bpf/<name>.skel.h
# appears; user/ and tools/ files are picked up by wildcard.

OUT        := build
CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
INCLUDES   := -Iinclude -Iuser -I$(OUT) -I$(OUT)/bpf
ALL_CFLAGS := $(CFLAGS) $(WARN) $(INCLUDES) -D_GNU_SOURCE -DKSCOPE_VERSION='"$(VERSION)"' \
	      -fno-omit-frame-pointer $(EXTRA_CFLAGS)
LDLIBS     := -lbpf -lelf -lz -lncursesw -lm -lpthread $(EXTRA_LDLIBS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -I$(OUT) -Ibpf

BPF_SRCS   := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.skel.h,$(BPF_SRCS))
LIB_SRCS   := $(sort $(wildcard user/*.c))
LIB_OBJS   := $(patsubst user/%.c,$(OUT)/obj/user/%.o,$(LIB_SRCS))
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
TOOL_OBJS  := $(patsubst tools/%.c,$(OUT)/obj/tools/%.o,$(TOOL_SRCS))
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
WL_SRCS    := $(sort $(wildcard tests/workloads/*.c))
WL_BINS    := $(patsubst tests/workloads/%.c,$(OUT)/workloads/%,$(WL_SRCS))

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS)
.PHONY: all deps test unit integration run clean workloads asan bench fuzz

all: deps $(OUT)/kscope

deps:
	$(Q)scripts/deps.sh

$(OUT)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && scripts/gen-vmlinux.sh $(BPFTOOL) > $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h $(wildcard bpf/*.bpf.h) $(wildcard include/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUT)/obj/%.o: %.c $(SKELS) $(wildcard include/*.h user/*.h tools/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) -c $< -o $@

# Syscall names for the build architecture, generated from <sys/syscall.h>.
$(OUT)/ks_syscall_names.h: scripts/gen-syscall-names.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && scripts/gen-syscall-names.sh $(CC) > $@

$(OUT)/obj/user/syscalls.o: $(OUT)/ks_syscall_names.h

$(OUT)/libkscope.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/kscope: $(TOOL_OBJS) $(OUT)/libkscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

# Unit tests: one cmocka binary per module, linked against the library.
$(OUT)/tests/%: tests/unit/%.c $(OUT)/libkscope.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) -Itests/unit $< $(OUT)/libkscope.a $(LDLIBS) -lcmocka -o $@

# Workloads: small programs with known behaviour. Per-file flags come from a
# "// build: FLAGS" first-lines comment (for -fomit-frame-pointer, -lpthread ...).
$(OUT)/workloads/%: tests/workloads/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $$(sed -n 's|^// build: ||p' $<) -o $@ $< \
		$$(sed -n 's|^// link: ||p' $<)

workloads: $(WL_BINS)

unit: deps $(UNIT_BINS)

test: deps $(OUT)/kscope $(UNIT_BINS) $(WL_BINS)
	$(Q)tests/run.sh

run: deps $(OUT)/kscope
	$(OUT)/kscope top

asan:
	$(MAKE) OUT=build/asan EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
		CFLAGS="-O1 -g" build/asan/kscope

bench: deps $(OUT)/kscope $(WL_BINS)
	$(Q)scripts/deps.sh --bench
	$(Q)for b in scripts/bench-*.sh; do echo "== $$b"; $$b || exit 1; done

# Long fuzzing run of the capture reader (tests/e2e/fuzz.sh runs 20 s in make test).
fuzz:
	$(Q)FUZZ_TIME=$${FUZZ_TIME:-600} tests/e2e/fuzz.sh

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)
