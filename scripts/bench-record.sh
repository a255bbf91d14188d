#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Size and cost of `kscope record`: a busy 2-CPU machine (stress-ng --cpu 2
# --io 1) recorded for DUR seconds (default 60) at 1 s intervals with the
# default collectors. Prints MiB per minute and kscope's own CPU (user+sys,
# from /proc/PID/stat) as % of one CPU; targets: <= 1 MiB/min, <= 2%.
# REPS runs (default 1); medians printed when REPS >= 3.
cd "$(dirname "$0")/.." || exit 1
DUR=${DUR:-60}
REPS=${REPS:-1}
out=$(mktemp -d)
trap 'kill $sp 2>/dev/null; rm -rf "$out"' EXIT
stress-ng --cpu 2 --io 1 -t $((DUR * REPS + 30)) > /dev/null 2>&1 &
sp=$!
sleep 2
tck=$(getconf CLK_TCK)
sizes=() cpus=()
for r in $(seq "$REPS"); do
	build/kscope record -d "$DUR" -i 1 -o "$out/run.kscap" 2> "$out/log" &
	kp=$!
	sleep $((DUR - 1))
	read -r ut st < <(awk '{print $14, $15}' /proc/$kp/stat)
	wait $kp
	bytes=$(stat -c %s "$out/run.kscap")
	mib=$(awk -v b="$bytes" -v d="$DUR" 'BEGIN { printf "%.3f", b / 1048576 * 60 / d }')
	cpu=$(awk -v u="$ut" -v s="$st" -v t="$tck" -v d="$DUR" \
		'BEGIN { printf "%.2f", (u + s) / t / (d - 1) * 100 }')
	echo "run $r: ${bytes} bytes in ${DUR}s = ${mib} MiB/min; kscope CPU ${cpu}% of one CPU"
	sizes+=("$mib") cpus+=("$cpu")
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median: $(med "${sizes[@]}") MiB/min (target <= 1), CPU $(med "${cpus[@]}")% (target <= 2)"
