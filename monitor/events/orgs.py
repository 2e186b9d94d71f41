"""Organisations as records: one row per organisation (canonical name, key) with every spelling
seen as an alias; seniority of a role from its text (seniority.yaml)."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml
from sqlmodel import Session, select

from monitor.db.models import OrgAliasRow, OrgRow
from monitor.events.names import canonical_org, org_key
from monitor.parse.lang import to_simplified


@lru_cache(maxsize=1)
def _levels() -> list[tuple[str, float, re.Pattern]]:
    text = resources.files("monitor.events").joinpath("seniority.yaml").read_text("utf-8")
    return [(e["level"], float(e["weight"]), re.compile(e["re"], re.I)) for e in yaml.safe_load(text)]


def seniority(role: str | None) -> tuple[str, float]:
    """(level, weight) of a role: co-founder, c-level, vp, director, staff, or unknown (1.0)."""
    if role:
        text = to_simplified(role)
        for level, weight, rx in _levels():
            if rx.search(text):
                return level, weight
    return "unknown", 1.0


def resolve_org(session: Session, org: str | None) -> tuple[str | None, str]:
    """(canonical name, key) for an organisation as written, creating its record the first time
    and recording this spelling as an alias. A spelling merged into another organisation
    (`monitor orgs merge`) resolves to that one."""
    if not org or not org.strip():
        return None, ""
    name, key = canonical_org(org), org_key(org)
    if not key:
        return None, ""
    alias = session.exec(select(OrgAliasRow).where(OrgAliasRow.alias_key == key)).first()
    if alias is not None:
        row = session.get(OrgRow, alias.org_id)
        _add_alias(session, row, org)
        return row.name, row.key
    row = session.exec(select(OrgRow).where(OrgRow.key == key)).first()
    if row is None:
        row = OrgRow(key=key, name=name)
        session.add(row)
        session.flush()
    _add_alias(session, row, org)
    return row.name, row.key


def _add_alias(session: Session, row: OrgRow, spelling: str) -> None:
    key = org_key(spelling)
    for k, text in ((key, spelling), (org_key(row.name), row.name)):
        if k and session.exec(select(OrgAliasRow.id).where(OrgAliasRow.alias_key == k)).first() is None:
            session.add(OrgAliasRow(org_id=row.id, alias=text, alias_key=k))
    if spelling != row.name and session.exec(select(OrgAliasRow.id).where(
            OrgAliasRow.org_id == row.id, OrgAliasRow.alias == spelling)).first() is None:
        session.add(OrgAliasRow(org_id=row.id, alias=spelling, alias_key="spelling:" + spelling.lower()))
