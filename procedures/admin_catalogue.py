"""Admin pages of the catalogue: fields, procedures, versions (draft → published), import/export.

Published versions are read-only here as everywhere: to change a procedure, open a draft
("Tạo bản nháp"), edit it, set its effective date and publish it.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from procedures.constants import VersionStatus
from procedures.form_schema import form_schema_validate
from procedures.models import DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector
from procedures.services import (
    CatalogueImportError,
    catalogue_export_json,
    catalogue_import_json,
    procedure_version_create_draft,
    procedure_version_publish,
)
from procedures.services.transfer import MAX_IMPORT_BYTES
from procedures.services.versions import COPIED_FIELDS
from procedures.workflow_template import workflow_steps_validate


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class _ReadOnlyWhenPublished:
    """Inline rows of a published version can be seen, not changed."""

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class FeeInline(_ReadOnlyWhenPublished, admin.TabularInline):
    model = Fee
    extra = 0


class DocumentInline(_ReadOnlyWhenPublished, admin.StackedInline):
    model = DocumentRequirement
    extra = 0
    fields = [
        ("order", "name"),
        "description",
        ("template", "template_name"),
        ("originals", "copies", "required", "reusable", "from_form"),
        "national_document",
        ("accepted_types", "max_size"),
    ]


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    extra = 0
    fields = ["number", "status", "effective_date", "name", "published_at"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Tệp JSON danh mục thủ tục"))
    publish = forms.BooleanField(
        label=_("Công bố ngay"),
        required=False,
        initial=True,
        help_text=_("Bỏ chọn để nhập thành bản nháp, kiểm tra rồi công bố sau."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("Tệp lớn quá 50 MB."))
        return upload


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sector", "is_active", "updated_at"]
    list_filter = ["sector", "is_active", "agencies"]
    search_fields = ["code", "name"]
    filter_horizontal = ["agencies"]
    inlines = [VersionInline]
    actions = ["create_drafts"]
    change_list_template = "procedures/admin/procedure_change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="procedures_catalogue_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="procedures_catalogue_export"),
            *super().get_urls(),
        ]

    @admin.action(description=_("Tạo bản nháp để chỉnh sửa"))
    def create_drafts(self, request, queryset):
        for procedure in queryset:
            procedure_version_create_draft(procedure=procedure)
        self.message_user(request, gettext("Đã tạo bản nháp cho %(n)s thủ tục.") % {"n": queryset.count()})

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(catalogue_export_json(), content_type="application/json; charset=utf-8")
        name = f"danh-muc-thu-tuc-{timezone.localdate():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        problems: list[str] = []
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = catalogue_import_json(
                    raw=form.cleaned_data["file"].read(), user=request.user, publish=form.cleaned_data["publish"]
                )
            except CatalogueImportError as error:
                problems = error.messages
                messages.error(request, gettext("Tệp có lỗi, chưa có thay đổi nào được lưu."))
            else:
                messages.success(request, gettext("Đã nhập danh mục: %(summary)s") % {"summary": result.summary()})
                return redirect(reverse("admin:procedures_procedure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Nhập danh mục thủ tục từ tệp JSON"),
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, "procedures/admin/catalogue_import.html", context)


class VersionAdminForm(forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = ["procedure", "effective_date", *COPIED_FIELDS]

    def clean_form_schema(self):
        try:
            return form_schema_validate(self.cleaned_data.get("form_schema"))
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean_workflow_steps(self):
        try:
            return workflow_steps_validate(self.cleaned_data.get("workflow_steps"))
        except ValidationError as error:
            raise ValidationError(error.messages) from None


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = VersionAdminForm
    list_display = ["procedure", "number", "name", "status", "effective_date", "published_at"]
    list_filter = ["status", "service_level", "legacy_level", "procedure__sector"]
    search_fields = ["procedure__code", "name"]
    list_select_related = ["procedure"]
    raw_id_fields = ["procedure"]
    inlines = [FeeInline, DocumentInline]
    actions = ["publish"]
    fieldsets = [
        (None, {"fields": ["procedure", "number", "status", "effective_date", "published_at", "published_by"]}),
        (
            _("Thông tin công bố"),
            {
                "fields": [
                    "name",
                    "name_en",
                    "summary_en",
                    ("service_level", "legacy_level"),
                    ("for_citizens", "for_organisations"),
                    ("channel_online", "channel_in_person", "channel_post"),
                    ("processing_time", "processing_time_unit"),
                    "processing_time_note",
                    "steps_text",
                    "conditions",
                    "result_place",
                    "legal_basis",
                    "result_types",
                ]
            },
        ),
        (_("Biểu mẫu điện tử và quy trình"), {"fields": ["form_schema", "workflow_steps"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == VersionStatus.PUBLISHED:
            return [f.name for f in self.model._meta.fields]
        return ["number", "status", "published_at", "published_by"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == VersionStatus.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            last = obj.procedure.versions.order_by("-number").values_list("number", flat=True).first()
            obj.number = (last or 0) + 1
            obj.status = VersionStatus.DRAFT
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Công bố các bản nháp đã chọn (theo ngày có hiệu lực đã nhập)"))
    def publish(self, request, queryset):
        done = 0
        for version in queryset.select_related("procedure"):
            try:
                if version.effective_date is None:
                    raise ValidationError(gettext("Cần nhập ngày có hiệu lực trước khi công bố."))
                procedure_version_publish(version=version, effective_date=version.effective_date, user=request.user)
            except ValidationError as error:
                self.message_user(
                    request,
                    f"{version.procedure.code} v{version.number}: " + " ".join(error.messages),
                    level=messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(request, gettext("Đã công bố %(n)s phiên bản.") % {"n": done})
