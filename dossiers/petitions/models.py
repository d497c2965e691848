"""A petition (phản ánh, kiến nghị), its append-only events, and the administrator's dated
deadline sets."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dossiers.petitions.constants import TITLE_MAX, PetitionKind, PetitionState


class Petition(models.Model):
    code = models.CharField(_("mã phản ánh, kiến nghị"), max_length=32, unique=True)
    kind = models.CharField(_("loại"), max_length=16, choices=PetitionKind.choices)
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=PetitionState.choices, default=PetitionState.RECEIVED
    )
    petitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="petitions",
        verbose_name=_("người gửi (tài khoản)"),
    )
    # The contact of an anonymous petitioner (never shown publicly).
    contact_name = models.CharField(_("họ và tên người gửi"), max_length=120, blank=True)
    contact_phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    contact_email = models.EmailField(_("thư điện tử"), blank=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="petitions"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.PROTECT, null=True, blank=True, related_name="petitions"
    )
    agency = models.ForeignKey(
        "procedures.Agency", on_delete=models.PROTECT, related_name="petitions", verbose_name=_("cơ quan xử lý")
    )
    title = models.CharField(_("tiêu đề"), max_length=TITLE_MAX)
    content = models.TextField(_("nội dung"))
    consent_publish = models.BooleanField(_("đồng ý công khai"), default=False)

    received_at = models.DateTimeField(_("thời điểm tiếp nhận"))
    rules_key = models.CharField(max_length=32)
    refuse_due_at = models.DateTimeField(_("hạn từ chối tiếp nhận"))
    info_due_at = models.DateTimeField(_("hạn đề nghị bổ sung thông tin"))
    answer_due_at = models.DateTimeField(_("hạn trả lời"))

    refusal_reason = models.TextField(blank=True)
    info_request = models.TextField(blank=True)
    info_requested_at = models.DateTimeField(null=True, blank=True)
    info_reply = models.TextField(blank=True)
    info_replied_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set once by the deadline sweep.
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["agency", "state", "answer_due_at"], name="petition_worklist"),
            models.Index(fields=["state", "consent_publish", "-closed_at"], name="petition_public"),
        ]
        constraints = [
            models.CheckConstraint(
                name="petition_someone_to_answer",
                condition=Q(petitioner__isnull=False)
                | (~Q(contact_name="") & (~Q(contact_phone="") | ~Q(contact_email=""))),
            ),
            models.CheckConstraint(
                name="petition_about_something",
                condition=Q(dossier__isnull=False) | Q(procedure__isnull=False),
            ),
            models.CheckConstraint(
                name="petition_answered_has_answer",
                condition=~Q(state=PetitionState.ANSWERED) | (~Q(answer="") & Q(closed_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="petition_refused_has_reason",
                condition=~Q(state=PetitionState.REFUSED) | (~Q(refusal_reason="") & Q(closed_at__isnull=False)),
            ),
            models.CheckConstraint(name="petition_state_valid", condition=Q(state__in=PetitionState.values)),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    @property
    def published(self) -> bool:
        return self.consent_publish and self.state == PetitionState.ANSWERED

    @property
    def closed_on_time(self) -> bool | None:
        if self.closed_at is None:
            return None
        return self.closed_at <= self.answer_due_at


class PetitionEvent(models.Model):
    """One state change (or the filing): who, when, from which state to which, and the text the
    petitioner is told. Append-only: written once by the runner, never updated but for the
    mail stamp of an anonymous petitioner's notice."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the notice of this event reached an anonymous petitioner's e-mail (idempotent task).
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class PetitionRuleSet(models.Model):
    """A later set of petition deadlines, in force from ``effective_from``; blank fields keep
    the set before it (see `dossiers.petitions.rules`)."""

    effective_from = models.DateField(_("hiệu lực từ ngày"), unique=True)
    refuse_days = models.PositiveSmallIntegerField(
        _("số ngày làm việc để từ chối tiếp nhận"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    info_days = models.PositiveSmallIntegerField(
        _("số ngày làm việc để đề nghị bổ sung thông tin"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    answer_days = models.PositiveSmallIntegerField(
        _("số ngày làm việc để trả lời"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    warn_days = models.PositiveSmallIntegerField(
        _("cảnh báo trước hạn (ngày làm việc)"), null=True, blank=True, validators=[MaxValueValidator(30)]
    )
    citation = models.TextField(_("căn cứ pháp lý (điều, khoản)"), blank=True)
    verified = models.BooleanField(_("đã đối chiếu với văn bản"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("thời hạn xử lý phản ánh, kiến nghị")
        verbose_name_plural = _("thời hạn xử lý phản ánh, kiến nghị")
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from:%d/%m/%Y}"

    def clean(self) -> None:
        given = [d for d in (self.refuse_days, self.info_days, self.answer_days) if d is not None]
        if given != sorted(given):
            raise ValidationError(
                _(
                    "Thời hạn từ chối không được dài hơn thời hạn đề nghị bổ sung, và thời hạn này không được dài hơn thời hạn trả lời."
                )
            )
