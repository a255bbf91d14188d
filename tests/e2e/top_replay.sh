#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope top -i CAPTURE end to end: record a few seconds while a known
# spinner runs, then replay it with the spinner gone: batch JSON (one object
# per interval, spinner first, times increasing, metadata from the capture),
# the screen in tmux (REPLAY, the cursor, t / T, k refused, end of capture,
# q), replay without root, truncated and garbage files.
source "$(dirname "$0")/../lib.sh"
ks_need_root top_replay
S=kstrp$$
SPIN=$WL/kstw_spin
CAP=$KS_TMP/run.kscap

ks_spawn taskset -c 1 nice -n -10 "$SPIN" 20 kstw_free
free_pid=$KS_LAST_PID
cp /bin/sleep "$KS_TMP/kstw_sleep"	# a known idle process next to it
ks_spawn "$KS_TMP/kstw_sleep" 20
sleep_pid=$KS_LAST_PID
sleep 0.5
"$KSCOPE" record -d 4 -i 1 -o "$CAP" > /dev/null 2> "$KS_TMP/record.err"
ks_check "record: exit 0" $? "expected 0, saw $(tail -2 "$KS_TMP/record.err")"
N=$(sed -n 's/.*: \([0-9]*\) intervals, .*/\1/p' "$KS_TMP/record.err")
# 4 on an idle machine; a loaded one may read the collectors late
[ "${N:-0}" -ge 2 ]
ks_check "record: >= 2 intervals in 4 s at -i 1" $? "expected >= 2, saw '$N'"
# the processes are gone when we replay: everything must come from the capture
kill "$free_pid" "$sleep_pid" 2>/dev/null
wait "$free_pid" "$sleep_pid" 2>/dev/null

# (a) batch JSON: every interval, in order, with its capture time
"$KSCOPE" top -i "$CAP" -b --format json > "$KS_TMP/replay.json" 2> "$KS_TMP/replay.err"
ks_check "top -i -b json: exit 0" $? "expected 0, saw $(cat "$KS_TMP/replay.err")"
[ ! -s "$KS_TMP/replay.err" ]
ks_check "top -i -b json: nothing on stderr for a complete capture" $? \
	"expected nothing, saw $(head -2 "$KS_TMP/replay.err")"
python3 - "$KS_TMP/replay.json" "$N" "$free_pid" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
n, free_pid = int(sys.argv[2]), int(sys.argv[3])
def res(name, ok, msg):
    print(("PASS: " + name) if ok else ("FAIL: %s: %s" % (name, msg)))
res("top -i -b json: one object per interval", len(lines) == n,
    "expected %d lines, saw %d" % (n, len(lines)))
objs = [json.loads(l) for l in lines]
cur = [(o["replay"]["interval"], o["replay"]["intervals"]) for o in objs]
res("top -i -b json: cursor 1..N of N", cur == [(i + 1, n) for i in range(len(objs))],
    "expected 1..%d of %d, saw %s" % (n, n, cur))
times = [o["time"] for o in objs]
res("top -i -b json: timestamps increasing",
    all(t is not None for t in times) and all(b > a for a, b in zip(times, times[1:])),
    "saw %s" % times)
res("top -i -b json: last interval says end", objs[-1]["replay"]["end"] and
    not any(o["replay"]["end"] for o in objs[:-1]), "saw %s" % [o["replay"]["end"] for o in objs])
firsts, bad = [], []
for i, o in enumerate(objs):
    ours = [p for p in o["processes"] if p["comm"].startswith("kstw_")]
    top = max(ours, key=lambda p: p["cpu_pct"] or 0) if ours else None
    firsts.append(top and top["comm"])
    spin = [p for p in ours if p["pid"] == free_pid]
    if not spin or spin[0]["cpu_pct"] is None or spin[0]["cpu_pct"] < 20:
        bad.append((i + 1, spin and spin[0]["cpu_pct"]))
