#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Size and cost of `kscope record`: a busy 2-CPU machine (stress-ng --cpu 2
# --io 1) recorded for DUR seconds (default 60) at 1 s intervals with the
# default collectors. Prints MiB per minute of capture and kscope's own CPU
# (user+sys from /proc/PID/stat, start-up included, up to DUR-1 s) as % of
# one CPU; targets: <= 1 MiB/min, <= 2%. The steady figure leaves out the
# first 3 s (BPF verification, BTF, kallsyms: a fixed start-up cost).
# REPS runs (default 3), medians of them. The peer, `perf record -F 99 -a -g`
# for the same DUR under the same load (PEER=0 skips it), gives its file size
# and CPU alike. The load average is printed before and after each run: on a
# shared machine other jobs move both figures (more processes, more stacks).
# KSCOPE=path measures another build; BASE=path also measures that build in
# each repetition, just before (interleaved: the same load for both).
source "$(dirname "$0")/bench-lib.sh"
DUR=${DUR:-60}
REPS=${REPS:-3}
PEER=${PEER:-1}
out=$(mktemp -d)
trap 'kill $sp 2>/dev/null; rm -rf "$out"' EXIT
tck=$(getconf CLK_TCK)
stress-ng --cpu 2 --io 1 -t $(((DUR + 5) * REPS * (PEER + 2) + 30)) > /dev/null 2>&1 &
sp=$!
sleep 2

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# measure NAME FILE command...: size in MiB/min, CPU % (total, steady)
measure() {
	local name=$1 file=$2 pid t3 tend bytes
	shift 2
	local l0
	l0=$(load)
	"$@" > /dev/null 2> "$out/log" &
	pid=$!
	sleep 3
	t3=$(cpu_ticks $pid)
	sleep $((DUR - 4))
	tend=$(cpu_ticks $pid)
	wait $pid
	bytes=$(stat -c %s "$file")
	mib=$(awk -v b="$bytes" -v d="$DUR" 'BEGIN { printf "%.3f", b / 1048576 * 60 / d }')
	cpu=$(awk -v t="$tend" -v k="$tck" -v d="$DUR" 'BEGIN { printf "%.2f", t / k / (d - 1) * 100 }')
	steady=$(awk -v a="$t3" -v t="$tend" -v k="$tck" -v d="$DUR" \
		'BEGIN { printf "%.2f", (t - a) / k / (d - 4) * 100 }')
	echo "$name run $r: ${bytes} bytes in ${DUR}s = ${mib} MiB/min; CPU ${cpu}% of one CPU" \
	     "(steady ${steady}%); load $l0 -> $(load)"
}

ks_mib=() ks_cpu=() ks_steady=() pf_mib=() pf_cpu=() b_mib=() b_cpu=() b_steady=()
for r in $(seq "$REPS"); do
	if [ -n "$BASE" ]; then
		measure base "$out/base.kscap" "$BASE" record -d "$DUR" -i 1 -o "$out/base.kscap"
		b_mib+=("$mib") b_cpu+=("$cpu") b_steady+=("$steady")
	fi
	measure kscope "$out/run.kscap" "$KSCOPE" record -d "$DUR" -i 1 -o "$out/run.kscap"
	ks_mib+=("$mib") ks_cpu+=("$cpu") ks_steady+=("$steady")
	grep -v '^Recording' "$out/log" | head -3
	[ "$PEER" = 1 ] || continue
	measure perf "$out/perf.data" perf record -F 99 -a -g -o "$out/perf.data" -- sleep "$DUR"
	pf_mib+=("$mib") pf_cpu+=("$cpu")
done
[ -n "$BASE" ] && echo "median of $REPS: base $BASE $(median "${b_mib[@]}") MiB/min," \
	"CPU $(median "${b_cpu[@]}")% (steady $(median "${b_steady[@]}")%)"
echo "median of $REPS: kscope record $(median "${ks_mib[@]}") MiB/min (target <= 1)," \
     "CPU $(median "${ks_cpu[@]}")% (target <= 2; steady $(median "${ks_steady[@]}")%)"
[ "$PEER" = 1 ] && echo "median of $REPS: perf record -F 99 -a -g $(median "${pf_mib[@]}") MiB/min," \
	"CPU $(median "${pf_cpu[@]}")% (on-CPU samples only, unsymbolized until perf report)"
exit 0
