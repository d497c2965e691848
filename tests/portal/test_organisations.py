"""Organisations: registration with a valid tax code, invitations, members and owners."""

import re

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from portal.constants import OrganisationRole
from portal.models import Organisation, OrganisationInvitation, OrganisationMembership, OutboxMessage
from portal.services import organisation_invite_member
from portal.tasks import send_invitation
from tests.factories import OrganisationFactory, OrganisationMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Công ty Cổ phần Sao Mai",
    "tax_code": "0301234562",
    "legal_representative": "Lê Văn Sáng",
    "address": "1 Đường Lê Lợi",
    "province": "79",
    "phone": "0912345678",
    "email": "lienhe@saomai.vn",
}


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def org_with_owner():
    owner = UserFactory()
    membership = OrganisationMembershipFactory(user=owner, role=OrganisationRole.OWNER)
    return membership.organisation, owner


@pytest.mark.parametrize("tax_code", ["0301234562", "0301 234 562", "0100109106-001", "0100109106001"])
def test_create_with_good_tax_code_makes_the_creator_owner(client, tax_code):
    user = UserFactory()
    response = login(client, user).post("/organisations/new/", GOOD | {"tax_code": tax_code})
    assert response.status_code == 302, response.context["form"].errors
    org = Organisation.objects.get()
    assert response["Location"] == f"/organisations/{org.pk}/"
    assert org.tax_code in ("0301234562", "0100109106-001")
    assert OrganisationMembership.objects.get(organisation=org).role == OrganisationRole.OWNER
    assert OrganisationMembership.objects.get(organisation=org).user == user


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"tax_code": "0301234563"}, "tax_code", "sai chữ số kiểm tra"),
        ({"tax_code": "12345"}, "tax_code", "phải gồm 10 chữ số"),
        ({"tax_code": "0100109106-000"}, "tax_code", "từ 001 đến 999"),
        ({"tax_code": ""}, "tax_code", "Trường này là bắt buộc."),
        ({"name": ""}, "name", "Trường này là bắt buộc."),
        ({"legal_representative": ""}, "legal_representative", "Trường này là bắt buộc."),
        ({"phone": "12"}, "phone", "Số điện thoại di động không hợp lệ"),
        ({"province": "999"}, "province", "Hãy chọn một lựa chọn hợp lệ"),
    ],
)
def test_create_with_bad_input_is_refused_in_vietnamese(client, changes, field, message):
    response = login(client, UserFactory()).post("/organisations/new/", GOOD | changes)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not Organisation.objects.exists()


@pytest.mark.parametrize("written", ["0301234562", "0301.234.562"])
def test_duplicate_tax_code_is_refused(client, written):
    OrganisationFactory(tax_code="0301234562")
    response = login(client, UserFactory()).post("/organisations/new/", GOOD | {"tax_code": written})
    assert response.status_code == 400
    assert "Mã số thuế này đã được đăng ký trên cổng." in response.context["form"].errors["tax_code"]
    assert Organisation.objects.count() == 1


def test_branch_tax_code_typed_either_way_is_one_code(client):
    OrganisationFactory(tax_code="0100109106-001")
    response = login(client, UserFactory()).post("/organisations/new/", GOOD | {"tax_code": "0100109106001"})
    assert response.status_code == 400
    assert Organisation.objects.count() == 1


def _invite(client, org, email, role=OrganisationRole.MEMBER):
    return client.post(f"/organisations/{org.pk}/", {"email": email, "role": role})


