"""The dossier (hồ sơ): what an applicant files for one procedure, and its state."""

from django.conf import settings
from django.db import models
from django.db.models import Func, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.constants import STATUS_CODE, Channel, DossierState, Outcome, Rating, ReturnMethod

# The states a dossier ends in without a result; ``closed_at`` records when it got there.
CLOSED_STATES = frozenset({DossierState.REFUSED, DossierState.WITHDRAWN, DossierState.STOPPED})


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=48, unique=True, null=True, blank=True)
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    procedure_version = models.ForeignKey(
        "procedures.ProcedureVersion", on_delete=models.PROTECT, related_name="dossiers"
    )
    receiving_agency = models.ForeignKey("procedures.Agency", on_delete=models.PROTECT, related_name="dossiers")
    # Receipt anywhere in the province (Decree 118/2025/NĐ-CP): the Public Administration Service
    # Centre that received the dossier and handed it over to the deciding agency, which is then
    # ``receiving_agency`` (it processes the dossier); the centre still returns the result.
    reception_centre = models.ForeignKey(
        "procedures.Agency",
        on_delete=models.PROTECT,
        related_name="dossiers_handed_over",
        null=True,
        blank=True,
        verbose_name=_("Trung tâm Phục vụ hành chính công tiếp nhận"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dossiers", null=True, blank=True
    )
    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, related_name="dossiers", null=True, blank=True
    )
    # Snapshot of who applied, as printed on slips; the profile may change later.
    applicant_name = models.CharField(_("người nộp"), max_length=255, blank=True)
    # The name in lower case without accents, kept by the database (``procedures_unaccent``:
    # PostgreSQL's ``unaccent`` wrapper, a Python function on SQLite), for the officer search's
    # trigram index (dossiers.search): comparing a stored column costs nothing per row.
    applicant_name_folded = models.GeneratedField(
        expression=Func(Lower("applicant_name"), function="procedures_unaccent", output_field=models.CharField()),
        output_field=models.CharField(max_length=255),
        db_persist=True,
    )
    applicant_id_number = models.CharField(_("số giấy tờ"), max_length=20, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=15, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=255, blank=True)

    channel = models.CharField(_("kênh nộp"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    state = models.CharField(_("trạng thái"), max_length=32, choices=DossierState.choices, default=DossierState.DRAFT)
    status_code = models.PositiveSmallIntegerField(_("mã trạng thái"), null=True, blank=True, editable=False)
    form_data = models.JSONField(_("dữ liệu tờ khai"), default=dict, blank=True)
    # Answers taken from a national database (once-only): field name → source ("population",
    # "business"); read-only in the form, marked wherever they show.
    form_sources = models.JSONField(_("nguồn dữ liệu của tờ khai"), default=dict, blank=True)
    # The applicant's corrections of such answers, where the form allows one (``"correctable"``
    # in the form schema): field name → {"original": what the database said, "reason": why,
    # "source"}; the answer in ``form_data`` is the corrected one.
    form_corrections = models.JSONField(_("thông tin người nộp sửa so với CSDL quốc gia"), default=dict, blank=True)
    tracking_pin_hash = models.CharField(max_length=128, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    # SHA-256 of the request that first used the key (portal.api.idempotency): the same key with
    # other content is refused, not answered with this dossier.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")

    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    received_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    due_at = models.DateTimeField(_("hẹn trả"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("xử lý xong lúc"), null=True, blank=True)
    returned_at = models.DateTimeField(_("trả kết quả lúc"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(default=0)

    current_step = models.PositiveSmallIntegerField(default=0)
    # Role holding the open step ("" when none is open), kept by the engine beside
    # ``current_step`` so worklists filter on it without reading the steps.
    step_role = models.CharField(max_length=20, blank=True, editable=False, db_default="")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_dossiers"
    )
    department = models.ForeignKey(
        "procedures.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dossiers",
        verbose_name=_("phòng xử lý"),
    )
    # The state to go back to when the applicant has answered (supplement during processing,
    # payment before the result).
    resume_state = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(_("kết quả giải quyết"), max_length=10, choices=Outcome.choices, blank=True)
    # Lateness (form 04): the appointment before the apology letter, set once; ``due_at`` is
    # then the new appointment. A dossier resolved after ``original_due_at`` stays late.
    original_due_at = models.DateTimeField(_("hẹn trả ban đầu"), null=True, blank=True)
    apology_at = models.DateTimeField(_("xin lỗi lúc"), null=True, blank=True)
    # Marks of the deadline sweep (dossiers.services.deadlines), each set once: when the
    # dossier became due within one working day (the responsible officer is reminded of the
    # apology letter), and when it was escalated to the agency's leaders as overdue.
    due_soon_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Reception of an online dossier (Decree 45/2020): received, refused or asked for a
    # supplement by ``reception_due_at`` (8 working hours after submission, rule set in force);
    # when reception answered, and the sweep's marks (warned before, escalated after), each once.
    reception_due_at = models.DateTimeField(_("hạn tiếp nhận"), null=True, blank=True, editable=False)
    reception_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    reception_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    reception_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    return_method = models.CharField(
        _("hình thức trả kết quả"), max_length=10, choices=ReturnMethod.choices, blank=True
    )
    returned_to = models.CharField(_("người nhận kết quả"), max_length=255, blank=True)
    # The desk (bộ phận một cửa) that returned the result: the deciding agency's, or the centre's.
    return_agency = models.ForeignKey(
        "procedures.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("nơi trả kết quả"),
    )
    postal_tracking_number = models.CharField(_("số hiệu bưu gửi"), max_length=64, blank=True)
    rating = models.CharField(_("đánh giá"), max_length=20, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("ý kiến"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # When the dossier was refused (3), withdrawn (7) or stopped (8): set once, by ``save`` in
    # the transition's transaction, so the statistics date the closing by it and not by
    # ``updated_at``, which any later save moves.
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True, editable=False)

    # Head of the event chain, so that removing the newest events is detected too.
    events_count = models.PositiveIntegerField(default=0, editable=False)
    last_event_hash = models.CharField(max_length=64, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=DossierState.values), name="dossier_state_valid"),
            models.CheckConstraint(
                condition=Q(state=DossierState.DRAFT) | Q(code__isnull=False, submitted_at__isnull=False),
                name="dossier_submitted_has_code",
            ),
            models.CheckConstraint(
                condition=Q(applicant__isnull=False) | ~Q(channel=Channel.ONLINE),
                name="dossier_online_has_applicant",
            ),
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="uniq_dossier_idempotency",
            ),
        ]
        indexes = [
            models.Index(fields=["receiving_agency", "status_code", "due_at"], name="dossier_agency_status_due"),
            # A worklist filtered on a procedure (to assign, overdue, ... of one procedure): the
            # matching rows straight from one index, instead of a BitmapAnd of the procedure's
            # and the agency's indexes (19,000 and 18,000 entries for 474 rows at 1,000,000).
            models.Index(
                fields=["procedure", "receiving_agency", "status_code", "due_at"], name="dossier_proc_agency_status"
            ),
            models.Index(fields=["applicant", "state", "-updated_at"], name="dossier_applicant_state"),
            models.Index(fields=["organisation", "-updated_at"], name="dossier_org_updated"),
            models.Index(fields=["assigned_to", "state"], name="dossier_assignee_state"),
            models.Index(fields=["state", "updated_at"], name="dossier_state_updated"),
            models.Index(fields=["department", "status_code", "due_at"], name="dossier_dept_status_due"),
            # Statistics: the lists behind a number read one agency's dossiers received, resolved,
            # closed, rated or apologised for in a period, newest first, a page at a time. Each
            # index holds what its figures test, so a page is read from the index alone, however
            # few of the range's dossiers the figure keeps (late ones, say).
            models.Index(
                fields=["receiving_agency", "received_at"],
                include=[
                    "id",
                    "procedure",
                    "channel",
                    "state",
                    "resolved_at",
                    "closed_at",
                    "paused_at",
                    "due_at",
                    "original_due_at",
                ],
                name="dossier_agency_received",
            ),
            models.Index(
                fields=["receiving_agency", "resolved_at"],
                include=["id", "procedure", "due_at", "original_due_at"],
                condition=Q(resolved_at__isnull=False),
                name="dossier_agency_resolved",
            ),
            models.Index(
                fields=["receiving_agency", "closed_at"],
                include=["id", "procedure", "state"],
                condition=Q(closed_at__isnull=False),
                name="dossier_agency_closed",
            ),
            # The live stock (dossiers.stats.definitions.stock_now): every open dossier counted
            # from this index alone, without reading the table.
            models.Index(
                fields=["receiving_agency", "procedure", "channel", "state"],
                include=["received_at", "due_at", "original_due_at", "paused_at"],
                condition=Q(
                    state__in=[
                        "received",
                        "processing",
                        "consulting",
                        "pending_approval",
                        "supplement_requested",
                        "payment_requested",
                        "withdrawal_requested",
                    ]
                ),
                name="dossier_open_stock",
            ),
            models.Index(
                fields=["receiving_agency", "rated_at"],
                include=["id", "procedure", "rating"],
                condition=Q(rated_at__isnull=False),
                name="dossier_agency_rated",
            ),
            models.Index(
                fields=["receiving_agency", "apology_at"],
                include=["id", "procedure"],
                condition=Q(apology_at__isnull=False),
                name="dossier_agency_apology",
            ),
            # Worklists ordered by due time over several status codes: one partial index each,
            # so the database reads them in order instead of sorting every matching row.
            models.Index(
                fields=["receiving_agency", "due_at"],
                condition=Q(status_code__in=[2, 4]),
                name="dossier_agency_active_due",
            ),
            models.Index(
                fields=["receiving_agency", "due_at"],
                condition=Q(status_code__in=[5, 6]),
                name="dossier_agency_waiting_due",
            ),
            models.Index(
                fields=["department", "due_at"],
                condition=Q(status_code__in=[2, 4, 5, 6]),
                name="dossier_dept_open_due",
            ),
            models.Index(
                fields=["receiving_agency", "step_role", "due_at"],
                condition=Q(state="pending_approval"),
                name="dossier_agency_pending_due",
            ),
            # The officer search by number (dossiers.search): exact ID number / tax code, phone.
            models.Index(
                fields=["applicant_id_number"],
                condition=~Q(applicant_id_number=""),
                name="dossier_applicant_id_number",
            ),
            models.Index(fields=["applicant_phone"], condition=~Q(applicant_phone=""), name="dossier_applicant_phone"),
            # The sweep's two look-ups: only open dossiers not yet marked, by due time, so each
            # run reads the few rows that have just become due, whatever the table's size.
            models.Index(
                fields=["due_at"],
                condition=Q(status_code__in=[2, 4], due_soon_at__isnull=True),
                name="dossier_sweep_due_soon",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(status_code__in=[2, 4], escalated_at__isnull=True),
                name="dossier_sweep_overdue",
            ),
            models.Index(
                fields=["reception_due_at"],
                condition=Q(status_code=1, reception_escalated_at__isnull=True),
                name="dossier_sweep_reception",
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"#{self.pk} ({self.get_state_display()})"

    def save(self, *args, **kwargs):
        self.status_code = STATUS_CODE[self.state]
        update_fields = kwargs.get("update_fields")
        closing = self.state in CLOSED_STATES and self.closed_at is None
        if closing:
            self.closed_at = timezone.now()
        if update_fields is not None and "state" in update_fields:
            kwargs["update_fields"] = {*update_fields, "status_code", *(["closed_at"] if closing else [])}
        super().save(*args, **kwargs)

    @property
    def rules_moment(self):
        """The moment that decides the dossier's rule set (procedures.rulebook): its reception,
        or its submission while it has not been received (a refusal, a supplement request at
        reception); None (today) for a draft."""
        return self.received_at or self.submitted_at
