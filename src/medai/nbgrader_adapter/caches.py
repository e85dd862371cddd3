"""What nbgrader 0.9.6 recomputes on every call, computed once while the single writer grades (`writer_caches`).

nbgrader's converters and preprocessors open a Gradebook per step (about 15 per submission graded) and validate
every cell's metadata against its schema. Per submission that meant: a new SQLAlchemy engine each time (so every
query compiled again), the database's tables listed and checked for existence 15 times, and the metadata schema
itself checked against the JSON Schema meta-schema for every cell. On an assignment whose code costs nothing,
that was most of the writer's time. Inside `writer_caches()`:

- every Gradebook opened on one database shares one engine, and with it its compiled-statement cache; each
  Gradebook keeps its own session, and its close() still disposes the engine's pool (closing its connections;
  the engine makes a new pool when next used);
- the tables are created (nbgrader's `create_all`) once per engine, and listed until there are some:
  nothing drops them meanwhile;
- each metadata schema is checked once, and cells are validated by one validator built from it, exactly as
  `jsonschema.validate` does (check the schema, validate, raise the best-matching error).

Everything is put back when the context ends (the engines disposed). Depends on nbgrader 0.9.6's module
globals: `nbgrader.api.create_engine`, `nbgrader.api.inspect`, `nbgrader.api.Base.metadata`, and
`nbgrader.nbgraderformat.common.jsonschema`.
"""
from __future__ import annotations

import contextlib
import json
import types


@contextlib.contextmanager
def writer_caches():
    with shared_engines(), checked_schemas():
        yield


@contextlib.contextmanager
def shared_engines():
    import nbgrader.api as api

    original_engine, original_inspect = api.create_engine, api.inspect
    metadata = api.Base.metadata
    engines: dict = {}
    tables: dict[int, list[str]] = {}
    created: set[int] = set()

    def create_engine(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = original_engine(url, **kwargs)
        return engines[key]

    def inspect(engine):  # nbgrader asks it one thing, whether the database has tables yet: once it has, it has
        names = tables.get(id(engine)) or original_inspect(engine).get_table_names()
        if names:
            tables[id(engine)] = names
        return types.SimpleNamespace(get_table_names=lambda: list(names))

    def create_all(bind=None, **kwargs):
        if id(bind) not in created or kwargs:
            type(metadata).create_all(metadata, bind=bind, **kwargs)
            created.add(id(bind))

    api.create_engine, api.inspect = create_engine, inspect
    metadata.create_all = create_all
    try:
        yield
    finally:
        api.create_engine, api.inspect = original_engine, original_inspect
        del metadata.create_all
        for engine in engines.values():
            engine.dispose()


@contextlib.contextmanager
def checked_schemas():
    import jsonschema
    import nbgrader.nbgraderformat.common as common

    validators: dict[str, object] = {}

    def validate(instance, schema, cls=None, *args, **kwargs):
        if cls is not None or args or kwargs:
            return jsonschema.validate(instance, schema, cls, *args, **kwargs)
        key = json.dumps(schema, sort_keys=True)
        if key not in validators:
            kind = jsonschema.validators.validator_for(schema)
            kind.check_schema(schema)
            validators[key] = kind(schema)
        error = jsonschema.exceptions.best_match(validators[key].iter_errors(instance))
        if error is not None:
            raise error

    original = common.jsonschema
    common.jsonschema = types.SimpleNamespace(validate=validate)
    try:
        yield
    finally:
        common.jsonschema = original
