from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The staff back office: the admin site, its navigation, dashboard, search, big-table paging,
    money display and input, and the one confirm-then-act pattern every admin action uses."""

    name = "apps.backoffice"
    label = "backoffice"
