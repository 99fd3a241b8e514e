"""When each employee joined the program (KPIs: invited per period); filled in by the next migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T08:07:57:394340"
VERSION = "1.38.0"
DESCRIPTION = "employee.joined_at"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="plaudit", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Employee",
        tablename="employee",
        column_name="joined_at",
        db_column_name="joined_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
