"""Helpers for tests/test_grading.py: submissions (honest, broken and hostile) and a PostgreSQL server."""
