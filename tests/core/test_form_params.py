"""Form bodies and query strings with Rack/qs brackets (apps/core/parsers.py): what Stripe's
clients send, decoded back to what they meant; bad names, depth and counts refused by name."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from apps.core.errors import ParameterInvalid, RequestTooLarge
from apps.core.parsers import MAX_LIST_LENGTH, MAX_PARAM_DEPTH, as_list, decode_params


def stripe_encoded(params: dict) -> str:
    """Exactly what stripe-python 16 puts on the wire (form body or query string)."""
    return urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")


def restore(decoded, like):
    """The decoded value read the way a field of `like`'s shape reads it: integer-keyed objects
    become lists where `like` has a list (StrictSerializer does this per field)."""
    if isinstance(like, list):
        return [restore(item, sample) for item, sample in zip(as_list(decoded), like, strict=True)]
    if isinstance(like, dict):
        return {key: restore(decoded[key], value) for key, value in like.items()}
    return decoded


def as_sent(value, *, in_list: bool = False):
    """What the SDK's encoding does to scalars: ints and bools become their text ("true", but
    "True" for a boolean that is directly a list item: stripe-python skips its lower-casing
    there; StrictBooleanField reads both)."""
    if isinstance(value, bool):
        return str(value) if in_list else str(value).lower()
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list):
        # A list inside a list is encoded as an integer-keyed dict, so its booleans lower-case.
        return [as_sent(v, in_list=not in_list) for v in value]
    return {k: as_sent(v) for k, v in value.items()}


keys = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00[]"),
    min_size=1,
    max_size=12,
)
scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4), st.dictionaries(keys, inner, min_size=1, max_size=4)
    ),
    max_leaves=12,
)


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(_depth(v) for v in value.values())
    if isinstance(value, list):
        return 1 + max(_depth(v) for v in value)
    return 0


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=5))
def test_anything_stripe_python_encodes_decodes_back_to_the_same_structure(params):
    if max(_depth(v) for v in params.values()) > MAX_PARAM_DEPTH:
        return
    decoded = decode_params(stripe_encoded(params), max_fields=10_000)
    assert restore(decoded, params) == as_sent(params)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("metadata[order_id]=42&metadata[0]=x", {"metadata": {"order_id": "42", "0": "x"}}),
        ("expand[0]=customer&expand[1]=latest_charge", {"expand": {"0": "customer", "1": "latest_charge"}}),
        ("expand[]=customer&expand[]=latest_charge", {"expand": {"0": "customer", "1": "latest_charge"}}),
        ("expand%5B%5D=customer", {"expand": {"0": "customer"}}),
        ("created%5Bgte%5D=17", {"created": {"gte": "17"}}),
        (
            "payment_method_data[card][token]=tok_visa",
            {"payment_method_data": {"card": {"token": "tok_visa"}}},
        ),
        ("metadata=", {"metadata": ""}),
        ("metadata[k]=", {"metadata": {"k": ""}}),
        ("a=1&a=2", {"a": "2"}),
        ("q=a%26b%3Dc+d", {"q": "a&b=c d"}),
    ],
)
def test_what_the_sdks_and_curl_send(query, expected):
    assert decode_params(query) == expected


@pytest.mark.parametrize(
    "name", ["a[b", "a]b[", "a[b]]", "[a]", "a[][b]", "a[b][", "a" + "[x]" * (MAX_PARAM_DEPTH + 1)]
)
def test_malformed_or_too_deep_names_are_refused_naming_them(name):
    with pytest.raises(ParameterInvalid) as err:
        decode_params(f"{name}=1")
    assert err.value.param == name


def test_a_value_and_an_object_under_one_name_is_refused():
    with pytest.raises(ParameterInvalid) as err:
        decode_params("card=1&card[number]=4242")
    assert err.value.param == "card"


def test_more_pairs_than_the_field_limit_is_413_naming_the_crowded_param():
    body = "&".join(f"metadata[k{i}]=v" for i in range(10_000))
    with pytest.raises(RequestTooLarge) as err:
        decode_params(body, max_fields=1000)
    assert (err.value.status, err.value.param) == (413, "metadata")


def test_lists_take_at_most_the_limit_and_keep_index_order():
    assert as_list({"1": "b", "0": "a", "10": "c"}) == ["a", "b", "c"]
    assert as_list({"x": "1"}) == {"x": "1"}
    with pytest.raises(ParameterInvalid) as err:
        as_list({str(MAX_LIST_LENGTH): "x"}, param="expand")
    assert err.value.param == "expand"


# --- through the API ---------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"


@pytest.mark.django_db
def test_form_bodies_reach_nested_fields_and_metadata_keeps_integer_keys(api):
    resp = api.post(
        "/v1/customers",
        "email=f%40example.com&metadata[order_id]=42&metadata[0]=zero&address[city]=Paris",
        content_type=FORM,
    )
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["metadata"] == {"order_id": "42", "0": "zero"}
    assert body["address"]["city"] == "Paris"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ("metadata[a=1", 400, "metadata[a"),
        ("metadata]a[=1", 400, "metadata]a["),
        ("a" + "[x]" * 100 + "=1", 400, "a" + "[x]" * 100),
        ("&".join(f"metadata[k{i}]=v" for i in range(10_000)), 413, "metadata"),
        ("email=a%40b.co&email[x]=1", 400, "email"),
    ],
)
def test_bad_form_bodies_are_refused_naming_the_param(api, body, status, param):
    resp = api.post("/v1/customers", body, content_type=FORM)
    assert resp.status_code == status, resp.json()
    assert resp.json()["error"]["param"][:64] == param[:64]


@pytest.mark.django_db
def test_an_array_over_the_limit_is_400_naming_it(api):
    query = "&".join(f"types[{i}]=customer.created" for i in range(MAX_LIST_LENGTH + 1))
    resp = api.get("/v1/events?" + query)
    assert resp.status_code == 400, resp.json()
    assert resp.json()["error"]["param"] == "types"
    assert api.get("/v1/events?types[150]=customer.created").json()["error"]["param"] == "types"


@pytest.mark.django_db
def test_json_sent_as_form_says_to_send_content_type_json(api):
    resp = api.post("/v1/payment_intents", '{"amount": 1000, "currency": "usd"}', content_type=FORM)
    assert resp.status_code == 400
    assert "Content-Type: application/json" in resp.json()["error"]["message"]
    ok = api.post(
        "/v1/payment_intents", '{"amount": 1000, "currency": "usd"}', content_type="application/json"
    )
    assert ok.status_code == 200, ok.json()
