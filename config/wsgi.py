import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# CLEARHOUSE_ENV=production with a demo secret: the web process does not start (apps.core.checks).
from apps.core.checks import refuse_demo_secrets  # noqa: E402  (needs the app registry)

refuse_demo_secrets()
