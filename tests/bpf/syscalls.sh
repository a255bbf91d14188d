#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope syscalls on the real kernel: a known number of getppid() calls.
source "$(dirname "$0")/../lib.sh"
ks_need_root syscalls

N=200000
count_of() {	# FILE PID -> getppid count of that pid in kscope's JSON
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["processes"] if r["pid"] == int(sys.argv[2]) and r["name"] == "getppid"]
allr = [r for r in d["syscalls"] if r["name"] == "getppid"]
# every call in the histogram, or (sampled at high rates) some of them, and
# then the output says how many were timed
sampled = "syscall latency (sampled)" in json.dumps(d)
hc = allr[0].get("lat", {}).get("count", 0) if allr else 0
keys = allr and all(k in allr[0]["lat"] for k in ("unit", "count", "p50", "p90", "p99", "max", "buckets")) and (hc == rows[0]["count"] or (sampled and 0 < hc < rows[0]["count"])) if d["timed"] else True
print(rows[0]["count"] if rows else 0, rows[0]["errors"] if rows else -1, d["attach"], int(bool(keys)))
PY
}

# 1. Exactly N getppid() calls, per attach kind: reported within 1%.
for kind in tp_btf raw_tp tracepoint; do
	"$WL/getppid_loop" $N 800 > "$KS_TMP/gp.$kind" &
	wl=$!
	ks_children+=($wl)
	sleep 0.2
	KSCOPE_TP=$kind "$KSCOPE" syscalls -p "$wl" -d 4 --json > "$KS_TMP/sc.$kind.json" 2> "$KS_TMP/sc.err"
	rc=$?
	wait $wl
	read -r n errs att keys <<< "$(count_of "$KS_TMP/sc.$kind.json" "$wl" 2>/dev/null)"
	ks_check "syscalls ($kind) exits 0" $rc "exit 0, saw $rc: $(cat "$KS_TMP/sc.err")"
	ks_check "syscalls ($kind): $N getppid calls counted within 1%" \
		"$(ks_true "\"$att\" == \"$kind\" && ${n:-0} >= 0.99 * $N && ${n:-0} <= 1.01 * $N"; echo $?)" \
		"$N (+-1%) with attach $kind, saw ${n:-none} with ${att:-?}"
	ks_check "syscalls ($kind): getppid has no errors, its histogram has all keys and every call" \
		"$([ "$errs" = 0 ] && [ "$keys" = 1 ]; echo $?)" "errors 0 keys 1, saw $errs $keys"
done

# 1b. --exact-timing: every call timed, nothing said to be sampled.
"$WL/getppid_loop" $N 800 > /dev/null &
wl=$!
ks_children+=($wl)
sleep 0.2
"$KSCOPE" syscalls --exact-timing -p "$wl" -d 4 --json > "$KS_TMP/x.json" 2>&1
wait $wl
s=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [r for r in d["syscalls"] if r["name"] == "getppid"][0]
p = [r for r in d["processes"] if r["name"] == "getppid"][0]
print(r["lat"]["count"], p["count"], int("syscall latency (sampled)" in json.dumps(d)))' "$KS_TMP/x.json" 2>/dev/null)
read -r hc n sampled <<< "$s"
ks_check "syscalls --exact-timing: every one of the $N getppid calls in the histogram" \
	"$(ks_true "${hc:-0} == ${n:-1} && ${n:-0} >= 0.99 * $N && \"$sampled\" == \"0\""; echo $?)" \
	"histogram count == calls >= $N, not sampled; saw '$s'"

# 1c. Two loops pinned to one CPU, system-wide (no -p): they take turns on
#     the CPU many times a second, and each one's calls are its own, within
#     1% (the exit program keeps, per CPU, the pid of the task whose
#     registers it last saw; a stale one would give one loop's calls to the
#     other).
taskset -c 1 "$WL/getppid_loop" 300000 800 > /dev/null &
wa=$!
taskset -c 1 "$WL/getppid_loop" 120000 800 > /dev/null &
wb=$!
ks_children+=($wa $wb)
sleep 0.2
"$KSCOPE" syscalls -d 4 --json > "$KS_TMP/two.json" 2> "$KS_TMP/two.err"
wait $wa $wb
read -r na _ < <(count_of "$KS_TMP/two.json" "$wa" 2>/dev/null)
read -r nb _ < <(count_of "$KS_TMP/two.json" "$wb" 2>/dev/null)
ks_check "two loops sharing a CPU, system-wide: 300000 and 120000 getppid calls, each within 1%" \
	"$(ks_true "${na:-0} >= 297000 && ${na:-0} <= 303000 && ${nb:-0} >= 118800 && ${nb:-0} <= 121200"; echo $?)" \
	"saw ${na:-none} and ${nb:-none}: $(head -c 300 "$KS_TMP/two.err")"

