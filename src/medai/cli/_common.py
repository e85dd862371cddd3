"""Helpers the CLI modules share: resolving --course/--course-dir, adding a command with an example."""
from __future__ import annotations

import argparse
import os

from medai.course.layout import Layout


def add_command(sub, common, name: str, *, help: str, example: str, func, description: str | None = None):
    parser = sub.add_parser(
        name, parents=[common], help=help, description=description or help,
        epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=func)
    return parser


def course_path(args) -> str:
    return args.course or os.environ.get("MEDAI_COURSE") or "course/course.yaml"


def load(args):
    """The validated course named by --course."""
    from medai.course import load_course

    return load_course(course_path(args))


def layout(args) -> Layout:
    return Layout.from_env(course_dir=args.course_dir)
