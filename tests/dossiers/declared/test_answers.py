"""What was declared, in full (issue 18): the officer's dossier page and the API's ``answers``
show the applicant's form data with the labels and sections of the version's form schema,
repeating groups included; only the receiving agency sees them (not a consulted agency, not
another agency), on the page, through the API with a session and with a token."""

import datetime as dt

import pytest
from django.utils import translation

from dossiers import services
from portal.constants import OfficerRole
from procedures import selectors as procedure_selectors
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory, OnlineVersionFactory, Team, refresh
from tests.dossiers.helpers import api_for, officer_api
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

BIRTH_FORM = procedure_selectors.form_schema_validate(
    {
        "fields": [
            {"name": "child_name", "type": "text", "label": "Họ, chữ đệm, tên của trẻ", "required": True},
            {
                "name": "child_sex",
                "type": "choice",
                "label": "Giới tính",
                "choices": [{"value": "male", "label": "Nam"}, {"value": "female", "label": "Nữ"}],
            },
            {"name": "child_birth_date", "type": "date", "label": "Ngày, tháng, năm sinh"},
            {"name": "mother_name", "type": "text", "label": "Họ, chữ đệm, tên người mẹ"},
            {"name": "twins", "type": "yes_no", "label": "Sinh đôi"},
            {
                "name": "languages",
                "type": "multiple_choice",
                "label": "Ngôn ngữ giấy tờ",
                "choices": [{"value": "vi", "label": "Tiếng Việt"}, {"value": "en", "label": "Tiếng Anh"}],
            },
            {
                "name": "siblings",
                "type": "group",
                "label": "Anh chị em ruột",
                "fields": [
                    {"name": "name", "type": "text", "label": "Họ tên"},
                    {"name": "born", "type": "date", "label": "Ngày sinh"},
                ],
            },
            {"name": "copies", "type": "number", "label": "Số bản sao trích lục"},
            {"name": "fee", "type": "money", "label": "Lệ phí đã nộp"},
        ]
    }
)
BIRTH_DATA = {
    "child_name": "Nguyễn Thị Bé Na",
    "child_sex": "female",
    "child_birth_date": "2026-10-03",
    "mother_name": "Trần Thị Mẹ Hiền",
    "twins": False,
    "languages": ["vi", "en"],
    "siblings": [{"name": "Nguyễn Văn Anh Cả", "born": "2019-02-01"}, {"name": "Nguyễn Thị Chị Hai", "born": None}],
    "copies": 2,
    "fee": 1500000,
}


@pytest.fixture
def dossier():
    version = OnlineVersionFactory(form_schema=BIRTH_FORM)
    dossier = DossierFactory(procedure_version=version, form_data=BIRTH_DATA)
    DossierDocumentFactory(dossier=dossier)
    return dossier


@pytest.fixture
def team(dossier):
    return Team(dossier.receiving_agency)


def page(dossier) -> str:
    return f"/officer/dossiers/{dossier.code}/"


def api(dossier) -> str:
    return f"/api/v1/dossiers/{dossier.code}/"


# --- the presenter ------------------------------------------------------------------------------


def test_the_presenter_reads_every_answer_with_its_label_and_section():
    with translation.override("vi"):
        sections = procedure_selectors.form_answers_present(BIRTH_FORM, {**BIRTH_DATA, "old_field": "giữ lại"})
    assert [(s["key"], s["label"], s["repeating"]) for s in sections] == [
        ("main", "Thông tin kê khai", False),
        ("siblings", "Anh chị em ruột", True),
        ("main-2", "Thông tin kê khai", False),
        ("other", "Thông tin khác", False),
    ]
    shown = {e["name"]: e["display"] for e in sections[0]["rows"][0]}
    assert shown == {
        "child_name": "Nguyễn Thị Bé Na",
        "child_sex": "Nữ",
        "child_birth_date": "03/10/2026",
        "mother_name": "Trần Thị Mẹ Hiền",
        "twins": "Không",
        "languages": "Tiếng Việt, Tiếng Anh",
    }
    assert [[e["display"] for e in row] for row in sections[1]["rows"]] == [
        ["Nguyễn Văn Anh Cả", "01/02/2019"],
        ["Nguyễn Thị Chị Hai", ""],
    ]
    assert [e["display"] for e in sections[2]["rows"][0]] == ["2", "1.500.000 đ"]
    assert sections[3]["rows"][0] == [
        {"name": "old_field", "label": "old_field", "type": "unknown", "value": "giữ lại", "display": "giữ lại"}
    ]
    with translation.override("en"):
        english = procedure_selectors.form_answers_present(BIRTH_FORM, {"twins": True})
    assert english[0]["label"] == "Declared information"
    assert {e["name"]: e["display"] for e in english[0]["rows"][0]}["twins"] == "Yes"


