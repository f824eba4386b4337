"""Loads the embedded demo: a merchant with test keys, one staff user per role, and each app's
demo data (an app contributes by defining `apps/<app>/demo.py` with `load(merchant, stdout)`).

Idempotent: running it again finds what exists and adds nothing twice. The demo keys are derived
from a fixed seed so the printed keys stay valid across runs; they only ever work in test mode."""

import hashlib
import importlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.audit.services import Actor
from apps.merchants.models import ApiKey, Merchant
from apps.merchants.services import api_key_create, hash_key, merchant_create

DEMO_MERCHANT = "Demo Shop"
STAFF_PASSWORD_SUFFIX = "-demo-pass"


def demo_key_body(kind: str) -> str:
    digest = hashlib.sha256(f"clearhouse-demo-{kind}-{settings.SECRET_KEY}".encode()).hexdigest()
    return digest[:44]


def demo_totp_device(user):
    """One authenticator per demo staff user, with a key derived from SECRET_KEY so the printed
    otpauth URI stays valid across runs (demo only)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    seed = f"clearhouse-demo-totp-{user.username}-{settings.SECRET_KEY}"
    key = hashlib.sha256(seed.encode()).hexdigest()[:40]
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="demo authenticator", defaults={"key": key, "confirmed": True}
    )
    return device


class Command(BaseCommand):
    help = "Load idempotent demo data (merchant, keys, staff per role, sample payments)."

    def handle(self, *args, **options):
        actor = Actor.system("load_demo")
        with transaction.atomic():
            merchant = Merchant.objects.filter(name=DEMO_MERCHANT).first()
            if merchant is None:
                merchant = merchant_create(
                    name=DEMO_MERCHANT, country="US", default_currency="USD", actor=actor
                )
            keys = {}
            for kind, prefix in ((ApiKey.Kind.SECRET, "sk"), (ApiKey.Kind.PUBLISHABLE, "pk")):
                body = demo_key_body(kind)
                plaintext = f"{prefix}_test_{body}"
                if not ApiKey.objects.filter(hashed_key=hash_key(plaintext)).exists():
                    _, plaintext = api_key_create(
                        merchant=merchant,
                        kind=kind,
                        livemode=False,
                        actor=actor,
                        name=f"Demo {kind} key",
                        secret=body,
                    )
                keys[kind] = plaintext
            logins = []
            for role in ("finance", "support", "risk", "compliance", "admin"):
                user = User.objects.filter(username=role).first()
                password = f"{role}{STAFF_PASSWORD_SUFFIX}"
                if user is None:
                    user = User.objects.create_user(
                        username=role, email=f"{role}@clearhouse.test", password=password, is_staff=True
                    )
                user.groups.add(Group.objects.get(name=role))
                logins.append((role, password, demo_totp_device(user)))
        apps_dir = Path(__file__).resolve().parents[3]
        # Each app's demo may set ORDER (default 50): pricing before payments before payouts.
        modules = [
            importlib.import_module(f"apps.{path.parent.name}.demo") for path in apps_dir.glob("*/demo.py")
        ]
        for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
            module.load(merchant, self.stdout)
        self.stdout.write(self.style.SUCCESS("\nClearhouse demo is ready."))
        self.stdout.write(f"  Merchant:         {merchant.name} ({merchant.public_id})")
        self.stdout.write(f"  Secret key:       {keys[ApiKey.Kind.SECRET]}")
        self.stdout.write(f"  Publishable key:  {keys[ApiKey.Kind.PUBLISHABLE]}")
        self.stdout.write(
            "  Staff logins (/admin/); when ADMIN_2FA_REQUIRED is true, add the TOTP URI to an authenticator app:"
        )
        for role, password, device in logins:
            self.stdout.write(f"    {role:<11} password {password}")
            self.stdout.write(f"    {'':<11} totp     {device.config_url}")
