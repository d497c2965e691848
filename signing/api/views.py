"""``POST /api/v1/verify/``: the verification page's answer as JSON, open to anyone.

The PDF comes as the multipart field ``file``; errors use the portal's one error format.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from signing.forms import VerifyForm
from signing.services.verification import pdf_verify


class VerifyInputSerializer(serializers.Serializer):
    file = serializers.FileField()


@extend_schema(tags=["verification"])
class VerifyApiView(APIView):
    # Anonymous and stateless: no session, so no CSRF token is needed to call it.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Verify the digital signatures of a PDF",
        request=VerifyInputSerializer,
        responses={
            200: inline_serializer(
                "VerifyResult",
                {
                    "count": serializers.IntegerField(),
                    "signatures": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: OpenApiResponse(description="No file, not a PDF, unreadable, encrypted, unsigned or too large"),
        },
    )
    def post(self, request):
        form = VerifyForm(data={}, files=request.FILES)
        if not form.is_valid():
            raise ApiValidationError({key: list(errors) for key, errors in form.errors.items()})
        try:
            reports = pdf_verify(pdf=form.cleaned_data["file"].read())
        except ValidationError as exc:
            raise ApiValidationError({"detail": exc.messages}) from exc
        return Response({"count": len(reports), "signatures": [r.as_dict() for r in reports]})
