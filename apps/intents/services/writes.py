"""Where an attempt's writes go: one by one through the ORM, or as one statement (issue 21).

The outcome functions (``outcomes.py``) and create+confirm's first transaction decide *what*
to write and hand each row to a sink: ``OrmWrites`` saves it at once (the reference path, and
the only one on SQLite), ``BatchWrites`` collects the same model instances in a ``WriteBatch``
(apps/core/sql.py) and sends them in one data-modifying statement at ``flush()``, inside the
same transaction. Both build rows with the same functions (``audit_entry_build``,
``events_build``, the ledger's ``ledger_capture_prepare``), so they leave the same rows.
"""

from __future__ import annotations

import contextlib

from apps.audit.services import audit_entry_build, audit_record
from apps.core.sql import Ref, WriteBatch, collecting, hot_sql_enabled
from apps.ledger import sql as ledger_sql
from apps.ledger.services import ledger_capture_prepare, ledger_record_capture
from apps.webhooks.services import events_build, events_enqueue_on_commit, events_record

from .common import save_changed


class OrmWrites:
    """Each write is its own statement, now."""

    debt: int | None = None

    def insert(self, obj, *, refs: dict | None = None) -> None:
        obj.save(force_insert=True)

    def save(self, obj, before: dict | None = None) -> None:
        """The changed columns (with `before`, the state read under the lock), else every column."""
        if before is not None:
            save_changed(obj, before)
        else:
            obj.save()

    def save_fields(self, obj, fields: list[str]) -> None:
        obj.save(update_fields=[*fields, "updated_at"])

    def audit(self, **kwargs) -> None:
        audit_record(**kwargs)

    def events(self, *, merchant, livemode: bool, events: list) -> None:
        events_record(merchant=merchant, livemode=livemode, events=events)

    def capture(self, charge, *, settlement_delay_days: int | None) -> None:
        ledger_record_capture(
            charge=charge, persist=False, first_capture=True, settlement_delay_days=settlement_delay_days
        )

    def collecting(self):
        """The block whose other writers (``apps.core.sql.insert_now_or_later``) write now."""
        return contextlib.nullcontext()

    def flush(self) -> None:
        pass


class BatchWrites(OrmWrites):
    """Every write collected, then one statement at `flush()` (call it inside the transaction).
    `debt`: the merchant's ledger debt read under the attempt lock (``sql.attempt_lock``)."""

    def __init__(self, debt: int | None = None) -> None:
        self.batch = WriteBatch()
        self.debt = debt
        self._updates: dict[tuple[type, int], tuple[object, set[str]]] = {}
        self._inserted_refs: dict[int, str] = {}
        self._events: list = []
        self._captures: list = []
        self._links: list = []  # (obj, attname, inserted target): the new id, set after flush
        self._by_model: dict[type, object] = {}  # the instance of each model inserted last
        self._then: list = []  # callbacks once the statement ran (``insert_now_or_later``)

    def insert(self, obj, *, refs: dict | None = None) -> None:
        """`refs`: column attname → an instance inserted earlier in this batch whose new id it takes."""
        refs = refs or {}
        part = self.batch.insert([obj], refs={k: Ref(self._inserted_refs[id(v)]) for k, v in refs.items()})
        self._inserted_refs[id(obj)] = part
        self._by_model[type(obj)] = obj
        self._links.extend((obj, attname, target) for attname, target in refs.items())

    def collecting(self):
        """Other writers of this transaction (a hook's decision record, the vault's audit entry)
        join this statement instead of sending their own (``apps.core.sql.collecting``)."""
        return collecting(self)

    def insert_later(self, obj, *, refs: dict, then=None) -> None:
        """``apps.core.sql.insert_now_or_later``'s sink: `refs` name models by class, each
        resolved to its row inserted in this batch."""
        self.insert(obj, refs={attname: self._by_model[model] for attname, model in refs.items()})
        if then is not None:
            self._then.append(then)

    def save(self, obj, before: dict | None = None) -> None:
        fields = [
            f.name
            for f in obj._meta.concrete_fields
            if not f.primary_key and (before is None or getattr(obj, f.attname) != before.get(f.attname))
        ]
        self._update(obj, fields)

    def save_fields(self, obj, fields: list[str]) -> None:
        self._update(obj, fields)

    def _update(self, obj, fields: list[str]) -> None:
        if not fields:
            return
        key = (type(obj), obj.pk)
        _, names = self._updates.setdefault(key, (obj, set()))
        names.update(fields)  # one UPDATE per row: a statement may not change a row twice

    def audit(self, **kwargs) -> None:
        self.batch.insert([audit_entry_build(**kwargs)])

    def events(self, *, merchant, livemode: bool, events: list) -> None:
        rows = events_build(merchant=merchant, livemode=livemode, events=events)
        self.batch.insert(rows)
        self._events.extend(rows)

    def capture(self, charge, *, settlement_delay_days: int | None) -> None:
        rows = None
        if settlement_delay_days is not None:
            rows = ledger_capture_prepare(
                charge=charge, settlement_delay_days=settlement_delay_days, debt=self.debt
            )
        if rows is None:  # debt to repay under the balance-state lock: the ledger's own path
            super().capture(charge, settlement_delay_days=settlement_delay_days)
            return
        self._captures.append(ledger_sql.capture_add(self.batch, rows))

    def flush(self) -> None:
        for obj, names in self._updates.values():
            self.batch.update(obj, sorted(names))
        self._updates = {}
        results = self.batch.execute()
        for obj, attname, target in self._links:
            setattr(obj, attname, target.pk)
        for parts in self._captures:
            ledger_sql.capture_done(parts, results)
        then, self._then = self._then, []
        for fn in then:
            fn()
        events_enqueue_on_commit(self._events)
        self._events, self._captures, self._inserted_refs, self._links = [], [], {}, []
        self._by_model = {}


def writes_for_attempt(debt: int | None = None) -> OrmWrites:
    """The sink of this database: one statement on PostgreSQL (``INTENTS_HOT_SQL``), else the ORM."""
    return BatchWrites(debt) if hot_sql_enabled() else OrmWrites()
