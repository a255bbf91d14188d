#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages kscope needs to build, test and benchmark.
# Idempotent: one dpkg-query when everything is present (well under a second).
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh --bench  also the peers the benchmark scripts compare against
set -e

BUILD="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libncurses-dev
	libcmocka-dev pkg-config make gcc"
TEST="python3 jq libxml2-utils binutils elfutils tmux golang-go chromium
	libc6-dbg systemtap-sdt-dev libbpf-tools bpftrace util-linux procps
	afl++ libclang-rt-14-dev valgrind e2fsprogs"
BENCH="linux-perf stress-ng fio htop hyperfine time"

want="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && want="$want $BENCH"

# one dpkg-query for all; packages it has never heard of print nothing
installed=" $(dpkg-query -W -f='${db:Status-Status} ${Package}\n' $want 2>/dev/null |
	awk '$1 == "installed" { printf "%s ", $2 }')"
missing=
for p in $want; do
	case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
missing=$(echo $missing)
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: $missing (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
