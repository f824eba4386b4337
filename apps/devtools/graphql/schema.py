"""The read-only GraphQL schema (`/graphql`): a merchant's payment intents, charges, refunds,
disputes, customers, payouts, balance transactions and events, as Relay connections.

Every root field reads through the requesting key's merchant and mode (another merchant's object
is simply not there) and checks a restricted key's `<resource>:read` scope, nested fields too.
There are no mutations. Lists under an object (an intent's refunds and disputes, a customer's
payment methods) are prefetched for the whole page, so a page costs a constant number of queries."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Generic, TypeVar

import strawberry
from django.db.models import Prefetch, QuerySet
from graphql import GraphQLError
from strawberry.scalars import JSON

from apps.disputes.models import Dispute
from apps.intents.models import Charge, PaymentIntent
from apps.ledger.models import BalanceTransaction
from apps.merchants.models import ApiKey
from apps.payouts.models import Payout
from apps.refunds.models import Refund
from apps.vault.models import Customer, PaymentMethod
from apps.webhooks.models import Event

from .limits import DEFAULT_FIRST, MAX_FIRST

T = TypeVar("T")


# --- access ------------------------------------------------------------------------------------


def _authorize(info, resource: str) -> None:
    key = info.context["api_key"]
    if key.kind != ApiKey.Kind.RESTRICTED:
        return
    scopes = set(key.scopes or [])
    if f"{resource}:read" not in scopes and f"{resource}:write" not in scopes:
        raise GraphQLError(
            f"This restricted key lacks the {resource}:read scope.",
            extensions={"code": "insufficient_scope", "scope": f"{resource}:read"},
        )


def _scoped(info, model, resource: str) -> QuerySet:
    _authorize(info, resource)
    return model.objects.filter(merchant=info.context["merchant"], livemode=info.context["livemode"])


def _unix(moment: dt.datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


# --- connections -------------------------------------------------------------------------------


def encode_cursor(public_id: str) -> str:
    return base64.urlsafe_b64encode(f"cursor:v1:{public_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if not raw.startswith("cursor:v1:") or len(raw) > 80:
        raise GraphQLError("Invalid cursor.", extensions={"code": "invalid_cursor"})
    return raw.removeprefix("cursor:v1:")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


@strawberry.input
class Filter:
    status: str | None = None
    created_gte: int | None = None
    created_lte: int | None = None
    currency: str | None = None
    amount_gte: int | None = None
    amount_lte: int | None = None


def _filtered(qs: QuerySet, where: Filter | None, *, amount: bool = True, currency: bool = True) -> QuerySet:
    if where is None:
        return qs
    if where.status is not None:
        qs = qs.filter(status=where.status)
    if where.created_gte is not None:
        qs = qs.filter(created_at__gte=_from_unix(where.created_gte, "createdGte"))
    if where.created_lte is not None:
        qs = qs.filter(created_at__lte=_from_unix(where.created_lte, "createdLte"))
    if currency and where.currency is not None:
        qs = qs.filter(currency=where.currency.upper())
    if amount and where.amount_gte is not None:
        qs = qs.filter(amount__gte=where.amount_gte)
    if amount and where.amount_lte is not None:
        qs = qs.filter(amount__lte=where.amount_lte)
    return qs


def _from_unix(value: int, name: str) -> dt.datetime:
    if not 0 <= value <= 253_402_300_799:
        raise GraphQLError(f"{name} must be unix seconds.", extensions={"code": "parameter_invalid"})
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def _page(qs: QuerySet, first: int | None, after: str | None, wrap) -> Connection:
    first = DEFAULT_FIRST if first is None else first
    if not 1 <= first <= MAX_FIRST:
        raise GraphQLError(
            f"first must be between 1 and {MAX_FIRST}.",
            extensions={"code": "parameter_invalid", "max": MAX_FIRST},
        )
    if after:
        qs = qs.filter(public_id__lt=decode_cursor(after))
    rows = list(qs.order_by("-public_id")[: first + 1])
    more = len(rows) > first
    rows = rows[:first]
    edges = [Edge(cursor=encode_cursor(row.public_id), node=wrap(row)) for row in rows]
    return Connection(
        edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None)
    )


# --- nodes -------------------------------------------------------------------------------------


@strawberry.type
class CardSummary:
    brand: str
    last4: str


@strawberry.type
class PaymentMethodNode:
    id: str
    type: str
    card: CardSummary | None


def _payment_method(pm: PaymentMethod) -> PaymentMethodNode:
    card = CardSummary(brand=pm.card_brand, last4=pm.card_last4) if pm.card_last4 else None
    return PaymentMethodNode(id=pm.public_id, type=pm.type, card=card)


@strawberry.type
class CustomerNode:
    id: str
    email: str
    name: str
    created: int
    _obj: strawberry.Private[Customer]

    @strawberry.field
    def payment_methods(self, info: strawberry.Info) -> list[PaymentMethodNode]:
        _authorize(info, "payment_methods")
        return [_payment_method(pm) for pm in self._obj.payment_methods.all() if pm.deleted_at is None]


def _customer(c: Customer) -> CustomerNode:
    return CustomerNode(
        id=c.public_id, email=c.email or "", name=c.name or "", created=_unix(c.created_at), _obj=c
    )


@strawberry.type
class ChargeNode:
    id: str
    status: str
    amount: int
    amount_captured: int
    amount_refunded: int
    currency: str
    captured: bool
    payment_method_type: str
    last4: str
    failure_code: str
    decline_code: str
    created: int


def _charge(c: Charge) -> ChargeNode:
    return ChargeNode(
        id=c.public_id, status=c.status, amount=c.amount, amount_captured=c.amount_captured,
        amount_refunded=c.amount_refunded, currency=c.currency.lower(), captured=c.captured,
        payment_method_type=c.payment_method_type or "", last4=c.last4 or "", failure_code=c.failure_code or "",
        decline_code=c.decline_code or "", created=_unix(c.created_at),
    )  # fmt: skip


@strawberry.type
class RefundNode:
    id: str
    status: str
    amount: int
    currency: str
    reason: str
    created: int


def _refund(r: Refund) -> RefundNode:
    return RefundNode(id=r.public_id, status=r.status, amount=r.amount, currency=r.currency.lower(),
                      reason=r.reason or "", created=_unix(r.created_at))  # fmt: skip


@strawberry.type
class DisputeNode:
    id: str
    status: str
    amount: int
    currency: str
    reason: str
    due_by: int | None
    created: int


def _dispute(d: Dispute) -> DisputeNode:
    return DisputeNode(id=d.public_id, status=d.status, amount=d.amount, currency=d.currency.lower(),
                       reason=d.reason, due_by=_unix(d.due_by), created=_unix(d.created_at))  # fmt: skip


@strawberry.type
class PaymentIntentNode:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    description: str
    order_id: str | None
    metadata: JSON
    created: int
    _obj: strawberry.Private[PaymentIntent]

    @strawberry.field
    def latest_charge(self, info: strawberry.Info) -> ChargeNode | None:
        _authorize(info, "charges")
        return _charge(self._obj.latest_charge) if self._obj.latest_charge_id else None

    @strawberry.field
    def customer(self, info: strawberry.Info) -> CustomerNode | None:
        _authorize(info, "customers")
        return _customer(self._obj.customer) if self._obj.customer_id else None

    @strawberry.field
    def refunds(self, info: strawberry.Info) -> list[RefundNode]:
        _authorize(info, "refunds")
        return [_refund(r) for r in self._obj.refunds.all()]

    @strawberry.field
    def disputes(self, info: strawberry.Info) -> list[DisputeNode]:
        _authorize(info, "disputes")
        return [_dispute(d) for d in self._obj.disputes.all()]


def _intent(pi: PaymentIntent) -> PaymentIntentNode:
    return PaymentIntentNode(
        id=pi.public_id, status=pi.status, amount=pi.amount, amount_received=pi.amount_received,
        currency=pi.currency.lower(), description=pi.description or "", order_id=pi.order_id or None,
        metadata=dict(pi.metadata or {}), created=_unix(pi.created_at), _obj=pi,
    )  # fmt: skip


@strawberry.type
class PayoutNode:
    id: str
    status: str
    amount: int
    currency: str
    arrival_date: str | None
    failure_code: str
    created: int


def _payout(p: Payout) -> PayoutNode:
    return PayoutNode(id=p.public_id, status=p.status, amount=p.amount, currency=p.currency.lower(),
                      arrival_date=p.arrival_date.isoformat() if p.arrival_date else None,
                      failure_code=p.failure_code or "", created=_unix(p.created_at))  # fmt: skip


@strawberry.type
class BalanceTransactionNode:
    id: str
    type: str
    status: str
    amount: int
    fee: int
    net: int
    currency: str
    source: str
    created: int


def _bt(b: BalanceTransaction) -> BalanceTransactionNode:
    return BalanceTransactionNode(id=b.public_id, type=b.type, status=b.status, amount=b.amount, fee=b.fee,
                                  net=b.net, currency=b.currency.lower(), source=b.source_id or "",
                                  created=_unix(b.created_at))  # fmt: skip


@strawberry.type
class EventNode:
    id: str
    type: str
    data: JSON
    created: int


def _event(e: Event) -> EventNode:
    return EventNode(id=e.public_id, type=e.type, data=e.data, created=_unix(e.created_at))


# --- the query ---------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field
    def payment_intents(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None, where: Filter | None = None,
        metadata_order_id: str | None = None,
    ) -> Connection[PaymentIntentNode]:  # fmt: skip
        qs = _filtered(_scoped(info, PaymentIntent, "payment_intents"), where)
        if metadata_order_id is not None:
            qs = qs.filter(order_id=metadata_order_id)
        qs = qs.select_related("latest_charge", "customer").prefetch_related(
            Prefetch("refunds", queryset=Refund.objects.order_by("id")),
            Prefetch("disputes", queryset=Dispute.objects.order_by("id")),
        )
        return _page(qs, first, after, _intent)

    @strawberry.field
    def payment_intent(self, info: strawberry.Info, id: str) -> PaymentIntentNode | None:
        row = _scoped(info, PaymentIntent, "payment_intents").filter(public_id=id).first()
        return _intent(row) if row else None

    @strawberry.field
    def charges(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                where: Filter | None = None) -> Connection[ChargeNode]:  # fmt: skip
        return _page(_filtered(_scoped(info, Charge, "charges"), where), first, after, _charge)

    @strawberry.field
    def refunds(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                where: Filter | None = None) -> Connection[RefundNode]:  # fmt: skip
        return _page(_filtered(_scoped(info, Refund, "refunds"), where), first, after, _refund)

    @strawberry.field
    def disputes(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                 where: Filter | None = None) -> Connection[DisputeNode]:  # fmt: skip
        return _page(_filtered(_scoped(info, Dispute, "disputes"), where), first, after, _dispute)

    @strawberry.field
    def customers(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerNode]:
        qs = (
            _scoped(info, Customer, "customers")
            .filter(deleted_at=None)
            .prefetch_related(Prefetch("payment_methods", queryset=PaymentMethod.objects.order_by("id")))
        )
        return _page(qs, first, after, _customer)

    @strawberry.field
    def payouts(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                where: Filter | None = None) -> Connection[PayoutNode]:  # fmt: skip
        return _page(_filtered(_scoped(info, Payout, "payouts"), where), first, after, _payout)

    @strawberry.field
    def balance_transactions(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                             where: Filter | None = None) -> Connection[BalanceTransactionNode]:  # fmt: skip
        qs = _filtered(_scoped(info, BalanceTransaction, "balance_transactions"), where)
        return _page(qs, first, after, _bt)

    @strawberry.field
    def events(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
               type: str | None = None) -> Connection[EventNode]:  # fmt: skip
        qs = _scoped(info, Event, "events")
        if type is not None:
            qs = qs.filter(type=type)
        return _page(qs, first, after, _event)


def build_schema() -> strawberry.Schema:
    from strawberry.extensions import QueryDepthLimiter

    from .limits import MAX_DEPTH

    return strawberry.Schema(query=Query, extensions=[lambda: QueryDepthLimiter(max_depth=MAX_DEPTH)])


schema = build_schema()
