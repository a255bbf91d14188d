#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The option handling the collector commands share (ks_cmd_getopt,
# ks_collect_finish, ks_collect_run): --help, bad flags and values, stray
# arguments, a pid that does not exist, an -o that cannot be written (caught
# before the BPF load), stdout that fails, and -o written complete under its
# name (no FILE.incomplete left) with one JSON object per -i interval.
source "$(dirname "$0")/../lib.sh"
ks_need_root "collector commands"

for c in offcpu runqlat biolat syscalls locks record; do
	"$KSCOPE" $c --help > "$KS_TMP/out" 2> "$KS_TMP/err"
	rc=$?
	ks_check "$c --help: usage on stdout, exit 0" \
		"$([ $rc = 0 ] && grep -q "^Usage: kscope $c" "$KS_TMP/out" && [ ! -s "$KS_TMP/err" ]; echo $?)" \
		"rc=$rc, stderr: $(head -c 200 "$KS_TMP/err")"

	"$KSCOPE" $c --no-such-flag > "$KS_TMP/out" 2> "$KS_TMP/err"
	rc=$?
	ks_check "$c --no-such-flag: exit 2, the error first on stderr" \
		"$([ $rc = 2 ] && [ ! -s "$KS_TMP/out" ] && head -2 "$KS_TMP/err" | grep -q 'no-such-flag'; echo $?)" \
		"rc=$rc, stderr: $(head -c 200 "$KS_TMP/err")"

	"$KSCOPE" $c stray > /dev/null 2> "$KS_TMP/err"
	rc=$?
	ks_check "$c with a stray argument: exit 2" \
		"$([ $rc = 2 ] && grep -q "^kscope $c: unexpected argument 'stray'" "$KS_TMP/err"; echo $?)" \
		"rc=$rc, stderr: $(head -c 200 "$KS_TMP/err")"

	"$KSCOPE" $c -d > /dev/null 2> "$KS_TMP/err"
	rc=$?
	ks_check "$c -d without its value: exit 2" "$([ $rc = 2 ]; echo $?)" "rc=$rc"

	"$KSCOPE" $c -d 1 -p 999999999 > /dev/null 2> "$KS_TMP/err"
	rc=$?
	ks_check "$c -p 999999999: one line, exit 1" \
		"$([ $rc = 1 ] && [ "$(wc -l < "$KS_TMP/err")" = 1 ] &&
		   grep -q 'no such process: 999999999' "$KS_TMP/err"; echo $?)" \
		"rc=$rc, stderr: $(head -c 300 "$KS_TMP/err")"
done

# An -o that cannot be written (no such directory, a directory): one line,
# exit 1, before any BPF program is loaded (-v would log "attached with").
for c in offcpu runqlat biolat syscalls locks record; do
	for o in /nonexistent/dir/out "$KS_TMP"; do
		"$KSCOPE" -v $c -d 1 -o "$o" > /dev/null 2> "$KS_TMP/err"
		rc=$?
		ks_check "$c -o $o: one line 'cannot write', exit 1, nothing attached" \
			"$([ $rc = 1 ] && [ "$(wc -l < "$KS_TMP/err")" = 1 ] &&
			   grep -q "cannot write $o" "$KS_TMP/err"; echo $?)" \
			"rc=$rc, stderr: $(head -c 300 "$KS_TMP/err")"
	done
done
# stdout that fails (a full device): said, exit 1; a closed pipe is not an error
"$KSCOPE" runqlat -d 0.3 > /dev/full 2> "$KS_TMP/err"
rc=$?
ks_check "runqlat > /dev/full: 'cannot write', exit 1" \
	"$([ $rc = 1 ] && grep -q 'cannot write' "$KS_TMP/err"; echo $?)" "rc=$rc"
"$KSCOPE" runqlat -d 0.3 2> /dev/null | head -c 1 > /dev/null
rc=${PIPESTATUS[0]}
ks_check "runqlat | head -c 1: exit 0" "$([ $rc = 0 ]; echo $?)" "rc=$rc"

# -o with -i: the file holds one complete JSON object per interval, under its own name.
for c in runqlat syscalls biolat; do
	out=$KS_TMP/$c.json
	"$KSCOPE" $c -d 1.6 -i 0.5 --json -o "$out" 2> "$KS_TMP/err"
	rc=$?
	n=$(python3 -c "
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o['command'] == sys.argv[2] and 'unavailable' in o and 'lost' in o
    n += 1
print(n)" "$out" $c 2> /dev/null)
	ks_check "$c -i 0.5 -d 1.6 --json -o: 3-4 JSON reports, file complete" \
		"$([ $rc = 0 ] && [ "${n:-0}" -ge 3 ] && [ "${n:-0}" -le 4 ] && [ ! -e "$out.incomplete" ]; echo $?)" \
		"rc=$rc, reports ${n:-none}, stderr: $(head -c 200 "$KS_TMP/err")"
done

exit $ks_failed
