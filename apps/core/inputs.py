"""Strict input serializers and fields of the merchant API (re-exported by `apps.core.rest`):
unknown parameters refused by name, amounts, integers, timestamps, booleans, currencies and
metadata validated the way Stripe does."""

import copy
from datetime import UTC, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.currencies import CURRENCIES
from apps.core.limits import BIGINT_MAX, BIGINT_MIN, UNIX_MAX, UNIX_MIN, ascii_int
from apps.core.parsers import as_list

# --- input ------------------------------------------------------------------------------------


_MUTABLE = (dict, list, set)


def _field_copy(field: serializers.Field) -> serializers.Field:
    """A fresh, unbound copy of a declared field. DRF deep-copies (``Field.__deepcopy__``:
    built again from its arguments, ~30 µs a field, ~0.8 ms of a create+confirm's CPU, issue
    21); a plain field gets its own attribute dict, validator list and messages instead, which
    is the state that construction would give it (the declared field is never bound). Nested
    serializers, list/dict fields, relations and mutable defaults keep DRF's deep copy."""
    state = field.__dict__
    if (
        isinstance(field, serializers.BaseSerializer)
        or "child" in state
        or "child_relation" in state
        or isinstance(state.get("default"), _MUTABLE)
        or isinstance(state.get("initial"), _MUTABLE)
        or any(isinstance(arg, _MUTABLE) for arg in field._args)
    ):
        return copy.deepcopy(field)
    clone = object.__new__(type(field))
    clone.__dict__.update(state)
    if "_validators" in state:
        clone._validators = list(state["_validators"])
    clone.error_messages = dict(field.error_messages)
    return clone


class StrictSerializer(serializers.Serializer):
    """Rejects parameters it does not know, naming the first one (Stripe: parameter_unknown)."""

    def get_fields(self):
        return {name: _field_copy(field) for name, field in self._declared_fields.items()}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            if self.parent is None and "expand" in data and "expand" not in self.fields:
                # Every endpoint takes expand[] (MerchantAPIView applies it to the response).
                data = {key: value for key, value in data.items() if key != "expand"}
            data = self._lists_from_indexed(data)
            unknown = [key for key in data if key not in self.fields or self.fields[key].read_only]
            if unknown:
                raise serializers.ValidationError(
                    {
                        unknown[0]: [
                            serializers.ErrorDetail(
                                f"Received unknown parameter: {unknown[0]}", code="unknown"
                            )
                        ]
                    }
                )
        return super().to_internal_value(data)

    def _lists_from_indexed(self, data: dict) -> dict:
        """Form and query parameters carry lists as `x[0]=a&x[1]=b`, decoded as {"0": "a", "1": "b"}
        (apps/core/parsers.py); here, and only for the fields that are lists, they become lists."""
        converted = None
        for name, value in data.items():
            field = self.fields.get(name) if isinstance(name, str) else None
            if field is None or not isinstance(value, (dict, str)):
                continue
            if isinstance(
                field, (serializers.ListField, serializers.ListSerializer, serializers.MultipleChoiceField)
            ):
                converted = converted if converted is not None else dict(data)
                # One plain `name=value` is a one-item list (what a QueryDict's getlist gave before).
                converted[name] = [value] if isinstance(value, str) and value else as_list(value, param=name)
        return converted if converted is not None else data


@extend_schema_field(OpenApiTypes.INT)
class AmountField(serializers.Field):
    """An integer amount in minor units. Floats, booleans and non-numeric strings are refused."""

    default_error_messages = {
        "invalid_integer": "Invalid integer: {value}. Amounts are integers in the smallest currency unit.",
        "negative": "This value must be greater than or equal to 0.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid_integer", value=data)
        if isinstance(data, int):
            value = data
        elif isinstance(data, str) and ascii_int(data.strip(), minimum=-BIGINT_MAX) is not None:
            value = int(data.strip())
        else:
            self.fail("invalid_integer", value=data)
        if value < 0:
            self.fail("negative")
        if value > BIGINT_MAX:
            self.fail("invalid_integer", value=data)
        return value

    def to_representation(self, value):
        return int(value)


class StrictIntegerField(serializers.IntegerField):
    """IntegerField that refuses booleans and floats with a fraction instead of truncating them,
    held to a PostgreSQL bigint unless `min_value`/`max_value` narrow it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", BIGINT_MIN)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.INT)
class UnixTimestampField(StrictIntegerField):
    """Unix seconds in, an aware UTC datetime out; held to years 1970 to 9999 unless narrowed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", UNIX_MIN)
        kwargs.setdefault("max_value", UNIX_MAX)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        # The range validators run on the integer, before it becomes a datetime.
        value = super().run_validation(data)
        return None if value is None else datetime.fromtimestamp(value, tz=UTC)

    def to_representation(self, value):
        return int(value.timestamp()) if isinstance(value, datetime) else value


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if data in (True, False, "true", "false", "True", "False"):
            return data in (True, "true", "True")
        self.fail("invalid", input=data)


class CurrencyField(serializers.CharField):
    default_error_messages = {
        "invalid_currency": "Invalid currency: {value}. Use a three-letter ISO 4217 code."
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # Exactly a code, in any case: "usd " and " usd" are refused, as Stripe does.
        if not isinstance(data, str) or data.upper() not in CURRENCIES:
            self.fail("invalid_currency", value=data)
        return data.upper()

    def to_representation(self, value):
        return value.lower() if value else value


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class MetadataField(serializers.Field):
    """Stripe metadata: up to 50 keys of at most 40 characters, string values up to 500."""

    default_error_messages = {
        "not_a_dict": "Metadata must be an object of string keys and string values.",
        "too_many": "Metadata can have up to 50 keys.",
        "key_length": "Metadata keys must be 1 to 40 characters without brackets: {name}.",
        "value": "Metadata values must be strings of at most 500 characters ({name}).",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data in ("", None):
            return {}
        if not isinstance(data, dict):
            self.fail("not_a_dict")
        if len(data) > 50:
            self.fail("too_many")
        clean = {}
        for key, value in data.items():
            if not isinstance(key, str) or not 0 < len(key) <= 40 or "[" in key:
                self.fail("key_length", name=key)
            if isinstance(value, (bool, dict, list)):
                self.fail("value", name=key)
            if value is None:
                value = ""
            value = str(value)
            if len(value) > 500:
                self.fail("value", name=key)
            clean[key] = value
        return clean

    def to_representation(self, value):
        return value or {}
