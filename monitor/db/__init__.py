"""Store stage: SQLModel tables (models.py) and the transactional operations on them (store.py).
SQLite (embedded default, WAL) and PostgreSQL share one schema."""
