"""Piccolo's view of Plaudit: one app, ``plaudit``, whose migrations live in ``engine/storage/migrations``."""

import os

from piccolo.conf.apps import AppConfig

from engine.storage.tables import ALL_TABLES

__all__ = ["APP_CONFIG"]

APP_CONFIG = AppConfig(
    app_name="plaudit",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
