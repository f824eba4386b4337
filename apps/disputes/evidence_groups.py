"""Stripe's evidence fields grouped by what wins a dispute of each reason (Stripe's guide "Dispute
reason codes and defense requirements", docs.stripe.com/disputes/reason-codes-defense-requirements):
the back office's evidence form shows the winning group first, then everything else."""

from .models import EVIDENCE_FIELDS

CUSTOMER = ("customer_name", "customer_email_address", "billing_address", "customer_purchase_ip")
SHIPPING = ("shipping_address", "shipping_carrier", "shipping_date", "shipping_tracking_number",
            "shipping_documentation")  # fmt: skip
SERVICE = ("service_date", "service_documentation")
AUTHENTICATION = ("access_activity_log", "customer_signature", "customer_communication")
REFUND_POLICY = ("refund_policy", "refund_policy_disclosure", "refund_refusal_explanation")
CANCELLATION = ("cancellation_policy", "cancellation_policy_disclosure", "cancellation_rebuttal")
DUPLICATE = ("duplicate_charge_id", "duplicate_charge_explanation", "duplicate_charge_documentation")
GENERAL = ("product_description", "receipt", "uncategorized_text", "uncategorized_file")

WINNING: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "fraudulent": [
        (
            "The cardholder made this payment (access logs, AVS/3DS results, signature)",
            AUTHENTICATION + CUSTOMER,
        ),
        ("Delivery to the cardholder", SHIPPING),
    ],
    "unrecognized": [("The cardholder recognises this payment", CUSTOMER + AUTHENTICATION)],
    "product_not_received": [("Proof of delivery", SHIPPING + SERVICE)],
    "product_unacceptable": [
        ("The product was as described", ("product_description", "receipt", "customer_communication")),
        ("Refund policy", REFUND_POLICY),
    ],
    "subscription_canceled": [("Cancellation", (*CANCELLATION, "customer_communication"))],
    "credit_not_processed": [
        ("Refund policy and why no refund is due", (*REFUND_POLICY, "customer_communication"))
    ],
    "duplicate": [("The payments are not duplicates", DUPLICATE)],
}


def evidence_groups(reason: str) -> list[tuple[str, list[str]]]:
    """(title, fields) for a dispute of `reason`: the winning groups, then the rest once each."""
    groups, seen = [], set()
    for title, fields in WINNING.get(reason, []):
        fresh = [f for f in fields if f not in seen]
        seen.update(fresh)
        if fresh:
            groups.append((title, fresh))
    rest = [f for f in EVIDENCE_FIELDS if f not in seen]
    ordered = [f for group in (CUSTOMER, GENERAL, SHIPPING, SERVICE, AUTHENTICATION, REFUND_POLICY, CANCELLATION,
                               DUPLICATE) for f in group if f in rest]  # fmt: skip
    groups.append(("Other evidence" if groups else "Evidence", ordered))
    return groups
