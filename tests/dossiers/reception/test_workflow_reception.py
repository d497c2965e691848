"""Reception transitions of the workflow engine: receive, request a supplement, refuse.

Every transition allowed and refused, the permission matrix (role × agency), nothing written
on refusal, the event chain intact, two officers at once, and the API's actions endpoint.
"""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from dossiers import actions, services
from dossiers.constants import Channel, DossierState, StatusCode
from dossiers.core.machine import TRANSITIONS
from dossiers.models import Dossier, DossierEvent
from portal.constants import OfficerRole
from portal.models import Notification, OutboxMessage
from procedures import selectors as procedure_selectors
from tests.dossiers.factories import DossierFactory
from tests.dossiers.helpers import api_as, page_client
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.factories import DocumentRequirementFactory

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = DossierState
ACTIONS = ("receive", "request_supplement", "refuse")
ALLOWED_FROM = {
    "receive": {S.SUBMITTED},
    "request_supplement": {S.SUBMITTED, S.RECEIVED, S.PROCESSING},
    "refuse": {S.SUBMITTED},
}
TARGET = {"receive": S.RECEIVED, "request_supplement": S.SUPPLEMENT_REQUESTED, "refuse": S.REFUSED}


def reception_officer(dossier, role=OfficerRole.RECEPTION):
    return OfficerMembershipFactory(role=role, agency=dossier.receiving_agency).user


def dossier_in(state) -> Dossier:
    if state == S.DRAFT:
        return DossierFactory(draft=True)
    return DossierFactory(state=state)


def perform(name, *, user, dossier):
    """Call the service of ``name`` with valid input."""
    if name == "receive":
        return services.dossier_receive(user=user, dossier_id=dossier.pk, note="Hồ sơ đầy đủ")
    if name == "request_supplement":
        requirement = dossier.procedure_version.documents.first()
        return services.dossier_request_supplement(
            user=user,
            dossier_id=dossier.pk,
            items=[{"requirement_id": requirement.pk, "field": None, "reason": "Bản scan mờ"}],
        )
    return services.dossier_refuse(user=user, dossier_id=dossier.pk, reason="Không thuộc thẩm quyền giải quyết")


def snapshot(dossier) -> tuple:
    row = Dossier.objects.get(pk=dossier.pk)
    return (
        row.state,
        row.status_code,
        row.events_count,
        row.received_at,
        row.due_at,
        row.paused_at,
        DossierEvent.objects.filter(dossier=dossier).count(),
    )


def test_the_table_holds_the_reception_transitions():
    assert {name: set(t.sources) for name, t in TRANSITIONS.items() if name in ACTIONS} == ALLOWED_FROM
    assert {name: t.target for name, t in TRANSITIONS.items() if name in ACTIONS} == TARGET


# --- every transition allowed ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "state"), [(name, state) for name in ACTIONS for state in sorted(ALLOWED_FROM[name])])
def test_allowed_transition_moves_the_state_and_writes_one_event(name, state, django_capture_on_commit_callbacks):
    dossier = dossier_in(state)
    officer = reception_officer(dossier)
    with django_capture_on_commit_callbacks(execute=True):
        result = perform(name, user=officer, dossier=dossier)
    dossier.refresh_from_db()
    assert result.pk == dossier.pk
    assert dossier.state == TARGET[name]
    assert (
        dossier.status_code
        == {
            "receive": StatusCode.RECEIVED,
            "request_supplement": StatusCode.SUPPLEMENT,
            "refuse": StatusCode.REFUSED,
        }[name]
    )
    event = DossierEvent.objects.get(dossier=dossier)
    assert (event.action, event.from_state, event.to_state, event.actor_id) == (name, state, TARGET[name], officer.pk)
    assert dossier.events_count == 1 and dossier.last_event_hash == event.hash
    assert services.events_verify(codes=[dossier.code]) == []
    notification = Notification.objects.get(user=dossier.applicant)
    assert notification.dossier_code == dossier.code


