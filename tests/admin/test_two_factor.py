"""Staff 2FA (django-otp TOTP) on the admin login: enforced by default, off in the embedded demo."""

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.admin.staff import PASSWORD, staff_user

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def finance():
    user = staff_user("finance", "fiona")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def _login(client, **extra):
    return client.post(reverse("admin:login"), {"username": "fiona", "password": PASSWORD, **extra})


def test_setting_defaults_to_required():
    from config import settings as project_settings

    assert project_settings.ADMIN_2FA_REQUIRED is True or project_settings.env.bool(
        "ADMIN_2FA_REQUIRED", True
    )


def test_with_2fa_a_password_alone_is_refused(settings, client, finance):
    settings.ADMIN_2FA_REQUIRED = True
    page = client.get(reverse("admin:login")).content.decode()
    assert 'name="otp_token"' in page
    response = _login(client)
    assert response.status_code == 200
    assert "OTP token" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_with_2fa_a_wrong_code_is_refused(settings, client, finance):
    settings.ADMIN_2FA_REQUIRED = True
    response = _login(client, otp_token="000000" if _code(finance[1]) != "000000" else "111111")
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_with_2fa_password_and_code_log_in(settings, client, finance):
    settings.ADMIN_2FA_REQUIRED = True
    response = _login(client, otp_token=_code(finance[1]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_2fa_a_session_without_a_verified_device_is_not_let_in(settings, client, finance):
    settings.ADMIN_2FA_REQUIRED = True
    client.force_login(finance[0])  # password-level session only
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_without_2fa_the_password_is_enough(settings, client, finance):
    settings.ADMIN_2FA_REQUIRED = False
    assert 'name="otp_token"' not in client.get(reverse("admin:login")).content.decode()
    assert _login(client).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
