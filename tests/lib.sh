# SPDX-License-Identifier: GPL-2.0
# Sourced by integration tests (tests/bpf/*.sh, tests/e2e/*.sh).
# Each check prints one line, "PASS: name" or "FAIL: name: expected X, saw Y";
# tests/run.sh counts them. A script that exits non-zero without printing a
# FAIL line counts as one failure.
KS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KSCOPE=${KSCOPE:-$KS_ROOT/build/kscope}
WL=$KS_ROOT/build/workloads
KS_TMP=$(mktemp -d /tmp/kscope-test.XXXXXX)
ks_failed=0
ks_children=()

ks_cleanup() {
	local p
	for p in "${ks_children[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$KS_TMP"
}
trap ks_cleanup EXIT

ks_pass() { echo "PASS: $1"; }
ks_fail() { echo "FAIL: $1: $2"; ks_failed=1; }
# ks_check NAME CONDITION-EXIT-STATUS "expected ..., saw ..."
ks_check() {
	if [ "$2" = 0 ]; then ks_pass "$1"; else ks_fail "$1" "$3"; fi
}
# Start a workload in the background and remember it for cleanup.
ks_spawn() {
	"$@" &
	ks_children+=($!)
	KS_LAST_PID=$!
}
ks_need_root() {
	if [ "$(id -u)" != 0 ]; then echo "SKIP: $1 needs root"; exit 0; fi
}
# Float comparison helper: ks_awk 'EXPR' -> exit status 0 if true.
ks_true() { awk "BEGIN { exit !($1) }"; }
# The top view in tmux: the test sets S to its tmux session name.
ks_pane() { tmux capture-pane -p -t "$S"; }
# first table row after the header line that starts with "PID"
ks_first_row() { ks_pane | awk '/^ *PID /{getline; print; exit}'; }
ks_wait_pane() {	# ks_wait_pane REGEX SECS: until the screen shows REGEX
	local i
	for ((i = 0; i < $2 * 10; i++)); do ks_pane | grep -qE "$1" && return 0; sleep 0.1; done
	return 1
}