def test_chain_stays_valid_across_several_transitions():
    dossier = DossierFactory()
    officer = reception_officer(dossier)
    services.dossier_receive(user=officer, dossier_id=dossier.pk)
    perform("request_supplement", user=officer, dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.events_count == 2
    assert list(dossier.events.order_by("seq").values_list("action", flat=True)) == ["receive", "request_supplement"]
    assert services.events_verify(codes=[dossier.code]) == []


def test_notification_recorded_with_the_transition_and_sent_only_on_commit():
    dossier = DossierFactory()
    services.dossier_receive(user=reception_officer(dossier), dossier_id=dossier.pk)
    # Recorded in the transition's transaction (a crash after the commit loses nothing)...
    assert Notification.objects.filter(user=dossier.applicant).exists()
    # ...and sent only once it commits: the test transaction never does, nothing was published.
    outbox = OutboxMessage.objects.filter(task="portal.tasks.deliver_notification")
    assert outbox.exists() and not outbox.exclude(published_at=None).exists()


# --- every transition refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "state"), [(name, state) for name in ACTIONS for state in S.values if state not in ALLOWED_FROM[name]]
)
def test_refused_transition_changes_nothing(name, state):
    dossier = dossier_in(state)
    officer = reception_officer(dossier)
    before = snapshot(dossier)
    with pytest.raises(ValidationError) as raised:
        perform(name, user=officer, dossier=dossier)
    assert raised.value.code == "invalid_state"
    assert "Không thể thực hiện thao tác" in raised.value.messages[0]
    assert str(S(state).label) in raised.value.messages[0]
    assert snapshot(dossier) == before
    assert name not in actions.available_actions(user=officer, dossier=Dossier.objects.get(pk=dossier.pk))


def test_receiving_twice_is_refused_and_keeps_one_event():
    dossier = DossierFactory()
    officer = reception_officer(dossier)
    services.dossier_receive(user=officer, dossier_id=dossier.pk)
    with pytest.raises(ValidationError) as raised:
        services.dossier_receive(user=officer, dossier_id=dossier.pk)
    assert raised.value.code == "invalid_state"
    assert DossierEvent.objects.filter(dossier=dossier, action="receive").count() == 1


# --- permission matrix ----------------------------------------------------------------------

MEMBERSHIPS = ("own", "other", "none")


@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("role", OfficerRole.values)
@pytest.mark.parametrize("name", ACTIONS)
def test_permission_matrix(name, role, membership):
    dossier = DossierFactory()
    if membership == "own":
        user = OfficerMembershipFactory(role=role, agency=dossier.receiving_agency).user
    elif membership == "other":
        user = OfficerMembershipFactory(role=role, agency=AgencyFactory()).user
    else:
        user = UserFactory()
    allowed = role == OfficerRole.RECEPTION and membership == "own"
    before = snapshot(dossier)
    assert (name in actions.available_actions(user=user, dossier=dossier)) is allowed
    if allowed:
        perform(name, user=user, dossier=dossier)
        assert Dossier.objects.get(pk=dossier.pk).state == TARGET[name]
    else:
        with pytest.raises(PermissionDenied):
            perform(name, user=user, dossier=dossier)
        assert snapshot(dossier) == before


def test_inactive_membership_may_not_act():
    dossier = DossierFactory()
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=dossier.receiving_agency, is_active=False)
    with pytest.raises(PermissionDenied):
        services.dossier_receive(user=officer.user, dossier_id=dossier.pk)


def test_the_applicant_may_not_act_and_is_not_offered_reception_actions():
    dossier = DossierFactory()
    assert not set(actions.available_actions(user=dossier.applicant, dossier=dossier)) & set(ACTIONS)
    with pytest.raises(PermissionDenied):
        services.dossier_receive(user=dossier.applicant, dossier_id=dossier.pk)


def test_unknown_dossier_is_permission_denied():
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION).user
    with pytest.raises(PermissionDenied):
        services.dossier_receive(user=officer, dossier_id=987654321)


# --- receive: received_at and the appointment ------------------------------------------------


