"""Run the throughput benchmarks one after another (``make bench``).

The latency, memory, quality and drift benchmarks take minutes each and need their own settings; run them
one by one with the commands in docs/benchmarks.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THROUGHPUT = ("bench.rule_matching", "bench.features", "bench.scoring")


def main() -> None:
    for module in THROUGHPUT:
        print(f"== {module}", flush=True)
        subprocess.run([sys.executable, "-m", module], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
