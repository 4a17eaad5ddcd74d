"""Run every gallery example, each in its own process, and write its figure.

::

    python examples/run_gallery.py OUTPUT_DIR [DATA_DIR]

OUTPUT_DIR receives one PNG an example (``.ci/run`` passes the built site's
``gallery/`` folder, which ``docs/gallery.md`` shows); DATA_DIR holds the
benchmark data sets (small subsets are read; generated texts stand in for a
missing one). Exits non-zero if an example fails or writes no figure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The examples, in the gallery's order; each writes ``<name>.png``.
EXAMPLES = [
    "loss_curves",
    "confusion_matrix",
    "thresholds",
    "explanation",
    "calibration",
    "abstention",
    "benchmark_charts",
]


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    output = Path(argv[0]).resolve()
    output.mkdir(parents=True, exist_ok=True)
    # No window: figures go to files; the examples import gallery_data beside them.
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join(
            [str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]
        ),
    }
    failed = []
    for name in EXAMPLES:
        started = time.perf_counter()
        figure = output / f"{name}.png"
        figure.unlink(missing_ok=True)
        result = subprocess.run(
            [sys.executable, str(HERE / f"{name}.py"), str(output), *argv[1:]], env=env
        )
        seconds = time.perf_counter() - started
        ok = result.returncode == 0 and figure.is_file()
        print(f"{name:<18} {'ok' if ok else 'FAILED'} in {seconds:.1f} s", flush=True)
        if not ok:
            failed.append(name)
    if failed:
        print(f"gallery: {len(failed)} example(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