def test_owner_invites_and_invitee_accepts(client, django_capture_on_commit_callbacks, org_with_owner):
    org, owner = org_with_owner
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(login(client, owner), org, "Moi.Ban@Example.vn")
    assert response.status_code == 302
    invitation = OrganisationInvitation.objects.get(organisation=org)
    assert invitation.email == "moi.ban@example.vn"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["moi.ban@example.vn"]
    assert message.subject == f"Lời mời tham gia tổ chức {org.name}"
    assert f"mời bạn tham gia tổ chức {org.name}" in message.body
    link = re.search(r"https?://\S+/invitations/(\S+)/", message.body)
    assert link and link.group(1) == invitation.token
    # Recorded in the outbox with the invitation, marked done by the task that sent it.
    row = OutboxMessage.objects.get(task="portal.tasks.send_invitation")
    assert row.args == [invitation.pk, 1] and row.done_at is not None
    invitation.refresh_from_db()
    assert invitation.sends_done == invitation.sends_requested == 1 and invitation.sent_at is not None

    invitee = UserFactory(email="moi.ban@example.vn")
    client.logout()
    login(client, invitee)
    page = client.get(f"/invitations/{invitation.token}/")
    assert page.status_code == 200
    assert org.name in page.content.decode()
    assert "Hãy đăng nhập bằng địa chỉ email đó" not in page.content.decode()
    response = client.post(f"/invitations/{invitation.token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/organisations/{org.pk}/"
    membership = OrganisationMembership.objects.get(organisation=org, user=invitee)
    assert membership.role == OrganisationRole.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None

    # The link works once.
    response = client.post(f"/invitations/{invitation.token}/", follow=True)
    assert "Lời mời không tồn tại, đã được dùng hoặc đã bị huỷ." in response.content.decode()


def test_invitation_refused_for_another_email(client, org_with_owner):
    org, owner = org_with_owner
    _invite(login(client, owner), org, "dung.nguoi@example.vn")
    invitation = OrganisationInvitation.objects.get()
    client.logout()
    intruder = UserFactory(email="ke.khac@example.vn")
    page = login(client, intruder).get(f"/invitations/{invitation.token}/")
    assert "Lời mời này gửi cho dung.nguoi@example.vn." in page.content.decode()
    response = client.post(f"/invitations/{invitation.token}/", follow=True)
    assert "Lời mời này gửi cho một địa chỉ email khác." in response.content.decode()
    assert not OrganisationMembership.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_unknown_invitation_token(client):
    page = login(client, UserFactory()).get("/invitations/khong-co/")
    assert page.status_code == 200
    assert "Lời mời không tồn tại" in page.content.decode()
    assert "Chấp nhận lời mời" not in page.content.decode()
    response = client.post("/invitations/khong-co/", follow=True)
    assert response.status_code == 200
    assert "Lời mời không tồn tại" in response.content.decode()


@pytest.mark.parametrize(
    ("email", "message"),
    [("khong-phai-email", "Nhập một địa chỉ email hợp lệ."), ("", "Trường này là bắt buộc.")],
)
def test_invite_bad_email(client, org_with_owner, email, message):
    org, owner = org_with_owner
    response = _invite(login(client, owner), org, email)
    assert response.status_code == 400
    assert message in response.context["form"].errors["email"]
    assert not OrganisationInvitation.objects.exists()


def test_invite_existing_member_is_refused(client, org_with_owner):
    org, owner = org_with_owner
    member = OrganisationMembershipFactory(organisation=org).user
    response = _invite(login(client, owner), org, member.email)
    assert response.status_code == 400
    assert "Người này đã là thành viên của tổ chức." in response.context["form"].errors["email"]
    assert not OrganisationInvitation.objects.exists() and not OutboxMessage.objects.exists()


def test_inviting_again_sends_the_same_link_once_more(client, django_capture_on_commit_callbacks, org_with_owner):
    org, owner = org_with_owner
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(client, org, "moi@example.vn").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, org, "Moi@Example.vn", role=OrganisationRole.OWNER)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Đã gửi lại lời mời tới moi@example.vn." in page
    assert "đã gửi lúc" in page
    invitation = OrganisationInvitation.objects.get()  # one invitation, its role the new one
    assert invitation.role == OrganisationRole.OWNER
    assert invitation.sends_requested == invitation.sends_done == 2
    assert [m.to for m in mail.outbox] == [["moi@example.vn"], ["moi@example.vn"]]
    assert all(invitation.token in m.body for m in mail.outbox)
    rows = OutboxMessage.objects.filter(task="portal.tasks.send_invitation").order_by("pk")
    assert [r.args for r in rows] == [[invitation.pk, 1], [invitation.pk, 2]]
    assert all(r.done_at for r in rows)


