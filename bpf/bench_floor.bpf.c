// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark only (scripts/bench-overhead.sh, loaded by scripts/bench-floor.c):
 * empty programs on the tracepoints the collectors use -- their floor, the
 * cost of merely attaching. "sys": raw_syscalls sys_enter/sys_exit (kscope
 * syscalls); "sched": sched_switch alone (kscope runqlat's flavour).
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

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}
