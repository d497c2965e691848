from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import divisions
from portal.models import CitizenProfile, User
from portal.validators import citizen_id_matches, normalise_phone

PROFILE_FIELDS = (
    "full_name",
    "date_of_birth",
    "sex",
    "citizen_id",
    "phone",
    "email",
    "permanent_address",
    "permanent_province",
    "permanent_commune",
    "current_address",
    "current_province",
    "current_commune",
)


def _check_profile(data: dict) -> None:
    errors: dict[str, list] = {}
    for prefix in ("permanent", "current"):
        province, commune = data.get(f"{prefix}_province"), data.get(f"{prefix}_commune")
        if commune and not province:
            errors.setdefault(f"{prefix}_province", []).append(_("Hãy chọn tỉnh/thành phố trước khi chọn xã/phường."))
        elif province and not divisions.province_name(province):
            errors.setdefault(f"{prefix}_province", []).append(_("Tỉnh/thành phố không tồn tại."))
        elif province and commune and not divisions.commune_in_province(province, commune):
            errors.setdefault(f"{prefix}_commune", []).append(
                _("Xã/phường đã chọn không thuộc tỉnh/thành phố đã chọn.")
            )
    citizen_id, dob, sex = data.get("citizen_id"), data.get("date_of_birth"), data.get("sex")
    if dob and dob > timezone.localdate():
        errors.setdefault("date_of_birth", []).append(_("Ngày sinh không thể ở tương lai."))
    elif dob and dob.year < 1900:
        errors.setdefault("date_of_birth", []).append(_("Ngày sinh phải từ năm 1900 trở đi."))
    if citizen_id and dob and sex and not citizen_id_matches(citizen_id, birth_date=dob, sex=sex):
        errors.setdefault("citizen_id", []).append(
            _("Số CCCD không khớp với năm sinh hoặc giới tính đã khai (chữ số thứ 4 đến 6).")
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def profile_update(*, user: User, data: dict) -> CitizenProfile:
    """Create or update the user's citizen profile from validated form/API data."""
    clean = {k: data[k] for k in PROFILE_FIELDS if k in data}
    if clean.get("phone"):
        clean["phone"] = normalise_phone(clean["phone"])
    if "citizen_id" in clean and not clean["citizen_id"]:
        clean["citizen_id"] = None
    profile = CitizenProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        profile = CitizenProfile(user=user)
    locked = {f: _("Thông tin này lấy từ VNeID, không sửa được trên Cổng.") for f in profile.identity_fields or []}
    changed_locked = [f for f in locked if f in clean and clean[f] != getattr(profile, f)]
    if changed_locked:
        raise ValidationError({f: [locked[f]] for f in changed_locked})
    merged = {f: getattr(profile, f) for f in PROFILE_FIELDS} | clean
    _check_profile(merged)
    for field, value in clean.items():
        setattr(profile, field, value)
    profile.full_clean(exclude=["user"])
    profile.save()
    if profile.full_name and user.full_name != profile.full_name:
        user.full_name = profile.full_name
        user.save(update_fields=["full_name"])
    return profile
