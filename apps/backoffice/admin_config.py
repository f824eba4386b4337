"""The back office's admin app config: Django's admin with our site class as the default site."""

from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    default_site = "apps.backoffice.site.BackOfficeSite"