res("top -i -b json: spinner first by cpu_pct in every interval",
    firsts == ["kstw_free"] * len(objs), "saw %s" % firsts)
# sorted by CPU% as live batch is: the spinner precedes the sleeper in the array
order_ok = all([p["comm"] for p in o["processes"] if p["comm"] in ("kstw_free", "kstw_sleep")]
               == ["kstw_free", "kstw_sleep"] for o in objs)
res("top -i -b json: rows sorted by cpu_pct (spinner before the sleeper)", order_ok,
    "saw %s" % [[p["comm"] for p in o["processes"] if p["comm"].startswith("kstw_")] for o in objs])
res("top -i -b json: spinner cpu_pct >= 20 in every interval", not bad, "saw %s" % bad)
spin = [p for p in objs[-1]["processes"] if p["pid"] == free_pid]
ok = spin and spin[0]["user"] == "root" and spin[0]["rss_kb"] and spin[0]["rss_kb"] > 0 \
    and spin[0]["threads"] == 1 and spin[0]["state"] in "RS"
res("top -i -b json: user, RSS, threads, state of a gone process from the capture", bool(ok),
    "saw %s" % (spin and {k: spin[0][k] for k in ("user", "rss_kb", "threads", "state")}))
PY
"$KSCOPE" top -i "$CAP" -b -n 2 --format csv -f kstw_ > "$KS_TMP/replay.csv"
[ "$(grep -c '^time_s,' "$KS_TMP/replay.csv")" = 1 ] && [ "$(grep -c ',"kstw_free",' "$KS_TMP/replay.csv")" = 2 ]
ks_check "top -i -b -n 2 csv: one header, the spinner in 2 intervals" $? "saw $(head -c 300 "$KS_TMP/replay.csv")"

# replay needs neither root nor BPF
mkdir -m 755 "$KS_TMP/pub" && cp "$CAP" "$KS_TMP/pub/" && chmod 644 "$KS_TMP/pub/run.kscap"
chmod 755 "$KS_TMP"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$KSCOPE" top -i "$KS_TMP/pub/run.kscap" -b -n 1 -f kstw_free > "$KS_TMP/nobody.txt" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'REPLAY of run.kscap' "$KS_TMP/nobody.txt" && grep -q kstw_free "$KS_TMP/nobody.txt"
ks_check "top -i: replays as an unprivileged user" $? "rc $rc, saw $(head -3 "$KS_TMP/nobody.txt" | tr '\n' '|')"

