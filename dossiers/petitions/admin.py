from django.contrib import admin

from dossiers.petitions.models import Petition, PetitionRuleSet


@admin.register(PetitionRuleSet)
class PetitionRuleSetAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "refuse_days", "info_days", "answer_days", "verified")


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    """Read only: every change goes through the petition's runner (pages and API)."""

    list_display = ("code", "title", "agency", "state", "answer_due_at")
    list_filter = ("state", "kind")
    search_fields = ("code", "title")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
