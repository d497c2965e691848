"""Demo data of the procedures part for ``seed_demo``: the province's agencies with their
departments and one-stop officers, then real procedures loaded through the import service.

The catalogue lives in ``procedures/fixtures/demo_catalogue.json`` in the import format, so
every ``make run`` exercises the import. Running either step again changes nothing.
"""

from pathlib import Path

from portal.constants import OfficerRole
from portal.demo import demo_user
from portal.models import OfficerMembership
from procedures.constants import AgencyLevel
from procedures.models import Agency, Department
from procedures.services import catalogue_import_json

DEMO_CATALOGUE = Path(__file__).resolve().parent / "fixtures" / "demo_catalogue.json"

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
# The province's Public Administration Service Centre: it receives the dossiers of the other
# agencies' procedures and hands them over (Decree 118/2025/NĐ-CP, receipt anywhere).
SERVICE_CENTRES = {"000.00.01.H99"}
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


def seed_agencies(*, stdout) -> None:
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
                "is_service_centre": code in SERVICE_CENTRES,
            },
        )
    departments = {}
    for agency_code, code, name in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(
            agency=agencies[agency_code], code=code, defaults={"name": name}
        )
    for email, name, role, department in OFFICERS:
        user = demo_user(email=email, full_name=name, superuser=(role == OfficerRole.AGENCY_ADMIN))
        OfficerMembership.objects.update_or_create(
            user=user,
            agency=agencies[OFFICER_AGENCY],
            role=role,
            defaults={"department": departments.get(department) if department else None, "is_active": True},
        )
        OfficerMembership.objects.update_or_create(
            user=user, agency=agencies[OFFICER_SECOND_AGENCY], role=role, defaults={"is_active": True}
        )


def seed(*, stdout) -> None:
    result = catalogue_import_json(raw=DEMO_CATALOGUE.read_bytes())
    stdout.write(f"Danh mục thủ tục / catalogue: {result.summary()}")
