from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.models import (
    ApiAuditRecord,
    ApiToken,
    CitizenProfile,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    OfficerMembership,
    Organisation,
    OrganisationInvitation,
    OrganisationMembership,
    OutboxMessage,
    SyncRecord,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from portal.services.outbox import outbox_enqueue, outbox_publish
from portal.services.webhooks import webhook_delivery_replay
from portal.tasks import deliver_webhook

# The admin's own login form would skip allauth's rate limits and second factor: send it
# through the portal's sign-in instead.
admin.site.login = secure_admin_login(admin.site.login)


class OfficerMembershipInline(admin.TabularInline):
    model = OfficerMembership
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name", "language")}),
        (_("Quyền"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Thời điểm"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [OfficerMembershipInline]


@admin.register(CitizenProfile)
class CitizenProfileAdmin(admin.ModelAdmin):
    list_display = ["full_name", "citizen_id", "phone", "user"]
    search_fields = ["full_name", "citizen_id", "phone", "user__email"]


class OrganisationMembershipInline(admin.TabularInline):
    model = OrganisationMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_code", "legal_representative"]
    search_fields = ["name", "tax_code"]
    inlines = [OrganisationMembershipInline]


@admin.register(OrganisationInvitation)
class OrganisationInvitationAdmin(admin.ModelAdmin):
    list_display = ["organisation", "email", "role", "created_at", "sent_at", "accepted_at"]
    exclude = ["token"]
    readonly_fields = ["sends_requested", "sends_done", "sent_at"]


@admin.register(OfficerMembership)
class OfficerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "department", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "agency__name", "agency__code"]
    autocomplete_fields = ["agency"]
    raw_id_fields = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    search_fields = ["name", "user__email", "prefix"]


# --- notifications and the outbox ----------------------------------------------------------


class NotificationDeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    fields = ["channel", "recipient", "status", "attempts", "last_error", "created_at", "sent_at", "delivered_at"]
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "user", "event", "dossier_code", "created_at", "read_at"]
    list_filter = ["event"]
    search_fields = ["subject", "dossier_code", "user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    inlines = [NotificationDeliveryInline]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    """Every message that left (or tried to leave) the portal, with its outcome."""

    list_display = [
        "notification", "channel", "recipient", "status", "attempts", "created_at", "sent_at", "delivered_at",
    ]  # fmt: skip
    list_filter = ["status", "channel"]
    search_fields = ["recipient", "subject", "notification__dossier_code", "provider_message_id"]
    list_select_related = ["notification"]
    readonly_fields = [f.name for f in NotificationDelivery._meta.fields]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    def changelist_view(self, request, extra_context=None):
        if getattr(settings, "ZALO_SANDBOX", False) and settings.ZALO_ACCESS_TOKEN:
            messages.warning(
                request, _("Kênh Zalo đang gửi tới máy chủ Zalo thử nghiệm (SANDBOX), không phải Zalo thật.")
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Gửi lại các lượt gửi không thành công"))
    def retry_failed(self, request, queryset):
        count = 0
        for delivery in queryset.filter(status=DeliveryStatus.FAILED):
            delivery.status = DeliveryStatus.QUEUED
            delivery.save(update_fields=["status", "updated_at"])
            outbox_enqueue(task="portal.tasks.deliver_notification", args=[delivery.pk])
            count += 1
        self.message_user(request, _("Đã xếp lại %(count)d lượt gửi.") % {"count": count})

    def has_add_permission(self, request):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "channel", "enabled"]
    list_filter = ["channel", "enabled"]
    search_fields = ["user__email", "event"]
    raw_id_fields = ["user"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["pk", "task", "queue", "created_at", "published_at", "attempts", "last_error"]
    list_filter = ["queue", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["task"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["publish_now"]

    @admin.action(description=_("Đẩy ngay lên hàng đợi"))
    def publish_now(self, request, queryset):
        published = sum(outbox_publish(message_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, _("Đã đẩy %(count)d thông điệp.") % {"count": published})

    def has_add_permission(self, request):
        return False


@admin.register(ApiAuditRecord)
class ApiAuditRecordAdmin(admin.ModelAdmin):
    list_display = ("created_at", "method", "path", "status_code", "token_prefix", "user", "ip_address")
    list_filter = ("method", "status_code")
    search_fields = ("path", "token_prefix", "user__email")
    readonly_fields = [f.name for f in ApiAuditRecord._meta.fields]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("attempted_at", "status_code", "error", "duration_ms")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "organisation", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "owner__email")
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "subscription", "state", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("state", "event")
    readonly_fields = ("event_id", "event", "source", "payload", "attempts", "last_status_code", "delivered_at")
    inlines = [WebhookAttemptInline]
    actions = ["replay_deliveries"]

    @admin.action(description=_("Gửi lại các webhook đã chọn"))
    def replay_deliveries(self, request, queryset):
        for delivery in queryset:
            webhook_delivery_replay(delivery_id=delivery.pk)
            deliver_webhook.delay(delivery.pk)
        self.message_user(request, _("Đã xếp lịch gửi lại %(n)d webhook.") % {"n": queryset.count()})


@admin.register(SyncRecord)
class SyncRecordAdmin(admin.ModelAdmin):
    list_display = ("created_at", "dossier_code", "status_code", "state", "attempts", "response_code")
    list_filter = ("state",)
    search_fields = ("dossier_code",)
    readonly_fields = ("message", "response_body", "error")
