"""Public catalogue API: ``/api/v1/procedures/``, ``/api/v1/procedures/{code}/``, ``/api/v1/agencies/``, ``/api/v1/fields/``.

Read-only and open to anyone (the catalogue is public information); the same selectors as
the public pages answer, so the page and the API always agree.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny

from procedures import selectors
from procedures.api.serializers import (
    AgencySerializer,
    ProcedureDetailSerializer,
    ProcedureListSerializer,
    SectorSerializer,
)
from procedures.constants import SEARCH_MAX_LENGTH
from procedures.models import Agency


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description=f"search text, accents optional (first {SEARCH_MAX_LENGTH} characters)"),
        OpenApiParameter("agency", str, description="agency unit code, e.g. 000.00.12.H99"),
        OpenApiParameter("field", str, description="field (lĩnh vực) code"),
        OpenApiParameter("level", str, description="full | partial | information, or an old level 1–4"),
        OpenApiParameter("applicant", str, description="citizen | organisation"),
    ]
)
class ProcedureListView(generics.ListAPIView):
    """Procedures in force, best match first when ``q`` is given."""

    permission_classes = [AllowAny]
    serializer_class = ProcedureListSerializer

    def get_queryset(self):
        params = self.request.query_params
        filters = {
            "agency": params.get("agency", "")[:64],
            "sector": params.get("field", "")[:64],
            "level": params.get("level", "")[:20],
            "applicant": params.get("applicant", "")[:20],
        }
        try:
            qs = selectors.procedure_search(q=params.get("q", ""), **filters)
        except ValueError:
            raise ValidationError(
                {
                    "detail": _(
                        "Tham số lọc không hợp lệ: level nhận full, partial, information hoặc 1–4; applicant nhận citizen hoặc organisation."
                    )
                }
            ) from None
        return qs.prefetch_related(Prefetch("procedure__agencies", queryset=Agency.objects.order_by("code")))


class ProcedureDetailView(generics.RetrieveAPIView):
    """Everything published about one procedure (its version in force), form schema and documents included."""

    permission_classes = [AllowAny]
    serializer_class = ProcedureDetailSerializer

    def get_object(self):
        version = selectors.procedure_in_force_by_code(self.kwargs["code"])
        if version is None:
            raise NotFound(_("Không tìm thấy thủ tục."))
        return version


class AgencyListView(generics.ListAPIView):
    """Agencies (cơ quan) with their unit codes, contacts and working hours."""

    permission_classes = [AllowAny]
    serializer_class = AgencySerializer

    def get_queryset(self):
        return selectors.agency_list()


class SectorListView(generics.ListAPIView):
    """Fields (lĩnh vực) of the catalogue: the codes the ``field`` filter takes."""

    permission_classes = [AllowAny]
    serializer_class = SectorSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.sector_list()
