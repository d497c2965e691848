"""Request and response shapes of the dossiers API (filing, lists, detail, public tracking).

Output serializers read plain dossier objects; the views pass what the caller may see in
the serializer context (``personal``, ``actions``), so a serializer never decides access.
"""

import json
from collections.abc import Callable
from operator import attrgetter

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dossiers import tracking
from dossiers.constants import StatusCode, event_label
from dossiers.core.notes import event_applicant_note, event_internal_note

DOCUMENT_URL = "/files/documents/{id}/"
PREVIEW_URL = "/files/documents/{id}/preview/"
SLIP_URL = "/files/slips/{id}/"


_DATETIME = serializers.DateTimeField()


def when(value) -> str | None:
    """A date-time as DRF's DateTimeField writes it (local time zone, ISO 8601): for the
    serializers that build hot rows directly instead of walking their declared fields."""
    return None if value is None else _DATETIME.to_representation(value)


# An output serializer for hot lists: each row is built in one pass over a plan read once
# from the declared fields (the schema's), not by DRF's generic walk, which re-checks every
# field of every row. Sources are plain attributes (dotted paths); a method field calls its
# ``get_<name>``; a value of None stays None, any other goes through its field's
# ``to_representation``. Tests check rows equal DRF's walk over the same fields. (A comment,
# not a docstring: drf-spectacular would print a docstring as every subclass's description.)
class RowSerializer(serializers.Serializer):
    @cached_property
    def _row_plan(self) -> list[tuple[str, Callable, Callable | None]]:
        plan = []
        for field in self._readable_fields:
            if isinstance(field, serializers.SerializerMethodField):
                plan.append((field.field_name, getattr(self, field.method_name), None))
            elif field.source == "*":
                plan.append((field.field_name, _itself, field.to_representation))
            else:
                write = _BUILTIN_WRITERS.get(type(field), field.to_representation)
                plan.append((field.field_name, attrgetter(field.source), write))
        return plan

    def to_representation(self, instance) -> dict:
        return {
            name: value if (value := read(instance)) is None or write is None else write(value)
            for name, read, write in self._row_plan
        }


def _itself(instance):
    return instance


# What these fields' ``to_representation`` does, as a builtin: a Python call less per cell.
_BUILTIN_WRITERS = {serializers.CharField: str, serializers.IntegerField: int}


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.Field):
    """A JSON object, sent either as an object (JSON body) or as a JSON string (multipart)."""

    default_error_messages = {
        "invalid_json": _("Trường data phải là một chuỗi JSON hợp lệ."),
        "not_object": _("Trường data phải là một đối tượng JSON (khóa là tên trường của biểu mẫu)."),
    }

    def to_internal_value(self, data):
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data or "{}")
            except (ValueError, RecursionError):
                self.fail("invalid_json")
        if not isinstance(data, dict):
            self.fail("not_object")
        return data

    def to_representation(self, value):
        return value


class FilingRequestSerializer(serializers.Serializer):
    procedure = serializers.CharField(
        max_length=32,
        help_text="Procedure code, e.g. 1.001193",
        error_messages={"required": _("Thiếu mã thủ tục."), "blank": _("Thiếu mã thủ tục.")},
    )
    data = JSONObjectField(required=False, help_text="Form answers keyed by the form's field names.")
    on_behalf_of = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Organisation id, when filing for an organisation the caller belongs to.",
        error_messages={"invalid": _("Mã tổ chức phải là một số nguyên.")},
    )
    agency = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text="Receiving agency code (defaults to the first)."
    )
    documents = serializers.DictField(
        child=serializers.FileField(),
        required=False,
        help_text="Files, one per document component, sent as multipart parts named documents[<requirement id>].",
    )
    national_consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Ask the national databases through the LGSP (the population database by the caller's số định danh, "
            "with this consent; the business registry for an organisation): their answers fill the prefilled "
            "fields and stand, and their documents stand for the components bound to them (no upload needed)."
        ),
    )
    corrections = JSONObjectField(
        required=False,
        help_text=(
            "Why a national answer is changed: {field name: reason}. A changed national answer is refused "
            "without its reason, and refused in any case when the form does not mark the field correctable."
        ),
        error_messages={
            "invalid_json": _("Trường corrections phải là một chuỗi JSON hợp lệ."),
            "not_object": _(
                "Trường corrections phải là một đối tượng JSON (khóa là tên trường, giá trị là lý do sửa)."
            ),
        },
    )


class FilingResponseSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField(source="state", help_text="Internal state, e.g. submitted.")
    status_label = serializers.SerializerMethodField()
    status_code = serializers.IntegerField(help_text="National status code, 1–10.")
    tracking_pin = serializers.SerializerMethodField(
        help_text="Shown once, on the first successful call only; null on an idempotent retry."
    )

    def get_status_label(self, dossier) -> str:
        return tracking.status_label(dossier)

    def get_tracking_pin(self, dossier) -> str | None:
        return self.context.get("pin")


class NamedCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DossierListSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField(source="state")
    status_label = serializers.SerializerMethodField()
    status_code = serializers.IntegerField()
    procedure = serializers.SerializerMethodField()
    agency = NamedCodeSerializer(source="receiving_agency")
    organisation = serializers.IntegerField(source="organisation_id", allow_null=True)
    submitted_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_status_label(self, dossier) -> str:
        return tracking.status_label(dossier)

    @extend_schema_field(NamedCodeSerializer)
    def get_procedure(self, dossier) -> dict:
        return {"code": dossier.procedure.code, "name": dossier.procedure_version.name}

    def get_url(self, dossier) -> str:
        return _absolute(self.context.get("request"), f"/api/v1/dossiers/{dossier.code}/")


class TimelineEntrySerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    action = serializers.CharField()
    label = serializers.SerializerMethodField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")

    def get_label(self, event) -> str:
        return event_label(event)


def timeline_entry(event) -> dict:
    """`TimelineEntrySerializer`'s fields, built directly (public tracking's hot path)."""
    return {
        "seq": event.seq,
        "action": event.action,
        "label": event_label(event),
        "from_state": event.from_state,
        "to_state": event.to_state,
        "at": when(event.created_at),
    }


class TimelineEntryWithNoteSerializer(TimelineEntrySerializer):
    """A timeline entry with its words: ``note`` is what the applicant is told (or wrote);
    ``internal_note``, the officers' internal note, only for officers of the agency (else null)."""

    note = serializers.SerializerMethodField()
    internal_note = serializers.SerializerMethodField()

    def get_note(self, event) -> str:
        return event_applicant_note(event)

    def get_internal_note(self, event) -> str | None:
        return event_internal_note(event) if self.context.get("internal_notes") else None


class DossierDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requirement = serializers.IntegerField(source="requirement_id", allow_null=True)
    component_name = serializers.CharField()
    name = serializers.CharField(source="stored.name")
    mime_type = serializers.CharField(source="stored.mime_type")
    size = serializers.IntegerField(source="stored.size")
    is_original = serializers.BooleanField()
    copies = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField(
        help_text=(
            "Its preview: {state: pending|ready|too_large|failed, state_label, page_count, pages: [PNG urls]};"
            " ask again while pending. 404 for a file type with no preview (PDF, JPEG and PNG have one)."
        )
    )

    def get_url(self, document) -> str:
        return _absolute(self.context.get("request"), DOCUMENT_URL.format(id=document.stored_id))

    def get_preview_url(self, document) -> str:
        return _absolute(self.context.get("request"), PREVIEW_URL.format(id=document.stored_id))


class DossierSlipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, slip) -> str:
        return _absolute(self.context.get("request"), SLIP_URL.format(id=slip.pk))


class DossierResultSerializer(serializers.Serializer):
    """An electronic result (kết quả điện tử) ``<dossier code>-KQ<n>`` the caller may download."""

    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["draft", "final"], help_text="draft: proposed, not yet approved.")
    url = serializers.SerializerMethodField()

    def get_url(self, result) -> str:
        return _absolute(self.context.get("request"), DOCUMENT_URL.format(id=result["document_id"]))


class ActionChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(
        help_text="What to send in the field (an officer's or department's id, an agency code)."
    )
    label = serializers.CharField()


class ActionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField(
        help_text=(
            "text, choice, boolean, integer, datetime, file, files, list, object, officer, department, agency,"
            " documents (ids of the dossier's documents)"
        )
    )
    required = serializers.BooleanField()
    label = serializers.CharField()
    to_applicant = serializers.BooleanField(
        help_text="true: what is typed is sent to the applicant; false: an internal note (officers only)."
    )
    choices = ActionChoiceSerializer(
        many=True,
        required=False,
        help_text=(
            "Present for fields of type choice, officer, department and agency: the values the caller may send"
            " in this field now (e.g. the specialists it may assign, the agencies it may consult), each with"
            " its label. Any other value is refused (400, error.fields names the field)."
        ),
    )


class ConsultationSerializer(serializers.Serializer):
    """A request for another agency's opinion (liên thông), as an officer may see it."""

    id = serializers.IntegerField()
    agency = NamedCodeSerializer()
    question = serializers.CharField()
    due_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    answer = serializers.CharField()
    documents = serializers.SerializerMethodField(help_text="Ids of the dossier documents sent with it.")

    def get_documents(self, consultation) -> list[int]:
        return sorted(d.pk for d in consultation.documents.all())


class AvailableActionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text='Post it as {"action": name, ...fields} to the actions endpoint.')
    label = serializers.CharField()
    fields = ActionFieldSerializer(many=True)


class AnswerSerializer(serializers.Serializer):
    """One declared answer, read with the form's schema."""

    name = serializers.CharField(help_text="The field's name in the form schema (the key in `data`).")
    label = serializers.CharField(help_text="The field's label in the form.")
    type = serializers.CharField(
        help_text=(
            "The field's type in the schema: text, long_text, number, money, date, choice, multiple_choice, yes_no,"
            " email, phone, citizen_id, tax_code, address; unknown for a key the schema no longer has."
        )
    )
    value = serializers.JSONField(help_text="The stored value (ISO date, choice value(s), true/false, number…).")
    display = serializers.CharField(
        help_text="The value as shown to officers: a choice by its label, a date dd/mm/yyyy, Có/Không; empty: none."
    )


class AnswerSectionSerializer(serializers.Serializer):
    """A section of the declared form: a run of plain fields (one row), or a repeating group."""

    key = serializers.CharField(help_text="main (main-2…) for plain fields, the group's name, other for unknown keys.")
    label = serializers.CharField()
    repeating = serializers.BooleanField(help_text="true: a repeating group (nhóm lặp lại), one row per item.")
    rows = serializers.ListField(child=serializers.ListField(child=AnswerSerializer()))


