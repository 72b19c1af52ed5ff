"""Migrations, sessions and the schema, on a real SQLite file and on a real PostgreSQL server.

The PostgreSQL tests create a database of their own (unique to this test session) and drop it
afterwards, so runs on one machine do not collide. They skip, saying why, when no server answers.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, create_engine, func, insert, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

import models.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from models.db import MIGRATIONS_DIR, engine_for, migrate, session_scope
from models.profile.loading import load_profile
from models.secondment import Teacher
from models.settings import get_settings
from tasks.common.district import sync_registry
from tasks.importing.reading import ImportRejected
from tasks.importing.teachers import TEACHERS, import_teachers_file

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
_counter = iter(range(1_000_000))


def model_tables() -> set[str]:
    return set(SQLModel.metadata.tables)


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def stored_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def schema_differences(engine: Engine) -> list[Any]:
    """What Alembic autogenerate would put in a new migration: empty when they agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def schema_snapshot(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, indexes and constraints, as the database reports them."""
    inspector = inspect(engine)
    snapshot: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        snapshot[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "indexes": sorted(str(i) for i in inspector.get_indexes(table)),
            "unique": sorted(str(u) for u in inspector.get_unique_constraints(table)),
            "foreign": sorted(str(f) for f in inspector.get_foreign_keys(table)),
            "primary": inspector.get_pk_constraint(table)["constrained_columns"],
        }
    return snapshot


def make_teacher(**overrides: Any) -> Teacher:
    values: dict[str, Any] = {
        "staff_id": "T0001",
        "name": "张三",
        "school": "人民路第一小学",
        "subject": "语文",
        "years_teaching": 12,
        "in_service": True,
        "annual_rating": "良好",
        "political_score": 85.0,
        "ability_score": 82.5,
        "community_work_score": 78.0,
        "backbone": True,
        "last_secondment_year": 2022,
        "preferred_streets": ["嘉兴路街道", "海伦路街道"],
        "deferred": False,
        "phone": "13800138000",
    }
    values.update(overrides)
    return Teacher(**values)


def teacher_count() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Teacher)).one()


# ---------------------------------------------------------------- checks shared by both databases


def check_migration_creates_every_table(url: str) -> None:
    migrate(url)
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == model_tables() | {"alembic_version"}
        assert stored_revision(engine) == head_revision()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def check_migrating_twice_is_a_no_op(url: str) -> None:
    migrate(url)
    with session_scope() as session:
        session.add(make_teacher())
    engine = create_engine(url)
    try:
        before = schema_snapshot(engine)
        migrate(url)
        assert schema_snapshot(engine) == before
        assert stored_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert teacher_count() == 1, "migrating again keeps the data"


def check_teacher_round_trip(_url: str) -> None:
    with session_scope() as session:
        session.add(make_teacher())
    with session_scope() as session:
        stored = session.get(Teacher, "T0001")
        assert stored is not None
        assert stored.name == "张三"
        assert stored.preferred_streets == ["嘉兴路街道", "海伦路街道"]
        assert stored.backbone is True and stored.last_secondment_year == 2022
        assert stored.ability_score == 82.5
        assert isinstance(stored.updated_at, datetime)


def check_session_scope_rolls_back_on_error(_url: str) -> None:
    with pytest.raises(RuntimeError, match="clerk cancelled"):
        with session_scope() as session:
            session.add(make_teacher(staff_id="T0001"))
            session.add(make_teacher(staff_id="T0002"))
            session.flush()  # the rows reached the database inside the transaction
            assert session.exec(select(func.count()).select_from(Teacher)).one() == 2
            raise RuntimeError("clerk cancelled")
    assert teacher_count() == 0

    # A statement the database refuses also rolls back what came before it in the same scope.
    with pytest.raises(IntegrityError):
        with session_scope() as session:
            session.add(make_teacher(staff_id="T0003"))
            session.flush()
            session.exec(insert(Teacher).values(**make_teacher(staff_id="T0003").model_dump()))
    assert teacher_count() == 0

    with session_scope() as session:
        session.add(make_teacher(staff_id="T0004"))
    assert teacher_count() == 1, "a scope without error commits"


# ---------------------------------------------------------------- SQLite


def test_migrations_have_one_head() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"several Alembic heads {heads}: merge them or re-parent one migration"


def test_sqlite_migration_creates_every_model_table(tmp_path: Path) -> None:
    check_migration_creates_every_table(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_sqlite_migration_matches_the_models(tmp_path: Path) -> None:
    """A model changed without a migration fails here; run `alembic revision --autogenerate`."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    engine = create_engine(url)
    try:
        differences = schema_differences(engine)
    finally:
        engine.dispose()
    assert differences == [], (
        "models and migrations differ; add a migration to models/migrations/versions: "
        f"{differences}"
    )


def test_the_model_comparison_sees_a_missing_column(tmp_path: Path) -> None:
    # Guards the check above against passing vacuously.
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    changed = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["teacher"].append_column(Column("shoe_size", Integer, nullable=True))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, changed)
    finally:
        engine.dispose()
    assert [(d[0], d[2], d[3].name) for d in differences] == [
        ("add_column", "teacher", "shoe_size")
    ]


def test_sqlite_migrating_twice_is_a_no_op(db: Path) -> None:
    check_migrating_twice_is_a_no_op(get_settings().sqlalchemy_url)


def test_sqlite_teacher_round_trip(db: Path) -> None:
    check_teacher_round_trip(get_settings().sqlalchemy_url)


