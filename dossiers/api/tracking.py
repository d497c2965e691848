"""Public tracking API: ``GET /api/v1/track/{code}/?pin=``, the same answer as the ``/track/`` page.

Open to anyone. Without the PIN (and unless the caller is the applicant) nothing personal is
returned; an unknown code and a wrong PIN both answer 404 with the same message; look-ups
count against the same per-address limit as the page (429 beyond it).
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from dossiers import selectors, tracking
from dossiers.api.serializers import TrackingSerializer


class TrackingThrottled(Throttled):
    default_detail = tracking.RATE_LIMIT_SHORT
    extra_detail_singular = extra_detail_plural = "Vui lòng thử lại sau {wait} giây."


@extend_schema(tags=["tracking"])
class TrackingView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = TrackingSerializer

    @extend_schema(
        summary="Track a dossier by code",
        parameters=[OpenApiParameter("pin", str, description="tracking PIN from the receipt; unlocks personal data")],
        responses={
            200: TrackingSerializer,
            404: OpenApiResponse(description="Unknown code or wrong PIN (same answer)"),
            429: OpenApiResponse(description="Too many look-ups from this address"),
        },
    )
    def get(self, request, code: str):
        if tracking.tracking_rate_limited(request):
            raise TrackingThrottled(wait=tracking.tracking_retry_after())
        result = tracking.tracking_lookup(code=code, pin=request.query_params.get("pin", ""), user=request.user)
        if result is None:
            raise NotFound(str(tracking.NOT_FOUND_MESSAGE))
        dossier = result.dossier
        context = {
            "request": request,
            "personal": result.personal,
            "timeline": result.timeline,
            "documents": list(selectors.dossier_documents(dossier=dossier)) if result.personal else [],
        }
        return Response(TrackingSerializer(dossier, context=context).data)


urlpatterns = [path("track/<str:code>/", TrackingView.as_view(), name="api-track")]
