"""The store, one module per job (as Miniflux's internal/storage has one file per entity):
engine (opening it), ingest (the one write path), watchers (poll state, seen marks), events
(reading them), search, orgs, waves. This package's names are the store's whole interface."""
from __future__ import annotations

from monitor.db.store.engine import DEFAULT_DB, make_engine, open_engine
from monitor.db.store.events import DEPARTURE_DAY, EVENT_FIELDS, events_to_csv, list_events
from monitor.db.store.ingest import ROLE_WINDOW_DAYS, IngestResult, ingest, ingest_many
from monitor.db.store.orgs import list_orgs, merge_orgs, org_key_of, resolve_org
from monitor.db.store.search import index_event, search_event_ids
from monitor.db.store.watchers import (POLL_COLUMNS, load_watcher_states, new_entry_keys, save_watcher_state,
                                       save_watcher_states, watcher_status, watcher_values)
from monitor.db.store.waves import list_waves, update_waves, wave_inputs

__all__ = ["DEFAULT_DB", "DEPARTURE_DAY", "EVENT_FIELDS", "POLL_COLUMNS", "ROLE_WINDOW_DAYS", "IngestResult",
           "events_to_csv", "index_event", "ingest", "ingest_many", "list_events", "list_orgs", "list_waves",
           "load_watcher_states", "make_engine", "merge_orgs", "new_entry_keys", "open_engine", "org_key_of",
           "resolve_org", "save_watcher_state", "save_watcher_states", "search_event_ids", "update_waves",
           "wave_inputs", "watcher_status", "watcher_values"]
