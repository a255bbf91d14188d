// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark only (scripts/bench-overhead.sh, loaded by scripts/bench-floor.c):
 * empty programs on raw_syscalls sys_enter/sys_exit, the cost of merely
 * attaching to the two tracepoints `kscope syscalls` uses -- its floor.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long nr)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
