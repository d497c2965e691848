import unicodedata

from django.apps import AppConfig
from django.db.backends.signals import connection_created
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
        connection_created.connect(_sqlite_functions, dispatch_uid="dossiers_sqlite_functions")


def _fold(text):
    """``procedures_unaccent`` for SQLite: lower case without Vietnamese accents (as PostgreSQL's
    ``unaccent`` gives, so that the officer search behaves the same in ``make run``)."""
    if text is None:
        return None
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


def _sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("procedures_unaccent", 1, _fold, deterministic=True)
