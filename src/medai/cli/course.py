"""medai course validate | schema"""
from __future__ import annotations

import json

from medai.cli._common import add_command, course_path


def _validate(args) -> int:
    from medai.course import load_course

    course = load_course(args.path or course_path(args))
    print(f"{args.path or course_path(args)}: ok — {course.course.id}: {len(course.tracks)} tracks, "
          f"{len(course.modules)} modules, {len(course.competencies)} competencies, "
          f"{len(course.assignments)} assignments")
    return 0


def _schema(args) -> int:
    from medai.course import course_json_schema

    print(json.dumps(course_json_schema(), indent=2, ensure_ascii=False))
    return 0


def register(sub, common) -> None:
    group = sub.add_parser("course", help="check the curriculum (course.yaml) or print its JSON Schema",
                           description="The curriculum as data: course.yaml.")
    inner = group.add_subparsers(dest="course_command", metavar="SUBCOMMAND", required=True)
    p = add_command(inner, common, "validate", func=_validate,
                    help="validate course.yaml (keys, ids, references, dates, assignment folders)",
                    example="medai course validate course/course.yaml")
    p.add_argument("path", nargs="?", help="the course.yaml (default: --course)")
    add_command(inner, common, "schema", func=_schema, help="print course.yaml's JSON Schema",
                example="medai course schema > course.schema.json")
