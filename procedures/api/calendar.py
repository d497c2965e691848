"""Public API of the working-time calendar: ``GET /api/v1/calendar/due``.

Answers the same as ``manage.py calendar_due``: the due datetime of a dossier received at
``from`` with a processing time of ``days`` working days then ``hours`` working hours.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.exceptions import error_body
from procedures.calendar import MAX_DAYS, MAX_HOURS, CalendarError, format_iso, parse_count, parse_received_at
from procedures.working_time import agency_by_code, due_datetime

# Built with type() because one of the answer's keys, "from", is a Python keyword.
CalendarDueSerializer = type(
    "CalendarDueSerializer",
    (serializers.Serializer,),
    {
        "due": serializers.CharField(help_text="ISO 8601 with offset, e.g. 2026-02-24T17:00:00+07:00"),
        "from": serializers.CharField(help_text="the receipt datetime, ISO 8601 with offset"),
        "days": serializers.IntegerField(),
        "hours": serializers.IntegerField(),
        "agency": serializers.CharField(allow_null=True, help_text="agency unit code, null for the default"),
    },
)


class CalendarDueView(APIView):
    """Due datetime (hạn giải quyết) for a receipt moment, a processing time and an agency."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="ISO 8601 datetime; naive = Asia/Ho_Chi_Minh"),
            OpenApiParameter("days", int, description=f"working days, 0–{MAX_DAYS}, default 0"),
            OpenApiParameter("hours", int, description=f"working hours, 0–{MAX_HOURS}, default 0 (after the days)"),
            OpenApiParameter("agency", str, description="agency unit code; default calendar when omitted"),
        ],
        responses={200: CalendarDueSerializer},
    )
    def get(self, request):
        params = request.query_params
        errors: dict[str, list[str]] = {}
        values = {}
        parsers = {
            "from": parse_received_at,
            "days": lambda v: parse_count(v, field="days", maximum=MAX_DAYS),
            "hours": lambda v: parse_count(v, field="hours", maximum=MAX_HOURS),
            "agency": lambda v: agency_by_code(v) if v else None,
        }
        if not params.get("from"):
            errors["from"] = [str(_("Thiếu tham số “from”: ngày giờ tiếp nhận theo ISO 8601."))]
        for name, parse in parsers.items():
            if name in errors:
                continue
            try:
                values[name] = parse(params.get(name, ""))
            except CalendarError as error:
                errors[name] = [str(error.message)]
        if not errors:
            try:
                due = due_datetime(values["from"], days=values["days"], hours=values["hours"], agency=values["agency"])
            except CalendarError as error:
                errors[error.field or "non_field_errors"] = [str(error.message)]
        if errors:
            detail = " ".join(message for messages in errors.values() for message in messages)
            return Response(
                error_body(code="invalid", message=detail, fields=errors), status=status.HTTP_400_BAD_REQUEST
            )
        agency = values["agency"]
        data = {
            "due": format_iso(due),
            "from": format_iso(values["from"]),
            "days": values["days"],
            "hours": values["hours"],
            "agency": agency.code if agency else None,
        }
        return Response(CalendarDueSerializer(data).data)
