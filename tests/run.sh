#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test kscope has and ends with one line: "N passed, N failed".
#   unit:        build/tests/test_*  (cmocka, no privileges)
#   integration: tests/bpf/*.sh       (real BPF programs on the real kernel, root)
#   end-to-end:  tests/e2e/*.sh       (the binary as a user runs it)
# TESTS="pattern" runs only the files whose name matches.
cd "$(dirname "$0")/.." || exit 2
passed=0 failed=0 skipped=0
log=build/test-logs
mkdir -p "$log"
pat=${TESTS:-}

# /dev/null must stay a character device: tmux and daemons refuse to start
# otherwise. A machine that starts without one gets it back (and a warning);
# a test that breaks it fails by name.
devnull_ok() { [ -c /dev/null ]; }
devnull_fix() {
	[ "$(id -u)" = 0 ] && rm -f /dev/null && mknod -m 666 /dev/null c 1 3
}
if ! devnull_ok; then
	echo "warning: /dev/null was not a character device; recreated" >&2
	devnull_fix
fi

count_cmocka() {	# cmocka's summary lines
	local out=$1 p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	echo "$p $f"
}

for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	[ -n "$pat" ] && [[ "$t" != *$pat* ]] && continue
	name=$(basename "$t")
	"$t" > "$log/$name.log" 2>&1
	rc=$?
	read -r p f < <(count_cmocka "$log/$name.log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	printf '%-40s %3d passed, %d failed\n' "unit/$name" "$p" "$f"
	[ "$f" != 0 ] && grep -E '^\[  (FAILED|  ERROR) \]|FAIL|Error|error' "$log/$name.log" | head -20 | sed 's/^/    /'
done
if ! devnull_ok; then
	echo "    FAIL: a unit test left /dev/null a plain file"
	failed=$((failed + 1))
	devnull_fix
fi

if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root (BPF on the real kernel): skipped"
else
	for t in tests/bpf/*.sh tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		[ -n "$pat" ] && [[ "$t" != *$pat* ]] && continue
		name=${t#tests/}
		start=$(date +%s)
		timeout -k 10 300 bash "$t" > "$log/${name//\//_}.log" 2>&1
		rc=$?
		p=$(grep -c '^PASS: ' "$log/${name//\//_}.log")
		f=$(grep -c '^FAIL: ' "$log/${name//\//_}.log")
		s=$(grep -c '^SKIP: ' "$log/${name//\//_}.log")
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1
			echo "FAIL: $name exited with status $rc" >> "$log/${name//\//_}.log"
		fi
		if ! devnull_ok; then
			f=$((f + 1))
			echo "FAIL: $name left /dev/null a plain file" >> "$log/${name//\//_}.log"
			devnull_fix
		fi
		passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
		printf '%-40s %3d passed, %d failed (%ds)\n' "$name" "$p" "$f" $(( $(date +%s) - start ))
		grep -E '^(FAIL|SKIP): ' "$log/${name//\//_}.log" | sed 's/^/    /'
	done
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
