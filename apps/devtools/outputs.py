"""The OpenAPI components of `payloads.py`'s shapes (and the faucet's) — schema only, field for
field (validated against real payloads by tests/schema/test_payload_schemas.py with every object
closed)."""

from rest_framework import serializers

from .models import BulkJob, Simulation, TestClock


class SimulationOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["test_helpers.simulation"])
    type = serializers.CharField(help_text="The simulated event, e.g. dispute.created.")
    target = serializers.CharField(help_text="The id of the object the event is about.")
    params = serializers.DictField()
    status = serializers.ChoiceField(choices=Simulation.Status.choices)
    result = serializers.CharField(
        allow_null=True, help_text="What the owning app's inbound handler made of it."
    )
    provider_event_id = serializers.CharField(allow_null=True)
    run_at = serializers.IntegerField()
    applied_at = serializers.IntegerField(allow_null=True)
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


class BulkJobCountsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    remaining = serializers.IntegerField()


class BulkJobTotalOutput(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.IntegerField(help_text="The rows' amounts in this currency, minor units.")


class BulkJobOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["bulk_job"])
    kind = serializers.ChoiceField(choices=BulkJob.Kind.choices)
    status = serializers.ChoiceField(choices=BulkJob.Status.choices)
    source_format = serializers.ChoiceField(choices=["json", "csv", "jsonl"])
    counts = BulkJobCountsOutput()
    totals = BulkJobTotalOutput(many=True)
    cancel_requested = serializers.BooleanField()
    created = serializers.IntegerField()
    started_at = serializers.IntegerField(allow_null=True)
    finished_at = serializers.IntegerField(allow_null=True)
    results_url = serializers.CharField()
    livemode = serializers.BooleanField()


class TestClockAdvancingOutput(serializers.Serializer):
    target_frozen_time = serializers.IntegerField()


class TestClockStatusDetailsOutput(serializers.Serializer):
    advancing = TestClockAdvancingOutput(required=False, help_text="While the clock advances.")


class TestClockOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["test_helpers.test_clock"])
    created = serializers.IntegerField()
    deletes_after = serializers.IntegerField()
    frozen_time = serializers.IntegerField()
    livemode = serializers.BooleanField()
    name = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=TestClock.Status.choices)
    status_details = TestClockStatusDetailsOutput()


class DeletedTestClockOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["test_helpers.test_clock"])
    deleted = serializers.ChoiceField(choices=[True])


class FaucetCardOutput(serializers.Serializer):
    behaviour = serializers.CharField()
    number_last4 = serializers.CharField()
    brand = serializers.CharField()
    description = serializers.CharField()


class FaucetWalletOutput(serializers.Serializer):
    wallet = serializers.CharField()
    description = serializers.CharField()


class FaucetCardListOutput(serializers.Serializer):
    """GET /v1/test_helpers/faucet: the test cards as a list, and the wallets a token may wrap."""

    object = serializers.ChoiceField(choices=["list"])
    url = serializers.CharField()
    has_more = serializers.BooleanField()
    data = FaucetCardOutput(many=True)
    wallets = FaucetWalletOutput(many=True)


# --- GET /v1/diagnostics (apps.devtools.operations.diagnostics) ---------------------------------

_AGE = serializers.IntegerField(allow_null=True, help_text="Seconds, or null when there is none.")


class DiagnosticsIntentsInFlightOutput(serializers.Serializer):
    status = serializers.CharField(help_text="A payment intent status that is not terminal.")
    count = serializers.IntegerField()
    oldest_age_seconds = _AGE


class DiagnosticsAttemptsUnresolvedOutput(serializers.Serializer):
    count = serializers.IntegerField()
    oldest_age_seconds = _AGE
    janitor_last_run = serializers.DictField(
        child=serializers.IntegerField(allow_null=True), help_text="Each janitor schedule's last run (unix)."
    )


class DiagnosticsConnectorLatencyOutput(serializers.Serializer):
    p50_ms = serializers.IntegerField()
    p95_ms = serializers.IntegerField()
    samples = serializers.IntegerField()


