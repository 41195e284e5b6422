"""The time zones a person or a venue may choose: current canonical IANA names only.

``zoneinfo.available_timezones()`` also lists the tzdata "backward" aliases (``US/Pacific``,
``Asia/Calcutta``, ``Europe/Kiev``, ``GB``, ``Etc/GMT+3`` …): ~600 names where ~420 are current.
A list of links is kept here so that the pickers offer each place once, under its current name;
a stored alias still reads (``zone_label``) and still converts (zoneinfo accepts it).
"""

from __future__ import annotations

import functools
import zoneinfo

# Renamed zones whose old name still sits in a region folder (tzdata's "backward" file).
_RENAMED = {
    "America/Buenos_Aires", "America/Catamarca", "America/Cordoba", "America/Jujuy", "America/Mendoza",
    "America/Fort_Wayne", "America/Indianapolis", "America/Knox_IN", "America/Louisville", "America/Atka",
    "America/Ensenada", "America/Godthab", "America/Porto_Acre", "America/Rosario", "America/Santa_Isabel",
    "America/Shiprock", "America/Virgin", "America/Coral_Harbour", "America/Montreal",
    "Antarctica/South_Pole", "Asia/Ashkhabad", "Asia/Calcutta", "Asia/Chongqing", "Asia/Chungking",
    "Asia/Dacca", "Asia/Harbin", "Asia/Istanbul", "Asia/Kashgar", "Asia/Katmandu", "Asia/Macao",
    "Asia/Rangoon", "Asia/Saigon", "Asia/Tel_Aviv", "Asia/Thimbu", "Asia/Ujung_Pandang", "Asia/Ulan_Bator",
    "Atlantic/Faeroe", "Atlantic/Jan_Mayen", "Australia/ACT", "Australia/Canberra", "Australia/LHI",
    "Australia/NSW", "Australia/North", "Australia/Queensland", "Australia/South", "Australia/Tasmania",
    "Australia/Victoria", "Australia/West", "Australia/Yancowinna", "Europe/Belfast", "Europe/Kiev",
    "Europe/Nicosia", "Europe/Tiraspol", "Europe/Uzhgorod", "Europe/Zaporozhye", "Pacific/Enderbury",
    "Pacific/Johnston", "Pacific/Ponape", "Pacific/Samoa", "Pacific/Truk", "Pacific/Yap",
    "Africa/Asmera", "Africa/Timbuktu", "America/Nipigon", "America/Rainy_River", "America/Thunder_Bay",
    "America/Yellowknife", "America/Pangnirtung", "Australia/Currie", "Asia/Choibalsan",
}
# Whole folders that are only aliases (US/…, Canada/…, Brazil/…, Chile/…, Mexico/…) or POSIX-style
# fixed offsets with inverted signs (Etc/GMT+3 is UTC-3), which mislead more than they help.
_ALIAS_FOLDERS = ("US/", "Canada/", "Brazil/", "Chile/", "Mexico/", "Etc/", "SystemV/")


def is_canonical(name: str) -> bool:
    return "/" in name and not name.startswith(_ALIAS_FOLDERS) and name not in _RENAMED and not name.startswith(
        "posix/") and not name.startswith("right/")


@functools.cache
def canonical_time_zones() -> tuple[str, ...]:
    """Sorted current IANA zone names, plus UTC."""
    return ("UTC", *sorted(z for z in zoneinfo.available_timezones() if is_canonical(z)))


def zone_label(name: str) -> str:
    """How a zone is named on a page: ``Asia/Kathmandu`` (underscores as spaces)."""
    return name.replace("_", " ")
