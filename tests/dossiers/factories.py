"""Dossier factories with a trait per state, helpers that build real files, and an agency's team
with the steps that take a dossier through processing."""

import datetime as dt
import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfWriter

from dossiers import services
from dossiers.constants import Channel, DossierState
from dossiers.core.pins import pin_hash
from dossiers.models import Dossier, DossierDocument, StoredDocument
from portal.constants import OfficerRole
from procedures import selectors as procedure_selectors
from tests.factories import OfficerMembershipFactory, UserFactory
from tests.procedures.factories import DocumentRequirementFactory, ProcedureVersionFactory

TEST_PIN = "12345678"


def make_pdf(pages: int = 1, *, javascript: bool = False, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if javascript:
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        action = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


class OnlineVersionFactory(ProcedureVersionFactory):
    """A published, online-capable version with one required PDF document."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def requirement(self, create, extracted, **kwargs):
        if create and extracted is not False:
            DocumentRequirementFactory(version=self, name="Tờ khai", required=True, **kwargs)


class StoredDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoredDocument

    owner = factory.SubFactory(UserFactory)
    name = "to_khai.pdf"
    title = "Tờ khai"
    mime_type = "application/pdf"
    file = factory.LazyFunction(lambda: ContentFile(make_pdf(), name="to_khai.pdf"))
    size = factory.LazyAttribute(lambda o: o.file.size)
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    created_at = factory.LazyFunction(timezone.now)


class DossierFactory(factory.django.DjangoModelFactory):
    """A submitted online dossier by default; traits give every other state.

    Events are not written: tests of the chain create them through the services.
    """

    class Meta:
        model = Dossier

    procedure_version = factory.SubFactory(OnlineVersionFactory)
    procedure = factory.LazyAttribute(lambda o: o.procedure_version.procedure)
    receiving_agency = factory.LazyAttribute(lambda o: o.procedure_version.procedure.agencies.first())
    applicant = factory.SubFactory(UserFactory)
    applicant_name = factory.LazyAttribute(lambda o: o.applicant.full_name or o.applicant.email)
    applicant_email = factory.LazyAttribute(lambda o: o.applicant.email)
    channel = Channel.ONLINE
    state = DossierState.SUBMITTED
    code = factory.Sequence(lambda n: f"000.00.99.T99-261123-{n + 1:04d}")
    submitted_at = factory.LazyFunction(timezone.now)
    tracking_pin_hash = factory.LazyFunction(lambda: pin_hash(TEST_PIN))
    form_data = factory.LazyFunction(lambda: {"full_name": "Nguyễn Văn Thử"})

    class Params:
        draft = factory.Trait(state=DossierState.DRAFT, code=None, submitted_at=None, tracking_pin_hash="")
        received = factory.Trait(
            state=DossierState.RECEIVED,
            received_at=factory.LazyFunction(timezone.now),
            due_at=factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=5)),
        )
        processing = factory.Trait(state=DossierState.PROCESSING, received_at=factory.LazyFunction(timezone.now))
        supplement_requested = factory.Trait(
            state=DossierState.SUPPLEMENT_REQUESTED,
            received_at=factory.LazyFunction(timezone.now),
            paused_at=factory.LazyFunction(timezone.now),
        )
        payment_requested = factory.Trait(state=DossierState.PAYMENT_REQUESTED)
        refused = factory.Trait(state=DossierState.REFUSED)
        withdrawn = factory.Trait(state=DossierState.WITHDRAWN)
        stopped = factory.Trait(state=DossierState.STOPPED)
        resolved = factory.Trait(state=DossierState.RESOLVED, resolved_at=factory.LazyFunction(timezone.now))
        returned = factory.Trait(
            state=DossierState.RETURNED,
            resolved_at=factory.LazyFunction(timezone.now),
            returned_at=factory.LazyFunction(timezone.now),
        )


class DossierDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DossierDocument

    dossier = factory.SubFactory(DossierFactory)
    requirement = factory.LazyAttribute(lambda o: o.dossier.procedure_version.documents.first())
    component_name = factory.LazyAttribute(lambda o: o.requirement.name if o.requirement else "Giấy tờ")
    stored = factory.SubFactory(StoredDocumentFactory, owner=factory.SelfAttribute("..dossier.applicant"))


# --- processing: a review workflow, an agency's team, and the steps through the services ---------

REVIEW_TEMPLATE = [
    {"key": "receive", "name": "Tiếp nhận", "role": "reception", "duration": 4, "unit": "hours", "send_back_to": None},
    {
        "key": "assign",
        "name": "Phân công",
        "role": "department_head",
        "duration": 4,
        "unit": "hours",
        "send_back_to": None,
    },
    {
        "key": "appraise",
        "name": "Thẩm định",
        "role": "specialist",
        "duration": 1,
        "unit": "days",
        "send_back_to": "receive",
    },
    {
        "key": "review",
        "name": "Lãnh đạo phòng xem xét",
        "role": "department_head",
        "duration": 4,
        "unit": "hours",
        "send_back_to": "appraise",
    },
    {
        "key": "approve",
        "name": "Phê duyệt",
        "role": "leader",
        "duration": 4,
        "unit": "hours",
        "send_back_to": "appraise",
    },
    {"key": "return", "name": "Trả kết quả", "role": "reception", "duration": 4, "unit": "hours", "send_back_to": None},
]


class Team:
    def __init__(self, agency):
        self.agency = agency
        self.reception = OfficerMembershipFactory(agency=agency, role=OfficerRole.RECEPTION).user
        self.head = OfficerMembershipFactory(agency=agency, role=OfficerRole.DEPARTMENT_HEAD).user
        self.specialist = OfficerMembershipFactory(agency=agency, role=OfficerRole.SPECIALIST).user
        self.other_specialist = OfficerMembershipFactory(agency=agency, role=OfficerRole.SPECIALIST).user
        self.leader = OfficerMembershipFactory(agency=agency, role=OfficerRole.LEADER).user


def refresh(dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def to_processing(dossier, team):
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk)
    return refresh(dossier)


def to_pending(dossier, team, **kwargs):
    to_processing(dossier, team)
    services.dossier_propose(
        user=team.specialist,
        dossier_id=dossier.pk,
        recommendation="grant",
        result_file=("ket-qua.pdf", make_pdf()),
        **kwargs,
    )
    return refresh(dossier)


def to_resolved(dossier, team):
    to_pending(dossier, team)
    services.dossier_approve(user=team.leader, dossier_id=dossier.pk)
    return refresh(dossier)


def working_day_after(days: int, *, agency=None) -> dt.date:
    """The first working day of ``agency``'s calendar (the default one for None) at least
    ``days`` days from today: a new appointment (an apology's) must be one."""
    day = timezone.localdate() + dt.timedelta(days=days)
    while procedure_selectors.working_day_close(agency=agency, day=day) is None:
        day += dt.timedelta(days=1)
    return day


def working_moment_after(days: int, *, agency=None, hour: int = 16, minute: int = 0) -> dt.datetime:
    """``working_day_after`` at ``hour``:``minute`` (16:00: within the default afternoon period)."""
    return dt.datetime.combine(
        working_day_after(days, agency=agency), dt.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )
