"""Every common-track assignment in course.yaml through real nbgrader (the checks: tests/assignment_suite.py)."""
from tests.assignment_suite import (  # noqa: F401  (pytest collects the imported tests here)
    course_fixture,
    monkeypatch_module,
    pytestmark,
    test_answers_typed_into_the_release_are_graded_by_hidden_tests,
    test_blank_release_scores_zero_without_crashing,
    test_each_typical_mistake_loses_exactly_its_points,
    test_reference_solution_gets_full_marks,
    test_release_hides_solutions_and_hidden_tests,
    test_source_has_visible_and_hidden_tests_and_a_free_response,
)

course = course_fixture("common")
