"""Production refuses the demo secrets (apps.core.checks): CLEARHOUSE_ENV=production with any of
SECRET_KEY, VAULT_KEYS, VAULT_FINGERPRINT_KEY, FIELD_ENCRYPTION_KEYS at its demo value is an error
naming it (`check`, `check --deploy`, web start); the demo only gets --deploy warnings."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from apps.core import demo_secrets
from apps.core.checks import TAG, refuse_demo_secrets

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["SECRET_KEY", "VAULT_KEYS", "VAULT_FINGERPRINT_KEY", "FIELD_ENCRYPTION_KEYS"]
FRESH = {
    "SECRET_KEY": "a-real-secret-key-" + "x" * 40,
    "VAULT_KEYS": "v1:" + base64.b64encode(b"real-vault-key-v1-32-bytes-long!").decode(),
    "VAULT_FINGERPRINT_KEY": "a-real-fingerprint-key",
    "FIELD_ENCRYPTION_KEYS": "v1:" + base64.b64encode(b"real-field-key-v1-32-bytes-long!").decode(),
}


@pytest.fixture
def demo_values(settings):
    for name, value in demo_secrets.DEMO_VALUES.items():
        setattr(settings, name, value)
    return settings


def found(deploy=False):
    return {(m.id, m.level): m.msg for m in checks.run_checks(tags=[TAG], include_deployment_checks=deploy)}


def test_production_names_each_demo_secret_as_an_error(demo_values):
    demo_values.CLEARHOUSE_ENV = "production"
    result = found(deploy=True)
    assert sorted(result) == [(f"clearhouse.E00{i}", checks.ERROR) for i in range(1, 5)]
    for i, name in enumerate(NAMES, start=1):
        assert result[(f"clearhouse.E00{i}", checks.ERROR)].startswith(f"{name} is still the demo value")
    with pytest.raises(ImproperlyConfigured) as refused:
        refuse_demo_secrets()
    assert all(name in str(refused.value) for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_demo_secret_left_alone_is_named(settings, name):
    settings.CLEARHOUSE_ENV = "production"
    for other, value in FRESH.items():
        setattr(settings, other, value)
    setattr(settings, name, demo_secrets.DEMO_VALUES[name])
    assert [msg.split(" ")[0] for msg in found().values()] == [name]


def test_a_demo_key_kept_in_a_keyring_under_another_name_counts(settings):
    settings.CLEARHOUSE_ENV = "production"
    for name, value in FRESH.items():
        setattr(settings, name, value)
    settings.VAULT_KEYS = FRESH["VAULT_KEYS"] + ",v2:" + base64.b64encode(demo_secrets.VAULT_KEK).decode()
    settings.FIELD_ENCRYPTION_KEYS = "v3:" + base64.b64encode(demo_secrets.FIELD_KEY).decode()
    assert sorted(found()) == [("clearhouse.E002", checks.ERROR), ("clearhouse.E004", checks.ERROR)]


def test_production_with_fresh_secrets_passes(settings):
    settings.CLEARHOUSE_ENV = "production"
    for name, value in FRESH.items():
        setattr(settings, name, value)
    assert found(deploy=True) == {}
    refuse_demo_secrets()


def test_the_demo_gets_warnings_on_deploy_only(demo_values):
    demo_values.CLEARHOUSE_ENV = "demo"
    assert found() == {}
    refuse_demo_secrets()
    assert sorted(found(deploy=True)) == [(f"clearhouse.W00{i}", checks.WARNING) for i in range(1, 5)]


def _run(*args, **env):
    # Without the suite's own switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, an error
    # under --deploy of its own).
    dropped = (*NAMES, "CLEARHOUSE_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**environment, **env}, capture_output=True, text=True
    )


def test_manage_py_check_deploy_and_the_web_process_refuse_demo_secrets_in_production():
    check = _run("manage.py", "check", "--deploy", CLEARHOUSE_ENV="production")
    assert check.returncode != 0
    for i, name in enumerate(NAMES, start=1):
        assert f"(clearhouse.E00{i}) {name} is still the demo value" in check.stderr
    web = _run("-c", "import config.wsgi", CLEARHOUSE_ENV="production")
    assert web.returncode != 0
    assert "Refusing to start with demo secrets in production" in web.stderr
    assert all(name in web.stderr for name in NAMES)
    # The demo (no CLEARHOUSE_ENV) starts: `check` passes, the WSGI application loads.
    assert _run("manage.py", "check").returncode == 0
    assert _run("-c", "import config.wsgi").returncode == 0
    fresh = _run(
        "manage.py", "check", "--deploy", "--fail-level", "ERROR", CLEARHOUSE_ENV="production", **FRESH
    )
    assert fresh.returncode == 0, fresh.stderr
    assert "clearhouse." not in fresh.stderr + fresh.stdout


def test_worker_and_beat_refuse_demo_secrets_in_production(tmp_path):
    env = {"CLEARHOUSE_ENV": "production", "CELERY_BROKER_URL": "filesystem://"}
    env["CLEARHOUSE_VAR_DIR"] = str(tmp_path)
    worker = _run("-m", "celery", "-A", "config", "worker", "--pool", "solo", **env)
    beat = _run(
        *("-m", "celery", "-A", "config", "beat", "--scheduler", "celery.beat:PersistentScheduler"),
        *("--schedule", str(tmp_path / "beat-schedule")),
        **env,
    )
    for process in (worker, beat):
        assert process.returncode != 0
        output = process.stdout + process.stderr
        assert "Refusing to start with demo secrets in production" in output
        assert all(name in output for name in NAMES)
