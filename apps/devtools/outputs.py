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
