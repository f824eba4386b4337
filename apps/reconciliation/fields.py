"""A list of text cells: `text[]` on PostgreSQL, JSON text on the embedded SQLite demo.

A settlement line keeps its raw row as these cells (the file keeps the header once): an array of
text costs the bulk load less than a JSON object per line (no keys repeated a million times, no
jsonb built per row)."""

from __future__ import annotations

import json

from django.db import models


class TextCellsField(models.Field):
    description = "A list of text cells"

    def db_type(self, connection) -> str:
        return "text[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):  # psycopg reads text[] as a list
            return value
        return json.loads(value)

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, tuple):
            return list(value)
        return json.loads(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        cells = [str(cell) for cell in value]
        return cells if connection.vendor == "postgresql" else json.dumps(cells)

    def value_to_string(self, obj) -> str:
        return json.dumps(self.value_from_object(obj))
