"""Every decimal number in a lesson's prose is backed by the notebook itself.

A number such as 0.734791 or 16.6 in a markdown cell must appear in one of
the notebook's code cells or stored outputs (the code that computes it or the
line that prints it), exactly or as that number rounded to the digits the
prose gives. Numbers the prose cites rather than computes (a constant of a
library, a setting of the article's listing) are listed in ALLOWED with the
reason. Worked solutions inside ``<details>`` blocks are checked by the
practice self-checks instead, and are skipped here.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("0[1-6]_*.ipynb"))

# A decimal number: digits, a point, digits; not part of a longer number,
# a version string (3.11.7) or an identifier.
NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.]*\d)")
DETAILS = re.compile(r"<details>.*?</details>", re.DOTALL)
# References are not measurements: "Figure 4.1", "Figures 4.4 and 5.5",
# "§4.2.1 and §4.2.2".
REFERENCE = re.compile(
    r"(Figures?\s+|Exercises?\s+|§)\d+(\.\d+)*((,\s*|\s+and\s+|,\s+and\s+)(§)?\d+(\.\d+)*)*"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Numbers that the prose cites instead of computing, per lesson, with why.
ALLOWED: dict[str, dict[str, str]] = {
    "04_mnist_tensorflow": {
        "0.001": "the article's Adam learning rate (tf_models.ARTICLE), quoted by an exercise",
    },
    "05_mnist_pytorch": {
        "0.05": "a learning rate an exercise asks the learner to try",
    },
    "06_tensorflow_vs_pytorch": {
        "0.9": "the momentum an exercise asks the learner to use",
    },
}


def prose_numbers(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, number) for every decimal number in the markdown cells."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            text = REFERENCE.sub("", DETAILS.sub("", cell.source))
            found.extend((index, match) for match in NUMBER.findall(text))
    return found


def evidence(nb: nbformat.NotebookNode) -> str:
    """All code and all stored text outputs of ``nb``, as one string."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type == "error":
                parts.append(output.evalue)
                parts.extend(output.traceback)
            else:
                parts.append(str(output.get("data", {}).get("text/plain", "")))
    return ANSI.sub("", "\n".join(parts))


def backed(number: str, known: set[str]) -> bool:
    """True when ``number`` is one of ``known``, or one of them rounded to its digits."""
    if number in known:
        return True
    digits = len(number.split(".")[1])
    quantum = Decimal(1).scaleb(-digits)
    target = Decimal(number)
    for candidate in known:
        if len(candidate.split(".")[1]) < digits:
            continue
        value = Decimal(candidate)
        if any(value.quantize(quantum, rounding=mode) == target
               for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN)):
            return True
    return False


def unbacked(nb: nbformat.NotebookNode, allowed: dict[str, str]) -> list[tuple[int, str]]:
    """The prose numbers of ``nb`` that neither its code and outputs nor ``allowed`` back."""
    known = set(NUMBER.findall(evidence(nb)))
    return [(index, number) for index, number in prose_numbers(nb)
            if number not in allowed and not backed(number, known)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_prose_number_is_backed_by_the_notebook(path):
    nb = nbformat.read(path, as_version=4)
    missing = unbacked(nb, ALLOWED.get(path.stem, {}))
    assert not missing, (
        f"{path.name}: these numbers in markdown cells appear in no code cell or "
        f"output; print them from the cell that computes them, or (for a cited "
        f"constant) add them to ALLOWED with the reason: {missing}"
    )


def test_the_scan_finds_an_unbacked_number_and_accepts_a_rounded_one():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("The loss is 0.4170, about 16.1, not 2.5."
                                      "\n<details>ignored 9.75</details> Python 3.11.7,"
                                      " Figures 4.4 and 5.5, Exercise 2.3, §4.2.1 and §4.2.2"),
        nbformat.v4.new_code_cell("print(loss)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="0.417030 16.1181\n")]),
    ]
    assert prose_numbers(nb) == [(0, "0.4170"), (0, "16.1"), (0, "2.5")]
    assert unbacked(nb, {}) == [(0, "2.5")]
    assert unbacked(nb, {"2.5": "a cited constant"}) == []
