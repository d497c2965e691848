"""The procedures part's signal receivers, connected once by ``ProceduresConfig.ready``: a change
to the catalogue clears its cached searches and filter lists (``selectors.catalogue_cached``)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from procedures.models import Agency, DocumentRequirement, Fee, Procedure, ProcedureVersion, RuleSet, Sector
from procedures.selectors import catalogue_changed, rule_sets_changed

for _model in (Agency, DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector):
    post_save.connect(catalogue_changed, sender=_model, dispatch_uid=f"catalogue-save-{_model.__name__}")
    post_delete.connect(catalogue_changed, sender=_model, dispatch_uid=f"catalogue-delete-{_model.__name__}")
m2m_changed.connect(catalogue_changed, sender=Procedure.agencies.through, dispatch_uid="catalogue-agencies")
post_save.connect(rule_sets_changed, sender=RuleSet, dispatch_uid="rulebook-save")
post_delete.connect(rule_sets_changed, sender=RuleSet, dispatch_uid="rulebook-delete")
