#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope runqlat on the real kernel, against workloads with known run-queue behaviour.
source "$(dirname "$0")/../lib.sh"
ks_need_root runqlat

# 1. Four CPU-bound processes pinned to one CPU wait for it a scheduler
#    slice or more at a time: p50 >= 1 ms for each, and they are preempted.
"$WL/spin_pinned" 30 4 0 > "$KS_TMP/spin.pids" &
ks_children+=($!)
sleep 0.3
pids=$(cat "$KS_TMP/spin.pids")
run_delay() { for p in ${pids//,/ }; do cat /proc/"$p"/schedstat; done | awk '{s += $2} END {printf "%.0f", s}'; }
rd0=$(run_delay); t0=$(date +%s%N)
"$KSCOPE" runqlat -p "$pids" -d 3 --json > "$KS_TMP/spin.json" 2> "$KS_TMP/spin.err"
rc=$?
rd1=$(run_delay); t1=$(date +%s%N)
ks_check "runqlat -p --json exits 0" $rc "exit 0, saw $rc: $(cat "$KS_TMP/spin.err")"
out=$(python3 - "$KS_TMP/spin.json" "$pids" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = set(int(p) for p in sys.argv[2].split(","))
rows = [r for r in d["rows"] if r["pid"] in want]
print(len(rows), min([r["runq"]["p50"] for r in rows] or [0]),
      min([r["preempt"] for r in rows] or [0]), d["all"]["count"],
      int(all(k in d["all"] for k in ("unit", "count", "p50", "p90", "p99", "max", "buckets"))),
      d.get("clock"), sum(r["runq"]["sum"] for r in rows) * 1000 / d["duration_s"],
      sum(r["runq"]["count"] for r in d["rows"]))
PY
)
read -r nrows p50 preempt count keys clock rate rowsum <<< "$out"
# A wait is counted once in BPF, in its row (the system-wide histogram is
# their sum, plus the waits no row could hold: none here).
ks_check "system-wide count = the rows' counts summed" "$([ "$count" = "$rowsum" ] && [ "$count" -gt 0 ]; echo $?)" \
	"system-wide $count, rows $rowsum"
ks_check "pinned spinners: a row for each of the 4 processes" "$([ "$nrows" = 4 ]; echo $?)" \
	"expected 4 rows, saw $nrows"
ks_check "pinned spinners: p50 run-queue latency >= 1 ms for each" \
	"$(ks_true "$p50 >= 1000"; echo $?)" "expected >= 1000 us, saw min p50 $p50 us"
ks_check "pinned spinners: each preempted (involuntary switches counted)" \
	"$(ks_true "$preempt >= 10"; echo $?)" "expected >= 10 preemptions each, saw min $preempt"
ks_check "JSON histogram has unit/count/p50/p90/p99/max/buckets" "$([ "$keys" = 1 ]; echo $?)" \
	"all keys, saw: $(head -c 300 "$KS_TMP/spin.json")"
# The kernel's own account of the same waits (/proc/PID/schedstat run_delay,
# read just before and after: a longer window than ours, so rates compared).
krate=$(awk -v a="$rd0" -v b="$rd1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", (b - a) / ((e - s) / 1e9) }')
echo "INFO: clock $clock: waits ${rate} ns per s of tracing, schedstat run_delay ${krate} ns per s"
ks_check "pinned spinners: wait rate within 10% of /proc/PID/schedstat run_delay's" \
	"$(ks_true "$rate >= 0.9 * $krate && $rate <= 1.1 * $krate && $krate > 0"; echo $?)" \
	"saw $rate ns/s against $krate ns/s (clock $clock)"
"$KSCOPE" runqlat -p "$pids" -d 1 --wakeup-clock --json > "$KS_TMP/wc.json" 2>&1
s=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['clock'], min(r['runq']['p50'] for r in d['rows']))" "$KS_TMP/wc.json" 2>/dev/null)
read -r clock p50 <<< "$s"
ks_check "runqlat --wakeup-clock: our own clock, p50 >= 1 ms for the spinners" \
	"$(ks_true "\"$clock\" == \"wakeup\" && ${p50:-0} >= 1000"; echo $?)" "saw '$s'"

