import factory

from apps.audit.services import Actor
from apps.merchants.models import DEFAULT_PAYMENT_METHOD_TYPES, ApiKey, Merchant, MerchantSettings
from apps.merchants.services import api_key_create as _api_key_create


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Merchant {n}")
    country = "US"
    default_currency = "USD"
    settlement_currency = "USD"

    @factory.post_generation
    def with_settings(obj, create, extracted, **kwargs):
        if create:
            MerchantSettings.objects.get_or_create(
                merchant=obj, defaults={"allowed_payment_method_types": list(DEFAULT_PAYMENT_METHOD_TYPES)}
            )


def api_key_create(merchant, *, kind="secret", livemode=False, scopes=None) -> tuple[ApiKey, str]:
    return _api_key_create(
        merchant=merchant, kind=kind, livemode=livemode, scopes=scopes, actor=Actor.system("tests")
    )
