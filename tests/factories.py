"""factory_boy factories shared by the whole suite."""

import factory
from allauth.account.models import EmailAddress

from portal.constants import OfficerRole, OrganisationRole
from portal.models import CitizenProfile, OfficerMembership, Organisation, OrganisationMembership, User
from procedures.constants import AgencyLevel
from procedures.models import Agency, Department

PASSWORD = "correct-horse-battery-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.vn")
    full_name = factory.Faker("name", locale="vi_VN")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"000.00.{n % 100:02d}.T{n // 100:02d}")
    name = factory.Sequence(lambda n: f"Cơ quan thử nghiệm {n}")
    level = AgencyLevel.DEPARTMENT


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    agency = factory.SubFactory(AgencyFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Phòng {n}")


class OfficerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficerMembership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = OfficerRole.RECEPTION


class CitizenProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CitizenProfile

    user = factory.SubFactory(UserFactory)
    full_name = factory.Faker("name", locale="vi_VN")
    sex = "male"
    date_of_birth = factory.Faker(
        "date_between_dates",
        date_start=__import__("datetime").date(1960, 1, 1),
        date_end=__import__("datetime").date(1999, 12, 31),
    )
    citizen_id = factory.LazyAttributeSequence(
        lambda o, n: f"001{0 if o.sex == 'male' else 1}{o.date_of_birth.year % 100:02d}{n:06d}"
    )
    phone = "0912345678"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Công ty TNHH Thử Nghiệm {n}")
    tax_code = factory.Sequence(lambda n: f"0100109106-{n + 1:03d}")
    legal_representative = factory.Faker("name", locale="vi_VN")


class OrganisationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationMembership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = OrganisationRole.MEMBER


def with_totp(user):
    """Give ``user`` an active TOTP device (officer pages and the officer API need one).

    A test client's ``force_login`` of such a user then counts as a sign-in with both factors
    (tests/conftest.py); `second_factor_verified` sets another moment, or none."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    return user


def totp_code(user) -> str:
    """The current code of the user's authenticator app (as the phone would show it)."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    secret = decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def second_factor_verified(client, user, *, hours_ago: float | None = 0):
    """Record in ``client``'s session that ``user`` passed the second factor ``hours_ago`` hours
    ago, as allauth does at sign-in; ``None`` records no second factor (a password only)."""
    import time

    session = client.session
    records = []
    if hours_ago is not None:
        records.append({"method": "mfa", "type": "totp", "at": time.time() - hours_ago * 3600})
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [{"method": "password", "at": time.time()}, *records]
    session.save()
    return client
