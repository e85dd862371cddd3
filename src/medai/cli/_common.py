"""Helpers the CLI modules share: resolving --course/--course-dir, adding a command with an example."""
from __future__ import annotations

import argparse

from medai.course.layout import Layout
from medai.settings import Settings


def add_command(sub, common, name: str, *, help: str, example: str, func, description: str | None = None):
    parser = sub.add_parser(
        name, parents=[common], help=help, description=description or help,
        epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=func)
    return parser


def settings(args) -> Settings:
    """The settings (medai.settings, from the environment), with --course-dir and --course applied."""
    given = {"course_dir": args.course_dir} if getattr(args, "course_dir", None) else {}
    if getattr(args, "course", None):
        given["course_file"] = args.course
    return Settings.from_env(**given)


def course_path(args) -> str:
    return str(settings(args).course_file)


def load(args):
    """The validated course named by --course."""
    from medai.course import load_course

    return load_course(course_path(args))


def layout(args) -> Layout:
    return settings(args).layout
