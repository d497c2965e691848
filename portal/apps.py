from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Tài khoản và cổng")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from portal import receivers  # noqa: F401 - connects the integration receivers
        from portal.models import WebhookSubscription
        from portal.services.webhooks import webhook_subscribers_changed

        for signal in (post_save, post_delete):
            signal.connect(webhook_subscribers_changed, sender=WebhookSubscription, dispatch_uid=f"webhooks-{signal}")
