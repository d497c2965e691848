"""Choices of the catalogue and of the working-time calendar."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyLevel(models.TextChoices):
    PROVINCE = "province", _("Cấp tỉnh")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    COMMUNE = "commune", _("Cấp xã")
    CENTRAL = "central", _("Trung ương")
    OTHER = "other", _("Khác")


class DayExceptionKind(models.TextChoices):
    DAY_OFF = "day_off", _("Ngày nghỉ bổ sung")
    WORKING_DAY = "working_day", _("Ngày làm bù")


DEFAULT_WORKING_PERIODS = [["07:30", "11:30"], ["13:00", "17:00"]]
DEFAULT_WORKING_WEEKDAYS = [0, 1, 2, 3, 4]  # Monday..Friday
