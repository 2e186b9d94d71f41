"""Organisations as records: one row per organisation (canonical name, key) with every spelling
seen as an alias; the key any spelling resolves to; the list `monitor orgs` shows; merges."""
from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db.models import EventRow, OrgAliasRow, OrgRow, WaveRow
from monitor.db.store.engine import _write_lock
from monitor.events.names import canonical_org, org_key


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


def org_key_of(session: Session, org: str) -> str:
    """The key of the organisation `org` names, following merges."""
    key = org_key(org)
    alias = session.exec(select(OrgAliasRow).where(OrgAliasRow.alias_key == key)).first()
    return session.get(OrgRow, alias.org_id).key if alias else key


def list_orgs(engine: Engine) -> list[dict]:
    """Every organisation with its aliases and departure count, most departures first."""
    with Session(engine) as session:
        counts = dict(session.exec(select(EventRow.org_key, func.count()).group_by(EventRow.org_key)).all())
        waves = dict(session.exec(select(WaveRow.org_key, func.count()).group_by(WaveRow.org_key)).all())
        out = []
        for o in session.exec(select(OrgRow)).all():
            aliases = [a.alias for a in session.exec(select(OrgAliasRow).where(OrgAliasRow.org_id == o.id)).all()]
            out.append({"name": o.name, "key": o.key, "aliases": sorted({a for a in aliases if a != o.name}),
                        "departures": counts.get(o.key, 0), "waves": waves.get(o.key, 0)})
        return sorted(out, key=lambda r: (-r["departures"], r["name"].lower()))


def merge_orgs(engine: Engine, into: str, other: str) -> tuple[str, int]:
    """Merge organisation `other` into `into` (any spelling of each): aliases, events and waves
    move; later articles naming `other` resolve to `into`. Returns (name, events moved)."""
    with _write_lock(engine), Session(engine) as session:
        a_key, b_key = org_key_of(session, into), org_key_of(session, other)
        a = session.exec(select(OrgRow).where(OrgRow.key == a_key)).first()
        b = session.exec(select(OrgRow).where(OrgRow.key == b_key)).first()
        if a is None or b is None:
            raise ValueError(f"no organisation named {into if a is None else other!r} (see `monitor orgs`)")
        if a.id == b.id:
            raise ValueError("they are already the same organisation")
        for alias in session.exec(select(OrgAliasRow).where(OrgAliasRow.org_id == b.id)).all():
            alias.org_id = a.id
            session.add(alias)
        events = session.exec(select(EventRow).where(EventRow.org_key == b.key)).all()
        for ev in events:
            ev.org, ev.org_key = a.name, a.key
            session.add(ev)
        for w in session.exec(select(WaveRow).where(WaveRow.org_key == b.key)).all():
            session.delete(w)  # recomputed below on the merged timeline
        session.delete(b)
        session.commit()
        name, moved = a.name, len(events)
    from monitor.db.store.waves import update_waves  # waves read organisations: the import goes one way

    update_waves(engine, {a_key})
    return name, moved
