#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope locks on the real kernel: threads contending for one pthread mutex.
source "$(dirname "$0")/../lib.sh"
ks_need_root locks

# FILE -> futex-waits futex-us share-of-futex-time-under-lock_the_shared_mutex top-stack
summary() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = {x["kind"]: x for x in d["kinds"]}
fw = k.get("futex wait", {"waits": 0, "total_us": 0})
fut = [s for s in d["stacks"] if len(s["frames"]) > 1 and s["frames"][1] == "futex wait"]
tot = sum(s["value"] for s in fut) or 1
mine = sum(s["value"] for s in fut if "lock_the_shared_mutex" in s["frames"]
           and "pthread_mutex_lock" in s["frames"])
top = ";".join(fut[0]["frames"]) if fut else "none"
print(fw["waits"], int(fw["total_us"]), "%.3f" % (mine / tot), top)
PY
}

# 1. Four threads, one mutex held ~200 us at a time: seconds of futex wait,
#    attributed to lock_the_shared_mutex -> pthread_mutex_lock.
"$WL/mutex_contend" 7 4 > "$KS_TMP/mc.pid" &
ks_children+=($!)
sleep 0.3
pid=$(head -1 "$KS_TMP/mc.pid")
"$KSCOPE" locks -p "$pid" -d 2 --json > "$KS_TMP/l.json" 2> "$KS_TMP/l.err"
rc=$?
ks_check "locks -p --json exits 0" $rc "exit 0, saw $rc: $(cat "$KS_TMP/l.err")"
read -r waits us share top <<< "$(summary "$KS_TMP/l.json" 2>/dev/null)"
echo "INFO: futex waits $waits, $us us, top stack $top"
ks_check "mutex contention: >= 300 futex waits and >= 2 s of wait in 2 s (3 of 4 threads wait)" \
	"$(ks_true "${waits:-0} >= 300 && ${us:-0} >= 2000000"; echo $?)" \
	">= 300 waits, >= 2000000 us, saw ${waits:-none} waits, ${us:-none} us"
ks_check "mutex contention: >= 95% of the wait under lock_the_shared_mutex;pthread_mutex_lock" \
	"$(ks_true "${share:-0} >= 0.95"; echo $?)" ">= 0.95, saw ${share:-none} (top: $top)"
python3 - "$KS_TMP/l.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [s["frames"] for s in d["stacks"] if len(s["frames"]) > 1 and s["frames"][1] == "futex wait"][0]
# root first: process, marker, ..., the caller before pthread_mutex_lock
i = f.index("pthread_mutex_lock")
sys.exit(0 if f[i - 1] == "lock_the_shared_mutex" and f[0] == "mutex_contend" else 1)
PY
ks_check "the wait's stack: mutex_contend;futex wait;...;lock_the_shared_mutex;pthread_mutex_lock" $? \
	"that order, saw $top"
ks_true "$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['accounting']['lost'])" "$KS_TMP/l.json") == 0"
ks_check "locks: nothing lost under 4-thread contention" $? "lost 0, saw $(grep -o '"lost":[0-9]*' "$KS_TMP/l.json" | head -1)"

# 2. Folded output, for flame graphs.
"$KSCOPE" locks -p "$pid" -d 1 -f folded > "$KS_TMP/l.folded" 2> "$KS_TMP/lf.err"
grep -q "^mutex_contend;futex wait;.*lock_the_shared_mutex;pthread_mutex_lock.* [0-9]*$" "$KS_TMP/l.folded"
ks_check "locks -f folded: the mutex wait stack with its us" $? "saw: $(head -2 "$KS_TMP/l.folded") $(head -3 "$KS_TMP/lf.err")"
wait

# 3. Kernel lock contention: measured, or its absence said by name.
"$KSCOPE" locks -d 1 --json > "$KS_TMP/k.json" 2>&1
python3 - "$KS_TMP/k.json" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
have = os.path.exists("/sys/kernel/btf/vmlinux") and b"btf_trace_contention_begin" in open("/sys/kernel/btf/vmlinux", "rb").read()
gap = any(g["signal"] == "kernel lock contention" for g in d["unavailable"])
sys.exit(0 if have != gap else 1)
PY
ks_check "kernel lock contention traced when the kernel has lock:contention_*, else declared" $? \
	"$(head -c 300 "$KS_TMP/k.json")"

# 4. Fallbacks: raw_tp unwinds the same stack; classic says it has no user stacks.
"$WL/mutex_contend" 5 3 > "$KS_TMP/mc2.pid" &
ks_children+=($!)
sleep 0.3
pid=$(head -1 "$KS_TMP/mc2.pid")
KSCOPE_TP=raw_tp "$KSCOPE" locks -U -p "$pid" -d 1 --json > "$KS_TMP/raw.json" 2>&1
read -r waits us share top <<< "$(summary "$KS_TMP/raw.json" 2>/dev/null)"
ks_check "locks with raw_tp: waits attributed to lock_the_shared_mutex" \
	"$(ks_true "${waits:-0} >= 100 && ${share:-0} >= 0.95"; echo $?)" \
	">= 100 waits, share >= 0.95, saw ${waits:-none} ${share:-none}"
KSCOPE_TP=tracepoint "$KSCOPE" locks -U -p "$pid" -d 1 --json > "$KS_TMP/tp.json" 2>&1
read -r waits us share top <<< "$(summary "$KS_TMP/tp.json" 2>/dev/null)"
grep -q '"signal":"futex wait user stacks"' "$KS_TMP/tp.json"
gap=$?
ks_check "locks with classic tracepoints: waits counted, missing user stacks declared" \
	"$(ks_true "${waits:-0} >= 100 && $gap == 0"; echo $?)" \
	">= 100 waits and a gap, saw ${waits:-none} waits, gap $gap"
wait

# 5. Bad input.
"$KSCOPE" locks -U -K > /dev/null 2>&1
ks_check "locks -U -K exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
"$KSCOPE" locks -f svgz > /dev/null 2>&1
ks_check "locks -f svgz exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
"$KSCOPE" locks -p 999999999 > /dev/null 2>&1
ks_check "locks -p with a missing pid exits 1" "$([ $? = 1 ]; echo $?)" "exit 1"
