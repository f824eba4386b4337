"""The nginx reverse proxy's config, rendered from the template config/nginx.conf (the
production-like setup: nginx buffers each request and answer whole, so slow clients never hold a
gunicorn thread). `manage.py nginx_config` is the command line; tests render it the same way."""

import os
import pwd
import re
from pathlib import Path

from django.conf import settings

TEMPLATE = Path(settings.BASE_DIR) / "config" / "nginx.conf"

# Seconds. A client has this long to send its headers, and between two reads of its body; nginx
# drops a client that stops reading its answer for send_timeout.
CLIENT_HEADER_TIMEOUT = 10
CLIENT_BODY_TIMEOUT = 10
SEND_TIMEOUT = 30
PROXY_READ_TIMEOUT = 60

_FIELD = re.compile(r"\{\{(\w+)\}\}")


MULTIPART_OVERHEAD = 64 * 1024


def body_limit() -> int:
    """The largest request body any endpoint takes (bytes)."""
    files = int(getattr(settings, "FILES_MAX_BYTES", 0) or 0)
    return max(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), files + MULTIPART_OVERHEAD if files else 0)


def render(
    *,
    listen: str,
    upstream: str,
    var_dir: str | os.PathLike,
    access_log: str | None = None,
    worker_processes: str = "auto",
    user: str | None = None,
    client_header_timeout: int = CLIENT_HEADER_TIMEOUT,
    client_body_timeout: int = CLIENT_BODY_TIMEOUT,
    send_timeout: int = SEND_TIMEOUT,
) -> str:
    """The config as text. `listen` is nginx's listen address (`127.0.0.1:8000`, `8000`),
    `upstream` gunicorn's bind (`127.0.0.1:8001`, `unix:/run/clearhouse.sock`), `var_dir` where
    nginx keeps its pid, logs and temp files. `user` is only used when nginx starts as root (its
    workers then run as it; default the current user, because `nobody` cannot reach var/)."""
    var_dir = Path(var_dir).resolve()
    if os.geteuid() == 0:
        user = user or pwd.getpwuid(os.geteuid()).pw_name
        user_directive = f"user {user};\n"
    else:
        user_directive = ""
    values = {
        "listen": listen,
        "upstream": upstream,
        "var_dir": str(var_dir),
        "access_log": access_log or str(var_dir / "access.log"),
        "worker_processes": worker_processes,
        "user_directive": user_directive,
        "client_header_timeout": str(int(client_header_timeout)),
        "client_body_timeout": str(int(client_body_timeout)),
        "send_timeout": str(int(send_timeout)),
        "proxy_read_timeout": str(PROXY_READ_TIMEOUT),
        # Django's limits, so an oversized body is refused before it reaches gunicorn: the larger
        # of a form/JSON body's and a file upload's (POST /v1/files, FILES_MAX_BYTES, plus room for
        # the multipart envelope). Django's own 413 answers a JSON body between the two.
        "client_max_body_size": str(body_limit()),
    }
    for name, value in values.items():
        if name != "user_directive" and (any(c in value for c in ";{}#\n\r\"' ") or not value):
            raise ValueError(f"nginx {name} {value!r} cannot go into the config")
    text = TEMPLATE.read_text()
    missing = set(_FIELD.findall(text)) - values.keys()
    if missing:
        raise ValueError(f"config/nginx.conf has fields without a value: {sorted(missing)}")
    return _FIELD.sub(lambda m: values[m.group(1)], text)


def write(var_dir: str | os.PathLike, **kwargs) -> Path:
    """Render into `var_dir`/nginx.conf (creating var_dir) and return its path."""
    var_dir = Path(var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "nginx.conf"
    path.write_text(render(var_dir=var_dir, **kwargs))
    return path