def test_receive_in_working_hours_counts_from_now_and_sets_the_appointment():
    dossier = DossierFactory()
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=HCM)  # Monday morning
    services.dossier_receive(user=reception_officer(dossier), dossier_id=dossier.pk, now=now)
    dossier.refresh_from_db()
    assert dossier.received_at == now
    expected = procedure_selectors.version_due_datetime(
        version=dossier.procedure_version, agency=dossier.receiving_agency, received_at=now
    )
    assert dossier.due_at == expected and dossier.due_at > now
    event = dossier.events.get()
    assert event.payload == {"received_at": now.isoformat(), "due_at": expected.isoformat()}


def test_online_dossier_received_at_the_weekend_counts_from_monday_morning():
    dossier = DossierFactory()
    saturday = dt.datetime(2026, 11, 21, 10, 0, tzinfo=HCM)
    services.dossier_receive(user=reception_officer(dossier), dossier_id=dossier.pk, now=saturday)
    dossier.refresh_from_db()
    assert dossier.received_at == dt.datetime(2026, 11, 23, 7, 30, tzinfo=HCM)
    assert dossier.due_at == procedure_selectors.version_due_datetime(
        version=dossier.procedure_version, agency=dossier.receiving_agency, received_at=dossier.received_at
    )


def test_online_dossier_received_in_the_evening_counts_from_the_next_morning():
    dossier = DossierFactory()
    evening = dt.datetime(2026, 11, 24, 19, 0, tzinfo=HCM)  # Tuesday
    services.dossier_receive(user=reception_officer(dossier), dossier_id=dossier.pk, now=evening)
    dossier.refresh_from_db()
    assert dossier.received_at == dt.datetime(2026, 11, 25, 7, 30, tzinfo=HCM)


def test_counter_dossier_received_out_of_hours_keeps_the_real_time():
    dossier = DossierFactory(channel=Channel.COUNTER)
    saturday = dt.datetime(2026, 11, 21, 10, 0, tzinfo=HCM)
    services.dossier_receive(user=reception_officer(dossier), dossier_id=dossier.pk, now=saturday)
    dossier.refresh_from_db()
    assert dossier.received_at == saturday


def test_receive_note_too_long_is_refused():
    dossier = DossierFactory()
    with pytest.raises(ValidationError) as raised:
        services.dossier_receive(user=reception_officer(dossier), dossier_id=dossier.pk, note="x" * 2001)
    assert "note" in raised.value.message_dict
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


# --- request a supplement -------------------------------------------------------------------


def test_supplement_request_lists_every_item_and_the_applicant_reads_it_back():
    dossier = DossierFactory(received=True)
    requirement = dossier.procedure_version.documents.get()
    items = [
        {"requirement_id": requirement.pk, "field": None, "reason": "Bản scan mờ, không đọc được"},
        {"requirement_id": None, "field": "full_name", "reason": "Họ tên không khớp giấy chứng sinh"},
        {"reason": "Thiếu chữ ký"},
    ]
    services.dossier_request_supplement(
        user=reception_officer(dossier), dossier_id=dossier.pk, items=items, note="Vui lòng bổ sung trong 5 ngày"
    )
    dossier.refresh_from_db()
    assert dossier.state == S.SUPPLEMENT_REQUESTED and dossier.paused_at is not None
    event = dossier.events.get()
    assert event.note == "Vui lòng bổ sung trong 5 ngày"
    assert event.payload == {
        "items": [
            {"requirement_id": requirement.pk, "field": None, "reason": "Bản scan mờ, không đọc được"},
            {"requirement_id": None, "field": "full_name", "reason": "Họ tên không khớp giấy chứng sinh"},
            {"requirement_id": None, "field": None, "reason": "Thiếu chữ ký"},
        ]
    }
    request = services.supplement_request_get(dossier)
    assert [(i.label, i.reason) for i in request.items] == [
        ("Tờ khai", "Bản scan mờ, không đọc được"),
        ("Họ và tên", "Họ tên không khớp giấy chứng sinh"),
        ("Nội dung khác", "Thiếu chữ ký"),
    ]
    assert request.from_state == S.RECEIVED


