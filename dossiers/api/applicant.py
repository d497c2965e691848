"""Applicant actions through the API: supplement response, withdrawal request, rating.

The same services as the pages. Answers: 200 with the dossier's new status; 400 with
per-field messages for bad input; 409 when the dossier's state does not allow the action
(e.g. rating twice); 404 when the dossier is unknown or not the caller's. Errors are raised
and answered by `portal.api.exceptions.api_exception_handler` in the one error format.
"""

import json
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers import selectors, services
from dossiers.actions import action_get
from dossiers.constants import Rating
from dossiers.core.machine import OFFICER
from dossiers.models import Dossier
from portal.api.parsers import ObjectJSONParser, PortalMultiPartParser
from portal.models import ApiToken
from portal.second_factor import token_acts_as_officer

UPLOAD_READ_LIMIT = 50 * 1024 * 1024
_DOCUMENT_KEY = re.compile(r"^documents\[([^\]]{1,20})\]$")


class SupplementInputSerializer(serializers.Serializer):
    data = serializers.JSONField(
        required=False, help_text="JSON object of corrected form answers, keyed by field name (a string in multipart)."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    from_store = serializers.JSONField(
        required=False,
        help_text="JSON object {document requirement id: id of a document in the caller's store} to reuse.",
    )
    documents = serializers.DictField(
        child=serializers.FileField(),
        required=False,
        help_text="Send each file as a multipart part named documents[<document requirement id>].",
    )


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=5, max_length=2000)


class RatingInputSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DossierStatusSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField(source="state")
    status_label = serializers.CharField(source="get_state_display")
    status_code = serializers.IntegerField(allow_null=True)
    rating = serializers.CharField(allow_blank=True)
    paused_minutes = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)


_RESPONSES = {
    200: DossierStatusSerializer,
    400: OpenApiResponse(description="Invalid input: error.fields names each bad field."),
    404: OpenApiResponse(description="Unknown dossier, or not the caller's."),
    409: OpenApiResponse(description="The dossier's state does not allow the action."),
}


def _not_found() -> exceptions.NotFound:
    return exceptions.NotFound(_("Không tìm thấy hồ sơ."))


def _json_object(value, *, field: str, message: str, errors: dict):
    """A JSON object given as an object (JSON body) or as a string (multipart); None when absent."""
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = json.loads(value)
        except ValueError:
            errors[field] = [_("Trường %(field)s phải là JSON hợp lệ.") % {"field": field}]
            return None
    if value is not None and not isinstance(value, dict):
        errors[field] = [message]
        return None
    return value


def _supplement_input(request) -> tuple[dict, dict, dict[str, list]]:
    """Parse a supplement request: ``data`` and ``from_store`` JSON, ``note``, files ``documents[<id>]``."""
    errors: dict[str, list] = {}
    data = _json_object(
        request.data.get("data"),
        field="data",
        message=_("Dữ liệu biểu mẫu phải là một đối tượng JSON."),
        errors=errors,
    )
    from_store = _json_object(
        request.data.get("from_store"),
        field="from_store",
        message=_("Trường from_store phải là đối tượng JSON {mã thành phần: mã giấy tờ trong kho}."),
        errors=errors,
    )
    files: dict = {}
    for key in request.FILES:
        match = _DOCUMENT_KEY.match(key)
        if match is None:
            errors.setdefault(key[:60], []).append(_("Tên tệp gửi lên phải có dạng documents[<mã thành phần>]."))
            continue
        upload = request.FILES[key]
        if upload.size > UPLOAD_READ_LIMIT:
            errors.setdefault(key, []).append(_("Tệp quá lớn."))
            continue
        files[match.group(1)] = (upload.name, upload.read())
    note = request.data.get("note", "")
    if not isinstance(note, str):
        errors["note"] = [_("Ghi chú phải là văn bản.")]
    return {"data": data, "note": note, "from_store": from_store}, files, errors


class _ApplicantAction(APIView):
    def dossier(self, request, code: str) -> Dossier | None:
        dossier = selectors.dossier_get_for_user(user=request.user, code=code)
        if dossier is None or not selectors.dossier_applicant_can_view(user=request.user, dossier=dossier):
            return None
        return dossier

    def run(self, request, code: str, call) -> Response:
        dossier = self.dossier(request, code)
        if dossier is None:
            raise _not_found()
        try:
            dossier = call(dossier)
        except PermissionDenied:
            raise _not_found() from None
        # A ValidationError goes to the shared handler: 409 for invalid_state, else 400.
        return Response(DossierStatusSerializer(dossier).data)


