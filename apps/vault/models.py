"""Customers, payment methods and the vault.

The card or bank number lives only in `VaultRecord`, encrypted (envelope encryption, see
crypto.py). `PaymentMethod` and `Token` keep the display facts (brand, last4, expiry,
funding, country) and a keyed fingerprint. The CVC is never stored in the clear: `CvcHold`
keeps it encrypted for the card's first authorization only, then it is deleted.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.core.models import PublicIdModel, TenantModel, TimeStampedModel


class Customer(TenantModel):
    ID_PREFIX = "cus"

    email = models.CharField(max_length=512, blank=True, default="")  # stored lower-cased
    name = models.CharField(max_length=256, blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")
    address = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "email"], name="vault_customer_email_idx"),
            models.Index(fields=["merchant", "livemode", "-public_id"], name="vault_customer_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.email or self.name}".strip()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VaultRecord(PublicIdModel, TimeStampedModel):
    """One encrypted secret (a PAN, an IBAN, or a routing+account number pair).

    The associated data binds the ciphertext to this record and its merchant, so a blob
    copied onto another row or another merchant does not decrypt.
    """

    ID_PREFIX = "vr"

    class Kind(models.TextChoices):
        CARD = "card"
        IBAN = "iban"
        US_BANK_ACCOUNT = "us_bank_account"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    kek_version = models.CharField(max_length=16, db_index=True)
    wrapped_key = models.BinaryField()
    nonce = models.BinaryField()
    ciphertext = models.BinaryField()
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kek_version", "id"], name="vault_record_rotation_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.kind}, key {self.kek_version})"


class CvcHold(models.Model):
    """The card security code given at tokenization, sealed for the card's first authorization.

    PCI DSS v4.0 req. 3.3.1 lets sensitive authentication data be retained until authorization
    completes, protected, then rendered unrecoverable; Stripe likewise uses the CVC for the first
    authorization only. The row is its own envelope (own data key) under associated data of a
    different purpose than the record's (``clearhouse.vault.cvc.v1|…``), so it cannot be swapped
    with a number's ciphertext. Deleted when the first authorization has an outcome
    (``vault_cvc_release``) or, at the latest, by the sweeper after ``TTL_SECONDS``.
    """

    # The upper bound, not the rule (the rule is "until the first authorization has an outcome",
    # PCI DSS v4.0 req. 3.3.1 and its applicability notes): one hour, our choice. A card token lives
    # 15 minutes (Token.TTL_SECONDS) and a confirm follows tokenization within minutes; an hour
    # covers a slow checkout (a 3DS-heavy or hesitant customer) and no more.
    TTL_SECONDS = 60 * 60

    vault_record = models.OneToOneField(
        VaultRecord, primary_key=True, on_delete=models.CASCADE, related_name="cvc_hold"
    )
    kek_version = models.CharField(max_length=16)
    wrapped_key = models.BinaryField()
    nonce = models.BinaryField()
    ciphertext = models.BinaryField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"CVC hold of vault record {self.vault_record_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class PaymentMethod(TenantModel):
    ID_PREFIX = "pm"

    class Type(models.TextChoices):
        CARD = "card"
        SEPA_DEBIT = "sepa_debit"
        US_BANK_ACCOUNT = "us_bank_account"
        APPLE_PAY = "apple_pay"
        GOOGLE_PAY = "google_pay"
        PAYPAL = "paypal"

    class AllowRedisplay(models.TextChoices):
        ALWAYS = "always"
        LIMITED = "limited"
        UNSPECIFIED = "unspecified"

    class VerificationStatus(models.TextChoices):
        UNVERIFIED = "unverified"
        PENDING = "pending"  # micro-deposits sent, waiting for the amounts
        VERIFIED = "verified"
        FAILED = "failed"  # zero-amount authorization declined
        LOCKED = "locked"  # too many wrong micro-deposit attempts

    WALLET_TYPES = (Type.APPLE_PAY, Type.GOOGLE_PAY, Type.PAYPAL)
    BANK_TYPES = (Type.SEPA_DEBIT, Type.US_BANK_ACCOUNT)

    type = models.CharField(max_length=20, choices=Type.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_methods"
    )
    is_default = models.BooleanField(default=False)
    billing_details = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    nickname = models.CharField(max_length=100, blank=True, default="")

    # Card display facts (cards, and the card behind a wallet when the wallet reveals it).
    card_brand = models.CharField(max_length=20, blank=True, default="")
    card_last4 = models.CharField(max_length=4, blank=True, default="")
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    card_funding = models.CharField(max_length=10, blank=True, default="")
    card_country = models.CharField(max_length=2, blank=True, default="")
    # A card a provider's browser SDK tokenized (apps.vault.provider_tokens): which provider (only
    # its accounts can take it; routing excludes the others), and when its single-use token was
    # spent by a first authorization (vault_cvc_release; the secret no longer holds it).
    card_token_provider = models.CharField(max_length=20, blank=True, default="")
    card_token_consumed_at = models.DateTimeField(null=True, blank=True)

    # Bank display facts (sepa_debit, us_bank_account).
    bank_last4 = models.CharField(max_length=4, blank=True, default="")
    bank_country = models.CharField(max_length=2, blank=True, default="")
    bank_code = models.CharField(max_length=16, blank=True, default="")
    bank_routing_number = models.CharField(max_length=9, blank=True, default="")
    bank_account_type = models.CharField(max_length=10, blank=True, default="")
    bank_account_holder_type = models.CharField(max_length=10, blank=True, default="")

    # Wallets / APMs carry the provider's token (never a card number).
    wallet_token = models.CharField(max_length=500, blank=True, default="")
    wallet_payer_email = models.CharField(max_length=512, blank=True, default="")

    fingerprint = models.CharField(max_length=32, blank=True, default="", db_index=True)
    vault_record = models.OneToOneField(
        VaultRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_method"
    )

    # Card-on-file consent.
    allow_redisplay = models.CharField(
        max_length=12, choices=AllowRedisplay.choices, default=AllowRedisplay.UNSPECIFIED
    )
    consent_collected_at = models.DateTimeField(null=True, blank=True)

    verification_status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # Outcome of the last card check (cvc_check, decline_code, …); never sensitive data.
    verification_detail = models.JSONField(default=dict, blank=True)

    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "-public_id"], name="vault_pm_list_idx"),
            models.Index(fields=["customer", "-public_id"], name="vault_pm_customer_idx"),
            models.Index(fields=["card_last4"], name="vault_pm_last4_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True, deleted_at__isnull=True),
                name="vault_pm_one_default_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(customer__isnull=False),
                name="vault_pm_default_needs_customer",
            ),
            models.CheckConstraint(
                condition=Q(card_exp_month__isnull=True) | Q(card_exp_month__gte=1, card_exp_month__lte=12),
                name="vault_pm_exp_month_range",
            ),
        ]

    def __str__(self) -> str:
        if self.type == self.Type.CARD:
            return f"{self.public_id} {self.card_brand} •••• {self.card_last4}"
        if self.bank_last4:
            return f"{self.public_id} {self.type} •••• {self.bank_last4}"
        return f"{self.public_id} {self.type}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MicroDepositVerification(TimeStampedModel):
    """Two small deposits sent to a bank account; the customer confirms the amounts."""

    MAX_ATTEMPTS = 3

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        LOCKED = "locked"

    payment_method = models.OneToOneField(
        PaymentMethod, on_delete=models.CASCADE, related_name="microdeposits"
    )
    amount_1 = models.PositiveSmallIntegerField()
    amount_2 = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=3)
    attempts = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField()
    arrival_date = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_1__gte=1, amount_1__lte=99, amount_2__gte=1, amount_2__lte=99),
                name="vault_microdeposit_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"micro-deposits for {self.payment_method_id} ({self.status})"


class Token(TenantModel):
    """A single-use card token made with a publishable key (`tok_…`), short-lived."""

    ID_PREFIX = "tok"
    TTL_SECONDS = 15 * 60

    vault_record = models.ForeignKey(VaultRecord, on_delete=models.PROTECT, related_name="tokens")
    card_brand = models.CharField(max_length=20)
    card_last4 = models.CharField(max_length=4)
    card_exp_month = models.PositiveSmallIntegerField()
    card_exp_year = models.PositiveSmallIntegerField()
    card_funding = models.CharField(max_length=10)
    card_country = models.CharField(max_length=2, blank=True, default="")
    fingerprint = models.CharField(max_length=32)
    billing_details = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Stripe's card.tokenization_method: a device wallet's token (the sandbox faucet's apple_pay /
    # google_pay tokens) becomes a payment method of that wallet type; "" is a plain card token.
    tokenization_method = models.CharField(max_length=20, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.public_id} {self.card_brand} •••• {self.card_last4}"
