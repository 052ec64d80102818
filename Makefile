# The course's commands. Each target creates .venv on first use, installs what
# it needs (the learner's set for lab; extras for test, book, grade) at the
# pins of constraints.txt, and reinstalls when pyproject.toml changes.
#
#   make lab         open the lessons in JupyterLab (the learner's install only)
#   make test        run every test: the strict book build, the unit, browser and
#                    grading tests (the book checked in Chromium among them), then
#                    every lesson notebook under nbval. Needs Chromium and
#                    PostgreSQL (checked first); outside CI, BROWSER=skip and
#                    POSTGRES=skip skip those tests by name, and say so
#   make book        build the Jupyter Book site into book/_build/html (strict)
#   make book-check  the book build, then the site checked in Chromium
#   make notebooks   re-execute every lesson and rewrite its .ipynb (seeded)
#   make assignments the nbgrader student versions of the exercises (instructors)
#   make grade SUBMISSIONS=folder [OUT=folder]   autograde submissions (instructors)
#   make prereqs     only the check for Chromium and PostgreSQL

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
# Exact releases behind the stored notebook outputs (pyproject.toml has ranges).
CONSTRAINTS := constraints.txt

# On Linux, PyPI's torch wheel is the large CUDA build; PyTorch's own CPU index
# serves the small CPU build of the same release. It is used when reachable
# (machines without internet install from their local package mirror instead).
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

# One stamp per install: the learner's set (make lab), and each extra on top.
STAMP_LAB   := $(VENV)/.course-lab
STAMP_TEST  := $(VENV)/.course-dev
STAMP_BOOK  := $(VENV)/.course-book
STAMP_GRADE := $(VENV)/.course-grade
STAMP_DEPS  := pyproject.toml $(CONSTRAINTS) jupyter/overrides.json
PIP_INSTALL  = $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off \
	$$($(BIN)/python tools/torch_index.py "$(TORCH_CPU_INDEX)") -c $(CONSTRAINTS)

# make test TEST_WORKERS=N: the tests run in N processes (pytest-xdist), each taking
# whole test files (a file's module-scoped grading runs and servers stay in one process;
# every server a test starts asks the system for a free port). 2 suits a 2-core machine:
# the grading and training tests already keep two cores busy. TEST_WORKERS=0 runs them
# in this process, one after the other.
TEST_WORKERS ?= 2

# make test BROWSER=skip / POSTGRES=skip: skip those tests by name (never under CI=true).
BROWSER  ?=
POSTGRES ?=
SKIP_TESTS := $(if $(filter skip,$(BROWSER)),browser) $(if $(filter skip,$(POSTGRES)),postgres)
export COURSE_SKIP_TESTS := $(strip $(SKIP_TESTS))

.PHONY: help setup lab test test-unit test-notebooks book book-check notebooks check-pairs clean prereqs

help:
	@sed -n '1,18p' Makefile

setup: $(STAMP_LAB)

# The learner's install: the lessons in JupyterLab, nothing for tests or grading.
$(STAMP_LAB): $(STAMP_DEPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e .
	@mkdir -p $(LAB_SETTINGS)
	cp jupyter/overrides.json $(LAB_SETTINGS)/overrides.json
	@touch $@

# Tests need the book and the grader too: the dev extra is test + book + grade.
$(STAMP_TEST): $(STAMP_LAB)
	$(PIP_INSTALL) -e '.[dev]'
	@touch $@ $(STAMP_BOOK) $(STAMP_GRADE)

$(STAMP_BOOK): $(STAMP_LAB)
	$(PIP_INSTALL) -e '.[book]'
	@touch $@

$(STAMP_GRADE): $(STAMP_LAB)
	$(PIP_INSTALL) -e '.[grade]'
	@touch $@

# Chromium and PostgreSQL, checked before anything is installed (tools/prereqs.py).
prereqs:
	@$(PYTHON) tools/prereqs.py $(foreach g,$(COURSE_SKIP_TESTS),--skip $(g))

# Extra options for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8890"
LAB_ARGS ?=

lab: $(STAMP_LAB)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

# The system programs are checked first (a missing one stops here, in one
# line); the book is built next (strict); test-unit then runs tests/test_book.py,
# whose browser check reuses that build.
test: prereqs book test-unit test-notebooks

test-unit: prereqs $(STAMP_TEST)
	$(BIN)/python -m pytest tests -n $(TEST_WORKERS) --dist loadfile --durations=25

test-notebooks: $(STAMP_TEST)
	$(BIN)/python tools/notebooks.py check
	$(BIN)/python tools/translations.py check
	$(BIN)/python tools/bootstrap.py check
	$(BIN)/python tools/i18n.py check
	$(BIN)/python tools/notebooks.py nbval

# The site, from the committed lesson notebooks (never re-executed):
# jupyter-book build --all -n -W --keep-going, so any warning fails it.
book: $(STAMP_BOOK)
	$(BIN)/python tools/book_build.py

# The strict build (reused when it is current), then the built site checked in
# Debian's Chromium: every page, tabs, search, links, maths; screenshots in
# book/_build/screenshots/.
book-check: prereqs $(STAMP_TEST)
	$(BIN)/python -m pytest -p no:cacheprovider tests/test_book.py

notebooks: $(STAMP_TEST)
	$(BIN)/python tools/notebooks.py execute

check-pairs: $(STAMP_TEST)
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

assignments: $(STAMP_GRADE)
	$(BIN)/python -m course_grader generate

grade: $(STAMP_GRADE)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [OUT=folder]"; exit 2; }
	$(BIN)/python -m course_grader grade "$(SUBMISSIONS)" --out "$(OUT)" $(GRADE_ARGS)
