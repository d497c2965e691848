from .api_audit import ApiAuditRecord
from .membership import OfficerMembership
from .notification import (
    DeliveryStatus,
    Notification,
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
)
from .organisation import Organisation, OrganisationInvitation, OrganisationMembership
from .outbox import OutboxMessage
from .profile import CitizenProfile
from .sync import SyncRecord, SyncState
from .token import ApiToken
from .user import User
from .webhook import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "ApiAuditRecord",
    "DeliveryState",
    "SyncRecord",
    "SyncState",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "ApiToken",
    "CitizenProfile",
    "DeliveryStatus",
    "Notification",
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationPreference",
    "OfficerMembership",
    "Organisation",
    "OrganisationInvitation",
    "OrganisationMembership",
    "OutboxMessage",
    "User",
]
