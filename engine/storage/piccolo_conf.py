"""Piccolo configuration (``PICCOLO_CONF=engine.storage.piccolo_conf``).

``DB`` follows ``DATABASE_URL``; ``engine.storage.database.use_database`` replaces it when a process switches databases.
"""

from piccolo.conf.apps import AppRegistry

from engine.storage.database import piccolo_engine, resolve_url

__all__ = ["APP_REGISTRY", "DB"]

DB = piccolo_engine(resolve_url(None))
APP_REGISTRY = AppRegistry(apps=["engine.storage.piccolo_app"])
