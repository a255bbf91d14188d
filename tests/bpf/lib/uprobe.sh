# SPDX-License-Identifier: GPL-2.0
# Helpers of funclat.sh and usdt.sh (sourced after lib.sh; not a test itself).

# traced NAME WORKLOAD-ARGS... -- KSCOPE-ARGS...: start the workload (it
# waits on a FIFO given as its last argument), run kscope -p on it, release
# it once kscope says "Tracing", wait for both. Leaves $KS_TMP/NAME.json,
# NAME.err, NAME.wl, kscope's exit status in $rc and the workload's pid in $pid.
traced() {
	local name=$1 fifo=$KS_TMP/$1.fifo wl=() i kpid
	shift
	while [ "$1" != -- ]; do wl+=("$1"); shift; done
	shift
	mkfifo "$fifo"
	"${wl[@]}" "$fifo" > "$KS_TMP/$name.wl" &
	pid=$!
	ks_children+=($pid)
	"$KSCOPE" "$@" -p "$pid" --json -o "$KS_TMP/$name.json" 2> "$KS_TMP/$name.err" &
	kpid=$!
	for i in $(seq 100); do
		grep -q '^Tracing' "$KS_TMP/$name.err" && break
		kill -0 $kpid 2>/dev/null || break
		sleep 0.1
	done
	echo go > "$fifo"
	wait "$pid"
	# -p PID that exits: kscope must finish by itself, promptly.
	for i in $(seq 50); do kill -0 $kpid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $kpid 2>/dev/null; then
		ks_fail "$name: kscope ends when the process exits" "still running 5 s after"
		kill -INT $kpid
	fi
	wait $kpid
	rc=$?
}

# jrow NAME ROW-NAME JQ-PATH: a field of the first row called ROW-NAME.
jrow() {
	jq -r --arg f "$2" "[.rows[] | select(.name == \$f)][0] | $3 // \"none\"" \
		"$KS_TMP/$1.json" 2>/dev/null
}
