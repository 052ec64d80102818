"""Work that a grading worker would otherwise repeat for every submission, done once.

A worker grades many submissions one after the other, and nbgrader, written
for one notebook at a time, rebuilds the same things for each:
``benchmarks/grading_profile.py --count 9`` showed, per submission after the
first, about 0.45 s compiling the same Jinja templates for the feedback page,
0.25 s opening a new SQLAlchemy engine (and so recompiling every SQL
statement) for each of the ten gradebook connections, 0.15 s checking
nbgrader's metadata schema itself before validating each cell against it; and,
once per worker, 2.8 s importing ``rfc3987_syntax`` (jsonschema builds a
grammar for a string format that neither nbformat nor nbgrader checks).

:func:`install` changes how those are computed, never what: the templates are
compiled from the same sources (Jinja verifies each cached template against a
checksum of its source), the gradebook is the same database through one engine
per URL (the connection pooling SQLAlchemy expects of a long-lived process), and
the cells are validated against the same schema by a validator built once.
Only the grading worker calls it; nothing here runs in a student's kernel, and
the sandbox is untouched.
"""

from __future__ import annotations

import sys
import threading
import typing

_installed = False
_lock = threading.Lock()


def _skip_unused_format_grammar() -> None:
    # jsonschema imports rfc3987_syntax, if it is installed, only to check the
    # "iri" string formats; None in sys.modules makes that import fail at once,
    # which jsonschema handles by not offering the format.
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


class _TemplateCache:
    """A Jinja bytecode cache in memory, shared by every exporter of this process."""

    def __init__(self) -> None:
        import jinja2

        class Cache(jinja2.BytecodeCache):
            store: typing.ClassVar[dict[str, bytes]] = {}

            def load_bytecode(self, bucket) -> None:
                data = self.store.get(bucket.key)
                if data is not None:
                    bucket.bytecode_from_string(data)  # ignored by Jinja if the source's checksum differs

            def dump_bytecode(self, bucket) -> None:
                self.store[bucket.key] = bucket.bytecode_to_string()

        self.cache = Cache()


def _share_template_compilation() -> None:
    from nbconvert.exporters.templateexporter import TemplateExporter

    shared = _TemplateCache().cache
    create = TemplateExporter._create_environment

    def _create_environment(self):
        environment = create(self)
        environment.bytecode_cache = shared
        return environment

    TemplateExporter._create_environment = _create_environment


def _share_gradebook_engines() -> None:
    from nbgrader import api

    engines: dict[str, object] = {}
    created: set[str] = set()
    create_engine = api.create_engine
    create_all = api.Base.metadata.create_all

    def shared_engine(url, *args, **kwargs):
        key = str(url)
        with _lock:
            if key not in engines:
                engines[key] = create_engine(url, *args, **kwargs)
                if key in _scratch_urls:
                    _no_sync_on_connect(engines[key])
            return engines[key]

    def create_tables_once(bind=None, **kwargs):
        key = str(getattr(bind, "url", bind))
        if key in created:
            return None
        result = create_all(bind=bind, **kwargs)
        created.add(key)
        return result

    api.create_engine = shared_engine
    api.Base.metadata.create_all = create_tables_once


#: SQLite gradebooks that are a worker's own scratch copy (see :func:`scratch_gradebook`).
_scratch_urls: set[str] = set()


def scratch_gradebook(url: str) -> None:
    """Mark ``url`` as this worker's scratch copy of a SQLite gradebook: its commits skip fsync.

    nbgrader commits about 24 times per submission, and each commit of a SQLite
    database waits for the disk twice (journal and database). A worker's copy
    is rebuilt from the class gradebook for every run and merged into it by the
    parent, so it need not survive a power failure; ``PRAGMA synchronous=OFF``
    keeps the rollback journal, so a worker killed in the middle of a commit
    still leaves a consistent database (SQLite's documentation: only an
    operating-system crash or power loss can then corrupt it). The class
    gradebook itself, and PostgreSQL, keep their settings.
    """
    if not str(url).startswith("sqlite:///"):
        raise ValueError(f"a scratch gradebook must be a SQLite URL; got {url!r}")
    _scratch_urls.add(str(url))


def _no_sync_on_connect(engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _synchronous_off(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


def _validate_cells_with_one_validator() -> None:
    import jsonschema
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

    import nbgrader.nbgraderformat.common as common

    validators: dict[int, tuple[object, object]] = {}

    class _JsonSchema:
        """What nbgrader's format module uses of jsonschema, with one validator per schema."""

        ValidationError = jsonschema.ValidationError

        @staticmethod
        def validate(instance, schema) -> None:
            entry = validators.get(id(schema))
            if entry is None or entry[0] is not schema:
                cls = validator_for(schema)
                cls.check_schema(schema)  # as jsonschema.validate does, once per schema
                entry = validators[id(schema)] = (schema, cls(schema))
            error = best_match(entry[1].iter_errors(instance))
            if error is not None:
                raise error

        def __getattr__(self, name):
            return getattr(jsonschema, name)

    common.jsonschema = _JsonSchema()


def install() -> None:
    """Apply the changes above in this process (once; later calls do nothing)."""
    global _installed
    if _installed:
        return
    _skip_unused_format_grammar()
    _share_template_compilation()
    _share_gradebook_engines()
    _validate_cells_with_one_validator()
    _installed = True
