#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope top's cost, side by side with htop, in one run:
#  1. own CPU at a 1 s refresh with >= 300 extra processes (sleepers): kscope top -i 1
#     and htop -d 10, each in its own tmux pane, interleaved, REPS rounds of SECS
#     seconds, CPU from /proc/PID/stat utime+stime; medians.
#  2. BPF overhead: pipe ping-pong round trips/s with and without kscope top running
#     (/work/shared/bench/overhead.sh, interleaved medians); ratio >= 0.90 wanted.
# Env: SECS (default 20), REPS (default 5), SLEEPERS (default 300).
set -u
cd "$(dirname "$0")/.." || exit 2
KSCOPE=${KSCOPE:-build/kscope}
SECS=${SECS:-20}; REPS=${REPS:-5}; SLEEPERS=${SLEEPERS:-300}
BENCH=/work/shared/bench
TMP=$(mktemp -d /tmp/bench-top.XXXXXX)
pids=()
cleanup() {
	tmux kill-session -t bt_k$$ 2>/dev/null; tmux kill-session -t bt_h$$ 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null; rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench-top: needs root"; exit 1; }
for t in tmux htop; do command -v $t >/dev/null || { echo "bench-top: no $t"; exit 1; }; done

ticks() { awk '{print $14 + $15}' /proc/"$1"/stat 2>/dev/null; }
hz=$(getconf CLK_TCK)
med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for ((i = 0; i < SLEEPERS; i++)); do sleep 3600 & pids+=($!); done
echo "processes: $(ls -d /proc/[0-9]* | wc -l) (with $SLEEPERS sleepers)"

# measure NAME CMD: CPU% of the program CMD runs in a 120x40 tmux pane over SECS
measure() {
	local s=bt_$1$$ pid t0 t1
	tmux new-session -d -s "$s" -x 120 -y 40 "$2"
	sleep 2
	pid=$(pgrep -n -f "^$3")
	[ -n "$pid" ] || { echo "bench-top: $1 did not start" >&2; tmux kill-session -t "$s"; echo nan; return; }
	t0=$(ticks "$pid"); sleep "$SECS"; t1=$(ticks "$pid")
	tmux send-keys -t "$s" q; sleep 0.5; tmux kill-session -t "$s" 2>/dev/null
	awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$SECS" 'BEGIN {printf "%.3f", (b - a) * 100 / hz / s}'
}
k=(); h=()
for ((r = 1; r <= REPS; r++)); do
	k+=($(measure k "$KSCOPE top -i 1" "$KSCOPE top"))
	h+=($(measure h "htop -d 10" "htop"))
	echo "round $r: kscope top ${k[-1]}% htop ${h[-1]}%"
done
km=$(med "${k[@]}"); hm=$(med "${h[@]}")
echo "own CPU at 1 s refresh, median of $REPS x ${SECS}s: kscope top ${km}%  htop ${hm}%  ratio $(awk -v a="$km" -v b="$hm" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
awk -v a="$km" -v b="$hm" 'BEGIN {exit !(a <= b)}' && echo "PASS: kscope top CPU <= htop" || echo "FAIL: kscope top CPU > htop"

gcc -O2 -o "$TMP/pingpong" $BENCH/pingpong.c || exit 1
for ((i = 0; i < ${#pids[@]}; i++)); do kill "${pids[$i]}" 2>/dev/null; done; pids=()
wait 2>/dev/null
read -r base obs ratio < <(WARM=2 $BENCH/overhead.sh "$TMP/pingpong" 3 "$REPS" -- "$KSCOPE" top -b -i 1)
echo "pingpong round trips/s: unobserved $base, kscope top running $obs, ratio $ratio"
awk -v r="$ratio" 'BEGIN {exit !(r >= 0.90)}' && echo "PASS: overhead ratio >= 0.90" || echo "FAIL: overhead ratio < 0.90"
