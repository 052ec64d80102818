"""What one judged cell costs in a kernel, as the grader sends it and as plain source (prints, asserts nothing).

    .venv/bin/python benchmarks/judged_cell.py [--assignment NAME] [--grade-id ID] [--repeat N]

Starts one ordinary ``python3`` kernel (no sandbox: this measures IPython, not
the limits), defines the assignment's model answers in it, then runs the
judged cell of one grade id ``--repeat`` times in three forms, in turn: the
code as Python source in the cell (the grader's first form), the cell that
``course_grader.judge.kernel_code`` makes (the same code as one string that
the cell compiles), and a one-line cell for the kernel's round trip. It
prints the mean wall time per cell of each and checks nothing beyond that
every judged run handed back one result.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def model_answers(source: Path) -> str:
    """The setup and solution cells of an assignment's source, as one block of code."""
    cells = source.read_text(encoding="utf-8").split("# %%")
    keep = [c.split("\n", 1)[1] for c in cells
            if '-setup"' in c.split("\n", 1)[0] or ('"solution": true' in c and "def " in c)]
    return "\n".join(keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--assignment", default="01_activation_functions")
    parser.add_argument("--grade-id", default="L1-q1-hidden")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from jupyter_client.manager import start_new_kernel

    from course_grader import judge

    source_dir = ROOT / "assignments" / "source"
    test = judge.load_tests(source_dir, args.assignment)[args.grade_id]
    cases = judge.draw_cases(test, b"benchmark-secret-0123456789", args.assignment, args.grade_id, "bench")
    forms = {"code in the cell": judge.kernel_source(test, cases),
             "one string, compiled (kernel_code)": judge.kernel_code(test, cases),
             "one-line cell": "x = 1"}
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        kc.execute_interactive(model_answers(source_dir / f"{args.assignment}.py"), timeout=120)
        for name, cell in forms.items():
            handed = []
            kc.execute_interactive(cell, timeout=60, output_hook=lambda m: None)  # warm-up
            start = time.perf_counter()
            for _ in range(args.repeat):
                kc.execute_interactive(cell, timeout=60, output_hook=lambda m: handed.append(
                    m["msg_type"] == "display_data" and judge.MIME in m["content"].get("data", {})))
            per_cell = (time.perf_counter() - start) / args.repeat * 1000
            results = sum(handed)
            print(f"{name:36s} {len(cell):6d} chars  {per_cell:6.1f} ms per cell  "
                  f"({results} of {args.repeat} runs handed back a result)")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
