"""medai.course: the curriculum as data (course.yaml) and the roster. Imports nothing else of medai."""

from .load import CourseError, Problem, ProblemsError, course_json_schema, load_course
from .model import Assignment, Competency, Course, CourseInfo, Extension, LatePolicy, LateRules, Module, Track
from .roster import Person, Roster, RosterError, parse_roster

__all__ = [
    "Assignment",
    "Competency",
    "Course",
    "CourseError",
    "CourseInfo",
    "Extension",
    "LatePolicy",
    "LateRules",
    "Module",
    "Person",
    "Problem",
    "ProblemsError",
    "Roster",
    "RosterError",
    "Track",
    "course_json_schema",
    "load_course",
    "parse_roster",
]
