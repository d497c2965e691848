"""Issue 18: the fields of type officer, department and agency carry their choices, for the
caller, on both doors (the API's ``available_actions`` and the page's selects); a value outside
them is refused with a message tied to the field, nothing changed, on both doors.

The agency: departments Tư pháp and Văn hoá; a leader and a department head without a
department (agency-wide), a head of Tư pháp; specialists of each department and one without
any; an inactive specialist and one of another agency, who are never offered.
"""

import re

import pytest
from rest_framework.test import APIClient

from dossiers import services
from dossiers.models import Consultation, Dossier, DossierEvent
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.factories import DossierFactory, refresh
from tests.factories import AgencyFactory, DepartmentFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
R = OfficerRole


class World:
    def __init__(self):
        self.dossier = DossierFactory()
        agency = self.agency = self.dossier.receiving_agency
        self.justice = DepartmentFactory(agency=agency, name="Phòng Tư pháp")
        self.culture = DepartmentFactory(agency=agency, name="Phòng Văn hoá")

        def member(role, department=None, name="", **kwargs):
            user = UserFactory(full_name=name)
            OfficerMembershipFactory(user=user, agency=agency, role=role, department=department, **kwargs)
            return user

        self.reception = member(R.RECEPTION)
        self.leader = member(R.LEADER)
        self.head_all = member(R.DEPARTMENT_HEAD)
        self.head_justice = member(R.DEPARTMENT_HEAD, self.justice)
        self.spec_justice = member(R.SPECIALIST, self.justice, "Chuyên viên Tư pháp")
        self.spec_culture = member(R.SPECIALIST, self.culture, "Chuyên viên Văn hoá")
        self.spec_none = member(R.SPECIALIST, name="")  # no name: labelled by e-mail
        self.spec_inactive = member(R.SPECIALIST, self.justice, "Chuyên viên nghỉ", is_active=False)
        self.spec_elsewhere = OfficerMembershipFactory(role=R.SPECIALIST, department=None).user
        self.other = AgencyFactory(name="Công an xã Thử")
        self.asked = AgencyFactory(name="Sở Xây dựng Thử")
        self.closed = AgencyFactory(name="Cơ quan đã giải thể", is_active=False)

    def received(self):
        services.dossier_receive(user=self.reception, dossier_id=self.dossier.pk)
        return self

    def processing(self):
        self.received()
        services.dossier_assign(user=self.leader, dossier_id=self.dossier.pk, assignee_id=self.spec_justice.pk)
        return self


@pytest.fixture
def world():
    return World()


def api(user) -> APIClient:
    _token, raw = api_token_create(
        user=user, name="t", scopes=["dossiers:read", "dossiers:write", "officer"], by_operator=True
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def api_choices(user, dossier, action: str) -> dict[str, list[dict]]:
    detail = api(user).get(f"/api/v1/dossiers/{dossier.code}/").json()
    (offered,) = [a for a in detail["available_actions"] if a["name"] == action]
    return {f["name"]: f["choices"] for f in offered["fields"] if "choices" in f}


def page_options(client, dossier, action: str, field: str) -> list[str]:
    """The values of a select of the page, for the officer signed in on ``client``."""
    body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    select = re.search(rf'<select[^>]*id="{action}-{field}"[^>]*>(.*?)</select>', body, re.S)
    assert select, (action, field)
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v]


# --- who sees which choices --------------------------------------------------------------------

ASSIGN_MATRIX = [
    # who, the specialists offered, the departments offered
    ("leader", {"spec_justice", "spec_culture", "spec_none"}, {"justice", "culture"}),
    ("head_all", {"spec_justice", "spec_culture", "spec_none"}, {"justice", "culture"}),
    ("head_justice", {"spec_justice"}, {"justice"}),
]


@pytest.mark.parametrize(("who", "officers", "departments"), ASSIGN_MATRIX)
def test_assign_offers_the_specialists_and_departments_of_the_caller(client, world, who, officers, departments):
    world.received()
    user = getattr(world, who)
    expected_officers = {str(getattr(world, name).pk) for name in officers}
    expected_departments = {str(getattr(world, name).pk) for name in departments}
    choices = api_choices(user, world.dossier, "assign")
    assert {c["value"] for c in choices["assignee"]} == expected_officers
    assert {c["value"] for c in choices["department"]} == expected_departments
    labels = {c["value"]: c["label"] for c in choices["assignee"]}
    if "spec_justice" in officers:
        assert labels[str(world.spec_justice.pk)] == f"Chuyên viên Tư pháp ({world.spec_justice.email})"
    if "spec_none" in officers:
        assert labels[str(world.spec_none.pk)] == world.spec_none.email
    assert {c["label"] for c in choices["department"]} <= {"Phòng Tư pháp", "Phòng Văn hoá"}
    # The page draws the same lists.
    client.force_login(with_totp(user))
    assert set(page_options(client, world.dossier, "assign", "assignee")) == expected_officers
    assert set(page_options(client, world.dossier, "assign", "department")) == expected_departments


