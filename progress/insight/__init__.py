"""The instructor's insight into one assignment: item analysis (items), why students fail (failures), which
submissions look alike (similarity), and their exports and page; read from nbgrader's gradebook and notebooks,
never written."""
