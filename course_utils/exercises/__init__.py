"""Public self-checks for the graded exercises of each lesson.

Each module holds the questions of one assignment (``assignments/source``)::

    from course_utils.exercises import lesson1 as checks
    checks.q1.check(relu_derivative)   # runs the public tests and says what passed
    checks.q1.hint()
    checks.q1.solution()                # withheld for graded questions

Only public tests live here; the hidden tests are in the instructor's
assignment sources and run when the work is graded. A module imports
TensorFlow or PyTorch only when it checks an answer that comes from them.
"""

__all__ = ["lesson1", "lesson2", "lesson3", "lesson4", "lesson5", "lesson6", "lesson7"]
