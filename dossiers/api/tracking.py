"""Public tracking API: ``GET /api/v1/track/{code}/?pin=``, the same answer as the ``/track/`` page.

Open to anyone. Without the PIN (and unless the caller is the applicant) nothing personal is
returned; an unknown code and a wrong PIN both answer 404 with the same message; look-ups
count against the same per-address limit as the page (429 beyond it). The anonymous answer by
code alone is the same for everyone: it is cached (see `dossiers.tracking`, public answer).
"""

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
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
        pin = request.query_params.get("pin", "")
        # Anonymous, by code alone, as plain JSON: the answer everyone gets, kept in the cache.
        public = (
            not pin
            and not request.user.is_authenticated
            and request.accepted_renderer.format == "json"
            and request.accepted_media_type == JSONRenderer.media_type
        )
        normalised = tracking.normalise_code(code) if public else ""
        limited, cached = tracking.tracking_count_and_peek(request, public_code=normalised)
        if limited:
            raise TrackingThrottled(wait=tracking.tracking_retry_after())
        if cached is not None:
            return HttpResponse(cached, content_type=JSONRenderer.media_type)
        result = tracking.tracking_lookup(code=code, pin=pin, user=request.user)
        if result is None:
            raise NotFound(str(tracking.NOT_FOUND_MESSAGE))
        dossier = result.dossier
        context = {
            "request": request,
            "personal": result.personal,
            "timeline": result.timeline,
            "documents": list(selectors.dossier_documents(dossier=dossier)) if result.personal else [],
        }
        data = TrackingSerializer(dossier, context=context).data
        if not (normalised and not result.personal):
            return Response(data)
        content = JSONRenderer().render(data)
        tracking.public_answer_store(normalised, content)
        return HttpResponse(content, content_type=JSONRenderer.media_type)


urlpatterns = [path("track/<str:code>/", TrackingView.as_view(), name="api-track")]
