"""Demo accounts for ``seed_demo``: the citizen, the business and its organisation.

``demo_user`` is the one way a demo account is made (a known password, a verified email),
also used by the other apps' ``<app>.demo`` steps for the accounts they need (officers).
"""

from allauth.account.models import EmailAddress

from portal.constants import OrganisationRole
from portal.models import CitizenProfile, Organisation, OrganisationMembership, User

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - documented demo credential, refused in production


def demo_user(*, email: str, full_name: str, superuser: bool = False) -> User:
    """The demo account ``email``; ``superuser`` makes it the Django admin's superuser (the demo
    administrator, who is shown every admin page), set again on each run."""
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    if created:
        user.set_password(DEMO_PASSWORD)
    if created or (user.is_staff, user.is_superuser) != (superuser, superuser):
        user.is_staff = user.is_superuser = superuser
        user.save(update_fields=["password", "is_staff", "is_superuser"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def seed(*, stdout) -> None:
    citizen = demo_user(email="citizen@example.com", full_name="Nguyễn Văn An")
    CitizenProfile.objects.update_or_create(
        user=citizen,
        defaults={
            "full_name": "Nguyễn Văn An",
            "sex": "male",
            "date_of_birth": "1990-05-17",
            "citizen_id": "001090012345",
            "phone": "0912345678",
            "email": "citizen@example.com",
            "permanent_address": "Số 10 Phố Huế",
            "permanent_province": 1,
            "permanent_commune": 70,
            "current_address": "Số 10 Phố Huế",
            "current_province": 1,
            "current_commune": 70,
        },
    )
    business = demo_user(email="business@example.com", full_name="Trần Thị Bình")
    CitizenProfile.objects.update_or_create(
        user=business,
        defaults={
            "full_name": "Trần Thị Bình",
            "sex": "female",
            "date_of_birth": "1985-02-03",
            "citizen_id": "001185054321",
            "phone": "0987654321",
            "email": "business@example.com",
        },
    )
    company, _ = Organisation.objects.update_or_create(
        tax_code="0100109106",
        defaults={
            "name": "Công ty TNHH Thương mại Dịch vụ Bình Minh",
            "legal_representative": "Trần Thị Bình",
            "address": "25 Đường Lê Lợi, Phường Trung Tâm, Tỉnh Demo",
            "phone": "0987654321",
            "email": "business@example.com",
        },
    )
    OrganisationMembership.objects.get_or_create(
        organisation=company, user=business, defaults={"role": OrganisationRole.OWNER}
    )
