"""Writes on procedure versions: open a draft, publish it with an effective date.

Published versions never change (dossiers are bound to them); edits happen on a draft,
which is a copy of the latest version with its fees and document components.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures.constants import VersionStatus
from procedures.form_schema import form_schema_validate
from procedures.models import DocumentRequirement, Fee, Procedure, ProcedureVersion
from procedures.workflow_template import workflow_steps_validate

COPIED_FIELDS = [
    "name",
    "service_level",
    "legacy_level",
    "for_citizens",
    "for_organisations",
    "channel_in_person",
    "channel_online",
    "channel_post",
    "processing_time",
    "processing_time_unit",
    "processing_time_note",
    "steps_text",
    "conditions",
    "result_place",
    "legal_basis",
    "result_types",
    "form_schema",
    "workflow_steps",
]


def _next_number(procedure: Procedure) -> int:
    last = procedure.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def procedure_version_create_draft(*, procedure: Procedure) -> ProcedureVersion:
    """Return the procedure's open draft, creating it as a copy of the latest version if needed."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    draft = procedure.versions.filter(status=VersionStatus.DRAFT).order_by("-number").first()
    if draft is not None:
        return draft
    source = procedure.versions.order_by("-number").first()
    draft = ProcedureVersion(procedure=procedure, number=_next_number(procedure), status=VersionStatus.DRAFT)
    if source is None:
        draft.name = procedure.name
        draft.save()
        return draft
    for field in COPIED_FIELDS:
        setattr(draft, field, getattr(source, field))
    draft.save()
    Fee.objects.bulk_create(
        Fee(
            version=draft,
            order=f.order,
            amount=f.amount,
            description=f.description,
            collected_at=f.collected_at,
            quantity_field=f.quantity_field,
            quantity_free=f.quantity_free,
            quantity_max=f.quantity_max,
            per_field=f.per_field,
            condition_field=f.condition_field,
            condition_value=f.condition_value,
        )
        for f in source.fees.all()
    )
    DocumentRequirement.objects.bulk_create(
        DocumentRequirement(
            version=draft,
            order=d.order,
            name=d.name,
            description=d.description,
            template=d.template.name,
            template_name=d.template_name,
            originals=d.originals,
            copies=d.copies,
            required=d.required,
            accepted_types=d.accepted_types,
            max_size=d.max_size,
            reusable=d.reusable,
            from_form=d.from_form,
            national_document=d.national_document,
        )
        for d in source.documents.all()
    )
    return draft


def procedure_version_check(*, version: ProcedureVersion) -> None:
    """Raise ValidationError (keyed by model field) when the version's documents are inconsistent."""
    errors: dict[str, list] = {}
    try:
        version.form_schema = form_schema_validate(version.form_schema)
    except ValidationError as error:
        errors["form_schema"] = error.messages
    try:
        version.workflow_steps = workflow_steps_validate(version.workflow_steps)
    except ValidationError as error:
        errors["workflow_steps"] = error.messages
    if not (version.for_citizens or version.for_organisations):
        errors["for_citizens"] = [_("Chọn ít nhất một đối tượng thực hiện.")]
    if not (version.channel_in_person or version.channel_online or version.channel_post):
        errors["channel_in_person"] = [_("Chọn ít nhất một cách thức thực hiện.")]
    if (
        version.pk
        and not (version.form_schema or {}).get("fields")
        and version.documents.filter(from_form=True).exists()
    ):
        errors["form_schema"] = [
            _("Có thành phần hồ sơ đáp ứng bằng tờ khai trực tuyến nhưng thủ tục chưa có biểu mẫu điện tử.")
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def procedure_version_publish(
    *, version: ProcedureVersion, effective_date: dt.date, user=None, allow_past: bool = False
) -> ProcedureVersion:
    """Publish a draft from ``effective_date`` on; from then it is read-only."""
    version = ProcedureVersion.objects.select_for_update().select_related("procedure").get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_("Chỉ công bố được bản nháp; phiên bản này đã được công bố."), code="not_draft")
    if effective_date is None:
        raise ValidationError({"effective_date": [_("Cần ngày có hiệu lực.")]})
    if not allow_past and effective_date < timezone.localdate():
        raise ValidationError({"effective_date": [_("Ngày có hiệu lực không được trước hôm nay.")]})
    procedure_version_check(version=version)
    version.status = VersionStatus.PUBLISHED
    version.effective_date = effective_date
    version.published_at = timezone.now()
    version.published_by = user if getattr(user, "is_authenticated", False) else None
    version.save(
        update_fields=[
            "status",
            "effective_date",
            "published_at",
            "published_by",
            "form_schema",
            "workflow_steps",
            "updated_at",
        ]
    )
    if effective_date <= timezone.localdate() and version.procedure.name != version.name:
        version.procedure.name = version.name
        version.procedure.save(update_fields=["name", "updated_at"])
    return version
