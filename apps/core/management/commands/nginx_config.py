"""`manage.py nginx_config`: render config/nginx.conf into var/nginx/nginx.conf (or --var-dir)."""

import os

from django.core.management.base import BaseCommand

from apps.core import nginx


class Command(BaseCommand):
    help = "Render the nginx reverse-proxy config (config/nginx.conf) for the production-like setup."

    def add_arguments(self, parser):
        port = os.environ.get("PORT", "8000")
        parser.add_argument(
            "--listen",
            default=os.environ.get("NGINX_LISTEN") or f"{os.environ.get('HOST', '127.0.0.1')}:{port}",
            help="nginx's listen address (default $NGINX_LISTEN, else $HOST:$PORT, 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--upstream",
            default=os.environ.get("UPSTREAM", "127.0.0.1:8001"),
            help="gunicorn's address (default $UPSTREAM, 127.0.0.1:8001)",
        )
        parser.add_argument(
            "--var-dir",
            default=os.environ.get("NGINX_VAR_DIR", "var/nginx"),
            help="pid, logs, temp files (default $NGINX_VAR_DIR, var/nginx)",
        )
        parser.add_argument(
            "--access-log",
            default=os.environ.get("NGINX_ACCESS_LOG"),
            help="access log path, or /dev/stdout (default <var-dir>/access.log)",
        )
        parser.add_argument(
            "--user", default=os.environ.get("NGINX_USER"), help="worker user if nginx runs as root"
        )

    def handle(self, *args, **options):
        path = nginx.write(
            options["var_dir"],
            listen=options["listen"],
            upstream=options["upstream"],
            access_log=options["access_log"],
            user=options["user"],
        )
        self.stdout.write(str(path))
