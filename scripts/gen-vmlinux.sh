#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print vmlinux.h for CO-RE programs, generated from the running kernel's BTF.
# Generated rather than checked in: CO-RE relocates field offsets at load time,
# so any recent kernel's types would do, but generating keeps the repository
# small and the types current (new tracepoint structs, lock:contention_*).
# KSCOPE_BTF=/path overrides the BTF source (e.g. a vmlinux from another box).
bpftool=${1:-bpftool}
btf=${KSCOPE_BTF:-/sys/kernel/btf/vmlinux}
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux: $btf not readable: kscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (or set KSCOPE_BTF)" >&2
	exit 1
fi
exec "$bpftool" btf dump file "$btf" format c
