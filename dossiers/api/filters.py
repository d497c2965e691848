"""Filters and ordering of ``GET /api/v1/dossiers/`` (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from dossiers.constants import StatusCode
from dossiers.models import Dossier

ORDERING_FIELDS = ("submitted_at", "received_at", "due_at", "code", "status_code")


class _PlainOrderingFilter(django_filters.OrderingFilter):
    """Choices named by the field itself (``code``, ``-code``): the same in every language,
    so the schema generated from it does not depend on the active one."""

    def build_choices(self, fields, labels):
        return [choice for field in fields.values() for choice in ((field, field), (f"-{field}", f"-{field}"))]


class DossierFilter(django_filters.FilterSet):
    status_code = django_filters.TypedChoiceFilter(
        choices=StatusCode.choices,
        coerce=int,
        label=_("Mã trạng thái (1–10)"),
        error_messages={"invalid_choice": _("Mã trạng thái phải là số nguyên từ 1 đến 10.")},
    )
    procedure = django_filters.CharFilter(field_name="procedure__code", max_length=32, label=_("Mã thủ tục"))
    organisation = django_filters.NumberFilter(field_name="organisation_id", label=_("Mã tổ chức"))
    submitted_after = django_filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="gte", label=_("Nộp từ (ISO 8601)")
    )
    submitted_before = django_filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="lt", label=_("Nộp trước (ISO 8601)")
    )
    ordering = _PlainOrderingFilter(
        fields=ORDERING_FIELDS, label=_("Sắp xếp: submitted_at, due_at, code… (dấu - để giảm dần)")
    )

    class Meta:
        model = Dossier
        fields = ["status_code", "procedure", "organisation", "submitted_after", "submitted_before"]