def test_reassign_offers_the_same_specialists(world):
    world.processing()
    choices = api_choices(world.head_justice, refresh(world.dossier), "reassign")
    assert [c["value"] for c in choices["assignee"]] == [str(world.spec_justice.pk)]


def test_consult_offers_every_active_agency_but_its_own_and_those_waiting(client, world):
    world.processing()
    dossier = refresh(world.dossier)
    values = {c["value"] for c in api_choices(world.spec_justice, dossier, "consult")["agency"]}
    assert {world.other.code, world.asked.code} <= values
    assert world.agency.code not in values and world.closed.code not in values
    labels = {c["value"]: c["label"] for c in api_choices(world.spec_justice, dossier, "consult")["agency"]}
    assert labels[world.other.code] == "Công an xã Thử"
    services.dossier_consult(
        user=world.spec_justice, dossier_id=dossier.pk, agency_code=world.asked.code, question="Xác minh nơi ở", days=3
    )
    dossier = refresh(dossier)
    values = {c["value"] for c in api_choices(world.spec_justice, dossier, "consult")["agency"]}
    assert world.other.code in values and world.asked.code not in values
    # The page: a list with a text filter, not a typed code.
    client.force_login(with_totp(world.spec_justice))
    options = page_options(client, dossier, "consult", "agency")
    assert set(options) == values
    body = client.get(f"/officer/dossiers/{dossier.code}/").content.decode()
    assert 'data-filter-for="consult-agency"' in body
    assert "Công an xã Thử (" + world.other.code + ")" in body


def test_choice_fields_carry_value_and_label(world):
    world.processing()
    choices = api_choices(world.spec_justice, refresh(world.dossier), "propose")
    assert choices["recommendation"] == [
        {"value": "grant", "label": "Giải quyết"},
        {"value": "decline", "label": "Từ chối giải quyết"},
    ]


def test_schema_describes_the_choices():
    response = APIClient().get("/api/schema/", {"format": "json"})
    schemas = response.json()["components"]["schemas"]
    choices = schemas["ActionField"]["properties"]["choices"]
    assert choices["items"]["$ref"] == "#/components/schemas/ActionChoice"
    assert "officer, department and agency" in choices["description"]
    assert set(schemas["ActionChoice"]["required"]) == {"value", "label"}


# --- values outside the choices are refused, on both doors, nothing changed -------------------------


def _snapshot(dossier) -> tuple:
    row = Dossier.objects.get(pk=dossier.pk)
    return (
        row.state,
        row.assigned_to_id,
        row.department_id,
        DossierEvent.objects.filter(dossier=dossier).count(),
        Consultation.objects.filter(dossier=dossier).count(),
    )


ASSIGNEE_REFUSED = "Người được chọn không có trong danh sách chuyên viên xử lý bạn được phân công."
DEPARTMENT_REFUSED = "Phòng được chọn không có trong danh sách phòng của cơ quan bạn được phân công."
AGENCY_REFUSED = "Cơ quan được chọn không có trong danh sách cơ quan có thể xin ý kiến."

BAD_CHOICES = [
    # setup, who, action, body (names resolved in the world), field, message
    ("received", "head_justice", "assign", {"assignee": "spec_culture"}, "assignee", ASSIGNEE_REFUSED),
    ("received", "leader", "assign", {"assignee": "spec_inactive"}, "assignee", ASSIGNEE_REFUSED),
    ("received", "leader", "assign", {"assignee": "spec_elsewhere"}, "assignee", ASSIGNEE_REFUSED),
    ("received", "leader", "assign", {"assignee": "reception"}, "assignee", ASSIGNEE_REFUSED),
    ("received", "leader", "assign", {"assignee": "999999"}, "assignee", ASSIGNEE_REFUSED),
    ("received", "leader", "assign", {"assignee": "abc"}, "assignee", "Vui lòng chọn chuyên viên xử lý."),
    (
        "received",
        "head_justice",
        "assign",
        {"assignee": "spec_justice", "department": "culture"},
        "department",
        DEPARTMENT_REFUSED,
    ),
    (
        "received",
        "leader",
        "assign",
        {"assignee": "spec_justice", "department": "elsewhere"},
        "department",
        DEPARTMENT_REFUSED,
    ),
    ("processing", "head_justice", "reassign", {"assignee": "spec_culture"}, "assignee", ASSIGNEE_REFUSED),
    ("processing", "spec_justice", "consult", {"agency": "closed"}, "agency", AGENCY_REFUSED),
    ("processing", "spec_justice", "consult", {"agency": "KHONG-CO"}, "agency", AGENCY_REFUSED),
    ("processing", "spec_justice", "consult", {"agency": ""}, "agency", "Vui lòng chọn cơ quan được xin ý kiến."),
    (
        "processing",
        "spec_justice",
        "consult",
        {"agency": "own"},
        "agency",
        "Không thể xin ý kiến chính cơ quan đang giải quyết hồ sơ.",
    ),
]


