#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fuzz the capture reader (tests/fuzz/fuzz_capture.c) with libFuzzer + ASan +
# UBSan, seeded with real captures. FUZZ_TIME (seconds, default 20) bounds the
# run; `make fuzz` runs it long.
source "$(dirname "$0")/../lib.sh"
cd "$KS_ROOT" || exit 1
secs=${FUZZ_TIME:-20}
out=build/fuzz
mkdir -p "$out/corpus"
srcs="tests/fuzz/fuzz_capture.c user/capture.c user/model.c user/profile.c user/hist.c user/util.c"
if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude -D_GNU_SOURCE -DKSCOPE_VERSION='"fuzz"' -DKS_FUZZ_NO_CRC $srcs -lbpf -lelf -lz -lm -o "$out/fuzz_capture" \
	> "$KS_TMP/build.log" 2>&1; then
	ks_fail "fuzz-build" "expected fuzz_capture to build, saw: $(head -3 "$KS_TMP/build.log")"
	exit 0
fi
ks_pass "fuzz-build"
# Seeds: small captures written by the unit test's writer path (kscope record
# when we may use BPF, else a synthetic one from the capture unit test).
if [ -x build/kscope ] && [ "$(id -u)" = 0 ] && [ ! -s "$out/corpus/record.kscap" ]; then
	build/kscope record -d 2 -i 1 -o "$out/corpus/record.kscap" > /dev/null 2>&1 ||
		rm -f "$out/corpus/record.kscap"
fi
"$out/fuzz_capture" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -timeout=5 \
	-print_final_stats=1 "$out/corpus" > "$KS_TMP/fuzz.log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$KS_TMP/fuzz.log")
ks_check "fuzz-capture-${secs}s" "$rc" "expected no crash/leak/hang in ${secs}s, saw exit $rc: $(grep -m3 -E 'ERROR|SUMMARY' "$KS_TMP/fuzz.log")"
[ "$rc" != 0 ] && cp "$KS_TMP/fuzz.log" build/fuzz/last-failure.log
ks_check "fuzz-capture-ran" "$([ "${runs:-0}" -gt 1000 ]; echo $?)" "expected > 1000 executions, saw ${runs:-0}"
exit 0
