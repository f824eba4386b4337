"""Split payments: validation of the rule and the deterministic allocation of shares.

A rule is a list of `{"account_type", "account_id", "percentage_bp"}`; percentages are basis
points and must total 10000. Account types (the seed's splitRule):
- `SystemOwner` → the platform (a platform revenue account per account_id),
- `ServiceOwner` → the merchant itself (its pending balance),
- `Partner` → a beneficiary account of the merchant, per account_id.

Rounding rule (capture): each share is floor(total * bp / 10000); the remainder (fewer minor
units than there are shares) goes one unit at a time to the shares with the largest dropped
fraction, ties to the earlier entry in the rule. The parts always sum to the whole, and the same
input always gives the same output.
"""

from apps.core.limits import ascii_int

from .errors import ParameterInvalid, ParameterInvalidInteger, ParameterMissing, SplitPercentagesInvalid

ACCOUNT_TYPES = {"SystemOwner", "ServiceOwner", "Partner"}
_ALIASES = {t.lower(): t for t in ACCOUNT_TYPES} | {
    "system_owner": "SystemOwner",
    "service_owner": "ServiceOwner",
    "partner": "Partner",
}
TOTAL_BP = 10_000


def validate_split_rule(value, *, param: str = "split") -> list[dict]:
    """Cleans a split rule or raises a parameter error naming the parameter.
    Accepts `percentage_bp` (int basis points) or `percentage` (a number with up to 2 decimals,
    e.g. 33.33, or a string "33.33") per entry."""
    if not isinstance(value, list) or not value:
        raise ParameterInvalid(
            "split must be a non-empty list of {account_type, account_id, percentage_bp}.",
            param=param,
        )
    if len(value) > 20:
        raise ParameterInvalid("A split has at most 20 entries.", param=param)
    clean: list[dict] = []
    total = 0
    for index, entry in enumerate(value):
        where = f"{param}[{index}]"
        if not isinstance(entry, dict):
            raise ParameterInvalid("Each split entry must be an object.", param=where)
        raw_type = entry.get("account_type")
        account_type = _ALIASES.get(str(raw_type).lower()) if isinstance(raw_type, str) else None
        if account_type is None:
            raise ParameterInvalid(
                "account_type must be one of SystemOwner, ServiceOwner, Partner.",
                param=f"{where}[account_type]",
            )
        account_id = entry.get("account_id")
        if not isinstance(account_id, str) or not account_id.strip() or len(account_id) > 100:
            error = ParameterMissing if not account_id else ParameterInvalid
            raise error(
                "account_id must be a non-empty string of at most 100 characters.",
                param=f"{where}[account_id]",
            )
        bp = _basis_points(entry, where)
        total += bp
        clean.append({"account_type": account_type, "account_id": account_id.strip(), "percentage_bp": bp})
    if total != TOTAL_BP:
        raise SplitPercentagesInvalid(percent=f"{total / 100:g}", total=total, param=param)
    return clean


def _basis_points(entry: dict, where: str) -> int:
    if "percentage_bp" in entry:
        bp = entry["percentage_bp"]
        if isinstance(bp, bool) or not isinstance(bp, int) or not 0 < bp <= TOTAL_BP:
            raise ParameterInvalidInteger(
                "percentage_bp must be an integer from 1 to 10000 (basis points).",
                param=f"{where}[percentage_bp]",
            )
        return bp
    raw = entry.get("percentage")
    if raw is None or isinstance(raw, bool):
        raise ParameterMissing(
            "Each split entry needs percentage_bp (basis points).",
            param=f"{where}[percentage_bp]",
        )
    text = str(raw).strip()
    whole, _, frac = text.partition(".")
    if ascii_int(whole, minimum=0) is None or (
        frac and (ascii_int(frac, minimum=0) is None or len(frac.rstrip("0")) > 2)
    ):
        raise ParameterInvalid(
            "percentage must be a number with at most two decimals (e.g. 33.33).",
            param=f"{where}[percentage]",
        )
    bp = int(whole) * 100 + int((frac + "00")[:2] or 0)
    if not 0 < bp <= TOTAL_BP:
        raise ParameterInvalid(
            "percentage must be greater than 0 and at most 100.",
            param=f"{where}[percentage]",
        )
    return bp


def canonical_account_type(value) -> str:
    """The account type a split entry names (aliases accepted); anything else is a Partner."""
    return _ALIASES.get(str(value).lower(), "Partner")


def allocate(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder allocation of `total` in proportion to non-negative integer `weights`.
    Exact: the parts sum to `total`; ties go to the earlier weight."""
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    denominator = sum(weights)
    if not weights or denominator <= 0:
        raise ValueError("weights must have a positive sum")
    floors = []
    remainders = []
    for index, weight in enumerate(weights):
        quotient, remainder = divmod(total * weight, denominator)
        floors.append(quotient)
        remainders.append((-remainder, index))
    left = total - sum(floors)
    for _, index in sorted(remainders)[:left]:
        floors[index] += 1
    return floors


def split_amounts(total: int, rule: list[dict]) -> list[dict]:
    """The rule with each share's `amount` (minor units) filled in; sums exactly to `total`."""
    amounts = allocate(total, [entry["percentage_bp"] for entry in rule])
    return [{**entry, "amount": amount} for entry, amount in zip(rule, amounts, strict=True)]
