"""Idempotent demo data: a small province with agencies, officers, a citizen and a business.

Later parts extend it by registering a function in ``SEED_STEPS`` of their own app
(``<app>.demo.seed``), called in order after the accounts are in place.
"""

import importlib

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.constants import OfficerRole, OrganisationRole
from portal.models import CitizenProfile, OfficerMembership, Organisation, OrganisationMembership, User
from procedures.constants import AgencyLevel
from procedures.models import Agency, Department

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - documented demo credential, refused in production

AGENCIES = [
    # code, name, short name, level, parent code
    ("000.00.00.H99", "Ủy ban nhân dân Tỉnh Demo", "UBND tỉnh", AgencyLevel.PROVINCE, None),
    (
        "000.00.01.H99",
        "Trung tâm Phục vụ hành chính công Tỉnh Demo",
        "TTPVHCC",
        AgencyLevel.DEPARTMENT,
        "000.00.00.H99",
    ),
    ("000.00.12.H99", "Sở Tư pháp Tỉnh Demo", "Sở Tư pháp", AgencyLevel.DEPARTMENT, "000.00.00.H99"),
    ("000.00.15.H99", "Sở Xây dựng Tỉnh Demo", "Sở Xây dựng", AgencyLevel.DEPARTMENT, "000.00.00.H99"),
    ("000.01.21.H99", "Ủy ban nhân dân Phường Trung Tâm", "UBND P. Trung Tâm", AgencyLevel.COMMUNE, "000.00.00.H99"),
    ("000.02.21.H99", "Ủy ban nhân dân Xã Bình An", "UBND X. Bình An", AgencyLevel.COMMUNE, "000.00.00.H99"),
]
DEPARTMENTS = [
    ("000.00.12.H99", "HCTP", "Phòng Hành chính tư pháp"),
    ("000.00.12.H99", "BTTP", "Phòng Bổ trợ tư pháp"),
    ("000.00.15.H99", "QLXD", "Phòng Quản lý xây dựng"),
]
OFFICERS = [
    ("reception@example.com", "Nguyễn Thị Tiếp Nhận", OfficerRole.RECEPTION, None),
    ("specialist@example.com", "Trần Văn Chuyên", OfficerRole.SPECIALIST, "HCTP"),
    ("head@example.com", "Lê Thị Trưởng Phòng", OfficerRole.DEPARTMENT_HEAD, "HCTP"),
    ("leader@example.com", "Phạm Văn Lãnh Đạo", OfficerRole.LEADER, None),
    ("admin@example.com", "Hoàng Quản Trị", OfficerRole.AGENCY_ADMIN, None),
]
OFFICER_AGENCY = "000.00.12.H99"
# The demo officers also serve the ward's one-stop shop, so the ward's procedures (birth
# registration 1.001193, ...) can be taken from submission to result in the demo too.
OFFICER_SECOND_AGENCY = "000.01.21.H99"

SEED_STEPS = ["procedures.demo.seed", "dossiers.demo.seed", "signing.demo.seed"]


def _user(email: str, full_name: str, *, staff: bool = False) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name, "is_staff": staff})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu (chạy lại nhiều lần không tạo trùng). / Load idempotent demo data."

    @transaction.atomic
    def handle(self, *args, **options):
        if "production" in (settings.SETTINGS_MODULE or ""):
            raise CommandError("seed_demo bị từ chối trong môi trường production / refused under production settings.")
        agencies: dict[str, Agency] = {}
        for code, name, short, level, parent in AGENCIES:
            agencies[code], _ = Agency.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "short_name": short,
                    "level": level,
                    "parent": agencies.get(parent) if parent else None,
                    "address": "Số 1 Đường Hành Chính, Phường Trung Tâm, Tỉnh Demo",
                    "phone": "0290 3800 000",
                },
            )
        departments = {}
        for agency_code, code, name in DEPARTMENTS:
            departments[code], _ = Department.objects.update_or_create(
                agency=agencies[agency_code], code=code, defaults={"name": name}
            )
        for email, name, role, department in OFFICERS:
            user = _user(email, name, staff=(role == OfficerRole.AGENCY_ADMIN))
            OfficerMembership.objects.update_or_create(
                user=user,
                agency=agencies[OFFICER_AGENCY],
                role=role,
                defaults={"department": departments.get(department) if department else None, "is_active": True},
            )
            OfficerMembership.objects.update_or_create(
                user=user, agency=agencies[OFFICER_SECOND_AGENCY], role=role, defaults={"is_active": True}
            )
        citizen = _user("citizen@example.com", "Nguyễn Văn An")
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
        business = _user("business@example.com", "Trần Thị Bình")
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
        for step in SEED_STEPS:
            module_name, func = step.rsplit(".", 1)
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            getattr(module, func)(stdout=self.stdout)
        # The default periodic tasks, so the admin's beat schedule is complete before beat starts.
        from portal.celery import sync_beat_schedule

        sync_beat_schedule()
        self.stdout.write(self.style.SUCCESS("Đã nạp dữ liệu mẫu / demo data loaded."))
