"""Admin of the dossiers app: the daily anchors of the event chains, read-only, each
downloadable by an administrator who may view them (the sealed PDF, from private storage); the
rule sets of the service-quality index and the mission's targets, editable."""

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from dossiers.models import EventAnchor, IndexRule, IndexRuleSet, MissionTarget
from dossiers.models.quality import rule_points_validate


class IndexRuleFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        rules = [
            (form.cleaned_data.get("indicator"), form.cleaned_data.get("max_points") or 0)
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        rule_points_validate(rules)


class IndexRuleInline(admin.TabularInline):
    model = IndexRule
    formset = IndexRuleFormSet
    extra = 0


@admin.register(IndexRuleSet)
class IndexRuleSetAdmin(admin.ModelAdmin):
    list_display = ("name", "effective_from")
    inlines = [IndexRuleInline]


@admin.register(MissionTarget)
class MissionTargetAdmin(admin.ModelAdmin):
    list_display = ("key", "target", "effective_from")
    list_filter = ("key",)


@admin.register(EventAnchor)
class EventAnchorAdmin(admin.ModelAdmin):
    list_display = ("day", "dossiers_count", "digest", "signed_at", "download_link")
    readonly_fields = (
        "day",
        "dossiers_count",
        "digest",
        "sha256",
        "signed_at",
        "signed_by_identity",
        "created_at",
        "download_link",
    )
    fields = readonly_fields
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False  # made by the daily task only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an anchor handed out must stay: it is what the chains are checked against

    @admin.display(description=_("Tải về"))
    def download_link(self, obj: EventAnchor) -> str:
        url = reverse("admin:dossiers_eventanchor_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Tải tệp neo (PDF)"))

    def get_urls(self):
        return [
            path("<int:pk>/download/", never_cache(self.download_view), name="dossiers_eventanchor_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        """The sealed anchor file, for an active staff member allowed to view anchors only."""
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (self.admin_site.has_permission(request) and self.has_view_permission(request)):
            raise PermissionDenied
        anchor = EventAnchor.objects.filter(pk=pk).first()
        if anchor is None or not anchor.file:
            raise Http404
        return FileResponse(
            anchor.file.open("rb"),
            as_attachment=True,
            filename=f"event-anchor-{anchor.day:%Y-%m-%d}.pdf",
            content_type="application/pdf",
        )
