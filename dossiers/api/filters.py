"""Filters and ordering of ``GET /api/v1/dossiers/`` (django-filter)."""

import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from dossiers.constants import StatusCode
from dossiers.models import Dossier

ORDERING_FIELDS = ("submitted_at", "received_at", "due_at", "code", "status_code")


class _PlainOrderingFilter(django_filters.OrderingFilter):
    """Choices named by the field itself (``code``, ``-code``): the same in every language,
    so the schema generated from it does not depend on the active one."""

    def build_choices(self, fields, labels):
        return [choice for field in fields.values() for choice in ((field, field), (f"-{field}", f"-{field}"))]


# The UTC offsets in use on Earth: UTC−12:00 (Baker Island) to UTC+14:00 (Line Islands).
# PostgreSQL refuses beyond ±15:59, and an instant past year 9999 once converted to UTC has no
# Python value: both are the caller's mistake, answered as such (400), never sent to the database.
_OFFSET_MIN = datetime.timedelta(hours=-12)
_OFFSET_MAX = datetime.timedelta(hours=14)


class _InstantField(IsoDateTimeField):
    """An ISO 8601 instant, as UTC; a naive one is in the portal's time zone."""

    default_error_messages = {
        "offset": _("Độ lệch múi giờ phải trong khoảng từ -12:00 đến +14:00 (ví dụ 2025-07-01T08:00:00+07:00)."),
        "out_of_range": _("Thời điểm phải nằm trong khoảng từ năm 1 đến năm 9999 (giờ UTC)."),
    }

    def to_python(self, value):
        instant = super().to_python(value)
        if instant is None:
            return None
        offset = instant.utcoffset()
        if offset is not None and not _OFFSET_MIN <= offset <= _OFFSET_MAX:
            raise ValidationError(self.error_messages["offset"], code="offset")
        try:
            return instant.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class _InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = _InstantField


class DossierFilter(django_filters.FilterSet):
    status_code = django_filters.TypedChoiceFilter(
        choices=StatusCode.choices,
        coerce=int,
        label=_("Mã trạng thái (1–10)"),
        error_messages={"invalid_choice": _("Mã trạng thái phải là số nguyên từ 1 đến 10.")},
    )
    procedure = django_filters.CharFilter(field_name="procedure__code", max_length=32, label=_("Mã thủ tục"))
    organisation = django_filters.NumberFilter(field_name="organisation_id", label=_("Mã tổ chức"))
    submitted_after = _InstantFilter(field_name="submitted_at", lookup_expr="gte", label=_("Nộp từ (ISO 8601)"))
    submitted_before = _InstantFilter(field_name="submitted_at", lookup_expr="lt", label=_("Nộp trước (ISO 8601)"))
    ordering = _PlainOrderingFilter(
        fields=ORDERING_FIELDS, label=_("Sắp xếp: submitted_at, due_at, code… (dấu - để giảm dần)")
    )

    class Meta:
        model = Dossier
        fields = ["status_code", "procedure", "organisation", "submitted_after", "submitted_before"]
