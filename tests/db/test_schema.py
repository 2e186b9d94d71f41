"""The schema version on SQLite: a new store is created at the newest migration, an older one is
refused until it is upgraded, and the fast check that opening a store makes agrees with Alembic."""
from __future__ import annotations

import pytest

from monitor.db import schema
from monitor.db.store import make_engine, open_engine


def test_head_constant_is_alembics_newest_migration():
    assert schema.HEAD == schema.head()


def test_new_store_is_created_at_head_and_an_old_one_is_refused_until_upgraded(tmp_path):
    new = open_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert schema.current(new) == schema.HEAD

    url = f"sqlite:///{tmp_path / 'old.db'}"
    schema.upgrade(make_engine(url), "0002")  # a store made by an older monitor
    with pytest.raises(schema.SchemaOutOfDate, match="monitor db upgrade"):
        open_engine(url)
    schema.upgrade(make_engine(url))
    assert schema.current(open_engine(url)) == schema.HEAD
