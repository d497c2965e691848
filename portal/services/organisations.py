from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.constants import OrganisationRole
from portal.models import Organisation, OrganisationInvitation, OrganisationMembership, User
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


def organisation_invite_member(
    *, actor: User, organisation: Organisation, email: str, role: str = OrganisationRole.MEMBER
) -> OrganisationInvitation:
    """Invite someone by email; the invitation link is mailed after commit."""
    _require_owner(user=actor, organisation=organisation)
    email = email.strip().lower()
    if role not in OrganisationRole.values:
        raise ValidationError({"role": [_("Vai trò không hợp lệ.")]})
    if OrganisationMembership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": [_("Người này đã là thành viên của tổ chức.")]})
    try:
        with transaction.atomic():
            invitation = OrganisationInvitation.objects.create(
                organisation=organisation, email=email, role=role, invited_by=actor
            )
    except IntegrityError:
        raise ValidationError({"email": [_("Đã có lời mời đang chờ cho địa chỉ này.")]}) from None
    link = settings.SITE_URL + reverse("portal:invitation_accept", args=[invitation.token])
    transaction.on_commit(
        lambda: send_mail(
            # One line whatever the name holds: a CR/LF in a header is refused by the mailer.
            subject=" ".join((_("Lời mời tham gia tổ chức %(name)s") % {"name": organisation.name}).split()),
            message=_(
                "%(actor)s mời bạn tham gia tổ chức %(name)s trên %(portal)s.\n"
                "Mở liên kết sau để chấp nhận (cần đăng nhập bằng địa chỉ email này):\n%(link)s"
            )
            % {"actor": actor, "name": organisation.name, "portal": settings.PORTAL_NAME, "link": link},
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


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
