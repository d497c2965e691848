"""The sandbox VNeID: an OpenID Provider served by the portal itself, for dev and test only."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxVneidConfig(AppConfig):
    name = "sandbox_vneid"
    verbose_name = _("VNeID thử nghiệm")
