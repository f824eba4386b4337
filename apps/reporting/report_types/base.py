"""What a report type is (columns, source, interval field), the registry of types, and the
column builders every family uses (`text`, `money`, `moment`, `itemized`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Q

from apps.core.currencies import CURRENCIES

from ..metrics import json_text

CHUNK = 5000


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # string | int | amount | decimal | timestamp | local_time | bool | date | json
    source: str  # the field it is computed from
    currency: str = "currency"  # decimal: the field holding the currency
    description: str = ""


@dataclass
class Context:
    merchant_id: int
    livemode: bool
    start: datetime
    end: datetime
    tz: ZoneInfo
    filters: dict


@dataclass(frozen=True)
class ReportType:
    id: str
    title: str
    grain: str
    fields: tuple[str, ...]
    columns: tuple[Column, ...]
    source: Callable[[Context], Iterator[tuple]]
    count: Callable[[Context], int]
    default_columns: tuple[str, ...] | None = None
    filters: tuple[str, ...] = ("currency",)
    description: str = ""
    # Types read from one queryset also export in SQL (apps.reporting.sql_export): the queryset
    # of a context, the ORM path of each source field, and the row order.
    queryset_of: Callable[[Context], object] | None = None
    paths: dict = field(default_factory=dict)
    order: tuple[str, ...] = ()

    @property
    def version(self) -> int:
        return int(self.id.rsplit(".", 1)[1])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_REGISTRY: dict[str, ReportType] = {}


def register(report_type: ReportType) -> None:
    _REGISTRY[report_type.id] = report_type


def report_type_get(type_id: str) -> ReportType | None:
    return _REGISTRY.get(type_id)


def report_types() -> list[ReportType]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


# --- column helpers -------------------------------------------------------------------------


def money(name: str, source: str | None = None, currency: str = "currency") -> tuple[Column, Column]:
    """An amount as int64 minor units plus its decimal string (`12.34`, `1200`, `1.250`)."""
    source = source or name
    return (
        Column(name, "amount", source, description="Minor units (integer)."),
        Column(f"{name}_decimal", "decimal", source, currency=currency, description="Major units, exact."),
    )


def text(*names: str) -> tuple[Column, ...]:
    """String columns named as the source fields they show."""
    return tuple(Column(name, "string", name) for name in names)


def moment(name: str, source: str | None = None) -> tuple[Column, Column]:
    """A time as unix seconds (UTC) plus ISO 8601 in the run's time zone."""
    source = source or name
    return (
        Column(name, "timestamp", source, description="Unix seconds."),
        Column(f"{name}_local", "local_time", source, description="ISO 8601 in the run's timezone."),
    )


def _values_source(queryset_of: Callable[[Context], object], fields: tuple[str, ...], order: tuple[str, ...]):
    def source(ctx: Context) -> Iterator[tuple]:
        qs = queryset_of(ctx).order_by(*order)
        annotations = {f"f{i}": field_expr(path) for i, path in enumerate(fields)}
        return qs.annotate(**annotations).values_list(*annotations).iterator(chunk_size=CHUNK)

    return source


def field_expr(path: str):
    if "->" in path:
        field_path, *keys = path.split("->")
        return json_text(field_path, *keys)
    return F(path)


def _count(queryset_of):
    return lambda ctx: queryset_of(ctx).order_by().count()


def _scoped(model, *, time_field: str = "created_at", extra: Callable[[Context], Q] | None = None):
    def queryset_of(ctx: Context):
        qs = model.objects.filter(
            merchant_id=ctx.merchant_id,
            livemode=ctx.livemode,
            **{f"{time_field}__gte": ctx.start, f"{time_field}__lt": ctx.end},
        )
        if ctx.filters.get("currency"):
            qs = qs.filter(currency=ctx.filters["currency"].upper())
        if extra is not None:
            qs = qs.filter(extra(ctx))
        return qs

    return queryset_of


def itemized(
    *,
    id: str,
    title: str,
    grain: str,
    model,
    columns: tuple[Column, ...],
    paths: dict[str, str],
    time_field: str = "created_at",
    extra: Callable[[Context], Q] | None = None,
    filters: tuple[str, ...] = ("currency",),
    description: str = "",
    queryset_of: Callable[[Context], object] | None = None,
) -> ReportType:
    """A row per object of `model` whose `time_field` is in the interval (or per row of
    `queryset_of`, which then does the scoping itself). `paths` maps each source field a column
    names to its ORM path (`a__b`, JSON keys as `a->b`, or an annotation of `queryset_of`)."""
    fields = tuple(dict.fromkeys(c.source for c in columns)) + tuple(
        dict.fromkeys(c.currency for c in columns if c.kind == "decimal")
    )
    fields = tuple(dict.fromkeys(fields))
    if queryset_of is None:
        queryset_of = _scoped(model, time_field=time_field, extra=extra)
    return ReportType(
        id=id,
        title=title,
        grain=grain,
        fields=fields,
        columns=columns,
        source=_values_source(queryset_of, tuple(paths.get(f, f) for f in fields), (time_field, "id")),
        count=_count(queryset_of),
        filters=filters,
        description=description,
        queryset_of=queryset_of,
        paths=paths,
        order=(time_field, "id"),
    )


def exponent_of(currency: str) -> int:
    cur = CURRENCIES.get((currency or "").upper())
    return cur.exponent if cur else 2


def local_days(ctx: Context) -> tuple[date, date]:
    """The local days of the run's time zone that start in [start, end): the first, and the day
    after the last. For a date field (settled_on, day): consecutive runs partition the days
    exactly, as they partition instants, whatever the zone's offsets (DST days included)."""

    def first_from(moment: datetime) -> date:
        local = moment.astimezone(ctx.tz)
        day = local.date()
        starts_there = datetime.combine(day, time.min, tzinfo=ctx.tz) >= moment
        return day if starts_there else day + timedelta(days=1)

    return first_from(ctx.start), first_from(ctx.end)
