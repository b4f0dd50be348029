"""Alembic migration scripts of the newscrawl schema (see pipelines.migrate)."""
