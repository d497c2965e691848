"""The sandbox payment gateway: the other side of the payment protocol, for dev and test only."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxGatewayConfig(AppConfig):
    name = "sandbox_gateway"
    verbose_name = _("Cổng thanh toán thử nghiệm")
