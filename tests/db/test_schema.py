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


def test_upgrade_gives_old_events_their_articles_date(tmp_path):
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    schema.upgrade(old, "0004")  # before events took the article's date when the text named no day
    with old.begin() as c:
        c.execute(text("INSERT INTO articles (id, content_hash, title, language, published, source, is_departure, seen_at) "
                       "VALUES (1, 'h1', 't', 'en', '2026-01-30 22:00:00', 's', 1, '2026-11-30 10:00:00')"))
        c.execute(text("INSERT INTO events (id, person, org, org_key, kind, first_seen_at, confidence, evidence) "
                       "VALUES (1, 'Jane Roe', 'Globex', 'globex', 'left', '2026-11-30 10:00:00', 0.9, 'e')"))
        c.execute(text("INSERT INTO mentions (event_id, article_id, person, kind, seen_at, confidence, evidence, pattern) "
                       "VALUES (1, 1, 'Jane Roe', 'left', '2026-11-30 10:00:00', 0.9, 'e', 'p')"))
    schema.upgrade(make_engine(url))
    with make_engine(url).connect() as c:
        assert c.execute(text("SELECT announced_at FROM events")).scalar() == "2026-01-30"
