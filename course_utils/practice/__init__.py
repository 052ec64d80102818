"""Self-checks for the practice exercises inside the lessons.

``from course_utils.practice import lesson7 as practice`` then
``practice.exercise_1.check(answer)``. The graded assignments have their own
checks in :mod:`course_utils.exercises`.
"""