def test_the_presenter_survives_bad_stored_data():
    sections = procedure_selectors.form_answers_present(
        BIRTH_FORM, {"child_birth_date": "không phải ngày", "siblings": "không phải danh sách", "copies": "abc"}
    )
    main = {e["name"]: e["display"] for e in sections[0]["rows"][0]}
    assert main["child_birth_date"] == "không phải ngày" and main["child_name"] == ""
    assert sections[1]["rows"] == []
    assert {e["name"]: e["display"] for e in sections[2]["rows"][0]}["copies"] == "abc"
    assert procedure_selectors.form_answers_present(None, None) == []


# --- the page --------------------------------------------------------------------------------------


def test_the_page_shows_the_birth_registration_answers_and_the_repeating_group(client, dossier, team):
    client.force_login(with_totp(team.specialist))
    body = client.get(page(dossier)).content.decode()
    assert 'id="dossier-answers"' in body
    for text in (
        "Họ, chữ đệm, tên của trẻ</th><td>Nguyễn Thị Bé Na",
        "Ngày, tháng, năm sinh</th><td>03/10/2026",
        "Họ, chữ đệm, tên người mẹ</th><td>Trần Thị Mẹ Hiền",
        "Giới tính</th><td>Nữ",
        "Sinh đôi</th><td>Không",
        "Ngôn ngữ giấy tờ</th><td>Tiếng Việt, Tiếng Anh",
        "Lệ phí đã nộp</th><td>1.500.000 đ",
    ):
        assert text in body
    group = body[body.index('data-section="siblings"') :]
    group = group[: group.index("</table>")]
    assert '<th scope="col">Họ tên</th><th scope="col">Ngày sinh</th>' in group
    assert group.count('class="answers-row"') == 2
    assert '<td data-name="born">01/02/2019</td>' in group and '<td data-name="born">—</td>' in group
    # The applicant's snapshot stays beside the answers.
    assert 'id="dossier-applicant"' in body and body.index('id="dossier-summary"') < body.index('id="dossier-answers"')


def test_the_page_escapes_what_was_declared(client, team):
    version = OnlineVersionFactory(form_schema=BIRTH_FORM)
    dossier = DossierFactory(
        procedure_version=version, receiving_agency=team.agency, form_data={"child_name": "<script>alert(1)</script>"}
    )
    client.force_login(with_totp(team.specialist))
    body = client.get(page(dossier)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body


# --- who sees the answers ------------------------------------------------------------------------


def _consulted(dossier, team):
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)
    services.dossier_assign(user=team.head, dossier_id=dossier.pk, assignee_id=team.specialist.pk)
    other = AgencyFactory(name="Công an xã được hỏi")
    services.dossier_consult(
        user=team.specialist, dossier_id=dossier.pk, agency_code=other.code, question="Xác minh nơi sinh", days=2
    )
    return with_totp(OfficerMembershipFactory(agency=other, role=OfficerRole.SPECIALIST).user)


def _caller(who, dossier, team):
    if who == "own_officer":
        return with_totp(team.reception)
    if who == "own_leader":
        return with_totp(team.leader)
    if who == "other_agency_officer":
        return with_totp(OfficerMembershipFactory(agency=AgencyFactory(), role=OfficerRole.SPECIALIST).user)
    if who == "consulted_agency":
        return _consulted(dossier, team)
    if who == "applicant":
        return dossier.applicant
    if who == "other_citizen":
        return UserFactory()
    return None


# who: (page status, answers on the page, API status, answers in the API)
MATRIX = {
    "own_officer": (200, True, 200, True),
    "own_leader": (200, True, 200, True),
    "other_agency_officer": (404, False, 404, False),
    "consulted_agency": (200, False, 200, False),
    "applicant": (404, False, 200, False),
    "other_citizen": (404, False, 404, False),
    "anonymous": (302, False, 401, False),
}


