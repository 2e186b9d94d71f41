"""The role reported is a job title: it does not repeat the organisation, and a degree or an
honorific (博士, 老将) is not a role nor a seniority. Headlines are made up."""
from __future__ import annotations

import pytest

from monitor.detect import detect
from monitor.events.orgs import seniority
from monitor.records import Article


@pytest.mark.parametrize("title, person, org, role", [
    ("Jared Kaplan, chief science officer and co-founder of Anthropic, resigns", "Jared Kaplan", "Anthropic",
     "chief science officer and co-founder"),
    ("Jane Roe, head of AI at Tesla, has resigned", "Jane Roe", "Tesla", "head of AI"),
    ("xAI的杨恪博士宣布离职", "杨恪", "xAI", None),
    ("xAI联合创始人杨恪博士宣布离职", "杨恪", "xAI", "联合创始人"),
])
def test_role_is_a_job_title_without_the_organisation(title, person, org, role):
    [d] = detect(Article(title=title, text=""))
    assert (d.person, d.org, d.role) == (person, org, role)


def test_a_degree_is_no_seniority():
    assert seniority("博士") == ("unknown", 1.0)
    assert seniority("研究员")[0] == "staff"
