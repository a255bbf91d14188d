#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope offcpu on the real kernel, against workloads with known off-CPU behaviour.
source "$(dirname "$0")/../lib.sh"
ks_need_root offcpu
FOLDED=$KS_ROOT/tests/tools/folded.py

# 1. A thread sleeping 10 ms at a time in a known place (sleeper_loop ->
#    sleep_in_known_function -> nanosleep): >= 90% of its off-CPU time is in
#    that stack, mostly with reason "sleep", and its total is within 10% of
#    the wall time observed (the thread is off-CPU nearly all the time).
#    User stacks are frame-pointer walks: libc's nanosleep has no frame, so
#    the walk shows its caller's caller (sleeper_loop) next to the libc leaf.
ks_spawn "$WL/offcpu_sleep" 6
pid=$KS_LAST_PID
sleep 0.3
"$KSCOPE" offcpu -p "$pid" -T -d 3 -f folded -o "$KS_TMP/sleep.folded" 2> "$KS_TMP/sleep.err"
rc=$?
ks_check "offcpu -p -f folded exits 0" $rc "exit 0, saw $rc: $(cat "$KS_TMP/sleep.err")"
stack='(sleeper_loop|sleep_in_known_function);.*(do_nanosleep|hrtimer_nanosleep)_\[k\]'
read -r m t pct < <($FOLDED share "$KS_TMP/sleep.folded" sleeper "$stack")
ks_check "sleeper: >= 90% of its off-CPU time in the known nanosleep stack" \
	"$(ks_true "$t > 0 && $pct >= 90"; echo $?)" \
	"expected >= 90%, saw $pct% of $t us; top: $(sort -t' ' -k2 -nr "$KS_TMP/sleep.folded" | head -2)"
read -r ms ts pcts < <($FOLDED share "$KS_TMP/sleep.folded" sleeper "^sleeper;sleep;.*$stack")
ks_check "sleeper: reason of the known stack is \"sleep\" (>= 80% of it)" \
	"$(ks_true "$m > 0 && $ms >= 0.8 * $m"; echo $?)" \
	"expected >= 80% of $m us as sleep, saw $ms us"
ks_check "sleeper: total off-CPU within 10% of the 3 s observed" \
	"$(ks_true "$t >= 2700000 && $t <= 3300000"; echo $?)" "expected 2.7-3.3 s, saw $t us"
grep -q "frame-pointer" "$KS_TMP/sleep.err"
ks_check "folded: accounting on stderr says user stacks are frame-pointer walks" $? \
	"a frame-pointer note, saw: $(cat "$KS_TMP/sleep.err")"
kill "$pid" 2>/dev/null

# 2. Four CPU-bound processes pinned to one CPU: their off-CPU time is
#    almost all "waiting for CPU".
"$WL/spin_pinned" 30 4 0 > "$KS_TMP/spin.pids" &
ks_children+=($!)
sleep 0.3
pids=$(cat "$KS_TMP/spin.pids")
"$KSCOPE" offcpu -p "$pids" --no-stacks -d 3 --json > "$KS_TMP/spin.json" 2> "$KS_TMP/spin.err"
read -r runq tot < <(python3 - "$KS_TMP/spin.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = sum(t["offcpu_us"]["waiting for CPU"] for t in d["tasks"])
a = sum(sum(t["offcpu_us"].values()) for t in d["tasks"])
print(int(r), int(a))
PY
)
ks_check "pinned spinners: >= 90% of off-CPU time is \"waiting for CPU\"" \
	"$(ks_true "$tot > 1000000 && $runq >= 0.9 * $tot"; echo $?)" \
	"expected >= 90% of > 1 s, saw $runq of $tot us"

# 3. Stacks of the pinned spinners in folded form: reason frame after the process.
"$KSCOPE" offcpu -p "$pids" -d 1 -f folded > "$KS_TMP/spin.folded" 2> "$KS_TMP/spin.ferr"
read -r m t pct < <($FOLDED share "$KS_TMP/spin.folded" spin_pinned '^spin_pinned;waiting for CPU;')
ks_check "pinned spinners (folded): reason frame \"waiting for CPU\" right after the process" \
	"$(ks_true "$t > 0 && $pct >= 90"; echo $?)" "expected >= 90%, saw $pct% of $t us: $(head -c 300 "$KS_TMP/spin.ferr")"

kill ${pids//,/ } 2>/dev/null

# 3b. --wakers: two threads waking each other through pipes: the waker's
#     kernel stack (pipe_write) follows the sleeper's after a "--" frame.
ks_spawn "$WL/pingpong_threads" 0.3 400000 0
pp=$KS_LAST_PID
sleep 0.1
"$KSCOPE" offcpu -p "$pp" --wakers --stack-min-us 0 -d 1 -f folded > "$KS_TMP/wake.folded" 2>/dev/null
read -r m t pct < <($FOLDED share "$KS_TMP/wake.folded" '' 'pipe_read.*;--;.*pipe_write')
ks_check "--wakers: pipe reader's stacks end with -- and the writer's pipe_write (>= 50% of time)" \
	"$(ks_true "$t > 0 && $pct >= 50"; echo $?)" \
	"expected >= 50%, saw $pct% of $t us: $(sort -t' ' -k2 -nr "$KS_TMP/wake.folded" | head -2)"
kill "$pp" 2>/dev/null

# 4. Bad input: clear errors, usage exit codes.
"$KSCOPE" offcpu -p 999999999 -d 1 > /dev/null 2>&1
ks_check "offcpu -p with no such process exits 1" "$([ $? = 1 ]; echo $?)" "exit 1"
"$KSCOPE" offcpu --format bogus > /dev/null 2>&1
ks_check "offcpu --format bogus exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
"$KSCOPE" offcpu -m 10 -M 5 > /dev/null 2>&1
ks_check "offcpu -m above -M exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
"$KSCOPE" offcpu --cgroup /nonexistent -d 1 > /dev/null 2>&1
ks_check "offcpu --cgroup missing dir exits 1" "$([ $? = 1 ]; echo $?)" "exit 1"

# 5. The fallbacks: raw_tp and classic tracepoints see the same sleeper.
for kind in raw_tp tracepoint; do
	ks_spawn "$WL/offcpu_sleep" 3
	p2=$KS_LAST_PID
	sleep 0.2
	KSCOPE_TP=$kind "$KSCOPE" offcpu -p "$p2" -T -d 1.5 --no-stacks --json > "$KS_TMP/$kind.json" 2>&1
	s=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['attach'], int(sum(t['offcpu_us']['sleep'] for t in d['tasks'] if t['comm']=='sleeper')))" "$KS_TMP/$kind.json" 2>/dev/null)
	read -r att us <<< "$s"
	ks_check "offcpu with $kind: attached so and sees the sleeper's sleep" \
		"$(ks_true "\"$att\" == \"$kind\" && ${us:-0} >= 1200000"; echo $?)" \
		"attach $kind and >= 1.2 s of sleep, saw '$s'"
	kill "$p2" 2>/dev/null
done
exit 0
