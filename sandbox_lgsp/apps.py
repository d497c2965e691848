"""The sandbox national databases behind a sandbox LGSP, for dev and test only."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxLgspConfig(AppConfig):
    name = "sandbox_lgsp"
    verbose_name = _("CSDL quốc gia thử nghiệm (LGSP)")
