"""Officer worklists: exact membership on a hand-built set, counts, pages, API and permissions.

One agency ("A") with a full team and a department, a second agency ("B") with its own
team; dossiers of both in every situation a list cares about (mine vs a colleague's, due
soon vs later vs overdue, paused, finished, consultations to A vs to B, answered or not).
Each list must hold exactly the expected dossiers, in due order; the counts must equal the
lists; the pages and the API follow the role × agency matrix; the number of queries of a
page does not grow with its size.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from dossiers import worklists
from dossiers.constants import DossierState
from dossiers.models import Consultation, DossierStep
from portal.constants import OfficerRole
from portal.services import api_token_create
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory
from tests.dossiers.helpers import page_client
from tests.factories import AgencyFactory, DepartmentFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
S = DossierState
ALL_NAMES = list(worklists.WORKLISTS)


class Team:
    def __init__(self, agency, department=None):
        self.agency = agency
        self.department = department or DepartmentFactory(agency=agency)
        member = OfficerMembershipFactory
        self.reception = member(agency=agency, role=OfficerRole.RECEPTION).user
        self.head = member(agency=agency, role=OfficerRole.DEPARTMENT_HEAD, department=self.department).user
        self.specialist = member(agency=agency, role=OfficerRole.SPECIALIST, department=self.department).user
        self.other_specialist = member(agency=agency, role=OfficerRole.SPECIALIST).user
        self.leader = member(agency=agency, role=OfficerRole.LEADER).user
        self.admin = member(agency=agency, role=OfficerRole.AGENCY_ADMIN).user


def open_step(dossier, role: str):
    DossierStep.objects.create(
        dossier=dossier, seq=1, index=3, key=role, name=role, role=role, agency=dossier.receiving_agency,
        started_at=timezone.now(),
    )  # fmt: skip
    # The engine keeps the open step's role on the dossier, which the worklists filter on.
    type(dossier).objects.filter(pk=dossier.pk).update(step_role=role)


def consult(dossier, agency, *, answered=False, hours=8):
    now = timezone.now()
    return Consultation.objects.create(
        dossier=dossier,
        agency=agency,
        question="Đề nghị cho ý kiến về hiện trạng thửa đất",
        requested_by=dossier.assigned_to or UserFactory(),
        requested_at=now,
        due_at=now + dt.timedelta(hours=hours),
        answer="Đồng ý" if answered else "",
        answered_at=now if answered else None,
    )


@pytest.fixture
def world():
    """Agencies A and B, their teams, and one dossier per situation (names say which)."""
    a, b = AgencyFactory(), AgencyFactory()
    team_a, team_b = Team(a), Team(b)
    version = OnlineVersionFactory()
    now = timezone.now()
    horizon = worklists.officer_scope(user=team_a.specialist).due_horizons[a.pk]
    soon = now + (horizon - now) / 2
    later = horizon + dt.timedelta(days=2)
    overdue = now - dt.timedelta(hours=3)

    def make(agency, state, due=None, **kwargs):
        received = None if state == S.SUBMITTED else now - dt.timedelta(days=3)
        return DossierFactory(
            procedure_version=version,
            procedure=version.procedure,
            receiving_agency=agency,
            state=state,
            due_at=due,
            received_at=received,
            **kwargs,
        )

    d = {}
    d["submitted_a"] = make(a, S.SUBMITTED)
    d["submitted_b"] = make(b, S.SUBMITTED)
    d["received_a"] = make(a, S.RECEIVED, later)
    d["received_b"] = make(b, S.RECEIVED, later)
    d["mine_soon"] = make(a, S.PROCESSING, soon, assigned_to=team_a.specialist, department=team_a.department)
    d["mine_consulting"] = make(a, S.CONSULTING, later + dt.timedelta(hours=1), assigned_to=team_a.specialist)
    d["colleague_overdue"] = make(a, S.PROCESSING, overdue, assigned_to=team_a.other_specialist)
    d["mine_elsewhere"] = make(b, S.PROCESSING, soon, assigned_to=team_a.specialist)
    d["pending_leader"] = make(a, S.PENDING_APPROVAL, later + dt.timedelta(hours=2), assigned_to=team_a.specialist)
    open_step(d["pending_leader"], "leader")
    d["pending_head"] = make(a, S.PENDING_APPROVAL, later + dt.timedelta(hours=3), department=team_a.department)
    open_step(d["pending_head"], "department_head")
    d["supplement"] = make(a, S.SUPPLEMENT_REQUESTED, overdue, department=team_a.department)
    d["payment"] = make(a, S.PAYMENT_REQUESTED, later)
    d["resolved_late"] = make(a, S.RESOLVED, overdue, department=team_a.department)
    d["returned_dept"] = make(a, S.RETURNED, overdue, department=team_a.department)
    d["soon_b"] = make(b, S.PROCESSING, soon)
    d["overdue_b"] = make(b, S.PROCESSING, overdue)
    d["waiting_b"] = make(b, S.SUPPLEMENT_REQUESTED, later)
    # Consultations: B's dossier asks A (open), asks A (answered), A's dossier asks B.
    d["asks_a"] = make(b, S.CONSULTING, later, assigned_to=team_b.specialist)
    c_open = consult(d["asks_a"], a, hours=5)
    d["asked_a_before"] = make(b, S.CONSULTING, later, assigned_to=team_b.specialist)
    consult(d["asked_a_before"], a, answered=True)
    c_to_b = consult(d["mine_consulting"], b, hours=2)
    d["stopped_asking_a"] = make(b, S.STOPPED, later)
    consult(d["stopped_asking_a"], a)
    return {"a": team_a, "b": team_b, "d": d, "c_open": c_open, "c_to_b": c_to_b}


def listed(scope, name: str) -> list:
    """Every row of the list, read as its page and the API read it (one page holding them all)."""
    size = 1000
    return worklists.worklist_rows(scope=scope, name=name, page=1, page_size=size)[0:size]


def codes(rows) -> list[str]:
    return [getattr(row, "dossier", row).code for row in rows]


def expected_a(w) -> dict[str, dict[str, list[str]]]:
    """Per user of team A, the codes of each list that concerns it, in list order."""
    d = w["d"]
    c = lambda *names: [d[n].code for n in names]  # noqa: E731
    shared = {
        "due-soon": c("mine_soon"),
        "overdue": c("colleague_overdue"),
        "waiting-applicant": c("supplement", "payment"),
    }
    consultations = {"consultations": [w["c_open"].dossier.code]}
    return {
        "reception": {"reception": c("submitted_a"), **shared, "to-return": c("resolved_late")},
        "specialist": {"assigned": c("mine_soon", "mine_consulting"), **shared, **consultations},
        "other_specialist": {"assigned": c("colleague_overdue"), **shared, **consultations},
        "head": {
            "to-assign": c("received_a"),
            **shared,
            **consultations,
            "to-approve": c("pending_head"),
            "department": c("supplement", "mine_soon", "pending_head"),
        },
        "leader": {"to-assign": c("received_a"), **shared, **consultations, "to-approve": c("pending_leader")},
        "admin": shared,
    }


def test_each_worklist_holds_exactly_the_expected_dossiers(world):
    for who, lists in expected_a(world).items():
        user = getattr(world["a"], who)
        scope = worklists.officer_scope(user=user)
        assert scope.names == [n for n in ALL_NAMES if n in lists], who
        for name in ALL_NAMES:
            got = codes(listed(scope, name))
            assert got == lists.get(name, []), (who, name)


def test_agency_b_sees_its_own_side(world):
    d = world["d"]
    specialist_b = worklists.officer_scope(user=world["b"].specialist)
    got = {name: codes(listed(specialist_b, name)) for name in specialist_b.names}
    # Equal due dates fall back on the primary key.
    assert got["assigned"] == [d["asks_a"].code, d["asked_a_before"].code]
    assert d["mine_elsewhere"].code not in got["assigned"]  # assigned to A's specialist, not B's
    assert got["due-soon"] == [d["mine_elsewhere"].code, d["soon_b"].code]
    assert got["overdue"] == [d["overdue_b"].code]
    assert got["waiting-applicant"] == [d["waiting_b"].code]
    assert got["consultations"] == [d["mine_consulting"].code]
    rows = listed(specialist_b, "consultations")
    assert rows == [world["c_to_b"]]


def test_a_specialist_who_left_the_agency_no_longer_sees_its_dossiers(world):
    specialist = world["a"].specialist
    specialist.officer_memberships.update(is_active=False)
    assert worklists.officer_scope(user=specialist).names == []
    assert listed(worklists.officer_scope(user=specialist), "assigned") == []


def test_counts_equal_the_list_lengths_in_two_queries(world, django_assert_max_num_queries):
    for who in expected_a(world):
        user = getattr(world["a"], who)
        scope = worklists.officer_scope(user=user)
        scope.due_horizons  # noqa: B018 - the calendar's reads are not the counts'
        with django_assert_max_num_queries(2):
            counts = worklists.worklist_counts(user=user, use_cache=False, scope=scope)
        assert counts == {n: len(listed(scope, n)) for n in scope.names}, who
    assert worklists.worklist_counts(user=UserFactory()) == {}


def test_counts_are_cached_briefly_per_user(world, django_assert_num_queries):
    user = world["a"].specialist
    first = worklists.worklist_counts(user=user)
    DossierFactory(receiving_agency=world["a"].agency, state=S.PROCESSING, assigned_to=user)
    with django_assert_num_queries(0):
        assert worklists.worklist_counts(user=user) == first
    assert worklists.worklist_counts(user=world["a"].head) != first  # keyed per user
    worklists.worklist_counts_forget(user=user)
    assert worklists.worklist_counts(user=user)["assigned"] == first["assigned"] + 1


# --- pages ----------------------------------------------------------------------------------

ROLE_LISTS = {
    OfficerRole.RECEPTION: {"reception", "due-soon", "overdue", "waiting-applicant", "to-return"},
    OfficerRole.SPECIALIST: {"assigned", "due-soon", "overdue", "waiting-applicant", "consultations"},
    OfficerRole.DEPARTMENT_HEAD: {
        "to-assign",
        "due-soon",
        "overdue",
        "waiting-applicant",
        "consultations",
        "to-approve",
        "department",
    },
    OfficerRole.LEADER: {"to-assign", "due-soon", "overdue", "waiting-applicant", "consultations", "to-approve"},
    OfficerRole.AGENCY_ADMIN: {"due-soon", "overdue", "waiting-applicant"},
}


def _officer(role, agency):
    department = DepartmentFactory(agency=agency) if role == OfficerRole.DEPARTMENT_HEAD else None
    return with_totp(OfficerMembershipFactory(role=role, agency=agency, department=department).user)


def _everything_of(agency):
    """One dossier of ``agency`` in each list (for an officer of its team)."""
    team = Team(agency)
    now = timezone.now()
    late = now - dt.timedelta(hours=1)
    rows = [
        DossierFactory(receiving_agency=agency, state=S.SUBMITTED),
        DossierFactory(receiving_agency=agency, state=S.RECEIVED, due_at=late),
        DossierFactory(receiving_agency=agency, state=S.PROCESSING, due_at=now + dt.timedelta(minutes=30)),
        DossierFactory(receiving_agency=agency, state=S.PENDING_APPROVAL, due_at=late),
        DossierFactory(receiving_agency=agency, state=S.SUPPLEMENT_REQUESTED),
    ]
    asking = DossierFactory(state=S.CONSULTING, assigned_to=team.specialist)
    consult(asking, agency)
    return [*rows, asking]


@pytest.mark.parametrize("own", [True, False], ids=["own-agency", "other-agency"])
@pytest.mark.parametrize("role", list(ROLE_LISTS))
def test_page_matrix(client, role, own):
    agency = AgencyFactory()
    dossiers = _everything_of(agency)
    user = _officer(role, agency if own else AgencyFactory())
    client = page_client(client, user)
    index = client.get("/officer/worklists/")
    assert index.status_code == 200
    body = index.content.decode()
    assert {n for n in ALL_NAMES if f'data-worklist="{n}"' in body} == ROLE_LISTS[role]
    seen = set()
    for name in ALL_NAMES:
        response = client.get(f"/officer/worklists/{name}/")
        assert response.status_code == (200 if name in ROLE_LISTS[role] else 403), name
        if response.status_code == 200:
            seen |= {d.code for d in dossiers if d.code in response.content.decode()}
    assert bool(seen) == own  # an officer of another agency sees none of this agency's dossiers


@pytest.mark.parametrize("own", [True, False], ids=["own-agency", "other-agency"])
@pytest.mark.parametrize("role", list(ROLE_LISTS))
def test_api_matrix(role, own):
    agency = AgencyFactory()
    dossiers = _everything_of(agency)
    user = _officer(role, agency if own else AgencyFactory())
    _token, raw = api_token_create(user=user, name="Phần mềm một cửa", scopes=["officer"], by_operator=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    counts = api.get("/api/v1/officer/worklists/")
    assert counts.status_code == 200
    assert {w["name"] for w in counts.json()["worklists"]} == ROLE_LISTS[role]
    seen = set()
    for name in ALL_NAMES:
        response = api.get(f"/api/v1/officer/worklists/{name}/")
        assert response.status_code == (200 if name in ROLE_LISTS[role] else 403), name
        if response.status_code == 200:
            data = response.json()
            assert set(data) == {"count", "next", "previous", "results"}
            assert data["count"] == len(data["results"])
            seen |= {r.get("code") or r["dossier"]["code"] for r in data["results"]}
        else:
            assert response.json()["error"]["message"] == "Danh sách này không thuộc phạm vi công việc của bạn."
    assert bool(seen) == own
    assert seen <= {d.code for d in dossiers}


def test_page_content_marks_overdue_and_links_the_dossier(world, client):
    d = world["d"]
    response = page_client(client, with_totp(world["a"].leader)).get("/officer/worklists/overdue/")
    body = response.content.decode()
    assert response.status_code == 200
    # The link keeps the list's context for "next in my list".
    assert f'href="/officer/dossiers/{d["colleague_overdue"].code}/?list=overdue&amp;pos=' in body
    assert "text-danger fw-semibold overdue" in body and "Quá hạn" in body
    assert d["colleague_overdue"].applicant_name in body
    assert d["colleague_overdue"].procedure_version.name in body
    assert (world["a"].other_specialist.full_name or world["a"].other_specialist.email) in body
    soon = client.get("/officer/worklists/due-soon/").content.decode()
    # (the due filter offers "Quá hạn" as a choice: the rows' mark is the one looked for)
    assert d["mine_soon"].code in soon and 'overdue">Quá hạn</span>' not in soon and 'text-danger">Quá hạn' not in soon


def test_navigation_shows_the_counts_to_officers_only(world, client, django_assert_max_num_queries):
    specialist = with_totp(world["a"].specialist)
    page_client(client, specialist)
    # Not cached yet: the page itself runs no count query, the menu fetches them after load.
    home = client.get("/officer/").content.decode()
    assert 'id="nav-worklists"' in home and 'hx-get="/officer/worklists/-/nav/"' in home
    with django_assert_max_num_queries(10):
        badges = client.get("/officer/worklists/-/nav/").content.decode()
    assert 'title="Hồ sơ được giao cho tôi">2</span>' in badges and '"Hồ sơ quá hạn">1<' in badges
    # Cached now: every page shows them inline.
    body = client.get("/officer/").content.decode()
    assert 'title="Hồ sơ được giao cho tôi">2</span>' in body and "hx-get=" not in body
    assert 'id="nav-worklists"' not in page_client(client, UserFactory()).get("/").content.decode()
    assert client.get("/officer/worklists/-/nav/").status_code == 403


def test_non_officers_and_anonymous_visitors_are_refused(client):
    for path in ("/officer/worklists/", "/officer/worklists/assigned/"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    page_client(client, UserFactory())
    assert client.get("/officer/worklists/").status_code == 403
    assert client.get("/officer/worklists/assigned/").status_code == 403
    api = APIClient()
    assert api.get("/api/v1/officer/worklists/").status_code == 401
    citizen = UserFactory()
    with pytest.raises(ValidationError):  # a citizen is never given the officer scope
        api_token_create(user=citizen, name="Ứng dụng", scopes=["officer"], by_operator=True)
    _token, raw = api_token_create(user=citizen, name="Ứng dụng", scopes=["dossiers:read"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = api.get("/api/v1/officer/worklists/assigned/")
    assert (
        refused.status_code == 403
        and refused.json()["error"]["message"] == "Mã truy cập này không có phạm vi “officer”."
    )


def test_api_needs_the_officer_scope_or_a_two_factor_session(world):
    specialist = world["a"].specialist
    _token, raw = api_token_create(user=specialist, name="Chỉ đọc", scopes=["dossiers:read"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = api.get("/api/v1/officer/worklists/")
    assert refused.status_code == 403 and "officer" in refused.json()["error"]["message"]
    session = APIClient()
    session.force_login(specialist)
    no_totp = session.get("/api/v1/officer/worklists/")
    assert no_totp.status_code == 403 and "TOTP" in no_totp.json()["error"]["message"]
    with_totp(specialist)
    session.force_login(specialist)  # signs in again, now with the second factor
    answered = session.get("/api/v1/officer/worklists/assigned/")
    assert answered.status_code == 200
    assert [r["code"] for r in answered.json()["results"]] == [
        world["d"]["mine_soon"].code,
        world["d"]["mine_consulting"].code,
    ]
    first = answered.json()["results"][0]
    assert first["assigned_to"] == {"id": specialist.pk, "name": specialist.full_name or specialist.email}
    assert first["overdue"] is False and first["url"] == f"/officer/dossiers/{first['code']}/"
    assert first["status_code"] == 4 and first["procedure"]["code"]


def test_page_without_totp_is_sent_to_set_it_up(world, client):
    response = page_client(client, world["a"].specialist).get("/officer/worklists/assigned/")
    assert response.status_code == 302 and "/officer/" not in response["Location"]


# --- bad input --------------------------------------------------------------------------------


def test_unknown_list_names_are_404_on_pages_and_api(world, client):
    user = with_totp(world["a"].leader)
    page_client(client, user)
    api = APIClient()
    api.force_login(user)
    for name in ("nope", "ASSIGNED", "x" * 300, "%F0%9F%98%80", "..%2f"):
        assert client.get(f"/officer/worklists/{name}/").status_code == 404, name
        response = api.get(f"/api/v1/officer/worklists/{name}/")
        assert response.status_code == 404, name
        if "%2f" not in name:  # a slash in the name matches no route at all
            assert response.json()["error"]["message"].startswith("Không có danh sách công việc")


def test_bad_page_parameters_get_a_clear_answer(world, client):
    user = with_totp(world["a"].leader)
    page_client(client, user)
    for page in ("abc", "0", "-1", "999", "1.5", "", "9" * 40):
        assert client.get("/officer/worklists/to-assign/", {"page": page}).status_code == 200, page
    api = APIClient()
    api.force_login(user)
    for page in ("abc", "0", "999", "9" * 40):
        response = api.get("/api/v1/officer/worklists/to-assign/", {"page": page})
        assert response.status_code == 404, page
        assert "không tồn tại hoặc không hợp lệ" in response.json()["error"]["message"]
    for size in ("0", "abc", "101", "-5"):
        response = api.get("/api/v1/officer/worklists/to-assign/", {"page_size": size})
        assert response.status_code == 400, size
        assert response.json()["error"]["fields"]["page_size"] == ["Số hồ sơ mỗi trang phải là số nguyên từ 1 đến 100."]


# --- scale: a page costs the same number of queries whatever its size ----------------------


def _specialist_with(n: int):
    agency = AgencyFactory()
    team = Team(agency)
    version = OnlineVersionFactory()
    now = timezone.now()
    for i in range(n):
        DossierFactory(
            procedure_version=version,
            procedure=version.procedure,
            receiving_agency=agency,
            state=S.PROCESSING,
            assigned_to=team.specialist,
            due_at=now + dt.timedelta(hours=i - n // 2),
            received_at=now - dt.timedelta(days=2),
        )
        if i % 4 == 0:
            asking = DossierFactory(state=S.CONSULTING, assigned_to=UserFactory())
            consult(asking, agency)
    return with_totp(team.specialist)


def _queries(client_get, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client_get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["assigned", "overdue", "due-soon", "consultations"])
def test_query_count_does_not_grow_with_the_page_size(client, name, django_assert_max_num_queries):
    counts = {}
    for n in (5, 40):
        user = _specialist_with(n)
        page_client(client, user)
        api = APIClient()
        api.force_login(user)
        # Cold: the menu's counts, and the filter choices (read once per officer, then cached).
        with django_assert_max_num_queries(21):
            client.get(f"/officer/worklists/{name}/")  # cold: counts computed for the menu
        counts[n] = (
            _queries(client.get, f"/officer/worklists/{name}/"),
            _queries(api.get, f"/api/v1/officer/worklists/{name}/"),
        )
        listed = api.get(f"/api/v1/officer/worklists/{name}/").json()
        assert listed["count"] == n if name == "assigned" else listed["count"] > 0
    assert counts[5] == counts[40], counts


@pytest.mark.parametrize("language", ["vi", "en"])
def test_api_rows_match_the_declared_fields(world, language):
    """The API builds its rows in one pass over a plan of the declared fields (``RowSerializer``)
    for speed; they must equal DRF's own walk over the same fields (the schema's), for dossiers
    with and without an assignee and for consultations."""
    from django.utils import translation
    from rest_framework import serializers

    from dossiers.api.officer import WorklistConsultationSerializer, WorklistDossierSerializer

    scope = worklists.officer_scope(user=world["a"].head)
    rows = listed(scope, "department") + listed(worklists.officer_scope(user=world["a"].specialist), "assigned")
    assert any(r.assigned_to_id for r in rows) and any(not r.assigned_to_id for r in rows)
    consultations = listed(scope, "consultations")
    assert consultations
    with translation.override(language):
        for serializer_class, objects in (
            (WorklistDossierSerializer, rows),
            (WorklistConsultationSerializer, consultations),
        ):
            serializer = serializer_class(context={"now": scope.now})
            for obj in objects:
                assert serializer.to_representation(obj) == serializers.Serializer.to_representation(serializer, obj)
