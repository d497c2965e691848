"""Webhook subscriptions through the API: ``/api/v1/webhooks/`` (token scope ``webhooks``).

``POST`` subscribes a URL to events and answers the signing secret, once (201);
``GET`` lists the caller's subscriptions; ``/{id}/`` reads or deletes one;
``/{id}/deliveries/`` lists its deliveries with their attempts' response codes.
"""

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from portal.api.parsers import ObjectJSONParser
from portal.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from portal.services import webhooks as services

WEBHOOKS_SCOPE = "webhooks"


class WebhookSubscriptionInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="https URL of the receiver (public address).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, max_length=len(WebhookEvent)
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    organisation = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**53, help_text="One of the caller's organisations."
    )


class WebhookSubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id", allow_null=True)
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(help_text="Signing secret: shown this once, keep it.")


class WebhookAttemptSerializer(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="event_id")
    event = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    payload = serializers.JSONField()
    attempt_log = WebhookAttemptSerializer(many=True)


class _WebhookView(GenericAPIView):
    required_scope = WEBHOOKS_SCOPE

    def subscription(self, pk: int) -> WebhookSubscription:
        found = None
        if pk < 2**63:
            found = WebhookSubscription.objects.filter(pk=pk, owner=self.request.user).first()
        if found is None:
            raise NotFound(_("Không tìm thấy đăng ký webhook này."))
        return found


@extend_schema(tags=["webhooks"])
class WebhookCollectionView(_WebhookView):
    parser_classes = [ObjectJSONParser]
    serializer_class = WebhookSubscriptionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return WebhookSubscription.objects.none()
        return WebhookSubscription.objects.filter(owner=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(summary="My webhook subscriptions", responses=WebhookSubscriptionSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookSubscriptionSerializer(page, many=True).data)

    @extend_schema(
        summary="Subscribe a URL to events",
        request=WebhookSubscriptionInputSerializer,
        responses={201: WebhookSubscriptionCreatedSerializer},
        examples=[
            OpenApiExample(
                "subscribe",
                value={
                    "url": "https://erp.example.vn/hooks/dvc",
                    "events": ["dossier.status_changed", "dossier.result_issued"],
                    "description": "ERP",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        body = WebhookSubscriptionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            subscription, secret = services.webhook_subscription_create(
                user=request.user,
                url=data["url"],
                events=data["events"],
                description=data.get("description", ""),
                organisation_id=data.get("organisation"),
                token=request.auth if hasattr(request.auth, "organisation_id") else None,
            )
        except PermissionDenied as error:
            raise serializers.ValidationError({"organisation": [str(error)]}) from None
        out = WebhookSubscriptionCreatedSerializer(subscription).data
        out["secret"] = secret
        return Response(out, status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class WebhookDetailView(_WebhookView):
    serializer_class = WebhookSubscriptionSerializer

    @extend_schema(summary="One webhook subscription")
    def get(self, request, pk: int):
        return Response(WebhookSubscriptionSerializer(self.subscription(pk)).data)

    @extend_schema(summary="Unsubscribe", responses={204: None})
    def delete(self, request, pk: int):
        services.webhook_subscription_delete(user=request.user, subscription_id=self.subscription(pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["webhooks"])
class WebhookDeliveriesView(_WebhookView):
    serializer_class = WebhookDeliverySerializer
    queryset = WebhookDelivery.objects.none()  # for the schema; the real one is the subscription's

    @extend_schema(summary="Deliveries of a subscription, newest first", responses=WebhookDeliverySerializer(many=True))
    def get(self, request, pk: int):
        subscription = self.subscription(pk)
        qs = (
            WebhookDelivery.objects.filter(subscription=subscription)
            .prefetch_related("attempt_log")
            .order_by("-created_at", "-pk")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


urlpatterns = [
    path("webhooks/", WebhookCollectionView.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", WebhookDetailView.as_view(), name="api-webhook-detail"),
    path("webhooks/<int:pk>/deliveries/", WebhookDeliveriesView.as_view(), name="api-webhook-deliveries"),
]
