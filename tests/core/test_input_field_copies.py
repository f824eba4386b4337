"""StrictSerializer copies its declared fields (apps.core.inputs._field_copy) instead of DRF's
deep copy: every field of every input serializer gets the state DRF's copy would give it, owns
what it could mutate, and a serializer used many times validates as a fresh one."""

import copy

import pytest
from django.urls import get_resolver
from rest_framework import serializers

from apps.core.inputs import StrictSerializer, _field_copy


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _comparable(field):
    state = dict(field.__dict__)
    state.pop("_validators", None)
    return type(field), repr(field), sorted(state)


def test_every_declared_field_copies_as_drf_would():
    get_resolver().url_patterns  # imports every API module (their input serializers)
    classes = list(_subclasses(StrictSerializer))
    assert len(classes) > 20
    shallow = 0
    for cls in classes:
        for name, field in cls._declared_fields.items():
            ours, drfs = _field_copy(field), copy.deepcopy(field)
            assert ours is not field and _comparable(ours) == _comparable(drfs), (cls, name)
            assert ours.field_name is None and ours.parent is None, (cls, name)
            assert [type(v) for v in ours.validators] == [type(v) for v in drfs.validators], (cls, name)
            if "_validators" in field.__dict__:
                assert ours._validators is not field._validators
            assert (
                ours.error_messages == drfs.error_messages and ours.error_messages is not field.error_messages
            )
            shallow += type(ours) is not serializers.ListField and not isinstance(
                ours, serializers.BaseSerializer
            )
    assert shallow > 100


class _Input(StrictSerializer):
    amount = serializers.IntegerField(min_value=1)
    currency = serializers.ChoiceField(choices=["usd", "eur"])
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    note = serializers.CharField(max_length=5, required=False, default="")


@pytest.mark.parametrize("round_", range(3))
def test_a_copied_field_validates_and_changes_as_its_own(round_):
    first = _Input(data={"amount": 5, "currency": "usd", "tags": ["a"]})
    assert first.is_valid(), first.errors
    assert first.validated_data == {"amount": 5, "currency": "usd", "tags": ["a"], "note": ""}
    first.fields["amount"].validators.append(lambda value: None)
    first.fields["amount"].error_messages["min_value"] = "changed"
    bad = _Input(data={"amount": 0, "currency": "gbp", "tags": ["abcd"], "note": "toolong"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"amount", "currency", "tags", "note"}
    assert "changed" not in str(bad.errors["amount"])
    assert len(bad.fields["amount"].validators) == len(_Input._declared_fields["amount"].validators)
    assert bad.fields["amount"].parent is bad and _Input._declared_fields["amount"].parent is None
