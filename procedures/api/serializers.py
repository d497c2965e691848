"""Output serializers of the public catalogue API (read-only)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procedures.form_schema import FIELD_TYPES, PREFILL_SOURCES
from procedures.models import Agency, DocumentRequirement, Fee, ProcedureVersion


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = [
            "code",
            "name",
            "short_name",
            "level",
            "parent",
            "address",
            "phone",
            "email",
            "website",
            "working_periods",
            "working_weekdays",
        ]


class AgencyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SectorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class FeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fee
        fields = ["amount", "description", "collected_at"]


class DocumentSerializer(serializers.ModelSerializer):
    accepted_types = serializers.ListField(child=serializers.CharField())
    template_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentRequirement
        fields = [
            "id",
            "name",
            "description",
            "originals",
            "copies",
            "required",
            "accepted_types",
            "max_size",
            "reusable",
            "template_url",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_template_url(self, document) -> str | None:
        if not document.template:
            return None
        url = reverse("procedures:document_template", args=[document.version.procedure.code, document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


_CHOICE_SCHEMA = {
    "type": "object",
    "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
    "required": ["value", "label"],
}
_FIELD_PROPERTIES = {
    "name": {"type": "string"},
    "type": {"type": "string", "enum": list(FIELD_TYPES)},
    "label": {"type": "string"},
    "required": {"type": "boolean"},
    "help_text": {"type": "string"},
    "choices": {"type": "array", "items": _CHOICE_SCHEMA, "description": "only for choice and multiple_choice"},
    "validation": {"type": "object", "additionalProperties": True},
    "prefill": {"type": "string", "nullable": True, "enum": [*PREFILL_SOURCES, None]},
}
FORM_SCHEMA = {
    "type": "object",
    "properties": {
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    **_FIELD_PROPERTIES,
                    "fields": {
                        "type": "array",
                        "description": "sub-fields of a repeating group (type = group)",
                        "items": {"type": "object", "properties": _FIELD_PROPERTIES},
                    },
                },
                "required": ["name", "type", "label", "required", "prefill"],
            },
        }
    },
    "required": ["fields"],
}


def form_field_representation(spec: dict) -> dict:
    """A field of the online form; ``choices`` only for choice fields, ``fields`` only for groups."""
    data = {
        "name": spec["name"],
        "type": spec["type"],
        "label": spec["label"],
        "required": bool(spec.get("required")),
        "help_text": spec.get("help_text", ""),
        "validation": spec.get("validation") or {},
        "prefill": spec.get("prefill"),
    }
    if "choices" in spec:
        data["choices"] = spec["choices"]
    if spec["type"] == "group":
        data["fields"] = [form_field_representation(sub) for sub in spec.get("fields", [])]
    return data


class LegalBasisSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    date = serializers.DateField(allow_null=True)


class ResultTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    electronic = serializers.BooleanField()
    signed = serializers.BooleanField()


class WorkflowStepSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    duration = serializers.IntegerField()
    unit = serializers.CharField()
    send_back_to = serializers.CharField(allow_null=True)


class ProcedureListSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="procedure.code")
    field = SectorSerializer(source="procedure.sector")
    agencies = AgencyRefSerializer(source="procedure.agencies", many=True)
    service_level_label = serializers.CharField(source="get_service_level_display")
    applicant_types = serializers.SerializerMethodField()
    channels = serializers.SerializerMethodField()
    online = serializers.BooleanField(source="accepts_online")
    version = serializers.IntegerField(source="number")

    class Meta:
        model = ProcedureVersion
        fields = [
            "code",
            "name",
            "name_en",
            "summary_en",
            "field",
            "agencies",
            "service_level",
            "service_level_label",
            "legacy_level",
            "applicant_types",
            "channels",
            "processing_time",
            "processing_time_unit",
            "online",
            "version",
            "effective_date",
        ]

    def get_applicant_types(self, version) -> list[str]:
        return [v for v, on in (("citizen", version.for_citizens), ("organisation", version.for_organisations)) if on]

    def get_channels(self, version) -> list[str]:
        pairs = (
            ("online", version.channel_online),
            ("in_person", version.channel_in_person),
            ("post", version.channel_post),
        )
        return [v for v, on in pairs if on]


class ProcedureDetailSerializer(ProcedureListSerializer):
    legal_basis = LegalBasisSerializer(many=True)
    result_types = ResultTypeSerializer(many=True)
    fees = FeeSerializer(many=True)
    documents = DocumentSerializer(many=True)
    form = serializers.SerializerMethodField()
    workflow = WorkflowStepSerializer(source="workflow_steps", many=True)

    class Meta(ProcedureListSerializer.Meta):
        fields = [
            *ProcedureListSerializer.Meta.fields,
            "id",
            "processing_time_note",
            "steps_text",
            "conditions",
            "result_place",
            "legal_basis",
            "result_types",
            "fees",
            "documents",
            "form",
            "workflow",
        ]

    @extend_schema_field(FORM_SCHEMA)
    def get_form(self, version) -> dict:
        return {"fields": [form_field_representation(spec) for spec in (version.form_schema or {}).get("fields", [])]}