class SupplementView(_ApplicantAction):
    """Answer a supplement request: corrected answers, new documents, and resubmit."""

    parser_classes = [PortalMultiPartParser, FormParser, ObjectJSONParser]

    @extend_schema(request=SupplementInputSerializer, responses=_RESPONSES, operation_id="dossier_supplement")
    def post(self, request, code: str):
        params, files, errors = _supplement_input(request)
        if errors:
            if self.dossier(request, code) is None:
                raise _not_found()
            raise ValidationError(errors)
        return self.run(
            request,
            code,
            lambda dossier: services.dossier_supplement_submit(
                user=request.user,
                dossier_id=dossier.pk,
                data=params["data"],
                note=params["note"],
                files=files,
                from_store=params["from_store"],
            ),
        )


class WithdrawView(_ApplicantAction):
    """Ask to withdraw the dossier, with a reason (withdrawn at once if not yet received)."""

    parser_classes = [ObjectJSONParser, FormParser, PortalMultiPartParser]

    @extend_schema(request=WithdrawInputSerializer, responses=_RESPONSES, operation_id="dossier_withdraw")
    def post(self, request, code: str):
        reason = request.data.get("reason", "")
        return self.run(
            request,
            code,
            lambda dossier: services.dossier_withdraw_request(
                user=request.user, dossier_id=dossier.pk, reason=reason if isinstance(reason, str) else ""
            ),
        )


class RatingView(_ApplicantAction):
    """Rate the handling of a returned dossier, once."""

    parser_classes = [ObjectJSONParser, FormParser, PortalMultiPartParser]

    @extend_schema(request=RatingInputSerializer, responses=_RESPONSES, operation_id="dossier_rate")
    def post(self, request, code: str):
        rating = request.data.get("rating", "")
        comment = request.data.get("comment", "")
        if not isinstance(comment, str):
            if self.dossier(request, code) is None:
                raise _not_found()
            raise ValidationError({"comment": [_("Ý kiến phải là văn bản.")]})
        return self.run(
            request,
            code,
            lambda dossier: services.dossier_rate(
                user=request.user,
                dossier_id=dossier.pk,
                rating=rating if isinstance(rating, str) else "",
                comment=comment,
            ),
        )


class ActionInputSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="One of the dossier's available_actions, e.g. supplement, withdraw, rate.")


class DossierActionView(_ApplicantAction):
    """Perform one of the dossier's ``available_actions``: ``{"action": name, ...its fields}``.

    The fields are listed with each action in the dossier's ``available_actions`` (``reason``
    for withdraw; ``rating`` and ``comment`` for rate; ``data``, ``note``, ``from_store`` and
    files ``documents[<id>]`` for supplement; ``assignee`` for assign; ``recommendation`` and a
    multipart file ``result_file`` for propose; ``items``, a list of ``{"requirement_id": id,
    "reason": ...}`` or ``{"field": name, "reason": ...}``, for request_supplement; ...). A field
    listed with ``choices`` takes one of their values (an officer's or a department's id, an
    agency's code): any other is refused with 400 naming the field. A state that no longer
    allows the action (another officer was faster) answers 409.
    """

    parser_classes = [ObjectJSONParser, PortalMultiPartParser, FormParser]

    @extend_schema(request=ActionInputSerializer, responses=_RESPONSES, operation_id="dossier_action")
    def post(self, request, code: str):
        # A consulted agency answers here too (consult_reply): the row's own check keeps the rest.
        dossier = selectors.dossier_get_for_user(user=request.user, code=code, consulted=True)
        if dossier is None:
            raise _not_found()
        name = request.data.get("action")
        action = action_get(name) if isinstance(name, str) else None
        if action is None or action.perform is None:
            raise ValidationError({"action": [_("Thao tác không hợp lệ.")]})
        if (
            action.performer == OFFICER
            and isinstance(request.auth, ApiToken)
            and not token_acts_as_officer(request.auth)
        ):
            # Whatever other scopes it has: the officer's rows need the token its second factor minted.
            raise exceptions.PermissionDenied(_("Mã truy cập này không có phạm vi “officer”."))
        files = None
        if name == "supplement":
            params, files, errors = _supplement_input(request)
            if errors:
                raise ValidationError(errors)
        else:
            params = {
                key: request.data.get(key) for key in request.data if key != "action" and key not in request.FILES
            }
            files = request.FILES
        try:
            dossier = action.perform(user=request.user, dossier=dossier, params=params, files=files) or dossier
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error) or _("Bạn không có quyền thực hiện thao tác này.")) from None
        dossier.refresh_from_db()
        return Response(DossierStatusSerializer(dossier).data)


urlpatterns = [
    path("dossiers/<str:code>/supplement/", SupplementView.as_view(), name="api-dossier-supplement"),
    path("dossiers/<str:code>/withdraw/", WithdrawView.as_view(), name="api-dossier-withdraw"),
    path("dossiers/<str:code>/rating/", RatingView.as_view(), name="api-dossier-rating"),
    path("dossiers/<str:code>/actions/", DossierActionView.as_view(), name="api-dossier-action"),
]
