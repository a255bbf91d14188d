#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope biolat on the real kernel: fsync'd 4 KiB appends on the root disk.
source "$(dirname "$0")/../lib.sh"
ks_need_root biolat

# On the real disk, not tmpfs: /var/tmp (or the build dir when /var/tmp is tmpfs).
dir=/var/tmp
[ "$(stat -f -c %T $dir)" = tmpfs ] && dir=$KS_ROOT/build
file=$(mktemp "$dir/kscope-biolat.XXXXXX")
trap 'rm -f "$file"; ks_cleanup' EXIT
# The file's whole disk (a partition's parent), by name, from st_dev.
disk=$(python3 - "$file" <<'PY'
import os, sys
st = os.stat(sys.argv[1]).st_dev
p = os.path.realpath("/sys/dev/block/%d:%d" % (os.major(st), os.minor(st)))
if os.path.exists(p + "/partition"):
    p = os.path.dirname(p)
print(os.path.basename(p))
PY
)
echo "INFO: $file is on disk $disk"
disk_json() {	# FILE DISK PID -> writes-on-disk requests pid-write-ops queued-count keys
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
disk = [x for x in d["disks"] if x["name"] == sys.argv[2]]
pid = int(sys.argv[3]) if len(sys.argv) > 3 else -1
ops = sum(p["ops"] for p in d["processes"] if p["pid"] == pid and p["dir"] == "write" and p["disk"] == sys.argv[2])
x = disk[0] if disk else {"writes": 0, "requests": 0, "queued": {"count": 0}, "device": {}}
keys = all(k in x["device"] for k in ("unit", "count", "p50", "p90", "p99", "max", "buckets"))
print(x["writes"], x["requests"], ops, x["queued"]["count"], int(keys))
PY
}

# 1. 300 fsync'd appends: at least 300 writes on the right disk, by the writer.
N=300
"$WL/fsync_writer" "$file" $N > "$KS_TMP/fw.out" &
wl=$!
ks_children+=($wl)
sleep 0.2
"$KSCOPE" biolat -d 5 --json --top 1000 > "$KS_TMP/b.json" 2> "$KS_TMP/b.err"
rc=$?
wait $wl
ok=$(sed -n 2p "$KS_TMP/fw.out")
read -r writes reqs ops queued keys <<< "$(disk_json "$KS_TMP/b.json" "$disk" "$wl" 2>/dev/null)"
ks_check "biolat exits 0" $rc "exit 0, saw $rc: $(cat "$KS_TMP/b.err")"
ks_check "biolat: >= $ok writes on $disk for $ok fsync'd appends" \
	"$(ks_true "${ok:-0} == $N && ${writes:-0} >= $ok"; echo $?)" \
	"$N fsyncs and >= that many writes on $disk, saw ${ok:-?} fsyncs, ${writes:-none} writes"
ks_check "biolat: the writer's own write requests attributed to it (>= $N)" \
	"$(ks_true "${ops:-0} >= $N"; echo $?)" ">= $N, saw ${ops:-none}"
ks_check "biolat: device histogram has unit/count/p50/p90/p99/max/buckets" \
	"$([ "$keys" = 1 ]; echo $?)" "all keys, saw $(head -c 300 "$KS_TMP/b.json")"
# queued time: either measured, or its absence said for the requests without insert
qmiss=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(int(any(g['signal'].startswith('queued time') for g in d['unavailable'])))" "$KS_TMP/b.json")
ks_check "biolat: queued time measured or its absence declared" \
	"$(ks_true "${queued:-0} >= 1 || $qmiss == 1"; echo $?)" "queued count or a gap, saw ${queued:-0}/$qmiss"

# 2. -p: only the writer's I/O.
"$WL/fsync_writer" "$file" 100 > /dev/null &
wl=$!
ks_children+=($wl)
sleep 0.2
"$KSCOPE" biolat -p $wl -d 3 --json > "$KS_TMP/p.json" 2>&1
wait $wl
others=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len([p for p in d['processes'] if p['pid'] != $wl]), len([p for p in d['processes'] if p['pid'] == $wl]))" "$KS_TMP/p.json" 2>/dev/null)
ks_check "biolat -p: rows of the writer only" "$([ "$others" = "0 1" ] || [ "$others" = "0 2" ]; echo $?)" \
	"0 other rows, the writer's, saw '$others'"

# 3. Agreement with libbpf-tools biolatency on the same load (device time, all requests).
if [ -x /usr/sbin/biolatency ]; then
	"$WL/fsync_writer" "$file" 800 > /dev/null &
	wl=$!
	ks_children+=($wl)
	/usr/sbin/biolatency -d "$disk" 5 1 > "$KS_TMP/peer.txt" 2>&1 &
	peer=$!
	"$KSCOPE" biolat -d 5 --json > "$KS_TMP/a.json" 2>&1
	wait $peer $wl
	theirs=$(awk '/->/ { s += $5 } END { print s + 0 }' "$KS_TMP/peer.txt")
	read -r writes ours ops queued keys <<< "$(disk_json "$KS_TMP/a.json" "$disk" 2>/dev/null)"
	echo "INFO: requests on $disk: kscope $ours, libbpf-tools biolatency $theirs"
	ks_check "agreement with libbpf-tools biolatency: counts within 5%" \
		"$(ks_true "$theirs >= 800 && ${ours:-0} >= 0.95 * $theirs && ${ours:-0} <= 1.05 * $theirs"; echo $?)" \
		"within 5% of biolatency's $theirs (>= 800), saw ${ours:-none}"
else
	echo "SKIP: /usr/sbin/biolatency not installed: no agreement check"
fi

# 4. Fallbacks: raw_tp and classic tracepoints see the writes too.
for kind in raw_tp tracepoint; do
	"$WL/fsync_writer" "$file" 100 > /dev/null &
	wl=$!
	ks_children+=($wl)
	sleep 0.2
	KSCOPE_TP=$kind "$KSCOPE" biolat -d 2.5 --json > "$KS_TMP/$kind.json" 2>&1
	wait $wl
	read -r writes reqs ops queued keys <<< "$(disk_json "$KS_TMP/$kind.json" "$disk" "$wl" 2>/dev/null)"
	att=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['attach'])" "$KS_TMP/$kind.json" 2>/dev/null)
	ks_check "biolat with $kind: >= 100 writes on $disk by the writer" \
		"$(ks_true "\"$att\" == \"$kind\" && ${ops:-0} >= 100"; echo $?)" \
		"attach $kind, >= 100 ops, saw '$att' ${ops:-none}"
done

# 5. Text output and bad input.
"$WL/fsync_writer" "$file" 50 > /dev/null &
ks_children+=($!)
"$KSCOPE" biolat -d 1.5 > "$KS_TMP/t.txt" 2>&1
grep -q "device (issue -> complete)" "$KS_TMP/t.txt" && grep -q "p50 .* p99 .* max" "$KS_TMP/t.txt"
ks_check "text: device histogram with p50/p99/max" $? "saw: $(head -8 "$KS_TMP/t.txt")"
"$KSCOPE" biolat -d abc > /dev/null 2>&1
ks_check "biolat -d abc exits 2" "$([ $? = 2 ]; echo $?)" "exit 2"
wait
