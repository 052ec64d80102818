"""Instructor tools around nbgrader: generate the assignments, grade submissions, export grades.

Use it from the command line (``python -m course_grader --help``, or
``make assignments`` and ``make grade``). ``import course_utils`` does not load
this package, and this package loads nbgrader only in the modules that need it.

Modules: :mod:`.settings` (``assignments/grading.toml``), :mod:`.course`
(sources to student versions), :mod:`.intake` (reading submissions),
:mod:`.sandbox` and :mod:`._launch` (isolated grading kernels), :mod:`.nbg`
(nbgrader adaptations), :mod:`.worker` and :mod:`.pipeline` (parallel
autograding), :mod:`.gradebook` (statuses, merging, CSV export),
:mod:`.feedback` and :mod:`.bench`; :mod:`.speedups` (work that grading workers do once instead
of once per submission).
"""
