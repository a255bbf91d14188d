#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope profile against perf record and bpftrace's profile probe:
#  1. start-up: wall time of a whole run with a 10 ms sampling window
#     (exec, probe, load, attach, first sample, detach, exit) -- an upper
#     bound on start-up to the first sample -- and kscope's own measured
#     time from main() to its first sample (KSCOPE_TIMING=1);
#  2. overhead on a CPU-bound workload (spin) at 99 and 999 Hz, with the
#     user-stack unwinding on: throughput observed / unobserved, interleaved;
#  3. peak RSS of a 10 s system-wide profile.
# REPS=N (default 7) runs; medians reported.
source "$(dirname "$0")/bench-lib.sh"
REPS=${REPS:-7}
bench_build spin

echo "== start-up (median of $REPS, ms; lower is better)"
# something must run for a first sample to come: idle CPUs and kscope itself
# are not sampled
"$BENCH/spin" 600 >/dev/null 2>&1 &
spinner=$!
declare -A t
for i in $(seq "$REPS"); do
	for tool in kscope perf bpftrace; do
		s=$(date +%s%N)
		case $tool in
		kscope) "$KSCOPE" profile -d 0.01 -f folded >/dev/null 2>&1 ;;
		perf) perf record -F 99 -a -g -o /dev/null -- sleep 0.01 >/dev/null 2>&1 ;;
		bpftrace) bpftrace -e 'profile:hz:99 { @[kstack, ustack] = count(); } interval:ms:10 { exit(); }' >/dev/null 2>&1 ;;
		esac
		t[$tool]+="$(( ($(date +%s%N) - s) / 1000000 )) "
	done
	timing=$(KSCOPE_TIMING=1 "$KSCOPE" profile -d 0.2 -f folded 2>&1 >/dev/null)
	attach+="$(echo "$timing" | sed -n 's/.*attached after \([0-9.]*\) ms.*/\1/p') "
	first+="$(echo "$timing" | sed -n 's/.*first sample after \([0-9.]*\) ms.*/\1/p') "
done
kill $spinner 2>/dev/null; wait $spinner 2>/dev/null
printf "  %-10s whole run %6s ms\n" kscope "$(median ${t[kscope]})" perf "$(median ${t[perf]})" \
	bpftrace "$(median ${t[bpftrace]})"
echo "  kscope main() to attached: $(median $attach) ms, to first sample: $(median $first) ms (target <= 100)"

echo "== overhead on spin (throughput observed/unobserved, median of $REPS; target >= 0.99)"
for hz in 99 999; do
	printf "  %-28s %s\n" "kscope profile -F $hz" \
		"$(WARM=1.5 "$SHARED/overhead.sh" "$BENCH/spin" 5 "$REPS" -- "$KSCOPE" profile -F $hz -f folded -o /dev/null)"
	printf "  %-28s %s\n" "perf record -g -F $hz" \
		"$(WARM=1.5 "$SHARED/overhead.sh" "$BENCH/spin" 5 "$REPS" -- perf record -F $hz -a -g -o /tmp/bench-perf.data)"
	printf "  %-28s %s\n" "bpftrace profile:hz:$hz" \
		"$(WARM=3 "$SHARED/overhead.sh" "$BENCH/spin" 5 "$REPS" -- bpftrace -e "profile:hz:$hz { @[kstack, ustack] = count(); }")"
done
rm -f /tmp/bench-perf.data
echo "  (columns: base observed ratio)"

echo "== peak RSS, 10 s system-wide profile (target <= 30 MiB)"
"$BENCH/spin" 12 >/dev/null &
/usr/bin/time -f "%M" -o /tmp/bench-rss "$KSCOPE" profile -d 10 -f folded -o /dev/null 2>/dev/null
wait
echo "  kscope profile: $(( $(tail -1 /tmp/bench-rss) / 1024 )) MiB"
rm -f /tmp/bench-rss