def test_sqlite_session_scope_rolls_back_on_error(db: Path) -> None:
    check_session_scope_rolls_back_on_error(get_settings().sqlalchemy_url)


def test_sqlite_enforces_foreign_keys(db: Path) -> None:
    from models.registry import Community

    with pytest.raises(IntegrityError):
        with session_scope() as session:
            session.add(Community(name="无主居委", street="不存在的街道"))


def test_default_database_is_a_sqlite_file_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LD_DATABASE_URL", raising=False)
    monkeypatch.setenv("LD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        migrate()
        assert (tmp_path / "data" / "learning-district.db").is_file()
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the local PostgreSQL server, or a skip that says why it is missing."""
    psycopg = pytest.importorskip("psycopg")
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {exc}".strip())
    return PG_ADMIN


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A new empty database for one test, dropped (with its connections) afterwards."""
    import psycopg

    name = f"ld_test_{RUN_ID}_{next(_counter)}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with psycopg.connect(pg_server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template(pg_server: str) -> Iterator[str]:
    """A database migrated once per session; each `pg_db` is created from it (a copy)."""
    import psycopg

    name = f"ld_template_{RUN_ID}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    try:
        migrate(url)
        engine_for(url).dispose()  # CREATE DATABASE … TEMPLATE needs it without connections
        yield name
    finally:
        with psycopg.connect(pg_server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_db(
    pg_server: str, pg_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Like the `db` fixture, but the settings point at a fresh migrated PostgreSQL database
    (a copy of the session's template), dropped afterwards."""
    import psycopg

    name = f"ld_test_{RUN_ID}_{next(_counter)}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    monkeypatch.setenv("LD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LD_DATABASE_URL", url)
    monkeypatch.delenv("LD_APPRISE_CONFIG", raising=False)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()
        engine_for(url).dispose()
        with psycopg.connect(pg_server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgres_migration_creates_every_model_table(pg_url: str) -> None:
    check_migration_creates_every_table(pg_url)


@pytest.mark.postgres
def test_postgres_migrating_twice_is_a_no_op(pg_db: str) -> None:
    check_migrating_twice_is_a_no_op(pg_db)


@pytest.mark.postgres
def test_postgres_teacher_round_trip(pg_db: str) -> None:
    check_teacher_round_trip(pg_db)
    with session_scope() as session:
        stored = session.get(Teacher, "T0001")
        assert stored is not None
        assert stored.updated_at.tzinfo is not None, "timestamps are time-zone aware"


@pytest.mark.postgres
def test_postgres_session_scope_rolls_back_on_error(pg_db: str) -> None:
    check_session_scope_rolls_back_on_error(pg_db)


def write_teachers_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    keys = [column.key for column in TEACHERS.columns]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column.zh for column in TEACHERS.columns])
        for row in rows:
            writer.writerow([row.get(key, "") for key in keys])
    return path


def teacher_row(staff_id: str, **overrides: str) -> dict[str, str]:
    row = {
        "staff_id": staff_id,
        "name": f"教师{staff_id}",
        "school": "人民路第一小学",
        "subject": "数学",
        "years_teaching": "8",
        "in_service": "是",
        "annual_rating": "优秀",
        "political_score": "90",
        "ability_score": "80",
        "community_work_score": "70.5",
        "backbone": "否",
        "last_secondment_year": "",
        "preferred_streets": "洛阳路街道、海伦路街道",
        "deferred": "否",
        "phone": "13900139000",
    }
    row.update(overrides)
    return row


@pytest.mark.postgres
def test_postgres_teacher_import_upserts(pg_db: str, tmp_path: Path) -> None:
    profile, profile_text = load_profile()
    with session_scope() as session:
        sync_registry(session, profile=profile, text=profile_text, source="bundled")
    rows = [teacher_row(f"P{n:03d}") for n in range(1, 6)]
    first = import_teachers_file(write_teachers_csv(tmp_path / "a.csv", rows), current_year=2026)
    assert (first.rows, first.inserted, first.updated, first.unchanged) == (5, 5, 0, 0)

    rows[0]["school"] = "区实验小学"
    rows[1]["last_secondment_year"] = "2023"
    rows.append(teacher_row("P006", backbone="是"))
    second = import_teachers_file(write_teachers_csv(tmp_path / "b.csv", rows), current_year=2026)
    assert (second.rows, second.inserted, second.updated, second.unchanged) == (6, 1, 2, 3)

    with session_scope() as session:
        stored = {t.staff_id: t for t in session.exec(select(Teacher)).all()}
    assert sorted(stored) == [f"P{n:03d}" for n in range(1, 7)]
    assert stored["P001"].school == "区实验小学"
    assert stored["P002"].last_secondment_year == 2023
    assert stored["P006"].backbone is True
    assert stored["P003"].preferred_streets == ["洛阳路街道", "海伦路街道"]
    assert stored["P003"].community_work_score == 70.5

    # A bad file writes nothing, on PostgreSQL as on SQLite.
    bad = rows + [
        teacher_row("P007", school="不存在小学"),
        teacher_row("P008", years_teaching="-1"),
    ]
    bad[0] = teacher_row("P001", school="人民路第一小学")
    with pytest.raises(ImportRejected) as exc:
        import_teachers_file(write_teachers_csv(tmp_path / "c.csv", bad), current_year=2026)
    assert len(exc.value.problems) == 2
    assert teacher_count() == 6
    with session_scope() as session:
        unchanged = session.get(Teacher, "P001")
        assert unchanged is not None and unchanged.school == "区实验小学"
