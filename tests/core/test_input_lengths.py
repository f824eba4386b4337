"""Every text an API input takes has a length limit no larger than where it is stored (issue 12:
a string longer than its column answered 500). The mechanism is the serializers' `max_length`;
this test walks every input serializer (StrictSerializer subclasses) so a new field without one
fails here, and one request per class of field proves the limit answers 400 naming the param."""

import importlib
import pkgutil

import pytest
from rest_framework import serializers

import apps
from apps.core.rest import StrictSerializer


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _input_serializers():
    for module in pkgutil.walk_packages(apps.__path__, "apps."):
        if module.name.endswith(".api.serializers"):
            importlib.import_module(module.name)
    return sorted(set(_all_subclasses(StrictSerializer)), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _unbounded_text_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        path = f"{prefix}{name}"
        if isinstance(field, serializers.ChoiceField):
            continue
        if isinstance(field, serializers.BaseSerializer) and not isinstance(
            field, serializers.ListSerializer
        ):
            yield from _unbounded_text_fields(field, f"{path}.")
            continue
        child = getattr(field, "child", None)
        if isinstance(child, serializers.Serializer):
            yield from _unbounded_text_fields(child, f"{path}[].")
            continue
        candidates = [field] + ([child] if isinstance(child, serializers.CharField) else [])
        for candidate in candidates:
            if isinstance(candidate, serializers.CharField) and candidate.max_length is None:
                yield path


def test_there_are_input_serializers_to_check():
    assert len(_input_serializers()) > 20


@pytest.mark.parametrize(
    "serializer_class", _input_serializers(), ids=lambda c: f"{c.__module__}.{c.__qualname__}"
)
def test_every_text_input_has_a_length_limit(serializer_class):
    serializer = serializer_class()
    assert list(_unbounded_text_fields(serializer)) == []


@pytest.mark.django_db
def test_an_email_longer_than_its_column_is_refused_naming_it(api):
    long_email = "a" * 250 + "@example.com"
    response = api.post(
        "/v1/payment_intents", {"amount": 1000, "currency": "usd", "receipt_email": long_email}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == "receipt_email"
