#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The option handling the collector commands share (ks_cmd_getopt,
# ks_collect_run): --help, bad flags and values, stray arguments, a pid that
# does not exist, an unwritable -o, and -o written complete under its name
# (no FILE.incomplete left) with one JSON object per -i interval.
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

	"$KSCOPE" $c -d 1 -p 999999999 -o "$KS_TMP/never.$c" > /dev/null 2> "$KS_TMP/err"
	rc=$?
	ks_check "$c -p 999999999: one line, exit 1, no output file" \
		"$([ $rc = 1 ] && [ "$(wc -l < "$KS_TMP/err")" = 1 ] &&
		   grep -q 'no such process: 999999999' "$KS_TMP/err" &&
		   [ ! -e "$KS_TMP/never.$c" ] && [ ! -e "$KS_TMP/never.$c.incomplete" ]; echo $?)" \
		"rc=$rc, stderr: $(head -c 300 "$KS_TMP/err")"
done

# An -o that cannot be written: a clear error and exit 1, nothing left attached.
nlinks() { bpftool link show -j 2> /dev/null | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
links0=$(nlinks)
for c in offcpu runqlat biolat syscalls locks; do
	"$KSCOPE" $c -d 1 -o /nonexistent/dir/out > /dev/null 2> "$KS_TMP/err"
	rc=$?
	ks_check "$c -o /nonexistent/dir/out: exit 1, 'cannot write'" \
		"$([ $rc = 1 ] && grep -q 'cannot write /nonexistent/dir/out' "$KS_TMP/err"; echo $?)" \
		"rc=$rc, stderr: $(head -c 300 "$KS_TMP/err")"
done
links1=$(nlinks)
ks_check "no BPF link left behind ($links0 before, $links1 after)" "$([ "$links0" = "$links1" ]; echo $?)" \
	"$(bpftool link show 2> /dev/null | head -5)"

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
