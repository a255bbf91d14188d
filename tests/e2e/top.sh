#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope top end to end: the screen in tmux at 100x30 while known workloads
# run (one free CPU-bound spinner, four spinners pinned to one CPU), the
# keys (filter, sort, help, quit), no BPF program or map of ours left
# behind; batch JSON checked against the same workloads.
source "$(dirname "$0")/../lib.sh"
ks_need_root top
command -v tmux >/dev/null || { echo "SKIP: top: no tmux"; exit 0; }
S=kstop$$
SPIN=$WL/kstw_spin

held() {	# held PID prog|map: ids of the BPF programs / maps PID holds
	cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n "s/^$2_id:[[:space:]]*//p" | sort -u
}
loaded() {	# loaded prog|map: "id name" of everything the kernel has loaded
	bpftool "$1" show 2>/dev/null | sed -n 's/^\([0-9]*\): [a-z_]*  name \([^ ]*\).*/\1 \2/p'
}

# a high-priority spinner alone on CPU 1, so that other load on the machine
# cannot starve it; four pinned to CPU 0 contend for that CPU
ks_spawn taskset -c 1 nice -n -10 "$SPIN" 40 kstw_free
free_pid=$KS_LAST_PID
pinned_pids=()
for i in 1 2 3 4; do ks_spawn taskset -c 0 "$SPIN" 40 kstw_pinned; pinned_pids+=($KS_LAST_PID); done
cp /bin/sleep "$KS_TMP/kstw_victim"	# a sleeper: it must not compete for CPU
ks_spawn "$KS_TMP/kstw_victim" 60
victim=$KS_LAST_PID
sleep 1

tmux kill-session -t "$S" 2>/dev/null
tmux new-session -d -s "$S" -x 100 -y 30 "$KSCOPE top -i 1; sleep 30"
trap 'tmux kill-session -t "$S" 2>/dev/null; ks_cleanup' EXIT
ks_wait_pane 'PID USER' 10
ks_check "top: screen draws" $? "expected a table header, saw: $(ks_pane | head -8 | tr '\n' '|')"
kpid=$(pgrep -n -f "^$KSCOPE top -i 1")
sleep 1
prog_ids=$(held "$kpid" prog); map_ids=$(held "$kpid" map)
names=$(loaded prog | awk 'NR==FNR {want[$1]; next} $1 in want {print $2}' <(echo "$prog_ids") - | sort -u | tr '\n' ' ')

# only our workloads, so that other load on the machine cannot interfere
tmux send-keys -t "$S" '\' ; tmux send-keys -t "$S" -l 'kstw_'; tmux send-keys -t "$S" Enter
sleep 3.5
row=$(ks_first_row)
echo "$row" | grep -q kstw_free
ks_check "top: CPU-bound spinner first by CPU%" $? "expected kstw_free, saw '$row'"
cpu=$(echo "$row" | awk '{print $4}')
ks_true "$cpu >= 20"
ks_check "top: spinner CPU% >= 20" $? "expected >= 20, saw '$cpu'"

# > twice: CPU% -> RQavg -> RQp99
tmux send-keys -t "$S" '>'; sleep 0.2; tmux send-keys -t "$S" '>'
sleep 2.5
row=$(ks_first_row)
echo "$row" | grep -q kstw_pinned
ks_check "top: contended spinner first by RQp99" $? "expected kstw_pinned, saw '$row'"
p99=$(echo "$row" | awk '{print $6}')
ks_true "$p99 >= 1"
ks_check "top: contended RQp99 >= 1 ms" $? "expected >= 1, saw '$p99'"

tmux send-keys -t "$S" 'h'
ks_wait_pane 'kscope top help' 3
ks_check "top: help opens" $? "expected the help screen"
tmux send-keys -t "$S" 'x'
sleep 0.5
! ks_pane | grep -q 'kscope top help' && ks_pane | grep -q 'PID USER'
ks_check "top: help closes" $? "expected the table back, saw: $(ks_pane | head -3 | tr '\n' '|')"

# k sends SIGTERM (the default) to the selected process
tmux send-keys -t "$S" '\'; tmux send-keys -t "$S" -l 'victim'; tmux send-keys -t "$S" Enter
sleep 1.5
tmux send-keys -t "$S" 'k'; sleep 0.3; tmux send-keys -t "$S" Enter
gone() { ! grep -qv '^[0-9]* ([^)]*) Z' /proc/"$1"/stat 2>/dev/null; }	# exited or zombie
for ((i = 0; i < 20; i++)); do gone "$victim" && break; sleep 0.1; done
gone "$victim"
ks_check "top: k sends a signal to the selected process" $? "expected pid $victim gone, saw: $(ks_pane | tail -2 | tr '\n' '|')"