def _resolve(world, body: dict) -> dict:
    resolved = {}
    for key, value in body.items():
        if key in ("assignee",) and hasattr(world, value):
            resolved[key] = str(getattr(world, value).pk)
        elif key == "department" and value in ("justice", "culture"):
            resolved[key] = str(getattr(world, value).pk)
        elif key == "department" and value == "elsewhere":
            resolved[key] = str(DepartmentFactory().pk)
        elif key == "agency" and value in ("closed", "other", "asked"):
            resolved[key] = getattr(world, value).code
        elif key == "agency" and value == "own":
            resolved[key] = world.agency.code
        else:
            resolved[key] = value
    if "agency" in resolved:
        resolved.update(question="Đề nghị xác minh nơi cư trú", days="3")
    return resolved


@pytest.mark.parametrize(("setup", "who", "action", "body", "field", "message"), BAD_CHOICES)
def test_a_value_outside_the_choices_is_refused_on_the_field_via_the_api(
    world, setup, who, action, body, field, message
):
    getattr(world, setup)()
    dossier = refresh(world.dossier)
    before = _snapshot(dossier)
    response = api(getattr(world, who)).post(
        f"/api/v1/dossiers/{dossier.code}/actions/", {"action": action, **_resolve(world, body)}, format="json"
    )
    assert response.status_code == 400, response.content
    assert message in response.json()["error"]["fields"][field]
    assert _snapshot(dossier) == before


@pytest.mark.parametrize(("setup", "who", "action", "body", "field", "message"), BAD_CHOICES)
def test_a_value_outside_the_choices_is_refused_on_the_field_on_the_page(
    client, world, setup, who, action, body, field, message
):
    getattr(world, setup)()
    dossier = refresh(world.dossier)
    before = _snapshot(dossier)
    client.force_login(with_totp(getattr(world, who)))
    response = client.post(f"/officer/dossiers/{dossier.code}/actions/{action}/", _resolve(world, body))
    assert response.status_code == 400
    page = response.content.decode()
    # The message sits under its field, which points at it (aria-describedby), marked invalid.
    error_id = f"{action}-{field}-error"
    block = re.search(
        rf'<div class="invalid-feedback d-block field-error" id="{error_id}">(.*?)</div>\s*(<div|</div)', page, re.S
    )
    assert block and message in block.group(1), page[page.find(f'id="action-{action}"') :][:3000]
    control = re.search(rf'<(select|input|textarea)[^>]*id="{action}-{field}"[^>]*>', page)
    assert control and f'aria-describedby="{error_id}' in control.group(0) and 'aria-invalid="true"' in control.group(0)
    assert _snapshot(dossier) == before


def test_the_values_offered_are_accepted(world):
    world.received()
    dossier = refresh(world.dossier)
    choices = api_choices(world.head_justice, dossier, "assign")
    response = api(world.head_justice).post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {
            "action": "assign",
            "assignee": choices["assignee"][0]["value"],
            "department": choices["department"][0]["value"],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    dossier = refresh(dossier)
    assert (dossier.assigned_to, dossier.department) == (world.spec_justice, world.justice)
    agencies = api_choices(world.spec_justice, dossier, "consult")["agency"]
    other = next(c["value"] for c in agencies if c["label"] == "Công an xã Thử")
    consulted = api(world.spec_justice).post(
        f"/api/v1/dossiers/{dossier.code}/actions/",
        {"action": "consult", "agency": other, "question": "Đề nghị xác minh nơi cư trú", "days": 3},
        format="json",
    )
    assert consulted.status_code == 200, consulted.content
    assert Consultation.objects.get(dossier=dossier).agency == world.other
