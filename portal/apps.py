from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Tài khoản và cổng")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers import models, which exist only once the registry is ready: Django's own rule.
        from portal import receivers  # noqa: F401, PLC0415 - connects the portal's signal receivers
