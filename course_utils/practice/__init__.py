"""Self-checks for the practice exercises inside the lessons (not graded).

``from course_utils.practice import lesson8 as practice`` then
``practice.exercise_1.check(answer)``. Each module imports NumPy only.
"""