class DiagnosticsConnectorHealthOutput(serializers.Serializer):
    connector = serializers.CharField()
    code = serializers.CharField()
    livemode = serializers.BooleanField()
    ok = serializers.BooleanField()
    latency_ms = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class DiagnosticsWebhooksOutput(serializers.Serializer):
    undelivered = serializers.IntegerField()
    oldest_undelivered_event = serializers.CharField(allow_null=True)
    oldest_undelivered_age_seconds = _AGE


class DiagnosticsQueueOutput(serializers.Serializer):
    queue = serializers.CharField()
    messages = serializers.IntegerField(allow_null=True, help_text="null: the broker could not be asked.")
    error = serializers.CharField(required=False, help_text="The exception's class when the broker was down.")


class DiagnosticsBeatOutput(serializers.Serializer):
    state = serializers.ChoiceField(choices=["ok", "stale", "missing"])
    last_run_at = serializers.IntegerField(allow_null=True)
    age_seconds = _AGE


class DiagnosticsCeleryOutput(serializers.Serializer):
    queue = DiagnosticsQueueOutput()
    beat = DiagnosticsBeatOutput()


class DiagnosticsOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["diagnostics"])
    generated_at = serializers.IntegerField()
    payment_intents_in_flight = DiagnosticsIntentsInFlightOutput(many=True)
    attempts_unresolved = DiagnosticsAttemptsUnresolvedOutput()
    failed_attempts_last_24h_by_connector = serializers.DictField(child=serializers.IntegerField())
    connector_latency_last_24h = serializers.DictField(child=DiagnosticsConnectorLatencyOutput())
    connectors = DiagnosticsConnectorHealthOutput(many=True)
    refunds_queued = serializers.DictField(
        child=serializers.IntegerField(), help_text="Counts by refund status."
    )
    payouts_queued = serializers.DictField(
        child=serializers.IntegerField(), help_text="Counts by payout status."
    )
    webhooks = DiagnosticsWebhooksOutput()
    celery = DiagnosticsCeleryOutput()


# --- GET /v1/pci/attestation (apps.devtools.operations.pci_attestation) -------------------------


class PciCardDataOutput(serializers.Serializer):
    stored = serializers.CharField()
    returned = serializers.BooleanField()
    kept_on_payment_methods = serializers.ListField(child=serializers.CharField())
    cvc_stored = serializers.BooleanField(
        help_text="Whether a CVC is kept after the authorization it was given for."
    )
    cvc_held_until_first_authorization = serializers.BooleanField()
    cvc_hold_max_seconds = serializers.IntegerField()
    cvc_holds_open = serializers.IntegerField()
    payment_methods = serializers.IntegerField()


class PciKeyRotationOutput(serializers.Serializer):
    at = serializers.IntegerField()
    target_version = serializers.CharField(allow_null=True)
    remaining = serializers.IntegerField(allow_null=True)


class PciVaultOutput(serializers.Serializer):
    scheme = serializers.CharField()
    active_key_version = serializers.CharField()
    configured_key_versions = serializers.ListField(child=serializers.CharField())
    key_versions_in_use = serializers.DictField(
        child=serializers.IntegerField(), help_text="Records per key version."
    )
    records = serializers.IntegerField()
    last_rotation = PciKeyRotationOutput(allow_null=True)


class PciFingerprintOutput(serializers.Serializer):
    scheme = serializers.CharField()


class PciAuditOutput(serializers.Serializer):
    append_only = serializers.BooleanField()
    retention = serializers.CharField()


class PciAccessReviewOutput(serializers.Serializer):
    reviewed_at = serializers.IntegerField()
    reviewed_by = serializers.CharField()
    snapshot = serializers.DictField()


class PciStaffOutput(serializers.Serializer):
    mfa_enforced = serializers.BooleanField()
    mfa_method = serializers.CharField()
    active_staff = serializers.IntegerField()
    superusers = serializers.IntegerField()
    with_confirmed_2fa_device = serializers.IntegerField()
    dormant_over_90_days = serializers.IntegerField()
    last_access_review = PciAccessReviewOutput(allow_null=True)


class PciAttestationOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["pci.attestation"])
    merchant = serializers.CharField()
    livemode = serializers.BooleanField()
    generated_at = serializers.IntegerField()
    card_data = PciCardDataOutput()
    vault = PciVaultOutput()
    fingerprint = PciFingerprintOutput()
    audit = PciAuditOutput()
    staff = PciStaffOutput()