tmux send-keys -t "$S" 'q'
sleep 1.5
! pgrep -f "^$KSCOPE top -i 1" >/dev/null
ks_check "top: q quits" $? "expected no kscope top process"
[ -n "$prog_ids" ] && [ -n "$map_ids" ]
ks_check "top: held BPF programs while running ($names)" $? "expected some, saw none"
left=$(loaded prog | awk 'NR==FNR {want[$1]; next} $1 in want' <(echo "$prog_ids") -)
left+=$(loaded map | awk 'NR==FNR {want[$1]; next} $1 in want' <(echo "$map_ids") -)
[ -z "$left" ]
ks_check "top: no BPF program or map of ours left after q" $? "expected none, saw: $left"
tmux kill-session -t "$S" 2>/dev/null

# batch JSON against the same workloads
"$KSCOPE" top -b -n 2 -i 1 --format json -f kstw_ > "$KS_TMP/top.json" 2> "$KS_TMP/top.err"
ks_check "top -b json: exit 0" $? "expected 0, saw $(cat "$KS_TMP/top.err")"
python3 - "$KS_TMP/top.json" "$free_pid" "${pinned_pids[*]}" <<'PY'
import json, sys
free_pid = int(sys.argv[2]); pinned_pids = {int(x) for x in sys.argv[3].split()}
lines = open(sys.argv[1]).read().splitlines()
def res(name, ok, msg):
    print(("PASS: " + name) if ok else ("FAIL: %s: %s" % (name, msg)))
res("top -b json: one object per interval", len(lines) == 2, "expected 2 lines, saw %d" % len(lines))
objs = [json.loads(l) for l in lines]
procs = objs[-1]["processes"]
keys = {"pid", "comm", "cpu_pct", "runq_p99_us", "offcpu_pct"}
res("top -b json: required keys", all(keys <= set(p) for p in procs) and procs,
    "expected %s in every entry" % sorted(keys))
free = [p for p in procs if p["pid"] == free_pid and p["comm"] == "kstw_free"]
pinned = [p for p in procs if p["pid"] in pinned_pids and p["comm"] == "kstw_pinned"]
res("top -b json: workloads seen", len(free) == 1 and len(pinned) == 4,
    "expected 1 free + 4 pinned, saw %d + %d" % (len(free), len(pinned)))
if free and pinned:
    f = free[0]
    # the machine may be shared: relative checks, loose absolute bounds
    share = sum(p["cpu_pct"] for p in pinned)
    res("top -b json: spinner CPU% >= 20 and above every pinned one",
        f["cpu_pct"] >= 20 and all(f["cpu_pct"] > p["cpu_pct"] for p in pinned),
        "spinner %s, pinned %s" % (f["cpu_pct"], [p["cpu_pct"] for p in pinned]))
    res("top -b json: pinned share one CPU (sum 5..110%)", 5 <= share <= 110, "saw %.1f" % share)
    worst = min(p["runq_p99_us"] for p in pinned)
    res("top -b json: pinned runq p99 > spinner's and >= 1 ms",
        worst >= 1000 and worst > f["runq_p99_us"],
        "pinned min %s us, spinner %s us" % (worst, f["runq_p99_us"]))
    off = min(p["offcpu_pct"] for p in pinned)
    res("top -b json: pinned off-CPU >= 40% (waiting for CPU)", off >= 40, "saw %s" % off)
    rq = min(p["offcpu_runq_pct"] for p in pinned)
    res("top -b json: pinned off-CPU is mostly runq wait", rq >= 0.8 * off, "runq %s of %s" % (rq, off))
gaps = objs[-1]["gaps"]
# lock attribution is opt-in (--locks): its column must be null and the gap named
res("top -b json: signal not collected is null and listed as a gap",
    any(g["signal"] == "lock waits" for g in gaps) and
    all(p["offcpu_lock_pct"] is None for p in procs),
    "gaps %s, lock values %s" % ([g["signal"] for g in gaps], [p["offcpu_lock_pct"] for p in procs]))
PY

# a process that lives well under one interval still shows once
"$KSCOPE" top -b -n 3 -i 1 --format json > "$KS_TMP/flash.json" 2>&1 &
kb=$!
# start it once the first interval is out (the priming read before it is not printed)
for ((i = 0; i < 100; i++)); do [ -s "$KS_TMP/flash.json" ] && break; sleep 0.1; done
sleep 0.2
"$SPIN" 0.3 kstw_flash & fp=$!
wait "$fp"; wait "$kb"
n=$(python3 -c '
import json, sys
pid = int(sys.argv[2]); n = 0
for l in open(sys.argv[1]):
    n += any(p["pid"] == pid for p in json.loads(l)["processes"])
print(n)' "$KS_TMP/flash.json" "$fp" 2>&1)
[ "$n" -ge 1 ] 2>/dev/null
ks_check "top -b: a 0.3 s process shows at least once" $? "expected pid $fp in >= 1 interval, saw '$n'"

# bad input
"$KSCOPE" top -b --format xml >/dev/null 2>&1
[ $? = 2 ]; ks_check "top: bad --format exits 2" $? "expected 2"
"$KSCOPE" top -b -i 0 >/dev/null 2>&1
[ $? = 2 ]; ks_check "top: -i 0 exits 2" $? "expected 2"
"$KSCOPE" top --help | grep -q 'Usage: kscope top'
ks_check "top: --help" $? "expected usage"
exit 0