def test_invitation_e_mail_is_in_the_inviters_language(client, django_capture_on_commit_callbacks, org_with_owner):
    org, owner = org_with_owner
    client.cookies["django_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(login(client, owner), org, "en@example.vn").status_code == 302
    assert mail.outbox[0].subject == f"Invitation to join {org.name}"


def test_a_redelivered_invitation_message_sends_nothing_again(django_capture_on_commit_callbacks, org_with_owner):
    org, owner = org_with_owner
    with django_capture_on_commit_callbacks(execute=True):
        invitation = organisation_invite_member(actor=owner, organisation=org, email="mot@example.vn")
    assert len(mail.outbox) == 1
    # The broker handing the same message out again (a lost ack): the round is already sent.
    assert send_invitation.apply(args=[invitation.pk, 1]).get() == "done"
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    assert send_invitation.apply(args=[invitation.pk, 2]).get() == "done"  # accepted meanwhile
    assert len(mail.outbox) == 1


def test_an_invitation_rolled_back_sends_nothing(django_capture_on_commit_callbacks, org_with_owner):
    org, owner = org_with_owner
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            organisation_invite_member(actor=owner, organisation=org, email="khong@example.vn")
            raise RuntimeError
    assert not OrganisationInvitation.objects.exists() and not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_member_cannot_invite_or_remove(client, org_with_owner):
    org, owner = org_with_owner
    member = OrganisationMembershipFactory(organisation=org).user
    other = OrganisationMembershipFactory(organisation=org).user
    login(client, member)
    page = client.get(f"/organisations/{org.pk}/")
    assert page.status_code == 200
    assert "Mời thành viên" not in page.content.decode()
    assert _invite(client, org, "x@example.vn").status_code == 403
    assert client.post(f"/organisations/{org.pk}/members/{other.pk}/remove/").status_code == 403
    assert client.post(f"/organisations/{org.pk}/members/{owner.pk}/remove/").status_code == 403
    assert OrganisationMembership.objects.filter(organisation=org).count() == 3
    assert not OrganisationInvitation.objects.exists()


def test_outsider_sees_404_for_someone_elses_organisation(client, org_with_owner):
    org, owner = org_with_owner
    login(client, UserFactory())
    assert client.get(f"/organisations/{org.pk}/").status_code == 404
    assert _invite(client, org, "x@example.vn").status_code == 404
    assert client.post(f"/organisations/{org.pk}/members/{owner.pk}/remove/").status_code == 404
    assert client.get("/organisations/999999/").status_code == 404
    assert OrganisationMembership.objects.filter(organisation=org).count() == 1


def test_owner_removes_a_member(client, org_with_owner):
    org, owner = org_with_owner
    member = OrganisationMembershipFactory(organisation=org).user
    response = login(client, owner).post(f"/organisations/{org.pk}/members/{member.pk}/remove/", follow=True)
    assert response.status_code == 200
    assert "Đã xoá" in response.content.decode()
    assert not OrganisationMembership.objects.filter(organisation=org, user=member).exists()


def test_cannot_remove_the_last_owner(client, org_with_owner):
    org, owner = org_with_owner
    response = login(client, owner).post(f"/organisations/{org.pk}/members/{owner.pk}/remove/", follow=True)
    assert "Không thể xoá chủ sở hữu duy nhất của tổ chức." in response.content.decode()
    assert OrganisationMembership.objects.filter(organisation=org, user=owner).exists()


def test_one_of_two_owners_may_be_removed(client, org_with_owner):
    org, owner = org_with_owner
    second = OrganisationMembershipFactory(organisation=org, role=OrganisationRole.OWNER).user
    login(client, owner).post(f"/organisations/{org.pk}/members/{second.pk}/remove/")
    assert not OrganisationMembership.objects.filter(organisation=org, user=second).exists()


def test_remove_someone_who_is_not_a_member(client, org_with_owner):
    org, owner = org_with_owner
    stranger = UserFactory()
    response = login(client, owner).post(f"/organisations/{org.pk}/members/{stranger.pk}/remove/", follow=True)
    assert "Người này không phải thành viên của tổ chức." in response.content.decode()
    assert login(client, owner).post(f"/organisations/{org.pk}/members/999999/remove/").status_code == 404


def test_organisation_list_shows_only_mine(client, org_with_owner, django_assert_max_num_queries):
    org, owner = org_with_owner
    for _ in range(5):
        OrganisationMembershipFactory(user=owner)
    foreign = OrganisationFactory()
    login(client, owner)
    with django_assert_max_num_queries(8):
        response = client.get("/organisations/")
    body = response.content.decode()
    assert org.name in body
    assert foreign.name not in body
    assert len(response.context["organisations"]) == 6
