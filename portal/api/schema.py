"""The OpenAPI schema's shared parts, added to every operation by one AutoSchema.

Each operation gets the error answers it can give, all with the one error body
(`ErrorSerializer`): 400 where it takes input, 401/403 where it needs a caller, 404 where
the path names a resource, 409/413/415 for writes, 429 everywhere. Reads of one resource
document their ``ETag`` and 304; writes document ``Idempotency-Key``. Responses that hand
out an identifier declare OpenAPI ``links`` to the operations that take it (`LINKS`), which
clients and schemathesis' stateful tests follow.
"""

import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny

from portal.api.serializers import ErrorSerializer

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input: error.fields names each bad field.",
    "401": "No bearer token, or an invalid, expired or revoked one.",
    "403": "The token lacks the scope, or the caller may not do this.",
    "404": "Not found, or not visible to the caller.",
    "409": "The resource's state does not allow it, or a request with this Idempotency-Key is running.",
    "413": "Request body too large.",
    "415": "Unsupported Content-Type.",
    "422": "The Idempotency-Key was used for a request with other content (error.code idempotency_key_reused).",
    "429": "Too many requests: wait Retry-After seconds.",
}
_ERROR_EXAMPLE = OpenApiExample(
    "error",
    value={
        "error": {"code": "invalid", "message": "Dữ liệu gửi lên không hợp lệ.", "fields": {"reason": ["Bắt buộc."]}},
        "detail": "Dữ liệu gửi lên không hợp lệ.",
    },
    response_only=True,
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (≤ 64 characters): a retry with the same key and the same content answers the "
        "first response; the same key with other content answers 422."
    ),
)
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    "If-None-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of a previous answer: 304 without a body when the resource has not changed.",
)


def _link(operation_id: str, **parameters: str) -> dict:
    return {"operationId": operation_id, "parameters": parameters}


_NEW_DOSSIER = {
    "GetDossier": _link("v1_dossiers_retrieve", code="$response.body#/code"),
    "DossierPayments": _link("v1_dossiers_payments_retrieve", code="$response.body#/code"),
    "WithdrawDossier": _link("dossier_withdraw", code="$response.body#/code"),
    "TrackDossier": _link("v1_track_retrieve", code="$response.body#/code"),
}
_FIRST_DOSSIER = {"GetDossier": _link("v1_dossiers_retrieve", code="$response.body#/results/0/code")}
_NEW_WEBHOOK = {
    "GetWebhook": _link("v1_webhooks_retrieve", id="$response.body#/id"),
    "WebhookDeliveries": _link("v1_webhooks_deliveries_list", id="$response.body#/id"),
    "DeleteWebhook": _link("v1_webhooks_destroy", id="$response.body#/id"),
}
# operationId → response code → links (OpenAPI 3 Link Objects, by operationId).
LINKS: dict[str, dict[str, dict]] = {
    "v1_dossiers_create": {"201": _NEW_DOSSIER, "200": _NEW_DOSSIER},
    "v1_dossiers_list": {"200": _FIRST_DOSSIER},
    "v1_procedures_list": {
        "200": {"GetProcedure": _link("v1_procedures_retrieve", code="$response.body#/results/0/code")}
    },
    "v1_documents_list": {"200": {"GetDocument": _link("v1_documents_retrieve", id="$response.body#/results/0/id")}},
    "v1_webhooks_create": {"201": _NEW_WEBHOOK},
}


class PortalAutoSchema(AutoSchema):
    def _is_public(self) -> bool:
        return all(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        # A collection read by a plain GenericAPIView is a list, not a "retrieve".
        is_collection = (
            isinstance(self.view, GenericAPIView)
            and type(self.view).get_queryset is not GenericAPIView.get_queryset
            and not re.search(r"\{[^}]+\}/?$", self.path)
        )
        if self.method == "GET" and is_collection and operation_id.endswith("_retrieve"):
            operation_id = operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def _is_detail_read(self) -> bool:
        return self.method == "GET" and "{" in self.path

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        names = {getattr(p, "name", None) for p in params}
        if self.method == "POST" and "Idempotency-Key" not in names:
            params.append(IDEMPOTENCY_PARAMETER)
        if self._is_detail_read() and "If-None-Match" not in names:
            params.append(IF_NONE_MATCH_PARAMETER)
        return params

    def _error_codes(self) -> list[str]:
        codes = ["400", "429"]
        if not self._is_public():
            codes += ["401", "403"]
        # A path naming a resource, or a page number past the end of a list.
        paged = self._get_paginator() is not None or any(
            getattr(p, "name", None) == "page" for p in self.get_override_parameters()
        )  # a paginator, or a view that pages by hand (the officer search)
        if "{" in self.path or (self.method == "GET" and paged):
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if self.method == "POST":
            codes.append("422")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            current = responses.get(code)
            if current is None or "content" not in current:
                description = (current or {}).get("description") or _ERROR_DESCRIPTIONS[code]
                response = OpenApiResponse(ErrorSerializer, description=description, examples=[_ERROR_EXAMPLE])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        if self._is_detail_read() and "200" in responses:
            responses["200"].setdefault("headers", {})["ETag"] = {
                "schema": {"type": "string"},
                "description": "Version of the resource; send it back in If-None-Match.",
            }
            responses.setdefault("304", {"description": "Not modified since the ETag in If-None-Match."})
        for code, links in LINKS.get(self.get_operation_id(), {}).items():
            if code in responses:
                responses[code]["links"] = links
        return responses
