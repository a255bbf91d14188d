#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope usdt on the real kernel: tests/workloads/usdt_wl.c fires sys/sdt.h
# probes a known number of times, one of them guarded by a semaphore that
# only a tracer sets.
source "$(dirname "$0")/../lib.sh"
ks_need_root usdt
command -v jq >/dev/null || { echo "FAIL: usdt: jq missing (scripts/deps.sh)"; exit 1; }
source "$(dirname "$0")/lib/uprobe.sh"
BIN=$WL/usdt_wl

# 1. list: the four probes, with their semaphores.
"$KSCOPE" usdt list "$BIN" --json > "$KS_TMP/list.json" 2> "$KS_TMP/list.err"
names=$(jq -r '[.[] | .provider + ":" + .name] | sort | join(" ")' "$KS_TMP/list.json" 2>/dev/null)
ks_check "list: the workload's four probes" \
	"$([ "$names" = "kscope_wl:guarded kscope_wl:tick kscope_wl:work_begin kscope_wl:work_end" ]; echo $?)" \
	"kscope_wl:{guarded,tick,work_begin,work_end}, saw '$names' $(cat "$KS_TMP/list.err")"
"$KSCOPE" usdt list "$BIN" > "$KS_TMP/list.txt"
ks_check "list (text): tick with its argument string" \
	"$(grep -q 'kscope_wl .*tick .*-8@' "$KS_TMP/list.txt"; echo $?)" "a tick row, saw $(cat "$KS_TMP/list.txt")"

# 2. list -p: the probes of every file a process maps.
mkfifo "$KS_TMP/l.fifo"
ks_spawn "$BIN" 1 "$KS_TMP/l.fifo"
lpid=$KS_LAST_PID
sleep 0.2
"$KSCOPE" usdt list -p "$lpid" > "$KS_TMP/listp.txt" 2>&1
ks_check "list -p PID: finds the probes in the process's executable" \
	"$(grep -c kscope_wl "$KS_TMP/listp.txt" | grep -qx 4; echo $?)" "4 rows, saw $(cat "$KS_TMP/listp.txt")"
echo go > "$KS_TMP/l.fifo"
wait "$lpid" 2>/dev/null

# 3. Counts, exactly; the semaphore-guarded probe fires because kscope asked.
traced cnt "$BIN" 5000 -- usdt "$BIN:kscope_wl:*"
ks_check "count: kscope exits 0 when the process ends" $rc "exit 0, saw $rc: $(cat "$KS_TMP/cnt.err")"
tick=$(jrow cnt kscope_wl:tick .calls)
guarded=$(jrow cnt kscope_wl:guarded .calls)
begin=$(jrow cnt kscope_wl:work_begin .calls)
ks_check "count: tick exactly 5000" "$([ "$tick" = 5000 ]; echo $?)" "expected 5000, saw $tick"
ks_check "count: work_begin exactly 500" "$([ "$begin" = 500 ]; echo $?)" "expected 500, saw $begin"
ks_check "count: semaphore-guarded probe enabled and counted exactly" \
	"$([ "$guarded" = 5000 ] && grep -qx guarded_fired=5000 "$KS_TMP/cnt.wl"; echo $?)" \
	"5000 counted and fired, saw $guarded counted, $(cat "$KS_TMP/cnt.wl")"

# 3b. The perf_event uprobe path with its semaphore (ref_ctr_offset) too.
KSCOPE_NO_UPROBE_MULTI=1 traced legacy "$BIN" 300 -- usdt "$BIN:kscope_wl:guarded"
n=$(jrow legacy kscope_wl:guarded .calls)
ks_check "perf_event uprobes: guarded probe counted 300 times" \
	"$([ "$n" = 300 ] && grep -qx guarded_fired=300 "$KS_TMP/legacy.wl"; echo $?)" \
	"300, saw $n, $(cat "$KS_TMP/legacy.wl")"

# 4. A begin/end pair: 100 pairs 2 ms apart.
traced pair "$BIN" 1000 -- usdt "$BIN:kscope_wl:work_begin,work_end"
n=$(jrow pair kscope_wl:work_begin,work_end .calls)
timed=$(jrow pair kscope_wl:work_begin,work_end .latency.count)
p50=$(jrow pair kscope_wl:work_begin,work_end .latency.p50)
ks_check "pair: 100 begins, 100 timed" "$([ "$n" = 100 ] && [ "$timed" = 100 ]; echo $?)" \
	"100/100, saw $n/$timed"
ks_check "pair: p50 between 2 and 4 ms" "$(ks_true "$p50 >= 2000 && $p50 <= 4000"; echo $?)" \
	"expected 2000..4000 us, saw $p50"

# 4b. A pair without attach cookies: begin and end told apart by address.
KSCOPE_NO_COOKIE=1 traced oldpair "$BIN" 200 -- usdt "$BIN:kscope_wl:work_begin,work_end"
n=$(jrow oldpair kscope_wl:work_begin,work_end .calls)
timed=$(jrow oldpair kscope_wl:work_begin,work_end .latency.count)
ks_check "pair without cookies: 20 begins, 20 timed" "$([ "$n" = 20 ] && [ "$timed" = 20 ]; echo $?)" \
	"20/20, saw $n/$timed: $(cat "$KS_TMP/oldpair.err")"

# 5. Unknown probe: exit 1 with near matches; a malformed spec: exit 1.
"$KSCOPE" usdt "$BIN:kscope_wl:tik" -d 1 > /dev/null 2> "$KS_TMP/bad.err"
rc=$?
ks_check "unknown probe: exit 1 with near matches" \
	"$([ $rc = 1 ] && grep -q 'near matches: kscope_wl:tick' "$KS_TMP/bad.err"; echo $?)" \
	"exit 1 and kscope_wl:tick, saw $rc: $(cat "$KS_TMP/bad.err")"
"$KSCOPE" usdt "$BIN:tick" -d 1 > /dev/null 2> "$KS_TMP/bad2.err"
rc=$?
ks_check "malformed spec: exit 1" "$([ $rc = 1 ]; echo $?)" "exit 1, saw $rc: $(cat "$KS_TMP/bad2.err")"

# 6. System-wide: a process started after kscope, guarded probe included.
"$KSCOPE" usdt "$BIN:kscope_wl:guarded" --json -d 30 > "$KS_TMP/sys.json" 2> "$KS_TMP/sys.err" &
kpid=$!
for i in $(seq 100); do grep -q '^Tracing' "$KS_TMP/sys.err" && break; sleep 0.1; done
"$BIN" 3000 > "$KS_TMP/sys.wl" &
wpid=$!
wait $wpid
kill -INT $kpid
wait $kpid
rc=$?
n=$(jq -r --argjson p $wpid '[.rows[] | select(.pid == $p)][0].calls' "$KS_TMP/sys.json" 2>/dev/null)
ks_check "system-wide: guarded probe counted 3000 times in a later process" \
	"$([ $rc = 0 ] && [ "$n" = 3000 ]; echo $?)" "exit 0 and 3000, saw $rc and $n ($(cat "$KS_TMP/sys.wl"))"
exit $ks_failed
