"""Everything of medai that knows nbgrader's internals, in one place: an nbgrader upgrade is a change here.

Written against nbgrader 0.9.6 (NBGRADER_VERSION; tests/test_nbgrader_adapter.py fails, naming this package,
when the installed nbgrader moves). Which nbgrader behaviour each module depends on is in its docstring:

    config            the traits medai sets (exchange classes, course root, gradebook URL, timeouts, time zone,
                      feedback exporter) and where nbgrader reads its config files; the one Config builder
                      (`grader_config`) that `medai release|collect|feedback|grade` and grade on submit share
    gradebook         opening the Gradebook (it runs `alembic` by name), its naive-UTC times, due dates
    converters        running a converter for one student, the autograde preprocessor list and where the
                      gradebook is first needed, the sanitizing preprocessors' log messages, the checksum that
                      nbgrader keeps from before hidden tests are removed
    collect           ExchangeCollect's steps and traits, submit's inbound folder names, timestamp.txt
    feedback_release  ExchangeReleaseFeedback's file names (`notebook_hash` of the submission secret)
    submit            ExchangeSubmit's `copy_files` and `set_perms`
    late_penalty      the late penalty stored per SubmittedNotebook on the current total, and read back
    cells             the gradebook cell by cell (grades, released sources), nbgrader cell metadata, where a
                      step's notebooks are (the instructor's insight)
    attempts          every graded attempt's cell scores, which the gradebook forgets on a resubmission
    caches            what nbgrader recomputes per call (an engine per Gradebook, create_all, schema checks),
                      computed once while the grading writer runs

medai's own extensions that plug into nbgrader's documented extension points stay with the feature they serve:
the late-penalty preprocessor (medai.grader.late), the hidden-test preprocessor (medai.grader.visibility), the guarded
Execute preprocessor (medai.grader.cell_proof), the sanitising exporters and the formgrader's guarded handlers
(medai.grader.safe_html, medai.grader.formgrader_guard).

Who may import it: medai.grader, medai.progress and medai.hub; it imports medai.course and medai.errors only.
"""
from __future__ import annotations

NBGRADER_VERSION = "0.9.6"


def installed_version() -> str:
    import nbgrader

    return nbgrader.__version__
