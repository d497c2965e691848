"""Organisations (doanh nghiệp / tổ chức): registration, invitations and their e-mail, members."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.constants import OrganisationRole
from portal.models import Organisation, OrganisationInvitation, OrganisationMembership, User
from portal.services.outbox import outbox_enqueue
from portal.validators import normalise_tax_code


def _require_owner(*, user: User, organisation: Organisation) -> None:
    if not OrganisationMembership.objects.filter(
        organisation=organisation, user=user, role=OrganisationRole.OWNER
    ).exists():
        raise PermissionDenied(_("Chỉ chủ sở hữu tổ chức mới được thực hiện thao tác này."))


@transaction.atomic
def organisation_create(*, user: User, data: dict) -> Organisation:
    """Register an organisation; the creating user becomes its owner."""
    fields = ("name", "tax_code", "address", "province", "commune", "legal_representative", "phone", "email")
    org = Organisation(**{k: data.get(k) or ("" if k not in ("province", "commune") else None) for k in fields})
    org.tax_code = normalise_tax_code(org.tax_code)
    if Organisation.objects.filter(tax_code=org.tax_code).exists():
        raise ValidationError({"tax_code": [_("Mã số thuế này đã được đăng ký trên cổng.")]})
    org.full_clean()
    org.save()
    OrganisationMembership.objects.create(organisation=org, user=user, role=OrganisationRole.OWNER)
    return org


@transaction.atomic
def organisation_invite_member(
    *, actor: User, organisation: Organisation, email: str, role: str = OrganisationRole.MEMBER
) -> OrganisationInvitation:
    """Invite someone by e-mail, or invite again an address whose invitation is still open.

    The e-mail is recorded in the outbox in this transaction and sent by the task
    `portal.tasks.send_invitation`, which marks its row done; a re-invitation (after a send
    that failed, or a lost e-mail) asks for one more send of the same link, with the new role.
    ``invitation.sends_requested`` > 1 tells the caller it was a re-invitation.
    """
    _require_owner(user=actor, organisation=organisation)
    email = email.strip().lower()
    if role not in OrganisationRole.values:
        raise ValidationError({"role": [_("Vai trò không hợp lệ.")]})
    if OrganisationMembership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": [_("Người này đã là thành viên của tổ chức.")]})
    invitation = (
        OrganisationInvitation.objects.select_for_update()
        .filter(organisation=organisation, email=email, accepted_at__isnull=True, cancelled_at__isnull=True)
        .first()
    )
    if invitation is None:
        try:
            with transaction.atomic():
                invitation = OrganisationInvitation.objects.create(
                    organisation=organisation, email=email, role=role, invited_by=actor
                )
        except IntegrityError:
            # Another request invited the same address at the same moment.
            raise ValidationError({"email": [_("Đã có lời mời đang chờ cho địa chỉ này.")]}) from None
    invitation.role = role
    invitation.invited_by = actor
    invitation.sends_requested += 1
    invitation.save(update_fields=["role", "invited_by", "sends_requested"])
    outbox_enqueue(
        task="portal.tasks.send_invitation",
        args=[invitation.pk, invitation.sends_requested],
        kwargs={"language": _known_language(get_language())},
    )
    return invitation


def _known_language(code: str | None) -> str:
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _one_line(text: str) -> str:
    """A header value on one line whatever it holds: CR, LF and every other line or paragraph
    separator become a space, so a name can never add a header (``Bcc:``) to the e-mail."""
    return " ".join(text.split())


def organisation_invitation_send(*, invitation_id: int, send: int, language: str = "vi") -> str:
    """Send round ``send`` of an invitation's e-mail; "sent", or "done" when there is nothing to do
    (that round or a later one sent, the invitation accepted, cancelled or deleted).

    The row stays locked while sending, so a duplicate of the message waits, then finds the
    round sent. An SMTP failure raises (an ``OSError``): the task retries it, and the outbox
    sends the message again later if every retry failed.
    """
    with transaction.atomic():
        invitation = (
            OrganisationInvitation.objects.select_for_update(of=("self",))
            .select_related("organisation", "invited_by")
            .filter(pk=invitation_id)
            .first()
        )
        if (
            invitation is None
            or invitation.accepted_at is not None
            or invitation.cancelled_at is not None
            or invitation.sends_done >= send
        ):
            return "done"
        organisation = invitation.organisation
        link = settings.SITE_URL + reverse("portal:invitation_accept", args=[invitation.token])
        with translation.override(_known_language(language)):
            subject = _one_line(_("Lời mời tham gia tổ chức %(name)s") % {"name": organisation.name})
            body = _(
                "%(actor)s mời bạn tham gia tổ chức %(name)s trên %(portal)s.\n"
                "Mở liên kết sau để chấp nhận (cần đăng nhập bằng địa chỉ email này):\n%(link)s"
            ) % {
                "actor": _one_line(str(invitation.invited_by or settings.PORTAL_NAME)),
                "name": _one_line(organisation.name),
                "portal": settings.PORTAL_NAME,
                "link": link,
            }
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[invitation.email])
        invitation.sends_done = send
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sends_done", "sent_at"])
    return "sent"


@transaction.atomic
def organisation_accept_invitation(*, user: User, token: str) -> OrganisationMembership:
    invitation = (
        OrganisationInvitation.objects.select_for_update()
        .filter(token=token, accepted_at__isnull=True, cancelled_at__isnull=True)
        .select_related("organisation")
        .first()
    )
    if invitation is None:
        raise ValidationError(_("Lời mời không tồn tại, đã được dùng hoặc đã bị huỷ."))
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(_("Lời mời này gửi cho một địa chỉ email khác."))
    membership, _created = OrganisationMembership.objects.get_or_create(
        organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def organisation_remove_member(*, actor: User, organisation: Organisation, member: User) -> None:
    _require_owner(user=actor, organisation=organisation)
    memberships = OrganisationMembership.objects.select_for_update().filter(organisation=organisation)
    target = memberships.filter(user=member).first()
    if target is None:
        raise ValidationError(_("Người này không phải thành viên của tổ chức."))
    owners = [m for m in memberships if m.role == OrganisationRole.OWNER]
    if target.role == OrganisationRole.OWNER and len(owners) <= 1:
        raise ValidationError(_("Không thể xoá chủ sở hữu duy nhất của tổ chức."))
    target.delete()
