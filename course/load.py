"""Load and check course.yaml: YAML -> `Course`, every problem reported with file and key path."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from medai.errors import UserError  # the one error root: a leaf module

from .model import Course

SCHEMA_ID = "https://medai.example.ac.kr/schema/course.schema.json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, where it is and what is wrong."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.message}" if self.location else f"{self.file}: {self.message}"


class ProblemsError(UserError, ValueError):
    """An input file has problems; `problems` lists every one, `str()` gives one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CourseError(ProblemsError):
    """course.yaml is missing, unreadable or invalid."""


class _StringDatesLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings, so pydantic parses them and the data stays JSON."""


_StringDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path, *, display: str) -> Any:
    """Parse a UTF-8 YAML file with dates left as strings; CourseError on I/O, encoding or syntax errors."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CourseError([Problem(display, "", "file not found")]) from None
    except IsADirectoryError:
        raise CourseError([Problem(display, "", "is a directory, not a YAML file")]) from None
    except UnicodeDecodeError as e:
        raise CourseError([Problem(display, f"byte {e.start}", "not valid UTF-8; save the file as UTF-8")]) from None
    except OSError as e:
        raise CourseError([Problem(display, "", f"cannot read: {e.strerror}")]) from None
    try:
        return yaml.load(text, Loader=_StringDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = " ".join(s for s in (e.context, e.problem) if s)
        raise CourseError([Problem(display, where, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as e:
        raise CourseError([Problem(display, "", f"YAML error: {e}")]) from None


def load_course(path: str | Path, *, check_files: bool = True) -> Course:
    """Read, validate and return the course.

    `path` is usually `Settings.course_file` (medai.settings: ``$MEDAI_COURSE``, else ``course/course.yaml``).
    ``assignments_dir`` is resolved against the YAML file's directory and kept on the
    result (`Course.resolved_assignments_dir`). With `check_files`, every listed assignment must be a
    directory there holding at least one ``.ipynb``. Raises `CourseError` listing every problem found.
    """
    display = str(path)
    file = Path(path).absolute()
    data = _read_yaml(file, display=display)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise CourseError([Problem(display, "", f"expected a mapping of course, tracks, ... at the top level, got {kind}")])

    try:
        course = Course.model_validate(data)
    except ValidationError as e:
        raise CourseError(validation_problems(e, data=data, file=display, model=Course)) from None

    course._source = file
    course._assignments_dir = (file.parent / course.course.assignments_dir).resolve()
    if check_files:
        problems = _file_problems(course, display=display, data=data)
        if problems:
            raise CourseError(problems)
    return course


def course_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of course.yaml, generated from the model."""
    schema = Course.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema, "title": "medai course.yaml"}


def _file_problems(course: Course, *, display: str, data: dict[str, Any]) -> list[Problem]:
    root = course.resolved_assignments_dir
    if not root.is_dir():
        return [Problem(display, "course.assignments_dir", f"assignments directory {root} does not exist")]
    problems = []
    for i, a in enumerate(course.assignments):
        where = format_location(("assignments", i), data)
        folder = root / a.id
        if not folder.is_dir():
            problems.append(Problem(display, where, f"assignment {a.id!r} is listed but {folder}/ is missing"))
        elif not any(p.is_file() for p in folder.glob("*.ipynb")):
            problems.append(Problem(display, where, f"assignment {a.id!r}: {folder}/ has no notebook (*.ipynb)"))
    return problems


# -- pydantic errors -> problems ------------------------------------------------------------------


def format_location(loc: tuple[str | int, ...], data: Any) -> str:
    """Render a key path against the raw data: an item with a unique string `id` shows as [id=...]."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                item = node[part]
                ident = item.get("id") if isinstance(item, dict) else None
                if isinstance(ident, str) and sum(isinstance(x, dict) and x.get("id") == ident for x in node) == 1:
                    label = f"id={ident}"
                node = item
            else:
                node = None
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def validation_problems(
    error: ValidationError, *, data: Any, file: str, model: type[BaseModel], prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """Translate a pydantic ValidationError into problems with readable key paths and messages."""
    problems = []
    for err in error.errors():
        loc = prefix + tuple(err["loc"])
        if err["type"] == "course_cross_check":
            for sub_loc, msg in err["ctx"]["problems"]:
                problems.append(Problem(file, format_location(loc + tuple(sub_loc), data), msg))
            continue
        problems.append(Problem(file, format_location(loc, data), error_message(err, model=model, loc=loc)))
    return problems


def error_message(err: Any, *, model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """A readable message for one pydantic error dict (unknown keys get a suggestion and the allowed keys)."""
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        key = loc[-1]
        allowed = sorted(_fields_at(model, loc[:-1]))
        hint = difflib.get_close_matches(str(key), allowed, n=1)
        text = f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        return text + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" if loc else "missing"
    if kind in ("value_error", "assertion_error"):
        return msg.split(", ", 1)[1] if ", " in msg else msg
    value = err.get("input")
    if isinstance(value, (str, int, float)):
        return f"{msg} (got {value!r})"
    return msg


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the model found at `loc` inside `model` (empty if it is not a model)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = _unwrap(current, list_item=True)
            continue
        current = _unwrap(current)
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = current.model_fields[part].annotation
    current = _unwrap(current)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _unwrap(tp: Any, *, list_item: bool = False) -> Any:
    """Strip Optional/Annotated; with list_item, also step into list[X]."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0], list_item=list_item)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0], list_item=list_item) if len(args) == 1 else tp
    if list_item and origin is list:
        return _unwrap(typing.get_args(tp)[0])
    return tp
