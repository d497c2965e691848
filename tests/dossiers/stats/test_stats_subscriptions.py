"""The monthly report subscriptions page (/officer/stats/subscriptions/): who may open it, which
agencies each leader may follow, bad input, and the format the monthly mail then carries."""

import datetime as dt

import pytest
from django.core import mail

from dossiers.models import StatsSubscription
from dossiers.stats import reports
from portal.constants import OfficerRole
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
URL = "/officer/stats/subscriptions/"


@pytest.fixture
def agencies():
    """A province with one department under it, and an unrelated agency."""
    province = AgencyFactory(name="UBND tỉnh Thử")
    department = AgencyFactory(name="Sở Tư pháp Thử", parent=province)
    other = AgencyFactory(name="Cơ quan Khác")
    return province, department, other


def officer(agency, role, totp=True):
    user = OfficerMembershipFactory(agency=agency, role=role).user
    return with_totp(user) if totp else user


def listed(response) -> list[int]:
    return [row["id"] for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("who", "status", "sees"),
    [
        ("anonymous", 302, None),
        ("citizen", 403, None),
        ("reception", 403, None),
        ("specialist", 403, None),
        ("other_leader", 200, "other"),
        ("department_head", 200, "department"),
        ("agency_admin", 200, "department"),
        ("province_leader", 200, "province+department"),
    ],
)
def test_permission_matrix(client, agencies, who, status, sees):
    province, department, other = agencies
    users = {
        "citizen": lambda: UserFactory(),
        "reception": lambda: officer(department, OfficerRole.RECEPTION),
        "specialist": lambda: officer(department, OfficerRole.SPECIALIST),
        "other_leader": lambda: officer(other, OfficerRole.LEADER),
        "department_head": lambda: officer(department, OfficerRole.DEPARTMENT_HEAD),
        "agency_admin": lambda: officer(department, OfficerRole.AGENCY_ADMIN),
        "province_leader": lambda: officer(province, OfficerRole.LEADER),
    }
    if who != "anonymous":
        client.force_login(users[who]())
    response = client.get(URL)
    assert response.status_code == status
    if who == "anonymous":
        assert "/login" in response["Location"] or "/accounts/" in response["Location"]
    expected = {
        None: None,
        "other": [other.pk],
        "department": [department.pk],
        "province+department": [province.pk, department.pk],
    }[sees]
    if expected is not None:
        assert listed(response) == expected
        assert "Nhận báo cáo tháng qua thư điện tử" in response.text


def test_officer_without_totp_is_sent_to_set_it_up(client, agencies):
    _, department, _ = agencies
    client.force_login(officer(department, OfficerRole.DEPARTMENT_HEAD, totp=False))
    response = client.get(URL)
    assert response.status_code == 302 and "totp" in response["Location"]
    response = client.post(URL, {"agency": department.pk, "action": "subscribe", "report_format": "xlsx"})
    assert response.status_code == 302 and "totp" in response["Location"]
    assert not StatsSubscription.objects.exists()


def test_dashboard_links_to_the_page(client, agencies):
    _, department, _ = agencies
    client.force_login(officer(department, OfficerRole.DEPARTMENT_HEAD))
    response = client.get("/officer/stats/")
    assert response.status_code == 200
    assert f'href="{URL}"' in response.text


def test_subscribe_change_format_unsubscribe_and_back(client, agencies):
    province, department, _ = agencies
    leader = officer(province, OfficerRole.LEADER)
    client.force_login(leader)
    response = client.post(URL, {"agency": department.pk, "action": "subscribe", "report_format": "pdf"})
    assert response.status_code == 302 and response["Location"] == URL
    subscription = StatsSubscription.objects.get(user=leader)
    assert (subscription.agency_id, subscription.is_active, subscription.report_format) == (department.pk, True, "pdf")
    page = client.get(URL)
    rows = {row["id"]: row for row in page.context["rows"]}
    assert rows[department.pk]["active"] and rows[department.pk]["report_format"] == "pdf"
    assert not rows[province.pk]["active"]
    assert "Đã đăng ký nhận báo cáo tháng của Sở Tư pháp Thử." in page.text

    client.post(URL, {"agency": department.pk, "action": "subscribe", "report_format": "xlsx"})
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.report_format) == (True, "xlsx")

    client.post(URL, {"agency": department.pk, "action": "unsubscribe"})
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert StatsSubscription.objects.filter(user=leader).count() == 1

    client.post(URL, {"agency": department.pk, "action": "subscribe"})  # no format: XLSX
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.report_format) == (True, "xlsx")
    assert StatsSubscription.objects.filter(user=leader).count() == 1


