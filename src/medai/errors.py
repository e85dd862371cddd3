"""The one root of errors a user can fix: the CLI prints any of them as one clear message, exit status 2.

A leaf module (it imports nothing), so that every layer's own errors can derive from it: course.yaml and
roster problems (medai.course), datasets (medai.datasets), grading and the sandbox (medai.grader), the hub.
"""


class UserError(Exception):
    """Bad input or environment that the person running medai can correct."""
