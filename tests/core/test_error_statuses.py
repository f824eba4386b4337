"""Every error class the API raises answers a status the Stripe SDKs map to the right exception:
402 → CardError, 400/404 → InvalidRequestError, 401 → AuthenticationError, 403 → PermissionError,
429 → RateLimitError, 400 idempotency_error → IdempotencyError, 5xx → APIError (retried)."""

import importlib
import pkgutil

import apps
from apps.core.errors import ApplicationError

SDK_STATUSES = {400, 401, 402, 403, 404, 429, 500, 502, 503}
# Deliberate exceptions, each with its reason.
OTHER_STATUSES = {
    # Stripe's own answer to a concurrent request on one key; the SDKs retry 409.
    "IdempotencyKeyInUse": 409,
    # Answers a payment provider's webhook retry, not a merchant's SDK.
    "InboundWebhookInProgress": 409,
    # If-Match, which Stripe's SDKs never send.
    "PreconditionFailed": 412,
    "RequestTooLarge": 413,
}
TYPE_OF_STATUS = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


def _all_error_classes():
    for module in pkgutil.iter_modules(apps.__path__):
        try:
            importlib.import_module(f"apps.{module.name}.errors")
        except ModuleNotFoundError:
            continue
    seen, stack = set(), [ApplicationError]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__name__}")


def test_every_error_class_answers_a_status_the_sdks_map():
    classes = _all_error_classes()
    assert len(classes) > 50
    wrong = []
    for cls in classes:
        expected = OTHER_STATUSES.get(cls.__name__)
        if expected is not None:
            if cls.status != expected:
                wrong.append(f"{cls.__module__}.{cls.__name__}: {cls.status}, expected {expected}")
        elif cls.status not in SDK_STATUSES:
            wrong.append(f"{cls.__module__}.{cls.__name__}: {cls.status}")
        if (cls.status == 402) != (cls.type == "card_error"):
            wrong.append(f"{cls.__module__}.{cls.__name__}: {cls.status} with type {cls.type}")
        if cls.status in TYPE_OF_STATUS and cls.type != TYPE_OF_STATUS[cls.status]:
            wrong.append(f"{cls.__module__}.{cls.__name__}: {cls.status} with type {cls.type}")
    assert wrong == []
