"""SQLAlchemy Core persistence: the case store, the outbox and the sandbox's world, on SQLite or PostgreSQL."""
