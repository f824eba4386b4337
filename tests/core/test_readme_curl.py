"""Every curl example in the README runs, as written, against a live server in the suite: the
README cannot drift from the API again. Each ```bash/```sh block that calls curl runs in bash with
`set -euo pipefail`; curl fails on any HTTP error (`--fail-with-body`), so a 4xx/5xx fails the test."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.merchants.factories import MerchantFactory, api_key_create

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"```(?:bash|sh)\n(.*?)```", re.S)


def curl_blocks() -> list[str]:
    return [
        block
        for block in _BLOCK.findall(README.read_text())
        if re.search(r"^\s*\w*=?\$?\(?curl ", block, re.M)
    ]


def test_the_readme_has_curl_examples():
    assert len(curl_blocks()) >= 2


@pytest.fixture(autouse=True)
def _keep_connections_open():
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("index", range(len(curl_blocks())))
def test_readme_curl_block_runs_against_a_live_server(index, live_server):
    _, secret = api_key_create(MerchantFactory(name="README Shop"), kind="secret")
    host = live_server.url.removeprefix("http://")
    block = curl_blocks()[index]
    script = "\n".join(
        [
            "set -euo pipefail",
            'curl() { command curl --fail-with-body --show-error --max-time 30 "$@"; echo; }',
            *(
                line
                for line in block.replace("localhost:8000", host).splitlines()
                if not line.startswith("SK=")
            ),
        ]
    )
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "SK": secret},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"README block {index} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