@pytest.mark.parametrize(
    ("post", "status", "message"),
    [
        ({"agency": "999999", "action": "subscribe", "report_format": "xlsx"}, 400, "Cơ quan không tồn tại"),
        ({"agency": "abc", "action": "subscribe", "report_format": "xlsx"}, 400, "Cơ quan không tồn tại"),
        ({"action": "subscribe", "report_format": "xlsx"}, 400, "Hãy chọn cơ quan."),
        ({"agency": "PROVINCE", "action": "subscribe", "report_format": "xlsx"}, 403, "không có quyền nhận báo cáo"),
        ({"agency": "OTHER", "action": "subscribe", "report_format": "xlsx"}, 403, "không có quyền nhận báo cáo"),
        ({"agency": "OTHER", "action": "unsubscribe"}, 403, "không có quyền nhận báo cáo"),
        (
            {"agency": "DEPARTMENT", "action": "subscribe", "report_format": "docx"},
            400,
            "Định dạng báo cáo không hợp lệ",
        ),
        ({"agency": "DEPARTMENT", "action": "delete_all"}, 400, "Thao tác không hợp lệ."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(client, agencies, post, status, message):
    province, department, other = agencies
    head = officer(department, OfficerRole.DEPARTMENT_HEAD)
    # Someone else's subscription to the other agency: must survive an "unsubscribe" by ``head``.
    kept = StatsSubscription.objects.create(user=officer(other, OfficerRole.LEADER), agency=other)
    names = {"PROVINCE": province.pk, "DEPARTMENT": department.pk, "OTHER": other.pk}
    data = {k: names.get(v, v) for k, v in post.items()}
    client.force_login(head)
    response = client.post(URL, data)
    assert response.status_code == status
    assert message in response.text
    assert not StatsSubscription.objects.filter(user=head).exists()
    kept.refresh_from_db()
    assert kept.is_active
    assert listed(response) == [department.pk]  # the page is shown again with the agencies allowed


@pytest.mark.parametrize("who", ["citizen", "reception"])
def test_users_without_statistics_rights_cannot_subscribe(client, agencies, who):
    _, department, _ = agencies
    user = UserFactory() if who == "citizen" else officer(department, OfficerRole.RECEPTION)
    client.force_login(user)
    response = client.post(URL, {"agency": department.pk, "action": "subscribe", "report_format": "xlsx"})
    assert response.status_code == 403
    assert not StatsSubscription.objects.exists()


def test_monthly_mail_carries_the_format_subscribed(client, agencies):
    province, department, _ = agencies
    leader = officer(province, OfficerRole.LEADER)
    client.force_login(leader)
    client.post(URL, {"agency": department.pk, "action": "subscribe", "report_format": "pdf"})
    client.post(URL, {"agency": province.pk, "action": "subscribe", "report_format": "xlsx"})
    assert reports.stats_send_monthly_reports(today=dt.date(2026, 4, 1)) == 2
    kinds = sorted((m.subject.rsplit("— ", 1)[1], m.attachments[0][0], m.attachments[0][2]) for m in mail.outbox)
    assert kinds == [
        ("Sở Tư pháp Thử", "bao-cao-2026-03.pdf", "application/pdf"),
        (
            "UBND tỉnh Thử",
            "bao-cao-2026-03.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ]
    pdf = next(m for m in mail.outbox if "Sở Tư pháp" in m.subject).attachments[0][1]
    assert pdf.startswith(b"%PDF")
