#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Questions integration tests ask of folded stacks.

  folded.py share FILE COMM REGEX
      prints "MATCHED TOTAL PERCENT" over the stacks whose first frame is
      COMM (process frame), MATCHED being those whose ';'-joined frames
      match REGEX (re.search).
  folded.py top FILE COMM
      prints the heaviest leaf frame among COMM's stacks.
"""
import re
import sys


def stacks(path, comm):
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, n = line.rpartition(" ")
            frames = stack.split(";")
            if comm and frames[0] != comm:
                continue
            yield frames, float(n)


def main():
    cmd, path, comm = sys.argv[1:4]
    if cmd == "share":
        rx = re.compile(sys.argv[4])
        m = t = 0.0
        for frames, n in stacks(path, comm):
            t += n
            if rx.search(";".join(frames)):
                m += n
        print("%d %d %.1f" % (m, t, 100.0 * m / t if t else 0.0))
    elif cmd == "top":
        leaves = {}
        for frames, n in stacks(path, comm):
            leaves[frames[-1]] = leaves.get(frames[-1], 0) + n
        print(max(leaves, key=leaves.get) if leaves else "")
    else:
        sys.exit("unknown command " + cmd)


main()
