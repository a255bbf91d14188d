#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost of off-CPU user stacks where every period gets one: threads that
# sleep at least --stack-min-us (100 us) at a time (tests/workloads/
# sleepers.c, built without frame pointers). For each observer, interleaved
# with unobserved runs: the workload's sleeps/s observed / unobserved
# (medians of REPS), the BPF run time per program run (bpf_stats), the
# observer's own CPU time (user + system) per second of workload, and what
# kscope counted as lost.
#   THREADS=8 SLEEP_US=100 SECS=2 REPS=3 scripts/bench-offcpu-stacks.sh
# BEFORE=/path/to/older/kscope adds that binary's offcpu as an observer;
# ONLY=WORD keeps the observers whose label has WORD.
source "$(dirname "$0")/bench-lib.sh"
REPS=${REPS:-3}
SECS=${SECS:-2}
THREADS=${THREADS:-8}
SLEEP_US=${SLEEP_US:-100}
make -C "$ROOT" -s build/workloads/sleepers || exit 1
WL=$ROOT/build/workloads/sleepers

OBSERVERS=(
	"kscope offcpu (CFI copies)|$KSCOPE offcpu -f folded"
	"kscope offcpu --unwind fp|$KSCOPE offcpu -f folded --unwind fp"
	"libbpf-tools offcputime|/usr/sbin/offcputime"
)
[ -n "$BEFORE" ] && OBSERVERS+=("before: $(basename "$BEFORE") offcpu|$BEFORE offcpu -f folded")

progs() {	# id run_time_ns run_cnt name, one line per program
	bpftool prog show --json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    print(p["id"], p.get("run_time_ns", 0), p.get("run_cnt", 0), p.get("name", "?"))'
}
cpu_ticks() {	# utime + stime of PID, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
hz=$(getconf CLK_TCK)
echo "== $THREADS threads sleeping ${SLEEP_US} us at a time (medians of $REPS x ${SECS}s, interleaved)"
for o in "${OBSERVERS[@]}"; do
	IFS='|' read -r label cmd <<< "$o"
	[ -n "$ONLY" ] && [[ "$label" != *$ONLY* ]] && continue
	base=() obs=() cpu=() lines=()
	for i in $(seq "$REPS"); do
		base+=("$("$WL" "$SECS" "$THREADS" "$SLEEP_US")")
		progs > "$BENCH/s.before"
		# shellcheck disable=SC2086 # the observer command is split on purpose
		$cmd > "$BENCH/s.out" 2> "$BENCH/s.err" &
		op=$!
		sleep 1.5
		progs > "$BENCH/s.start"
		c0=$(cpu_ticks $op)
		obs+=("$("$WL" "$SECS" "$THREADS" "$SLEEP_US")")
		c1=$(cpu_ticks $op)
		progs > "$BENCH/s.end"
		kill -INT $op
		wait $op 2>/dev/null
		cpu+=("$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$SECS" \
			'BEGIN { printf "%.0f", (b - a) * 1000 / hz / s }')")
		lines+=("$(python3 - "$BENCH/s.before" "$BENCH/s.start" "$BENCH/s.end" "$SECS" <<'PY'
import sys
rd = lambda f: {l.split()[0]: l.split() for l in open(f)}
before, start, end = rd(sys.argv[1]), rd(sys.argv[2]), rd(sys.argv[3])
out = []
for i, e in sorted(end.items()):
    if i in before or i not in start:
        continue
    dt, dc = int(e[1]) - int(start[i][1]), int(e[2]) - int(start[i][2])
    if dc > 100:
        out.append("%s %.0f ns x %.0f/s" % (e[3], dt / dc, dc / float(sys.argv[4])))
print(", ".join(out))
PY
)")
	done
	b=$(median "${base[@]}") o=$(median "${obs[@]}") c=$(median "${cpu[@]}")
	printf "  %-34s base %7s/s observed %7s/s ratio %s, observer CPU %s ms/s\n" "$label" \
		"$b" "$o" "$(awk -v b="$b" -v o="$o" 'BEGIN { printf "%.3f", o / b }')" "$c"
	echo "      bpf: ${lines[$((REPS / 2))]}"
	if [[ "$label" == kscope* || "$label" == before* ]]; then
		sed -n 's/^ *\(lost: .*\)/      \1/p; s/^ *\(user stacks unwound.*\)/      \1/p' \
			"$BENCH/s.err"
		grep -h '^unavailable' "$BENCH/s.err" | sed 's/^/      /'
	fi
done
sysctl -qw kernel.bpf_stats_enabled="$stats_was"

# The same workload alone (-p): what kscope's accounting says of its stacks
# without the rest of the machine mixed in, and kscope's own CPU time.
echo "== kscope offcpu -p on the workload alone ($SECS s)"
"$WL" $((SECS + 2)) "$THREADS" "$SLEEP_US" > /dev/null &
wp=$!
sleep 0.5
"$KSCOPE" offcpu -p "$wp" -d "$SECS" -f folded 2> "$BENCH/s.err" > "$BENCH/s.out" &
op=$!
sleep 0.2
c0=$(cpu_ticks $op)
sleep "$(awk -v s="$SECS" 'BEGIN { print s - 0.5 }')"
c1=$(cpu_ticks $op)
wait $op $wp
echo "  kscope CPU while tracing: $(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$SECS" \
	'BEGIN { printf "%.0f", (b - a) * 1000 / hz / (s - 0.5) }') ms/s"
sed -n 's/^\(Accounting: .*\)/  \1/p; s/^ *\(lost: .*\)/  \1/p; s/^ *\(user stacks unwound.*\)/  \1/p' \
	"$BENCH/s.err"
grep -h '^unavailable' "$BENCH/s.err" | sed 's/^/  /'
awk '{ k = $0 ~ /;main;.*;nest;/ || $0 ~ /;start_thread;.*;nest;/ ? "sleeper;...;nest" : "other" ;
	n[k] += $NF } END { for (k in n) printf "  %s: %.0f us\n", k, n[k] }' "$BENCH/s.out"