class DossierDetailSerializer(DossierListSerializer):
    reception_centre = NamedCodeSerializer(
        allow_null=True,
        help_text=(
            "The Public Administration Service Centre that received the dossier and handed it over to `agency`,"
            " the deciding agency (receipt anywhere in the province, Decree 118/2025/NĐ-CP); null otherwise."
        ),
    )
    return_agency = NamedCodeSerializer(allow_null=True, help_text="The desk that returned the result, once returned.")
    received_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    channel = serializers.CharField()
    applicant_name = serializers.CharField()
    data = serializers.JSONField(source="form_data")
    rating = serializers.CharField()
    timeline = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    slips = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()
    consultations = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField(
        help_text=(
            "For officers of the receiving agency: the declared form data (`data`) with the form's labels, in its"
            " sections, as the officer's page shows it. null for the applicant (who has `data`) and for a consulted"
            " agency."
        )
    )

    def to_representation(self, dossier) -> dict:
        data = super().to_representation(dossier)
        if self.context.get("consulted_only"):
            # A consulted agency sees the question and the documents it was sent, not the dossier.
            data.update(applicant_name="", data={}, organisation=None, rating="")
        return data

    @extend_schema_field(ConsultationSerializer(many=True))
    def get_consultations(self, dossier) -> list:
        return ConsultationSerializer(self.context.get("consultations", []), many=True).data

    @extend_schema_field(TimelineEntryWithNoteSerializer(many=True))
    def get_timeline(self, dossier) -> list:
        return TimelineEntryWithNoteSerializer(self.context.get("timeline", []), many=True, context=self.context).data

    @extend_schema_field(DossierDocumentSerializer(many=True))
    def get_documents(self, dossier) -> list:
        return DossierDocumentSerializer(self.context.get("documents", []), many=True, context=self.context).data

    @extend_schema_field(DossierSlipSerializer(many=True))
    def get_slips(self, dossier) -> list:
        return DossierSlipSerializer(self.context.get("slips", []), many=True, context=self.context).data

    @extend_schema_field(DossierResultSerializer(many=True))
    def get_results(self, dossier) -> list:
        return DossierResultSerializer(self.context.get("results", []), many=True, context=self.context).data

    @extend_schema_field(AnswerSectionSerializer(many=True, allow_null=True))
    def get_answers(self, dossier) -> list | None:
        return self.context.get("answers")

    @extend_schema_field(AvailableActionSerializer(many=True))
    def get_available_actions(self, dossier) -> list[dict]:
        return list(self.context.get("actions", []))


class TrackingDocumentSerializer(serializers.Serializer):
    component_name = serializers.CharField()
    name = serializers.CharField(source="stored.name")


class TrackingSerializer(serializers.Serializer):
    """Public tracking: ``applicant_name`` and ``documents`` only when ``personal`` is true."""

    code = serializers.CharField()
    status = serializers.CharField(source="state")
    status_label = serializers.SerializerMethodField()
    status_code = serializers.ChoiceField(choices=StatusCode.choices)
    procedure = serializers.SerializerMethodField()
    agency = NamedCodeSerializer(source="receiving_agency")
    submitted_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    timeline = serializers.SerializerMethodField()
    personal = serializers.SerializerMethodField()
    applicant_name = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    def get_status_label(self, dossier) -> str:
        return tracking.status_label(dossier)

    @extend_schema_field(NamedCodeSerializer)
    def get_procedure(self, dossier) -> dict:
        return {"code": dossier.procedure.code, "name": dossier.procedure_version.name}

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, dossier) -> list:
        return TimelineEntrySerializer(self.context.get("timeline", []), many=True).data

    def get_personal(self, dossier) -> bool:
        return bool(self.context.get("personal"))

    def get_applicant_name(self, dossier) -> str | None:
        return dossier.applicant_name if self.context.get("personal") else None

    @extend_schema_field(TrackingDocumentSerializer(many=True, allow_null=True))
    def get_documents(self, dossier) -> list | None:
        if not self.context.get("personal"):
            return None
        return TrackingDocumentSerializer(self.context.get("documents", []), many=True).data

    def to_representation(self, dossier) -> dict:
        """The declared fields, built directly: every public look-up that misses the cache runs
        this (a test checks it equals DRF's walk over the fields)."""
        personal = bool(self.context.get("personal"))
        return {
            "code": dossier.code,
            "status": dossier.state,
            "status_label": tracking.status_label(dossier),
            "status_code": dossier.status_code,
            "procedure": {"code": dossier.procedure.code, "name": dossier.procedure_version.name},
            "agency": {"code": dossier.receiving_agency.code, "name": dossier.receiving_agency.name},
            "submitted_at": when(dossier.submitted_at),
            "received_at": when(dossier.received_at),
            "due_at": when(dossier.due_at),
            "timeline": [timeline_entry(event) for event in self.context.get("timeline", [])],
            "personal": personal,
            "applicant_name": dossier.applicant_name if personal else None,
            "documents": self.get_documents(dossier),
        }
