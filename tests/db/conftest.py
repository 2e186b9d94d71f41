"""PostgreSQL for the store tests: the server on 127.0.0.1:5432 (database `test`; MONITOR_TEST_PG
to use another), each test in a schema of its own, dropped after. Without a server these tests
are skipped with the reason; in CI (CI=true) a missing server fails them."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

PG = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _reachable() -> str | None:
    try:
        with create_engine(PG, connect_args={"connect_timeout": 3}).connect() as c:
            c.execute(text("select 1"))
        return None
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"


_WHY = _reachable()


@pytest.fixture
def pg_url():
    if _WHY:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL at {PG}: {_WHY}")
        pytest.skip(f"no PostgreSQL at {PG} ({_WHY})")
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {name}"))
    yield f"{PG}?options=-csearch_path%3D{name}"
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA {name} CASCADE"))
    admin.dispose()
