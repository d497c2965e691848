from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Thủ tục hành chính")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers import models, which exist only once the registry is ready: Django's own rule.
        from procedures import receivers  # noqa: F401, PLC0415 - connects the catalogue's cache receivers
