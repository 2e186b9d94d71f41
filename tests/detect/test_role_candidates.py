"""Role-only candidates in English stand where the departure word's person stands, and a
headline that gives only the role takes the name its lead gives with that role. The sentences
are made up (unit-test material)."""
from __future__ import annotations

import pytest

from monitor.detect import engine
from monitor.detect.patterns import load_rules, org_aliases
from monitor.records import Article, Departure


def _role_candidates(title: str) -> list[str]:
    trace: list[engine.Traced] = []
    engine.detect(Article(title=title, text=""), trace=trace)
    return [t.role for t in trace if t.mention is None]


@pytest.mark.parametrize("title, role", [
    ("Georgia Professor Quits During Class", "Professor"),  # a lone word before the role is no name for it
    ("Initrode Chief Security Officer Fired After Data Leak", "Chief Security Officer"),
    ("Rovers sack manager after five defeats", "manager"),  # the object of an active verb
])
def test_a_role_where_the_leaving_person_stands_is_a_candidate(title, role):
    assert role in _role_candidates(title)


@pytest.mark.parametrize("title", [
    "Acme's team proposed a retired judge and a lawyer",  # someone's past, not this departure
    "The sacked chairman brings a case against the club",  # a participle before its noun
    "Fired Globex official issues a warning",
    "Romanian President Ion Popescu announces his resignation",  # the role is inside the name
    "Jane Roe steps down as chief executive",  # the named subject's role, after the verb
])
def test_no_role_candidate_where_the_role_is_not_the_one_leaving(title):
    assert _role_candidates(title) == []


def _lead_name(title: str, lead: str, role: str) -> str | None:
    art = Article(title=title, text=lead)
    ctx = engine._Ctx("en", load_rules("en"), None, {}, set(org_aliases()), [], has_title=True)
    found = [Departure(person=None, org=None, role=role, kind="resigned", date=None, evidence=title,
                       confidence=0.6, pattern="en.resign")]
    engine._name_from_lead(ctx, engine._units(art, "en"), found)
    return found[0].person


def test_a_role_only_headline_takes_the_name_the_lead_gives_with_that_role():
    assert _lead_name("Springfield Police Officer Resigns After Shooting",
                      "Police have identified the officer as Aaron Dane, who joined the force in 2018.",
                      "Police Officer") == "Aaron Dane"
    assert _lead_name("GOP State Senator Resigns After Arrest",
                      "Ohio state Sen. Mike Folsom admitted the charges on Monday.", "State Senator") == "Mike Folsom"


def test_a_lead_that_names_someone_else_leaves_it_role_only():
    assert _lead_name("Top Initech Lawyer Resigns Over Payments",
                      "Lawmakers demand details from Initech about its payments to Michael Cole.", "Lawyer") is None


def test_a_role_only_headline_takes_the_person_its_lead_starts_with():
    assert _lead_name("Initrode Chief Security Officer Fired After Data Leak",
                      "Peter Gibbons had run the team since 2019, the company said.", "Chief Security Officer") == "Peter Gibbons"
    assert _lead_name("Initrode Chief Security Officer Fired After Data Leak",  # not its subject: left alone
                      "The company said Peter Gibbons had run the team since 2019.", "Chief Security Officer") is None
