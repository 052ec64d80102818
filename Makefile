# The course's commands. Each target creates .venv on first use and
# reinstalls it whenever pyproject.toml changes.
#
#   make lab         open the lessons in JupyterLab
#   make test        run every test: the strict book build, the unit, browser and
#                    grading tests (the book checked in Chromium among them), then
#                    every lesson notebook under nbval
#   make book        build the Jupyter Book site into book/_build/html (strict)
#   make book-check  the book build, then the site checked in Chromium
#   make notebooks   re-execute every lesson and rewrite its .ipynb (seeded)
#   make assignments the nbgrader student versions of the exercises (instructors)
#   make grade SUBMISSIONS=folder [OUT=folder]   autograde submissions (instructors)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings

# On Linux, PyPI's torch wheel is the large CUDA build; PyTorch's own CPU index
# serves the small CPU build of the same release. It is used when reachable
# (machines without internet install from their local package mirror instead).
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: help setup lab test test-unit test-notebooks book book-check notebooks check-pairs clean

help:
	@sed -n '1,14p' Makefile

setup: $(STAMP)

$(STAMP): pyproject.toml jupyter/overrides.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off \
	    $$($(BIN)/python tools/torch_index.py "$(TORCH_CPU_INDEX)") -e '.[dev,grade]'
	@mkdir -p $(LAB_SETTINGS)
	cp jupyter/overrides.json $(LAB_SETTINGS)/overrides.json
	@touch $@

# Extra options for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8890"
LAB_ARGS ?=

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

# The book is built first (strict); test-unit then runs tests/test_book.py, whose
# browser check reuses that build.
test: book test-unit test-notebooks

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests

test-notebooks: $(STAMP)
	$(BIN)/python tools/notebooks.py check
	$(BIN)/python tools/notebooks.py nbval

# The site, from the committed lesson notebooks (never re-executed):
# jupyter-book build --all -n -W --keep-going, so any warning fails it.
book: $(STAMP)
	$(BIN)/python tools/book_build.py

# The strict build (reused when it is current), then the built site checked in
# Debian's Chromium: every page, tabs, search, links, maths; screenshots in
# book/_build/screenshots/.
book-check: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests/test_book.py

notebooks: $(STAMP)
	$(BIN)/python tools/notebooks.py execute

check-pairs: $(STAMP)
	$(BIN)/python tools/notebooks.py check

clean:
	rm -rf book/_build book/notebooks build .pytest_cache

# Instructor grading (README, "For instructors"). `make assignments` turns
# assignments/source/*.py into nbgrader's course folder assignments/course/:
# the gradebook and the student versions in assignments/course/release/.
# `make grade SUBMISSIONS=folder [OUT=folder]` autogrades
# folder/<student>/<assignment>/<assignment>.ipynb in sandboxed kernels and
# writes grades.csv, cells.csv, report.txt and feedback/ to OUT. More options
# (python -m course_grader grade --help), e.g. GRADE_ARGS="--workers 4".
SUBMISSIONS ?=
OUT ?= build/grades
GRADE_ARGS ?=

.PHONY: assignments grade

assignments: $(STAMP)
	$(BIN)/python -m course_grader generate

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [OUT=folder]"; exit 2; }
	$(BIN)/python -m course_grader grade "$(SUBMISSIONS)" --out "$(OUT)" $(GRADE_ARGS)
