from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Thủ tục hành chính")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from procedures.models import Agency, DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector
        from procedures.selectors import catalogue_changed

        # Cached catalogue searches and filter lists (``procedures.selectors.catalogue_cached``).
        for model in (Agency, DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector):
            post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-save-{model.__name__}")
            post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-delete-{model.__name__}")
        m2m_changed.connect(catalogue_changed, sender=Procedure.agencies.through, dispatch_uid="catalogue-agencies")
