"""The OpenAPI component of `dispute_to_dict` — schema only, field for field (validated against
real payloads by tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from apps.ledger.outputs import BalanceTransactionOutput

from .models import EVIDENCE_FILE_FIELDS, EVIDENCE_TEXT_FIELDS, Dispute

DisputeEvidenceOutput = type(
    "DisputeEvidenceOutput",
    (serializers.Serializer,),
    {
        "__doc__": "Every evidence field Stripe names; null until staged. File fields hold a file id.",
        **{name: serializers.CharField(allow_null=True) for name in EVIDENCE_TEXT_FIELDS},
        **{
            name: serializers.CharField(allow_null=True, help_text="A file id (file_…).")
            for name in EVIDENCE_FILE_FIELDS
        },
    },
)


class DisputeEvidenceDetailsOutput(serializers.Serializer):
    due_by = serializers.IntegerField(allow_null=True)
    has_evidence = serializers.BooleanField()
    past_due = serializers.BooleanField()
    submission_count = serializers.IntegerField()


class DisputeOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["dispute"])
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    charge = serializers.CharField()
    payment_intent = serializers.CharField()
    status = serializers.ChoiceField(choices=Dispute.Status.choices)
    reason = serializers.ChoiceField(choices=Dispute.Reason.choices)
    network_reason_code = serializers.CharField(allow_null=True)
    case_type = serializers.ChoiceField(choices=Dispute.CaseType.choices)
    evidence = DisputeEvidenceOutput()
    evidence_details = DisputeEvidenceDetailsOutput()
    is_charge_refundable = serializers.BooleanField()
    balance_transactions = BalanceTransactionOutput(many=True)
    metadata = serializers.DictField(child=serializers.CharField())
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()
