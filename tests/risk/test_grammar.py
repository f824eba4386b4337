"""The rule language: precedence, lists, missing values (three-valued logic), errors with their
position, the linter, and that random text only ever raises the rule's own parse error."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.risk.rules import RuleSyntaxError, compile_predicate, lint, parse


def run(text, ctx, members=frozenset()):
    return compile_predicate(parse(text))(ctx, members)


def test_and_binds_tighter_than_or():
    # a or (b and c): true by a alone
    ctx = {"amount": 10, "currency": "usd", "card_country": "FR"}
    assert run(":amount: = 10 or :currency: = 'eur' and :card_country: = 'de'", ctx) is True
    # (a or b) and c would be false here
    assert run("(:amount: = 10 or :currency: = 'eur') and :card_country: = 'de'", ctx) is False


def test_not_binds_tighter_than_and():
    ctx = {"amount": 10, "currency": "usd"}
    assert run("not :amount: = 5 and :currency: = 'usd'", ctx) is True
    assert run("not (:amount: = 10 and :currency: = 'usd')", ctx) is False


def test_keywords_and_strings_are_case_insensitive():
    ctx = {"card_country": "US", "amount": 1}
    assert run(":card_country: = 'us' AND NOT :amount: > 5", ctx) is True


def test_attribute_to_attribute_comparison():
    assert run(":card_country: != :ip_country:", {"card_country": "US", "ip_country": "NG"}) is True
    assert run(":card_country: != :ip_country:", {"card_country": "US", "ip_country": "us"}) is False


def test_value_list_membership_uses_the_probed_members():
    members = frozenset({("blocked_emails", "fraud@example.com")})
    assert run(":email: in @blocked_emails", {"email": "Fraud@Example.com"}, members) is True
    assert run(":email: in @blocked_emails", {"email": "ok@example.com"}, members) is False
    assert run(":email: not in @blocked_emails", {"email": "ok@example.com"}, members) is True


def test_literal_sets():
    assert run(":card_country: in ('us', 'ca')", {"card_country": "CA"}) is True
    assert run(":card_country: not in ('us', 'ca')", {"card_country": "CA"}) is False


def test_comparison_on_a_missing_attribute_is_unknown_not_false():
    assert run(":ip_country: = 'us'", {}) is None
    assert run(":ip_country: != 'us'", {}) is None
    # not(unknown) is unknown: the rule still does not match
    assert run("not (:ip_country: = 'us')", {}) is None
    assert run(":email: in @blocked", {}) is None


def test_kleene_tables_for_and_or():
    assert run(":ip_country: = 'us' and :amount: > 5", {"amount": 1}) is False  # unknown and false
    assert run(":ip_country: = 'us' and :amount: > 5", {"amount": 10}) is None  # unknown and true
    assert run(":ip_country: = 'us' or :amount: > 5", {"amount": 10}) is True
    assert run(":ip_country: = 'us' or :amount: > 5", {"amount": 1}) is None


def test_is_missing_is_the_way_to_ask_about_absence():
    assert run("is_missing(:ip_country:)", {}) is True
    assert run("is_missing(:ip_country:)", {"ip_country": "US"}) is False
    assert run("is_missing(:ip_country:) or :ip_country: != 'us'", {}) is True


def test_metadata_keys():
    assert run("::order_type:: = 'gift_card'", {"metadata.order_type": "gift_card"}) is True
    assert run("::order_type:: = 'gift_card'", {}) is None


def test_boolean_attribute_alone():
    assert run(":is_off_session:", {"is_off_session": True}) is True
    assert run("not :is_off_session:", {"is_off_session": True}) is False


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        (":risk_score: >", 15, "ends too early"),
        (":risk_scor: > 1", 1, "unknown attribute ':risk_scor:'"),
        (":amount: > 'x'", 12, "cannot compare a number with a string"),
        (":email: < 'a'", 9, "compares numbers only"),
        (":amount: > 1 andd :amount: < 5", 14, "unexpected"),
        (":amount: > 1 $", 14, "unexpected character '$'"),
        (":amount: in @list", 1, "a value list holds strings"),
        (":card_country:", 1, "compare it with a value"),
    ],
)
def test_errors_name_their_position(text, column, fragment):
    with pytest.raises(RuleSyntaxError) as info:
        parse(text)
    assert info.value.column == column, info.value.message
    assert fragment in info.value.message
    assert info.value.to_dict()["position"]["column"] == column
    assert info.value.to_dict()["param"] == "predicate"


def test_error_position_on_a_later_line():
    with pytest.raises(RuleSyntaxError) as info:
        parse(":amount: > 1\n and :nope: = 'x'")
    assert (info.value.line, info.value.column) == (2, 6)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(RuleSyntaxError):
        parse("not " * 200 + ":amount: > 1")
    with pytest.raises(RuleSyntaxError):
        parse("(" * 5000 + ":amount: > 1" + ")" * 5000)


def test_linter_warns_on_not_over_a_missable_attribute():
    codes = [w["code"] for w in lint(parse("not (:ip_country: = 'us')"))]
    assert codes == ["not_over_missing"]
    assert lint(parse("not (:amount: > 5)")) == []
    assert lint(parse("is_missing(:ip_country:) or not (:ip_country: = 'us')")) == []


def test_linter_warns_on_rules_that_can_never_match():
    codes = [w["code"] for w in lint(parse(":card_country: = 'us' and :card_country: = 'fr'"))]
    assert "never_matches" in codes
    assert [w["code"] for w in lint(parse(":amount: < 0"))] == ["never_matches"]
    assert [w["code"] for w in lint(parse("is_missing(:amount:)"))] == ["never_missing"]
    assert lint(parse(":risk_score: > 75")) == []


ALPHABET = st.sampled_from(
    [":amount:", ":email:", ":ip_country:", "::k::", "and", "or", "not", "in", "@l", "(", ")", ",",
     "=", "!=", "<", ">=", "'x'", '"y"', "1", "2.5", "-3", "true", "is_missing", " ", "\n", ":", "@",
     "'", "é", "\x00", "::", ":nope:"]
)  # fmt: skip


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(ALPHABET, max_size=25).map(" ".join),
        st.lists(ALPHABET, max_size=25).map("".join),
    )
)
def test_random_text_only_raises_the_rule_error(text):
    try:
        node = parse(text)
    except RuleSyntaxError as exc:
        assert exc.line >= 1 and exc.column >= 1 and 0 <= exc.offset <= len(text)
        return
    # whatever parses also evaluates, to true/false/unknown, over any context
    assert compile_predicate(node)({}, frozenset()) in (True, False, None)
    lint(node)
