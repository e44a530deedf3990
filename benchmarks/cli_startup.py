"""Start-up time of the ``aspire`` command (not a test: figures depend on the machine).

    python benchmarks/cli_startup.py            # 7 runs of each command, median and best
    python benchmarks/cli_startup.py --runs 15

Each run is a fresh process of the installed console script (stdout discarded), timed from
start to exit, so the figure is what a user waits for: interpreter start, imports, loading
plugins and, for ``frameworks``, reading and checking every framework document. The target
is under 0.5 s for ``aspire --help`` and ``aspire frameworks``; heavy modules (scipy,
pandas, matplotlib) are imported only by the commands that use them, and the last column
says whether any was loaded (``python -X importtime`` shows where the time goes).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (
    ["--help"],
    ["frameworks"],
    ["frameworks", "--no-plugins"],
    ["frameworks", "show", "cipd-sop-eight-themes"],
    ["instruments"],
)
HEAVY = ("scipy", "pandas", "matplotlib")


def heavy_modules(args: list[str]) -> list[str]:
    """Heavy packages imported by one run of the command (run in-process in a child)."""
    code = (
        "import io, sys, contextlib\n"
        "from aspire_models.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({args!r}, io.StringIO())\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in r.stdout.strip().split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    opts = parser.parse_args()
    aspire = Path(sys.executable).with_name("aspire")
    print(f"{'command':<48} {'median s':>9} {'best s':>7}  heavy modules loaded")
    for args in COMMANDS:
        times = []
        for _ in range(opts.runs):
            start = time.perf_counter()
            subprocess.run([str(aspire), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - start)
        heavy = ", ".join(heavy_modules(args)) or "none"
        print(f"{'aspire ' + ' '.join(args):<48} {statistics.median(times):>9.3f} {min(times):>7.3f}  {heavy}")


if __name__ == "__main__":
    main()
