from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Hồ sơ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app's tasks register with Celery in every process (web included): the core
        # enqueues by task name (dossiers.core.pipelines), which must resolve to the registered
        # task so that its base class (outbox, retries) and eager mode in tests apply.
        autodiscover_modules("tasks")
