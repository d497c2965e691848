"""Vietnam's administrative divisions in force since 1 July 2025: provinces and communes.

Two tiers only (tỉnh/thành phố and xã/phường/đặc khu); the data comes from the
`vietnam-provinces` package and is read once per process (it is immutable data).
"""

import json
from functools import cache

from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH


@cache
def _load() -> dict[int, dict]:
    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as fh:
        data = json.load(fh)
    # A few names in the package carry doubled spaces ("Phường  An Nhơn"): normalise them.
    return {
        p["code"]: {
            "name": _clean(p["name"]),
            "wards": {w["code"]: _clean(w["name"]) for w in p["wards"]},
        }
        for p in data
    }


def _clean(name: str) -> str:
    return " ".join(name.split())


def province_choices() -> list[tuple[int, str]]:
    return sorted(((code, p["name"]) for code, p in _load().items()), key=lambda c: c[0])


def commune_choices(province_code: int | None) -> list[tuple[int, str]]:
    province = _load().get(province_code or -1)
    if not province:
        return []
    return sorted(province["wards"].items(), key=lambda c: c[1])


def province_name(code: int | None) -> str:
    province = _load().get(code or -1)
    return province["name"] if province else ""


def commune_name(province_code: int | None, commune_code: int | None) -> str:
    province = _load().get(province_code or -1)
    if not province:
        return ""
    return province["wards"].get(commune_code or -1, "")


def commune_in_province(province_code: int, commune_code: int) -> bool:
    province = _load().get(province_code)
    return bool(province) and commune_code in province["wards"]
