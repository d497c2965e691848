from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Hồ sơ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks in every process, so the pipelines' signatures (built by task
        # name in `dossiers.core.pipelines`) resolve to them: the base task's outbox fallback
        # and eager mode apply. Tasks import services and models: not before the registry is ready.
        from dossiers import tasks  # noqa: F401, PLC0415
