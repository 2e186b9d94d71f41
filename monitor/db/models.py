"""The tables: articles, events (one per person leaving one organisation), the names an event
is known by, mentions (one per article saying it), and the alert outbox (deliveries)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(dt: datetime | None) -> datetime | None:
    """A stored datetime as aware UTC (SQLite gives them back naive)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


class ArticleRow(SQLModel, table=True):
    __tablename__ = "articles"
    id: int | None = Field(default=None, primary_key=True)
    url: str | None = Field(default=None, unique=True, max_length=2048)
    content_hash: str = Field(unique=True, max_length=64)
    title: str = Field(sa_column=Column(Text, nullable=False))
    language: str | None = Field(default=None, max_length=16)
    published: datetime | None = None
    source: str = Field(default="", max_length=2048)
    external_id: str | None = Field(default=None, max_length=2048)
    is_departure: bool = False
    seen_at: datetime = Field(default_factory=utcnow, index=True)


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    person: str | None = Field(default=None, max_length=512)  # None: a role-only departure (org + role)
    org: str | None = Field(default=None, max_length=512, index=True)
    org_key: str = Field(default="", max_length=512, index=True)
    role: str | None = Field(default=None, max_length=512)
    kind: str = Field(default="left", max_length=32)
    announced_at: date | None = Field(default=None, index=True)  # the departure day (stated, else the article's)
    first_seen_at: datetime = Field(default_factory=utcnow, index=True)
    confidence: float = 0.0
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class EventNameRow(SQLModel, table=True):
    """A spelling of the event's person (`name`) and its comparison key (`key`)."""
    __tablename__ = "event_names"
    __table_args__ = (UniqueConstraint("event_id", "key"), Index("ix_event_names_key", "key"))
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id")
    name: str = Field(max_length=512)
    key: str = Field(max_length=512)


class MentionRow(SQLModel, table=True):
    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("event_id", "article_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    person: str | None = Field(default=None, max_length=512)
    org: str | None = Field(default=None, max_length=512)
    role: str | None = Field(default=None, max_length=512)
    kind: str = Field(default="left", max_length=32)
    announced_at: date | None = None
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    confidence: float = 0.0
    pattern: str = Field(default="", max_length=128)
    seen_at: datetime = Field(default_factory=utcnow)


class DeliveryRow(SQLModel, table=True):
    """The outbox: one row per (event, channel) for a new event, written in the event's
    transaction; and at most one "more sources" update per (event, channel, day)."""
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "wave_id", "channel", "kind", "day"),
                      Index("ix_deliveries_due", "status", "next_attempt_at"))
    id: int | None = Field(default=None, primary_key=True)
    event_id: int | None = Field(default=None, foreign_key="events.id")  # a departure alert, or
    wave_id: int | None = Field(default=None, foreign_key="waves.id")  # a wave alert
    channel: str = Field(max_length=128)
    kind: str = Field(default="new", max_length=16)  # new | update (of an event or a wave)
    day: str = Field(default="", max_length=10)  # the day of an update ("" for new)
    status: str = Field(default="pending", max_length=16)  # pending | sent | dead
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_attempt_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    lease_owner: str | None = Field(default=None, max_length=128)  # the sender delivering it now
    lease_until: datetime | None = None


class WatcherRow(SQLModel, table=True):
    """A watcher's polling state and health: conditional-GET validators, last body, backoff."""
    __tablename__ = "watchers"
    name: str = Field(primary_key=True, max_length=128)
    url: str = Field(max_length=2048)
    etag: str | None = Field(default=None, max_length=1024)
    last_modified: str | None = Field(default=None, max_length=256)
    body_hash: str | None = Field(default=None, max_length=64)
    entry_digests: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # parse.feeds.split_entries
    last_check: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_status: int | None = None
    consecutive_failures: int = 0
    next_check: datetime | None = Field(default=None, index=True)  # workers claim the most overdue first
    items_seen: int = 0  # new feed items seen
    candidates: int = 0  # of those, the ones parsed and read (a departure word in their raw text)
    polls: int = 0
    fetch_seconds_total: float = 0.0  # summed fetch time: /metrics reports latency as a summary
    configured: bool = True  # false once removed from watchers.yaml (kept for its history)
    interval_s: int = 900  # from watchers.yaml, for workers that poll without reading it
    timezone: str | None = Field(default=None, max_length=64)
    tags: str = Field(default="", max_length=1024)  # comma-separated, for routing
    lease_owner: str | None = Field(default=None, max_length=128)  # the worker polling it now
    lease_until: datetime | None = None  # a dead worker's lease runs out and the row is free again
    status_counts: str = Field(default="{}", max_length=2048)  # JSON: HTTP status (or "error") -> polls
    # following links to the article (monitor.follow): digests of the links already read, pages read
    # in place of the feed's summary, pages that could not be read (the summary was), the last such failure
    link_digests: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    followed: int = 0
    follow_failures: int = 0
    follow_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    def point_at(self, url: str) -> None:
        """Watch `url`: when it is a new URL, the old one's validators and item digests no longer apply."""
        if self.url != url:
            self.url, self.etag, self.last_modified, self.body_hash, self.entry_digests = url, None, None, None, None
            self.link_digests = None


class SeenEntryRow(SQLModel, table=True):
    """An entry a watcher has already processed (guid, else link, else content hash)."""
    __tablename__ = "seen_entries"
    __table_args__ = (UniqueConstraint("watcher", "entry_key"),)
    id: int | None = Field(default=None, primary_key=True)
    watcher: str = Field(max_length=128, index=True)
    entry_key: str = Field(max_length=64)
    seen_at: datetime = Field(default_factory=utcnow)


class ChannelStateRow(SQLModel, table=True):
    """Per channel: when its last digest went out (a digest missed while down goes at start)."""
    __tablename__ = "channel_state"
    name: str = Field(primary_key=True, max_length=128)
    last_digest_at: datetime | None = None


class OrgRow(SQLModel, table=True):
    """An organisation: canonical name and comparison key (events carry the key)."""
    __tablename__ = "orgs"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=512)
    name: str = Field(max_length=512)


class OrgAliasRow(SQLModel, table=True):
    """A spelling of an organisation (alias) and its key; a merged organisation's keys point here."""
    __tablename__ = "org_aliases"
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    alias: str = Field(max_length=512)
    alias_key: str = Field(unique=True, max_length=520)


class WaveRow(SQLModel, table=True):
    """A departure wave at one organisation: a burst of exits well above its usual rate."""
    __tablename__ = "waves"
    id: int | None = Field(default=None, primary_key=True)
    org_key: str = Field(max_length=512, index=True)
    org: str = Field(max_length=512)
    started_on: date
    last_event_on: date
    size: int = 0
    senior: int = 0  # co-founders, C-level and VPs among them
    baseline: float = 0.0  # the organisation's usual departures per window
    closed: bool = False
    alerted: bool = False  # an "opened" alert was queued (a wave found long after it ended is not)
    created_at: datetime = Field(default_factory=utcnow)


class CoordinationRow(SQLModel, table=True):
    """Who holds a role now (the elected scheduler), with a heartbeat; for status and tests."""
    __tablename__ = "coordination"
    role: str = Field(primary_key=True, max_length=64)
    owner: str = Field(max_length=128)
    since: datetime = Field(default_factory=utcnow)
    heartbeat: datetime = Field(default_factory=utcnow)
