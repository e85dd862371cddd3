"""Opening the gradebook for the insight views: read only, with a clear error for a wrong course directory or an
assignment the gradebook does not know."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from medai.errors import UserError


class UnknownAssignment(UserError):
    """The gradebook has no such assignment."""


@contextlib.contextmanager
def open_gradebook(db_url: str, assignment: str | None = None):
    """nbgrader's Gradebook at `db_url`, opened read-only (SQLite `mode=ro`); with `assignment`, checked to hold it."""
    from sqlalchemy.exc import SQLAlchemyError

    from medai.nbgrader_adapter.cells import assignment_names
    from medai.nbgrader_adapter.gradebook import gradebook, readonly_url

    if db_url.startswith("sqlite:///"):
        path = Path(db_url[len("sqlite:///"):])
        if not path.is_file():
            raise UserError(f"no gradebook at {path}: is --course-dir (or $MEDAI_COURSE_DIR) right?")
        if not os.access(path, os.R_OK):
            raise UserError(f"cannot read the gradebook {path}: run as root or as its owner (the grader account)")
    try:
        with gradebook(readonly_url(db_url), course_id="") as gb:
            if assignment is not None:
                names = assignment_names(gb)
                if assignment not in names:
                    raise UnknownAssignment(f"the gradebook has no assignment {assignment!r}; it has: "
                                            f"{', '.join(names) or 'none'}")
            yield gb
    except SQLAlchemyError as err:
        raise UserError(f"cannot read the gradebook {db_url}: not an nbgrader gradebook? "
                        f"({type(err).__name__}: {str(err).splitlines()[0]})") from None
