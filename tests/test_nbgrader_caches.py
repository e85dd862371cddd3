"""What the single writer computes once instead of per nbgrader call (medai.nbgrader_adapter.caches): the same
gradebook, the same validation errors, and nothing left patched afterwards."""
from __future__ import annotations

import jsonschema
import nbformat
import nbgrader.api as api
import nbgrader.nbgraderformat.common as common
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from medai.nbgrader_adapter.caches import writer_caches
from medai.nbgrader_adapter.gradebook import gradebook

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def cell(metadata: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": metadata})


GOOD = {"grade": True, "grade_id": "t1", "locked": True, "solution": False, "points": 2, "schema_version": 3}


def test_gradebooks_in_the_writer_share_an_engine_and_keep_what_they_write(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with writer_caches():
        with gradebook(url, "course") as gb:
            gb.add_student("s1", first_name="Ji-woo")
            first = gb.engine
        with gradebook(url, "course") as gb:
            assert gb.engine is first  # one engine: statements compiled once
            gb.add_assignment("a1")
            assert [s.id for s in gb.students] == ["s1"]
        with gradebook(f"sqlite:///{tmp_path / 'other.db'}", "course") as gb:
            assert gb.engine is not first and gb.students == []  # another database, its own engine and tables
    with gradebook(url, "course") as gb:  # outside: nbgrader's own engine per Gradebook, and the data is there
        assert gb.engine is not first
        assert [s.first_name for s in gb.students] == ["Ji-woo"] and [a.name for a in gb.assignments] == ["a1"]


def test_cell_metadata_is_validated_as_jsonschema_validates_it():
    bad = dict(GOOD, points="two")
    outside = MetadataValidator()
    outside.validate_cell(cell(GOOD))
    with pytest.raises(jsonschema.ValidationError) as stock:
        outside.validate_cell(cell(bad))
    with writer_caches():
        assert common.jsonschema is not jsonschema
        for _ in range(3):  # every validator instance loads its own copy of the schema: one check serves all
            validator = MetadataValidator()
            validator.validate_cell(cell(GOOD))
            with pytest.raises(jsonschema.ValidationError) as cached:
                validator.validate_cell(cell(bad))
            assert (cached.value.message, list(cached.value.path)) == (stock.value.message, list(stock.value.path))
    assert common.jsonschema is jsonschema


def test_everything_is_put_back_when_grading_fails_midway(tmp_path):
    engine, inspect = api.create_engine, api.inspect
    with pytest.raises(RuntimeError), writer_caches():
        with gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "course"):
            raise RuntimeError("the writer stopped")
    assert (api.create_engine, api.inspect, common.jsonschema) == (engine, inspect, jsonschema)
    assert "create_all" not in vars(api.Base.metadata)
