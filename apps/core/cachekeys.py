"""Cache keys that name rows by their database id must also name the database: two Clearhouse
databases can share one Redis (parallel test workers, a staging copy), and pk 5 of one is not pk 5
of the other. ``db_namespace()`` is a short digest of the database's name and, on PostgreSQL, its
OID (a re-created database gets a new one), read once per process and database name."""

from __future__ import annotations

import hashlib

_NAMESPACE: dict[str, str] = {}


def db_namespace() -> str:
    from django.db import connection

    name = str(connection.settings_dict.get("NAME") or "")
    if name not in _NAMESPACE:
        full = name
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
                full = f"{name}.{cursor.fetchone()[0]}"
        _NAMESPACE[name] = hashlib.blake2b(full.lower().encode(), digest_size=10).hexdigest()
    return _NAMESPACE[name]
