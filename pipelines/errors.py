"""Exceptions shared by the pipelines and the store's users."""

from newscrawl.setting_values import SettingError as SettingsError  # a setting has an invalid value

__all__ = ["SettingsError", "StoreFailed"]


class StoreFailed(Exception):
    """The database failed earlier in this run (already logged)."""
