"""Exceptions shared by the pipelines and the store's users."""


class SettingsError(ValueError):
    """A newscrawl setting has an invalid value."""


class StoreFailed(Exception):
    """The database failed earlier in this run (already logged)."""