# 2. Text output: bcc-style histogram with percentiles under it.
"$KSCOPE" runqlat -p "$pids" -P -d 1 > "$KS_TMP/spin.txt" 2>&1
grep -q "usecs.*: count.*distribution" "$KS_TMP/spin.txt" && grep -q "p50 .* p99 .* max" "$KS_TMP/spin.txt"
ks_check "text: log2 histogram with p50/p99/max under it" $? "saw: $(head -12 "$KS_TMP/spin.txt")"
grep -q "preempted" "$KS_TMP/spin.txt"
ks_check "text -P: per-process rows with preemption counts" $? "saw: $(head -12 "$KS_TMP/spin.txt")"
kill ${pids//,/ } 2>/dev/null

# 3. Agreement with libbpf-tools runqlat on the same known load: two threads
#    bounce a byte 20000 times (>= 40000 wakeups) while both tracers watch.
if [ -x /usr/sbin/runqlat ]; then
	ks_spawn "$WL/pingpong_threads" 2.5 20000 2
	pid=$KS_LAST_PID
	/usr/sbin/runqlat -p "$pid" 6 1 > "$KS_TMP/peer.txt" 2>&1 &
	peer=$!
	"$KSCOPE" runqlat -p "$pid" -d 6 --json > "$KS_TMP/pp.json" 2> "$KS_TMP/pp.err"
	wait $peer
	theirs=$(awk '/->/ { s += $5 } END { print s + 0 }' "$KS_TMP/peer.txt")
	ours=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['all']['count'])" "$KS_TMP/pp.json")
	echo "INFO: runq events: kscope $ours, libbpf-tools runqlat $theirs"
	ks_check "agreement with libbpf-tools runqlat: event counts within 5%" \
		"$(ks_true "$theirs >= 38000 && $ours >= 0.95 * $theirs && $ours <= 1.05 * $theirs"; echo $?)" \
		"expected within 5% of libbpf-tools' $theirs (which must see >= 95% of the 40000), saw $ours"
else
	echo "SKIP: /usr/sbin/runqlat not installed: no agreement check"
fi

# 4. The fallbacks: raw_tp and classic tracepoints see the same spinners.
"$WL/spin_pinned" 30 2 1 > "$KS_TMP/spin2.pids" &
ks_children+=($!)
sleep 0.3
pids=$(cat "$KS_TMP/spin2.pids")
for kind in raw_tp tracepoint; do
	KSCOPE_TP=$kind "$KSCOPE" runqlat -p "$pids" -d 1 --json > "$KS_TMP/$kind.json" 2>&1
	s=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['attach'], d['all']['count'])" "$KS_TMP/$kind.json" 2>/dev/null)
	read -r att n <<< "$s"
	ks_check "runqlat with $kind: attached so and counts the spinners' waits" \
		"$(ks_true "\"$att\" == \"$kind\" && ${n:-0} >= 20"; echo $?)" \
		"attach $kind and >= 20 waits, saw '$s'"
done
kill ${pids//,/ } 2>/dev/null

# 5. Per-cgroup rows and bad input.
"$KSCOPE" runqlat --per-cgroup -d 0.5 --json > "$KS_TMP/cg.json" 2>&1
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d['rows'] and 'cgroup_id' in d['rows'][0]))" "$KS_TMP/cg.json"
ks_check "runqlat --per-cgroup: rows keyed by cgroup" $? "saw: $(head -c 300 "$KS_TMP/cg.json")"
"$KSCOPE" runqlat -p 999999999 -d 1 > /dev/null 2>&1
ks_check "runqlat -p with no such process exits 1" "$([ $? = 1 ]; echo $?)" "exit 1"
"$KSCOPE" runqlat -d abc > /dev/null 2>&1
ks_check "runqlat -d abc exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
"$KSCOPE" runqlat --per-cgroup -L > /dev/null 2>&1
ks_check "runqlat --per-cgroup -L exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
"$KSCOPE" runqlat -i 0.3 -d 1 --json > "$KS_TMP/iv.json" 2>&1
n=$(grep -c '"command":"runqlat"' "$KS_TMP/iv.json")
ks_check "runqlat -i 0.3 -d 1: one JSON object per interval (3 or 4)" \
	"$(ks_true "$n >= 3 && $n <= 4"; echo $?)" "expected 3-4, saw $n"
exit 0
