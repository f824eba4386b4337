from django.db.models import QuerySet

from apps.core.errors import NotFoundError

from .models import ApiKey, Merchant, MerchantSettings


def merchant_settings_get(merchant: Merchant) -> MerchantSettings:
    return MerchantSettings.objects.get(merchant=merchant)


def api_key_list(*, merchant: Merchant, livemode: bool) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(merchant=merchant, livemode=livemode)


def api_key_get(*, merchant: Merchant, livemode: bool, id: str) -> ApiKey:
    key = ApiKey.objects.filter(merchant=merchant, livemode=livemode, public_id=id).first()
    if key is None:
        raise NotFoundError("api_key", id)
    return key


def merchant_choices(limit: int = 200) -> list[tuple[int, str, str]]:
    """(pk, public_id, name) of merchants by name, for the back office's merchant picker."""
    return list(Merchant.objects.order_by("name").values_list("pk", "public_id", "name")[:limit])
