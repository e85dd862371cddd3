"""Instructor insight into one assignment: item analysis (items), why students fail (failures), which
submissions look alike (similarity), and how students use the self-checks before the deadline (selfcheck_use,
from the self-check log); read from nbgrader's gradebook, the graded notebooks and that log, never written.
Each module is one view; the instructor's page, the CLI and the exports compose them."""
