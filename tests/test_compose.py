"""medai.compose: what the CLI hands to the layers, with course.yaml's grading policy filling what is not given."""
from __future__ import annotations

import pytest

from medai.compose import grading_options
from medai.errors import UserError


def test_grading_options_take_what_is_given_and_course_yamls_policy_for_the_rest(course):
    policy = course.grading
    opts = grading_options(course=course, sandbox_prefix="sbx", workers=3)
    assert opts.workers == 3 and opts.sandbox_prefix == "sbx"
    assert opts.hidden_tests == policy.hidden_tests
    assert opts.limits.wall_seconds == float(policy.timeout_seconds)
    given = grading_options(course=course, sandbox_prefix="sbx", workers=1, memory="512M", timeout=60,
                            hidden_tests="never", students=("med01",))
    assert (given.limits.memory_bytes, given.limits.wall_seconds, given.hidden_tests, given.students) == (
        512 << 20, 60.0, "never", ("med01",))
    plain = grading_options(course=None, sandbox_prefix="sbx", workers=1)  # no course.yaml: the model's defaults
    assert plain.hidden_tests == type(policy)().hidden_tests


@pytest.mark.parametrize("kw, message", [({"workers": 0}, "--workers must be at least 1"),
                                         ({"workers": 1, "memory": "lots"}, "--memory"),
                                         ({"workers": 1, "memory": "0"}, "--memory must be more than 0")])
def test_bad_grading_options_are_refused_with_a_reason(course, kw, message):
    with pytest.raises(UserError, match=message):
        grading_options(course=course, sandbox_prefix="sbx", **kw)
