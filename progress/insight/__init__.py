"""Instructor insight: where the class is stuck and why, from the gradebook, the graded notebooks and the
self-check log. Each module is one view; the instructor's page, the CLI and the exports compose them."""
