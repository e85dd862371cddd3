"""The one root of errors a user can fix: the CLI prints any of them as one clear message, exit status 2.

A leaf module (it imports nothing), so that every layer's own errors can derive from it: course.yaml and
roster problems (medai.course), datasets (medai.datasets), grading and the sandbox (medai.grader), the hub.

Raised with a gettext msgid and its fields, an error can be read in its reader's language:

    raise UserError("course directory {path} does not exist", path=course_dir)

`str(err)` is the English text (logs, tests, other programs); `medai.i18n.error_text(err, lang)` translates the
msgid from the catalogue the class names in `catalogue` (domain, locale folder; None: medai's own) and fills in
the fields, which is what the CLI prints. A message without fields is translated too; its text is never
formatted, so a finished English text with braces in it passes through unchanged.
"""


class UserError(Exception):
    """Bad input or environment that the person running medai can correct."""

    catalogue: tuple[str, str] | None = None  # (gettext domain, locale folder) of the msgids; None: medai's own

    def __init__(self, message: str = "", /, **fields) -> None:
        self.msgid, self.fields = message, fields
        super().__init__(message.format(**fields) if fields else message)