# (b) the screen: REPLAY, the cursor, stepping; -d 600: no playback meanwhile
if command -v tmux >/dev/null; then
	tmux kill-session -t "$S" 2>/dev/null
	tmux new-session -d -s "$S" -x 100 -y 30 "$KSCOPE top -i $CAP -d 600; sleep 30"
	trap 'tmux kill-session -t "$S" 2>/dev/null; ks_cleanup' EXIT
	ks_wait_pane "REPLAY .*\[1/$N\]" 10
	ks_check "top -i: screen shows REPLAY and [1/$N]" $? "saw: $(ks_pane | head -2 | tr '\n' '|')"
	ks_pane | grep -q 'host ' && ks_pane | grep -q 'kernel '
	ks_check "top -i: header names host and kernel" $? "saw: $(ks_pane | head -1)"
	tmux send-keys -t "$S" t
	ks_wait_pane "\[2/$N\]" 3
	ks_check "top -i: t steps to [2/$N]" $? "saw: $(ks_pane | head -1)"
	ks_pane | tail -1 | grep -q PAUSED
	ks_check "top -i: stepping pauses playback" $? "saw: $(ks_pane | tail -1)"
	tmux send-keys -t "$S" T
	ks_wait_pane "\[1/$N\]" 3
	ks_check "top -i: T steps back to [1/$N]" $? "saw: $(ks_pane | head -1)"
	tmux send-keys -t "$S" T
	ks_wait_pane "start of capture" 3
	ks_check "top -i: T at the first interval stays, says so" $? "saw: $(ks_pane | sed -n '1p;$p' | tr '\n' '|')"
	tmux send-keys -t "$S" k
	ks_wait_pane "nothing to signal" 3
	ks_check "top -i: k refused with a message" $? "saw: $(ks_pane | tail -1)"
	for ((i = 1; i < N + 2; i++)); do tmux send-keys -t "$S" t; sleep 0.1; done
	ks_wait_pane "\[$N/$N\].*end of capture" 3
	ks_check "top -i: stays on the last interval, end of capture" $? "saw: $(ks_pane | head -1)"
	tmux send-keys -t "$S" '\'; tmux send-keys -t "$S" -l 'kstw_'; tmux send-keys -t "$S" Enter
	sleep 0.5
	row=$(ks_first_row)
	echo "$row" | grep -q kstw_free
	ks_check "top -i: filter works, spinner first" $? "saw '$row'"
	tmux send-keys -t "$S" q
	sleep 1
	! pgrep -f "^$KSCOPE top -i $CAP" > /dev/null
	ks_check "top -i: q quits" $? "expected no kscope top process"
	tmux kill-session -t "$S" 2>/dev/null
	# playback: one interval per refresh (-d 3: 0.3 s), stops at the end
	tmux new-session -d -s "$S" -x 100 -y 30 "$KSCOPE top -i $CAP -d 3; sleep 30"
	ks_wait_pane "\[$N/$N\].*end of capture" $((N + 5))
	ks_check "top -i: plays to the end by itself" $? "saw: $(ks_pane | head -1)"
	tmux send-keys -t "$S" q
	tmux kill-session -t "$S" 2>/dev/null
else
	echo "SKIP: top_replay screen: no tmux"
fi

# (c) damaged files
size=$(stat -c %s "$CAP")
head -c $((size - 40)) "$CAP" > "$KS_TMP/cut.kscap"
"$KSCOPE" top -i "$KS_TMP/cut.kscap" -b --format json > "$KS_TMP/cut.json" 2> "$KS_TMP/cut.err"
rc=$?
got=$(wc -l < "$KS_TMP/cut.json")
[ $rc = 0 ] && [ "$got" -ge 1 ] && [ "$got" -lt "$N" ] && grep -q 'warning: .*truncated' "$KS_TMP/cut.err"
ks_check "top -i truncated: complete intervals, a warning" $? \
	"rc $rc, $got of $N intervals, stderr: $(cat "$KS_TMP/cut.err")"
head -c 4096 /dev/urandom > "$KS_TMP/garbage.kscap"
"$KSCOPE" top -i "$KS_TMP/garbage.kscap" -b > "$KS_TMP/g.out" 2> "$KS_TMP/g.err"
rc=$?
[ $rc = 1 ] && [ "$(wc -l < "$KS_TMP/g.err")" = 1 ] && [ ! -s "$KS_TMP/g.out" ] &&
	grep -q 'not a kscope capture' "$KS_TMP/g.err"
ks_check "top -i garbage: one-line error, exit 1" $? "rc $rc, stderr: $(cat "$KS_TMP/g.err")"
"$KSCOPE" top -i "$KS_TMP/absent.kscap" -b > /dev/null 2> "$KS_TMP/a.err"
rc=$?
[ $rc = 1 ] && [ "$(wc -l < "$KS_TMP/a.err")" = 1 ]
ks_check "top -i missing file: one-line error, exit 1" $? "rc $rc, stderr: $(cat "$KS_TMP/a.err")"
# -i stays the refresh interval when it is a number
"$KSCOPE" top -b -n 1 -i 0.2 -N 1 > /dev/null 2>&1
ks_check "top -i 0.2: still the refresh interval" $? "expected exit 0"
"$KSCOPE" top --help | grep -q 'kscope top -i CAPTURE'
ks_check "top --help: documents -i CAPTURE" $? "expected a usage line"
exit 0
