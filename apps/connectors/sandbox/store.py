"""Where the simulated acquirer keeps its own books.

A real acquirer remembers every operation it received under the sender's
idempotency key; the sandbox does the same so that a retried call returns the
first answer, the re-check janitor can ask what happened to an attempt, and a
settlement report can be produced. ``DatabaseStore`` (the default) keeps the books
in ``connectors.SandboxTransaction``; ``MemoryStore`` serves pure unit tests.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Protocol


@dataclass
class SandboxRecord:
    idempotency_key: str
    operation: str  # authorize | capture | void | refund
    reference: str  # the sandbox's gateway reference for this operation
    status: str  # approved | declined | requires_action | pending | failed | succeeded
    amount: int
    currency: str
    parent_reference: str = ""
    behaviour: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class SandboxStore(Protocol):
    def get(self, idempotency_key: str) -> SandboxRecord | None: ...

    def get_by_reference(self, reference: str) -> SandboxRecord | None: ...

    def add(self, record: SandboxRecord) -> SandboxRecord:
        """Insert unless the key exists; returns the stored record (first writer wins)."""

    def update(self, idempotency_key: str, **changes: Any) -> None: ...

    def children(self, parent_reference: str) -> list[SandboxRecord]: ...

    def between(self, start: dt.datetime, end: dt.datetime) -> list[SandboxRecord]: ...


class MemoryStore:
    def __init__(self) -> None:
        self._by_key: dict[str, SandboxRecord] = {}
        self._lock = threading.Lock()

    def get(self, idempotency_key):
        return self._by_key.get(idempotency_key)

    def get_by_reference(self, reference):
        return next((r for r in self._by_key.values() if r.reference == reference), None)

    def add(self, record):
        with self._lock:
            return self._by_key.setdefault(record.idempotency_key, record)

    def update(self, idempotency_key, **changes):
        with self._lock:
            record = self._by_key[idempotency_key]
            self._by_key[idempotency_key] = replace(record, **changes)

    def children(self, parent_reference):
        return [r for r in self._by_key.values() if r.parent_reference == parent_reference]

    def between(self, start, end):
        return [r for r in self._by_key.values() if start <= r.created_at < end]


class DatabaseStore:
    """Autocommit writes outside any caller transaction: the acquirer's books are not
    ours and must survive our rollbacks (the adapter is never called inside one)."""

    @staticmethod
    def _model():
        from apps.connectors.models import SandboxTransaction

        return SandboxTransaction

    @staticmethod
    def _to_record(row) -> SandboxRecord:
        return SandboxRecord(
            idempotency_key=row.idempotency_key,
            operation=row.operation,
            reference=row.reference,
            status=row.status,
            amount=row.amount,
            currency=row.currency,
            parent_reference=row.parent_reference,
            behaviour=row.behaviour,
            result=row.result,
            created_at=row.created_at,
        )

    def get(self, idempotency_key):
        row = self._model().objects.filter(idempotency_key=idempotency_key).first()
        return self._to_record(row) if row else None

    def get_by_reference(self, reference):
        row = self._model().objects.filter(reference=reference).first()
        return self._to_record(row) if row else None

    def add(self, record):
        import contextlib

        from django.db import IntegrityError, connection, transaction

        model = self._model()
        try:
            # Outside a transaction the lone INSERT is its own (no BEGIN/COMMIT round trips); a
            # savepoint only when a caller holds a transaction open, so a duplicate key cannot
            # poison it.
            with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
                row = model.objects.create(
                    idempotency_key=record.idempotency_key,
                    operation=record.operation,
                    reference=record.reference,
                    status=record.status,
                    amount=record.amount,
                    currency=record.currency,
                    parent_reference=record.parent_reference,
                    behaviour=record.behaviour,
                    result=record.result,
                )
        except IntegrityError:
            row = model.objects.get(idempotency_key=record.idempotency_key)
        return self._to_record(row)

    def update(self, idempotency_key, **changes):
        self._model().objects.filter(idempotency_key=idempotency_key).update(**changes)

    def children(self, parent_reference):
        return [self._to_record(r) for r in self._model().objects.filter(parent_reference=parent_reference)]

    def between(self, start, end):
        rows = self._model().objects.filter(created_at__gte=start, created_at__lt=end).order_by("id")
        return [self._to_record(r) for r in rows]
