"""Reading an upload into rows and checking each row's parameters before the job starts.

A row has the parameters of the single-object API (`POST /v1/payment_intents`, `POST /v1/refunds`);
CSV headers `metadata[order_id]` become metadata keys, as Stripe's form encoding spells them."""

from __future__ import annotations

import csv
import io
import json
import re

from rest_framework import serializers

from apps.core.errors import ApplicationError
from apps.core.exception_handler import validation_error_body
from apps.core.rest import AmountField, CurrencyField, MetadataField, StrictBooleanField, StrictSerializer

from .errors import BulkUploadInvalid

MAX_ROWS = 10_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_METADATA_COLUMN = re.compile(r"metadata\[([^\[\]]{1,40})\]")


class PaymentIntentRow(StrictSerializer):
    amount = AmountField()
    currency = CurrencyField()
    payment_method = serializers.CharField(max_length=64, required=False)
    customer = serializers.CharField(max_length=64, required=False)
    confirm = StrictBooleanField(required=False, default=False)
    capture_method = serializers.ChoiceField(["automatic", "manual"], required=False)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    metadata = MetadataField()


class RefundRow(StrictSerializer):
    payment_intent = serializers.CharField(max_length=64, required=False)
    charge = serializers.CharField(max_length=64, required=False)
    amount = AmountField(required=False)
    reason = serializers.ChoiceField(["duplicate", "fraudulent", "requested_by_customer"], required=False)
    metadata = MetadataField()

    def validate(self, attrs):
        if not attrs.get("payment_intent") and not attrs.get("charge"):
            raise serializers.ValidationError(
                {"payment_intent": [serializers.ErrorDetail("Missing required param: payment_intent.",
                                                            code="required")]}
            )  # fmt: skip
        return attrs


ROW_SCHEMAS = {"payment_intents": PaymentIntentRow, "refunds": RefundRow}


def rows_from_upload(*, data=None, upload=None) -> tuple[str, list[dict]]:
    """(`json` | `csv` | `jsonl`, the raw rows). A JSON array body, or a multipart `file`."""
    if upload is not None:
        if upload.size > MAX_UPLOAD_BYTES:
            raise BulkUploadInvalid(detail=f"the file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BulkUploadInvalid(detail="the file is not UTF-8 text.") from None
        name = (getattr(upload, "name", "") or "").lower()
        if name.endswith((".jsonl", ".ndjson")) or text.lstrip().startswith("{"):
            return "jsonl", _jsonl(text)
        return "csv", _csv(text)
    if isinstance(data, list):
        return "json", _limit(list(data))
    raise BulkUploadInvalid(
        detail="send a JSON array of rows, or a CSV / JSON Lines file as multipart `file`."
    )


def _limit(rows: list) -> list:
    if not rows:
        raise BulkUploadInvalid(detail="it has no rows.")
    if len(rows) > MAX_ROWS:
        raise BulkUploadInvalid(detail=f"it has more than {MAX_ROWS} rows.")
    return rows


def _jsonl(text: str) -> list:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            raise BulkUploadInvalid(detail=f"line {number} is not JSON.") from None
        if len(rows) > MAX_ROWS:
            break
    return _limit(rows)


def _csv(text: str) -> list:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise BulkUploadInvalid(detail="the CSV has no header line.")
    rows = []
    try:
        for record in reader:
            row: dict = {}
            for key, value in record.items():
                if key is None or value in (None, ""):
                    continue  # an empty cell is an absent parameter; extra cells have no header
                match = _METADATA_COLUMN.fullmatch(key.strip())
                if match:
                    row.setdefault("metadata", {})[match.group(1)] = value
                else:
                    row[key.strip()] = value
            rows.append(row)
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise BulkUploadInvalid(detail=f"the CSV could not be read ({exc}).") from None
    return _limit(rows)


def row_validate(kind: str, raw) -> tuple[dict | None, dict | None]:
    """(clean params, None) or (None, error {code, param, message}) for one row."""
    if not isinstance(raw, dict):
        return None, {"code": "parameter_invalid", "param": "", "message": "A row must be an object."}
    serializer = ROW_SCHEMAS[kind](data=raw)
    try:
        valid = serializer.is_valid()
    except ApplicationError as exc:
        return None, {"code": exc.code, "param": exc.param or "", "message": exc.message}
    if not valid:
        body = validation_error_body(serializers.ValidationError(serializer.errors))
        return None, {"code": body["code"], "param": body.get("param", ""), "message": body["message"]}
    clean = dict(serializer.validated_data)
    if "currency" in clean:
        clean["currency"] = clean["currency"].upper()
    return clean, None
