"""A store filled from the seeds, plus one hostile feed item, and an app over it."""
from __future__ import annotations

import warnings

import pytest

from monitor.db.store import ingest, open_engine
from monitor.pipeline import process_documents
from monitor.records import Article, Departure
from monitor.sources.files import iter_documents
from tests.conftest import SEEDS

HOSTILE_TITLE = 'Eve <script>alert("x")</script><img src=x onerror=alert(1)> quits'


@pytest.fixture
def seeded(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = open_engine(url)
    process_documents(engine, iter_documents([str(SEEDS)]))
    ingest(engine, Article(title=HOSTILE_TITLE, text="", url="https://evil.test/1"),
           [Departure(person="Eve Evil", org="Acme <b>Corp</b>", evidence=HOSTILE_TITLE, confidence=0.9)])
    return engine


@pytest.fixture
def client(seeded):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from monitor.web.app import create_app

    return TestClient(create_app(seeded))
