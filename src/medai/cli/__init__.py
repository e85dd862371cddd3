"""The `medai` command: a thin argparse layer over keyword-only library functions.

Each area registers its subcommands from its own module (``medai.cli.course``, ``medai.cli.roster``, ...);
adding a module under medai/cli/ adds its commands.
Every command accepts ``--course PATH`` and ``--course-dir DIR`` and carries an example in its help.
Errors that users can fix are raised as :class:`medai.errors.UserError` (or a subclass) and printed without a
traceback, with exit status 2: in the reader's language ($MEDAI_LANG, Korean by default) with the English line
under it when the two differ (:func:`error_message`).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from medai.errors import UserError


def error_message(err: BaseException, lang: str | None = None) -> str:
    """What the CLI prints for a user's error: Korean first (or the chosen language), English always."""
    from medai.i18n import current_language, error_text, translator

    lang = lang or current_language()
    label = translator(lang).gettext("error")
    said = f"medai: {label}: {error_text(err, lang)}"
    english = f"medai: error: {err}"
    return said if said == english else f"{said}\n{english}"


def areas() -> list[str]:
    """Modules under medai.cli that each define register(subparsers, common): every module not starting with _."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def common_options() -> argparse.ArgumentParser:
    """Options every command takes, so each can run against another course."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--course", metavar="PATH", default=None,
        help="the course.yaml to use (default: $MEDAI_COURSE or course/course.yaml)")
    parent.add_argument(
        "--course-dir", metavar="DIR", default=None,
        help="the nbgrader course directory (default: $MEDAI_COURSE_DIR or <data root>/course)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medai",
        description="medai: a medical-AI course platform (JupyterHub + nbgrader).",
        epilog="example:\n  medai up --demo\n\nRun 'medai COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = common_options()
    for area in areas():
        importlib.import_module(f"medai.cli.{area}").register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    from medai.nbgrader_adapter.gradebook import venv_bin_on_path

    venv_bin_on_path()  # nbgrader runs `alembic` by name, also for an account we drop to
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
    except UserError as err:  # the one root: course, roster, datasets, sandbox, grading, hub
        print(error_message(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
