"""World regions for the portfolio's region filter, derived from the IANA time-zone table.

Each country's first zone in zone.tab (shipped with the tzdata package) names its continent;
the few countries filed under an ocean are placed by hand. Coarse, but needs no extra data.
"""

from __future__ import annotations

import functools
from importlib import resources

from django.utils.translation import gettext_lazy as _

REGIONS = [
    ("africa", _("Africa")),
    ("americas", _("Americas")),
    ("asia", _("Asia and the Middle East")),
    ("europe", _("Europe")),
    ("oceania", _("Oceania")),
]
_CONTINENT = {"Africa": "africa", "America": "americas", "Asia": "asia", "Europe": "europe",
              "Australia": "oceania", "Pacific": "oceania"}
# Countries whose first zone is an ocean's.
_BY_HAND = {"CV": "africa", "SH": "africa", "ST": "africa", "MU": "africa", "SC": "africa", "KM": "africa",
            "MG": "africa", "RE": "africa", "YT": "africa", "TF": "africa", "MV": "asia", "IO": "asia",
            "CC": "oceania", "CX": "oceania", "IS": "europe", "FO": "europe", "BM": "americas", "GS": "americas",
            "FK": "americas"}


@functools.cache
def country_regions() -> dict[str, str]:
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, _coords, zone = line.split("\t")[:3]
        if code in out:
            continue
        region = _BY_HAND.get(code) or _CONTINENT.get(zone.split("/")[0])
        if region:
            out[code] = region
    return out


def countries_in(region: str) -> list[str]:
    return sorted(code for code, r in country_regions().items() if r == region)
