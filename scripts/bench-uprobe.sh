#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost per probed call of kscope funclat against bpftrace's uprobes, on the
# same noinline function (tests/workloads/funclat_wl.c, mode "fast": N calls
# of wl_fast(), the loop timed inside the workload):
#   base                 unobserved
#   kscope funclat       uprobe + uretprobe, per-process histogram (uprobe_multi links)
#   kscope-perf          the same through one perf_event uprobe per probe
#                        (the fallback for kernels without uprobe_multi)
#   bpftrace timed       uprobe { @s[tid] = nsecs } uretprobe { @h = hist(..) }
#   kscope --count       uprobe only, per-process count
#   bpftrace count       uprobe { @ = count() }
# Runs are interleaved (every configuration once per round), REPS rounds
# (default 7); ns per call = (median observed - median base) / N. Each
# observer's own count is checked against N, so a probe that saw nothing
# cannot look cheap.
source "$(dirname "$0")/bench-lib.sh"
REPS=${REPS:-7}
N=${N:-500000}
BIN=$ROOT/build/workloads/funclat_wl
[ -x "$BIN" ] || make -C "$ROOT" -s "build/workloads/funclat_wl" || exit 1
TMP=$(mktemp -d /tmp/bench-uprobe.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

BT_TIMED="uprobe:$BIN:wl_fast { @s[tid] = nsecs; }
uretprobe:$BIN:wl_fast /@s[tid]/ { @h = hist(nsecs - @s[tid]); @n = count(); delete(@s[tid]); }"
BT_COUNT="uprobe:$BIN:wl_fast { @n = count(); }"

# start_observer CONFIG: start it, wait until its probes are attached.
start_observer() {
	local i
	: > "$TMP/obs.err"
	: > "$TMP/obs.out"
	case $1 in
	base) obs=; return ;;
	kscope) "$KSCOPE" funclat "$BIN:wl_fast" --json > "$TMP/obs.out" 2> "$TMP/obs.err" & ;;
	kscope-perf) KSCOPE_NO_UPROBE_MULTI=1 "$KSCOPE" funclat "$BIN:wl_fast" --json > "$TMP/obs.out" 2> "$TMP/obs.err" & ;;
	kscope-count) "$KSCOPE" funclat --count "$BIN:wl_fast" --json > "$TMP/obs.out" 2> "$TMP/obs.err" & ;;
	bpftrace) bpftrace -e "$BT_TIMED" > "$TMP/obs.out" 2> "$TMP/obs.err" & ;;
	bpftrace-count) bpftrace -e "$BT_COUNT" > "$TMP/obs.out" 2> "$TMP/obs.err" & ;;
	esac
	obs=$!
	for i in $(seq 200); do
		grep -qE '^(Tracing|Attaching)' "$TMP/obs.out" "$TMP/obs.err" && break
		sleep 0.05
	done
	sleep 0.5	# bpftrace prints "Attaching" before it attaches: same grace for both
}

# stop_observer CONFIG: SIGINT, wait (not in a subshell: it must be our
# child), set $seen to the number of calls it saw.
stop_observer() {
	seen=$N
	[ -z "$obs" ] && return
	kill -INT "$obs"
	wait "$obs"
	case $1 in
	kscope*) seen=$(jq -r '[.rows[].calls] | add // 0' "$TMP/obs.out" 2>/dev/null) ;;
	bpftrace*) seen=$(sed -n 's/^@n: \([0-9]*\)/\1/p' "$TMP/obs.out") ;;
	esac
}

CONFIGS="base kscope kscope-perf bpftrace kscope-count bpftrace-count"
declare -A t bad
for r in $(seq "$REPS"); do
	for c in $CONFIGS; do
		start_observer "$c"
		ns=$("$BIN" fast "$N" | sed -n 's/^loop_ns=//p')
		stop_observer "$c"
		[ "$seen" = "$N" ] || bad[$c]+="run $r saw ${seen:-nothing}; "
		t[$c]+="$ns "
	done
done

echo "== cost per probed call: $N calls of a noinline function, median of $REPS interleaved runs"
base=$(median ${t[base]})
printf "  %-16s %12s %10s  %s\n" config "loop (ms)" "ns/call" "calls seen"
for c in $CONFIGS; do
	m=$(median ${t[$c]})
	printf "  %-16s %12.1f %10.0f  %s\n" "$c" "$(echo "$m / 1000000" | bc -l)" \
		"$(echo "($m - $base) / $N" | bc -l)" "${bad[$c]:-all $N}"
done
echo "  (ns/call = (median observed loop - median base loop) / N; lower is better)"

# The BPF programs' own share of that (the rest is the uprobe trap, the
# same for every tool): kernel.bpf_stats_enabled for one run per observer,
# restored afterwards; run_time_ns / run_cnt summed over the observer's programs.
echo "== BPF program time per call (kernel.bpf_stats_enabled, one run of $N calls)"
old=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled=$old; rm -rf "$TMP"' EXIT
for c in kscope bpftrace kscope-count bpftrace-count; do
	start_observer "$c"
	sysctl -qw kernel.bpf_stats_enabled=1
	"$BIN" fast "$N" > /dev/null
	sysctl -qw kernel.bpf_stats_enabled="$old"
	# programs that ran exactly N times during the run are the observer's
	ns=$(bpftool prog show | awk -v n="$N" '
		/run_time_ns/ { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i + 1);
			if ($i == "run_cnt") c = $(i + 1) } if (c == n) s += t }
		END { printf "%.0f", s / n }')
	stop_observer "$c"
	printf "  %-16s %6s ns/call in BPF\n" "$c" "$ns"
done
