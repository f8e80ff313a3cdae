"""The admin app with our two-factor StaffAdminSite (dsar/security.py) as the default `admin.site`.

Kept apart from dsar/security.py because Django imports app configs before models are ready."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "dsar.security.StaffAdminSite"

    def ready(self):
        super().ready()
        from . import security  # noqa: F401  (registers the deployment checks)
