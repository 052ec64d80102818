"""Self-checks for the practice exercises inside the lessons.

Each lesson's exercises end with a worked solution folded under the
exercise. Where the answer is a number or a piece of code, a check cell
follows it::

    from course_utils.practice import lesson2 as practice
    answer = None  # your answer
    practice.exercise_1.check(answer)

``check(None)`` only says that nothing has been answered yet, so a lesson
runs from top to bottom before the learner has filled anything in. These
checks are for practice: nothing is graded, nothing is hidden. The graded
assignments have their own checks in :mod:`course_utils.exercises`.

A module imports TensorFlow or PyTorch only while it checks an answer that
needs one.
"""

__all__ = ["lesson1", "lesson2", "lesson3", "lesson4", "lesson5", "lesson6", "lesson7", "lesson8", "lesson9"]
