"""The statistics roll-up (bảng tổng hợp thống kê) and the monthly report subscriptions.

``DailyStat`` holds, per day × receiving agency × procedure × channel, the counters every
report figure is summed from (``dossiers.stats.definitions`` says what each one counts):
flows of that day (received, resolved early / on time / late, …) and the stock at the end
of that day (in progress on time / overdue, paused). Celery writes one day at a time, after
midnight; the current day is computed live. ``StatsSubscription``: a leader who asked for
the monthly report of an agency by email.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.constants import Channel


class DailyStat(models.Model):
    day = models.DateField(_("ngày"))
    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("kênh nộp"), max_length=10, choices=Channel.choices)
    # Flows during the day.
    received = models.PositiveIntegerField(default=0)
    resolved_early = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    stopped = models.PositiveIntegerField(default=0)
    apologies = models.PositiveIntegerField(default=0)
    rating_very_satisfied = models.PositiveIntegerField(default=0)
    rating_satisfied = models.PositiveIntegerField(default=0)
    rating_dissatisfied = models.PositiveIntegerField(default=0)
    fees_online = models.BigIntegerField(default=0)
    processing_minutes = models.BigIntegerField(default=0)
    # For the service-quality index (Decision 766/QĐ-TTg, ``dossiers.stats.index``): resolved
    # in time but after more than one supplement request (counted late by the index); resolved
    # with an electronic result that has a code and a file; received reusing a document of the
    # applicant's store (once-only); dossiers whose fees were paid online / paid at all.
    resolved_multi_supplement = models.PositiveIntegerField(default=0)
    resolved_e_result = models.PositiveIntegerField(default=0)
    received_reuse = models.PositiveIntegerField(default=0)
    paid_online = models.PositiveIntegerField(default=0)
    paid_any = models.PositiveIntegerField(default=0)
    # Digitisation (số hóa) of the documents of the dossiers received that day (current versions):
    # all, digitised, not digitised for an allowed reason; and the dossiers received that day that
    # were synced to the national portal (a ``SyncRecord`` sent).
    documents = models.PositiveIntegerField(default=0)
    documents_digitised = models.PositiveIntegerField(default=0)
    documents_exempt = models.PositiveIntegerField(default=0)
    received_synced = models.PositiveIntegerField(default=0)
    # The national list's digitisation and online groups (index items 4.2, 4.4, 4.5b and the
    # fully-online line; ``dossiers.stats.definitions``): resolved with digitised components and an
    # electronic result; received with a document from the applicant's store; received using the
    # population database; received for a procedure offered fully online (toàn trình).
    resolved_digitised = models.PositiveIntegerField(default=0)
    received_store_reuse = models.PositiveIntegerField(default=0)
    received_population_data = models.PositiveIntegerField(default=0)
    received_full_level = models.PositiveIntegerField(default=0)
    # Resolved dossiers per whole working days taken ({"3": 12, …}), for the 90th percentile.
    processing_days = models.JSONField(default=dict, blank=True)
    # Stock at the end of the day.
    open_on_time = models.PositiveIntegerField(default=0)
    open_overdue = models.PositiveIntegerField(default=0)
    paused_supplement = models.PositiveIntegerField(default=0)
    paused_payment = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("số liệu thống kê theo ngày")
        verbose_name_plural = _("số liệu thống kê theo ngày")
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "procedure", "channel"], name="uniq_daily_stat"),
        ]
        indexes = [models.Index(fields=["agency", "day"], name="daily_stat_agency_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}/{self.procedure_id}/{self.channel}"


class ReportFormat(models.TextChoices):
    XLSX = "xlsx", _("Bảng tính (XLSX)")
    PDF = "pdf", _("Văn bản (PDF)")


class StatsSubscription(models.Model):
    """A leader receives the monthly report of ``agency`` (with its sub-agencies) by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stats_subscriptions")
    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(_("đang nhận"), default=True)
    report_format = models.CharField(
        _("định dạng báo cáo"), max_length=4, choices=ReportFormat.choices, default=ReportFormat.XLSX
    )
    # First day of the last month sent, so a rerun of the task sends nothing twice.
    last_sent_month = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đăng ký nhận báo cáo tháng")
        verbose_name_plural = _("đăng ký nhận báo cáo tháng")
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="uniq_stats_subscription")]

    def __str__(self) -> str:
        return f"{self.user} → {self.agency}"


class MonthlyStat(models.Model):
    """The flows of ``DailyStat`` summed per month × agency × channel (rebuilt whenever a day of
    the month is rolled up): what the index reads, so a province's year is a few thousand rows."""

    month = models.DateField(_("tháng"))
    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("kênh nộp"), max_length=10, choices=Channel.choices)
    received = models.PositiveIntegerField(default=0)
    resolved_early = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    resolved_multi_supplement = models.PositiveIntegerField(default=0)
    resolved_e_result = models.PositiveIntegerField(default=0)
    received_reuse = models.PositiveIntegerField(default=0)
    paid_online = models.PositiveIntegerField(default=0)
    paid_any = models.PositiveIntegerField(default=0)
    documents = models.PositiveIntegerField(default=0)
    documents_digitised = models.PositiveIntegerField(default=0)
    documents_exempt = models.PositiveIntegerField(default=0)
    received_synced = models.PositiveIntegerField(default=0)
    rating_very_satisfied = models.PositiveIntegerField(default=0)
    rating_satisfied = models.PositiveIntegerField(default=0)
    rating_dissatisfied = models.PositiveIntegerField(default=0)
    # Working minutes of the dossiers resolved, for the average processing time (index item 2.2).
    processing_minutes = models.BigIntegerField(default=0)
    # The national list's digitisation and online groups (index items 4.2, 4.4, 4.5b and the
    # fully-online line; ``dossiers.stats.definitions``): resolved with digitised components and an
    # electronic result; received with a document from the applicant's store; received using the
    # population database; received for a procedure offered fully online (toàn trình).
    resolved_digitised = models.PositiveIntegerField(default=0)
    received_store_reuse = models.PositiveIntegerField(default=0)
    received_population_data = models.PositiveIntegerField(default=0)
    received_full_level = models.PositiveIntegerField(default=0)
    # The procedures with a dossier whose fees were paid online in the month (index item 3.5b: a
    # count of distinct procedures, which sums do not give).
    paid_online_procedures = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("số liệu thống kê theo tháng")
        verbose_name_plural = _("số liệu thống kê theo tháng")
        constraints = [models.UniqueConstraint(fields=["month", "agency", "channel"], name="uniq_monthly_stat")]
        indexes = [models.Index(fields=["month", "agency"], name="monthly_stat_month_agency")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agency_id}/{self.channel}"