@pytest.mark.parametrize(
    ("items", "key"),
    [
        ([], "items"),
        (None, "items"),
        ("tờ khai", "items"),
        ([{"requirement_id": None, "field": None, "reason": "x"}] * 51, "items"),
        (["tờ khai"], "items[0]"),
        ([{"field": "full_name"}], "items[0].reason"),
        ([{"field": "full_name", "reason": "   "}], "items[0].reason"),
        ([{"field": "full_name", "reason": "x" * 1001}], "items[0].reason"),
        ([{"requirement_id": "abc", "reason": "Sai"}], "items[0].requirement_id"),
        ([{"field": 12, "reason": "Sai"}], "items[0].field"),
        ([{"field": "full_name", "reason": "Sai"}, {"field": "khong_co", "reason": "Sai"}], "items[1].field"),
        ("other_version", "items[0].requirement_id"),
    ],
)
def test_bad_supplement_items_are_refused_with_a_message_and_change_nothing(items, key):
    dossier = DossierFactory(received=True)
    if items == "other_version":
        items = [{"requirement_id": DocumentRequirementFactory().pk, "reason": "Sai"}]
    before = snapshot(dossier)
    with pytest.raises(ValidationError) as raised:
        services.dossier_request_supplement(user=reception_officer(dossier), dossier_id=dossier.pk, items=items)
    assert key in raised.value.message_dict
    assert all(message for message in raised.value.message_dict[key])
    assert snapshot(dossier) == before


# --- refuse ---------------------------------------------------------------------------------


def test_refusal_records_the_reason():
    dossier = DossierFactory()
    services.dossier_refuse(user=reception_officer(dossier), dossier_id=dossier.pk, reason="  Không đủ điều kiện  ")
    dossier.refresh_from_db()
    event = dossier.events.get()
    assert dossier.state == S.REFUSED
    # The reason is written to the applicant (public_note); the officer added no internal note.
    assert event.public_note == "Không đủ điều kiện" and event.payload == {"reason": "Không đủ điều kiện"}
    assert event.note == ""


@pytest.mark.parametrize("reason", ["", "   ", "abc", None, 12, "x" * 2001])
def test_refusal_needs_a_reason(reason):
    dossier = DossierFactory()
    with pytest.raises(ValidationError) as raised:
        services.dossier_refuse(user=reception_officer(dossier), dossier_id=dossier.pk, reason=reason)
    assert "reason" in raised.value.message_dict
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


