"""Alembic environment: runs on the connection pipelines.migrate hands over (never from a URL)."""

from alembic import context

from pipelines.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
)
with context.begin_transaction():
    context.run_migrations()