@pytest.mark.parametrize("who", MATRIX)
def test_answers_on_the_page(client, dossier, team, who):
    status, shown, _api_status, _api_shown = MATRIX[who]
    user = _caller(who, dossier, team)
    if user is not None:
        client.force_login(user)
    response = client.get(page(dossier))
    assert response.status_code == status
    body = response.content.decode()
    assert ("Trần Thị Mẹ Hiền" in body) is shown
    assert ('id="dossier-answers"' in body) is shown


@pytest.mark.parametrize("door", ["session", "token"])
@pytest.mark.parametrize("who", MATRIX)
def test_answers_in_the_api(client, dossier, team, who, door):
    _status, _shown, status, shown = MATRIX[who]
    user = _caller(who, dossier, team)
    if door == "session":
        if user is not None:
            client.force_login(user)
        caller = client
    elif user is None:
        caller = client  # no token at all
    else:
        caller = officer_api(user) if user.officer_memberships.exists() else api_for(user)
    response = caller.get(api(dossier))
    assert response.status_code == status
    if status != 200:
        return
    data = response.json()
    if not shown:
        assert data["answers"] is None
        assert "Trần Thị Mẹ Hiền" not in response.content.decode("utf-8") or who == "applicant"
        return
    sections = {s["key"]: s for s in data["answers"]}
    main = {e["name"]: e for e in sections["main"]["rows"][0]}
    assert main["mother_name"] == {
        "name": "mother_name",
        "label": "Họ, chữ đệm, tên người mẹ",
        "type": "text",
        "value": "Trần Thị Mẹ Hiền",
        "display": "Trần Thị Mẹ Hiền",
    }
    assert main["child_birth_date"]["value"] == "2026-10-03" and main["child_birth_date"]["display"] == "03/10/2026"
    assert main["child_sex"]["display"] == "Nữ"
    assert sections["siblings"]["repeating"] is True and len(sections["siblings"]["rows"]) == 2


def test_an_officer_token_without_the_officer_scope_gets_no_answers(dossier, team):
    """An officer's token minted without the ``officer`` scope acts as a citizen: no dossier."""
    response = api_for(with_totp(team.reception)).get(api(dossier))
    assert response.status_code == 404


def test_the_applicant_keeps_its_raw_data_and_a_consulted_agency_gets_neither(client, dossier, team):
    applicant = api_for(dossier.applicant).get(api(dossier)).json()
    assert applicant["data"]["mother_name"] == "Trần Thị Mẹ Hiền" and applicant["answers"] is None
    consulted = officer_api(_consulted(dossier, team)).get(api(refresh(dossier))).json()
    assert consulted["data"] == {} and consulted["answers"] is None


def test_the_schema_documents_answers(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    detail = components["DossierDetail"]["properties"]
    assert "answers" in detail and detail["answers"].get("nullable") is True
    section = components["AnswerSection"]["properties"]
    assert set(section) == {"key", "label", "repeating", "rows"}
    assert set(components["Answer"]["properties"]) == {"name", "label", "type", "value", "display"}
    assert "preview_url" in components["DossierDocument"]["properties"]


def test_the_dossier_page_query_count_does_not_grow_with_answers(client, team, django_assert_max_num_queries):
    version = OnlineVersionFactory(form_schema=BIRTH_FORM)
    few = DossierFactory(procedure_version=version, receiving_agency=team.agency, form_data={"child_name": "A"})
    many = DossierFactory(
        procedure_version=version,
        receiving_agency=team.agency,
        form_data={**BIRTH_DATA, "siblings": [{"name": f"Anh {n}", "born": "2020-01-01"} for n in range(40)]},
    )
    client.force_login(with_totp(team.reception))
    client.get(page(few))  # warm the session

    def count(dossier):
        with django_assert_max_num_queries(60) as captured:
            assert client.get(page(dossier)).status_code == 200
        return len(captured)

    assert count(many) == count(few)
    assert dt.date(2020, 1, 1).strftime("%d/%m/%Y") in client.get(page(many)).content.decode()