# --- two officers at once -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["receive", "refuse"])
def test_two_officers_at_once_one_wins_the_other_is_refused(second):
    dossier = DossierFactory()
    one, two = reception_officer(dossier), reception_officer(dossier)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(label, user, name):
        try:
            barrier.wait(timeout=10)
            perform(name, user=user, dossier=dossier)
            outcomes[label] = "ok"
        except ValidationError as error:
            outcomes[label] = error.code
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[label] = repr(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=("one", one, "receive")),
        threading.Thread(target=act, args=("two", two, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["invalid_state", "ok"], outcomes
    dossier.refresh_from_db()
    assert dossier.events_count == 1
    event = DossierEvent.objects.get(dossier=dossier)
    assert dossier.state == event.to_state
    assert services.events_verify(codes=[dossier.code]) == []


# --- API ------------------------------------------------------------------------------------

URL = "/api/v1/dossiers/"


def test_api_detail_offers_the_reception_actions_to_the_reception_officer():
    dossier = DossierFactory()
    body = api_as(reception_officer(dossier)).get(f"{URL}{dossier.code}/").json()
    assert [a["name"] for a in body["available_actions"]] == list(ACTIONS)
    specialist = reception_officer(dossier, role=OfficerRole.SPECIALIST)
    assert [a["name"] for a in api_as(specialist).get(f"{URL}{dossier.code}/").json()["available_actions"]] == []


def test_api_receive_then_409_on_a_second_receive():
    dossier = DossierFactory()
    api = api_as(reception_officer(dossier))
    response = api.post(f"{URL}{dossier.code}/actions/", {"action": "receive", "note": "Đủ"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.RECEIVED and response.json()["status_code"] == 2
    assert response.json()["due_at"]
    again = api.post(f"{URL}{dossier.code}/actions/", {"action": "receive"}, format="json")
    assert again.status_code == 409
    assert "Không thể thực hiện thao tác" in again.json()["detail"]
    assert Dossier.objects.get(pk=dossier.pk).events_count == 1


def test_api_request_supplement_and_its_errors():
    dossier = DossierFactory()
    api = api_as(reception_officer(dossier))
    bad = api.post(
        f"{URL}{dossier.code}/actions/", {"action": "request_supplement", "items": [{"field": "x"}]}, format="json"
    )
    assert bad.status_code == 400
    assert "items[0].reason" in bad.json()["error"]["fields"]
    not_json = api.post(f"{URL}{dossier.code}/actions/", {"action": "request_supplement", "items": "{"})
    assert not_json.status_code == 400 and "items" in not_json.json()["error"]["fields"]
    items = [{"field": "full_name", "reason": "Họ tên sai"}]
    response = api.post(
        f"{URL}{dossier.code}/actions/", {"action": "request_supplement", "items": items}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.SUPPLEMENT_REQUESTED
    assert Dossier.objects.get(pk=dossier.pk).events.get().payload["items"][0]["reason"] == "Họ tên sai"


def test_api_refuse_and_missing_reason():
    dossier = DossierFactory()
    api = api_as(reception_officer(dossier))
    missing = api.post(f"{URL}{dossier.code}/actions/", {"action": "refuse"}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    response = api.post(
        f"{URL}{dossier.code}/actions/", {"action": "refuse", "reason": "Không thuộc thẩm quyền"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == S.REFUSED


@pytest.mark.parametrize(
    ("who", "expected"),
    [("specialist_own", 403), ("leader_own", 403), ("reception_other", 404), ("citizen", 404), ("applicant", 403)],
)
@pytest.mark.parametrize("name", ACTIONS)
def test_api_others_may_not_act(name, who, expected):
    dossier = DossierFactory()
    user = {
        "specialist_own": lambda: reception_officer(dossier, role=OfficerRole.SPECIALIST),
        "leader_own": lambda: reception_officer(dossier, role=OfficerRole.LEADER),
        "reception_other": lambda: OfficerMembershipFactory(role=OfficerRole.RECEPTION).user,
        "citizen": UserFactory,
        "applicant": lambda: dossier.applicant,
    }[who]()
    body = {"action": name, "reason": "Không thuộc thẩm quyền", "items": [{"field": "full_name", "reason": "Sai"}]}
    response = api_as(user).post(f"{URL}{dossier.code}/actions/", body, format="json")
    assert response.status_code == expected, response.content
    assert response.json()["detail"]
    assert snapshot(dossier)[:3] == (S.SUBMITTED, StatusCode.SUBMITTED, 0)


# --- reception queue pages ------------------------------------------------------------------

QUEUE = "/officer/reception/"


@pytest.fixture
def desk(client):
    """A reception officer with TOTP, logged in, and a submitted dossier of its agency."""
    dossier = DossierFactory()
    officer = with_totp(reception_officer(dossier))
    return page_client(client, officer), officer, dossier


def test_queue_lists_the_submitted_dossiers_of_my_agencies_only(desk, django_assert_max_num_queries):
    client, officer, dossier = desk
    agency = dossier.receiving_agency
    mine = [DossierFactory(receiving_agency=agency) for _ in range(5)]
    received = DossierFactory(receiving_agency=agency, received=True)
    elsewhere = DossierFactory()
    with django_assert_max_num_queries(20):  # the filter choices included (cached afterwards)
        response = client.get(QUEUE)
    assert response.status_code == 200
    body = response.content.decode()
    for d in [dossier, *mine]:
        assert d.code in body
        assert f"/officer/reception/{d.code}/receive/" in body
    assert received.code not in body and elsewhere.code not in body
    assert "Hồ sơ chờ tiếp nhận" in body


def test_queue_query_count_does_not_grow_with_the_page(desk, django_assert_num_queries):
    client, officer, dossier = desk
    client.get(QUEUE)  # warm the session and the caches
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as few:
        client.get(QUEUE)
    for _ in range(20):
        DossierFactory(receiving_agency=dossier.receiving_agency)
    with CaptureQueriesContext(conn) as many:
        client.get(QUEUE)
    assert len(many) == len(few)


def test_queue_needs_totp_and_the_reception_role(client):
    dossier = DossierFactory()
    without_totp = reception_officer(dossier)
    response = page_client(client, without_totp).get(QUEUE)
    assert response.status_code == 302 and "/officer/" not in response["Location"]
    specialist = with_totp(reception_officer(dossier, role=OfficerRole.SPECIALIST))
    assert page_client(client, specialist).get(QUEUE).status_code == 403
    citizen = UserFactory()
    assert page_client(client, citizen).get(QUEUE).status_code == 403


def test_queue_asks_anonymous_visitors_to_log_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_receive_button_then_a_second_click_is_explained(desk):
    client, officer, dossier = desk
    url = f"/officer/reception/{dossier.code}/receive/"
    # The queue's button opens a confirmation showing what was filed; nothing changes yet.
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Xác nhận tiếp nhận" in confirm.content.decode() and dossier.applicant_name in confirm.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE
    assert f"Đã tiếp nhận hồ sơ {dossier.code}" in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).state == S.RECEIVED
    again = client.post(url, follow=True)
    assert "Không thể thực hiện thao tác" in again.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).events_count == 1


def test_refuse_page(desk):
    client, officer, dossier = desk
    url = f"/officer/reception/{dossier.code}/refuse/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"reason": "  "})
    assert bad.status_code == 400
    assert "Vui lòng nêu lý do từ chối" in bad.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
    response = client.post(url, {"reason": "Không thuộc thẩm quyền"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert Dossier.objects.get(pk=dossier.pk).state == S.REFUSED


def test_request_supplement_page(desk):
    client, officer, dossier = desk
    requirement = dossier.procedure_version.documents.get()
    url = f"/officer/reception/{dossier.code}/request-supplement/"
    page = client.get(url)
    assert page.status_code == 200
    assert requirement.name in page.content.decode() and "Họ và tên" in page.content.decode()
    empty = client.post(url, {f"doc-{requirement.pk}": " ", "note": "x"})
    assert empty.status_code == 400
    assert "Vui lòng nêu ít nhất một giấy tờ" in empty.content.decode()
    response = client.post(
        url, {f"doc-{requirement.pk}": "Bản scan mờ", "field-full_name": "Sai họ tên", "other": "Thiếu chữ ký"}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == S.SUPPLEMENT_REQUESTED
    assert dossier.events.get().payload["items"] == [
        {"requirement_id": requirement.pk, "field": None, "reason": "Bản scan mờ"},
        {"requirement_id": None, "field": "full_name", "reason": "Sai họ tên"},
        {"requirement_id": None, "field": None, "reason": "Thiếu chữ ký"},
    ]


@pytest.mark.parametrize("action", ["receive", "refuse", "request-supplement"])
def test_action_pages_of_another_agency_are_404_and_other_roles_403(client, action):
    dossier = DossierFactory()
    stranger = with_totp(OfficerMembershipFactory(role=OfficerRole.RECEPTION).user)
    url = f"/officer/reception/{dossier.code}/{action}/"
    body = {"reason": "Không thuộc thẩm quyền", "other": "Thiếu chữ ký"}
    assert page_client(client, stranger).post(url, body).status_code == 404
    specialist = with_totp(reception_officer(dossier, role=OfficerRole.SPECIALIST))
    assert page_client(client, specialist).post(url, body).status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
