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


# --- Catalogue (danh mục thủ tục hành chính) -------------------------------------------------


class ApplicantType(models.TextChoices):
    CITIZEN = "citizen", _("Công dân")
    ORGANISATION = "organisation", _("Tổ chức, doanh nghiệp")


class ServiceLevel(models.TextChoices):
    """Online service level in the vocabulary of Decree 42/2022/NĐ-CP."""

    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    INFORMATION = "information", _("Cung cấp thông tin")


class LegacyLevel(models.IntegerChoices):
    """The former levels 1–4 (Decree 43/2011/NĐ-CP), still shown beside the new vocabulary."""

    LEVEL_1 = 1, _("Mức độ 1")
    LEVEL_2 = 2, _("Mức độ 2")
    LEVEL_3 = 3, _("Mức độ 3")
    LEVEL_4 = 4, _("Mức độ 4")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POST = "post", _("Dịch vụ bưu chính")


class ProcessingTimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("ngày làm việc")
    WORKING_HOURS = "working_hours", _("giờ làm việc")


class StepTimeUnit(models.TextChoices):
    HOURS = "hours", _("giờ làm việc")
    DAYS = "days", _("ngày làm việc")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    PUBLISHED = "published", _("Đã công bố")


class FeeCollection(models.TextChoices):
    AT_SUBMISSION = "at_submission", _("Khi nộp hồ sơ")
    BEFORE_RESULT = "before_result", _("Trước khi trả kết quả")


DEFAULT_DOCUMENT_MAX_SIZE = 10 * 1024 * 1024
DEFAULT_ACCEPTED_TYPES = ["application/pdf", "image/jpeg", "image/png"]
SEARCH_MAX_LENGTH = 200