# 2. Count-only mode counts the same.
"$WL/getppid_loop" $N 800 > /dev/null &
wl=$!
ks_children+=($wl)
sleep 0.2
"$KSCOPE" syscalls -c -p "$wl" -d 4 --json > "$KS_TMP/c.json" 2>&1
wait $wl
read -r n errs att keys <<< "$(count_of "$KS_TMP/c.json" "$wl" 2>/dev/null)"
ks_check "syscalls -c: $N getppid counted within 1%" \
	"$(ks_true "${n:-0} >= 0.99 * $N && ${n:-0} <= 1.01 * $N"; echo $?)" "$N, saw ${n:-none}"
grep -q '"signal":"syscall latency"' "$KS_TMP/c.json"
ks_check "syscalls -c says latency was not measured" $? "a gap, saw $(head -c 300 "$KS_TMP/c.json")"

# 3. Errors: opening a missing file fails with ENOENT every time.
python3 -c "
import os, time
time.sleep(0.8)
for i in range(5000):
    try: os.open('/nonexistent/kscope', os.O_RDONLY)
    except OSError: pass
time.sleep(0.3)" &
py=$!
sleep 0.2
"$KSCOPE" syscalls -p $py -d 3 --json > "$KS_TMP/e.json" 2>&1
wait $py
errs=$(python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
print(sum(r['errors'] for r in d['processes'] if r['name']=='openat'))" "$KS_TMP/e.json" 2>/dev/null)
ks_check "syscalls: 5000 failing openat counted as errors" \
	"$(ks_true "${errs:-0} >= 5000 && ${errs:-0} <= 5100"; echo $?)" "5000..5100, saw ${errs:-none}"

# 3b. Blocking calls are timed across the switch-out: 40 sleeps of 20 ms.
python3 -c "
import time
time.sleep(0.8)
for i in range(40):
    time.sleep(0.02)
time.sleep(0.3)" &
py=$!
sleep 0.2
"$KSCOPE" syscalls -p $py -d 3 --json > "$KS_TMP/s.json" 2>&1
wait $py
read -r n avg <<< "$(python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
r=[r for r in d['syscalls'] if r['name'] in ('clock_nanosleep','select','pselect6')]
r=max(r, key=lambda x: x['count']) if r else {'count':0,'lat':{'count':1},'total_us':0}
print(r['count'], r['total_us'] / max(r['lat']['count'], 1))" "$KS_TMP/s.json" 2>/dev/null)"
ks_check "syscalls: 40 sleeps of 20 ms timed at >= 20 ms each" \
	"$(ks_true "${n:-0} >= 40 && ${avg:-0} >= 20000 && ${avg:-0} < 60000"; echo $?)" \
	">= 40 calls, avg 20-60 ms, saw ${n:-none} calls, avg ${avg:-none} us"

# 4. Text output: named syscalls, histogram with percentiles.
"$KSCOPE" syscalls -H --top 3 -d 1 > "$KS_TMP/t.txt" 2>&1
grep -q "usecs.*: count.*distribution" "$KS_TMP/t.txt" && grep -q "p50 .* p99 .* max" "$KS_TMP/t.txt" &&
	grep -q "^SYSCALL" "$KS_TMP/t.txt"
ks_check "text: table and log2 histograms with p50/p99/max" $? "saw: $(head -8 "$KS_TMP/t.txt")"

# 5. Bad input.
"$KSCOPE" syscalls -p 999999999 -d 1 > /dev/null 2>&1
ks_check "syscalls -p with a missing pid exits 1" "$([ $? = 1 ]; echo $?)" "exit 1"
"$KSCOPE" syscalls --bogus > /dev/null 2>&1
ks_check "syscalls --bogus exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
