"""Working-day calendars per country from the ``holidays`` package, plus tenant overrides.

Pure Python (no Django). :func:`build_calendar` returns a :class:`dsar.sla.Calendar`.

Decisions:

* ``"EU"`` is not a country: the GDPR is applied by the member state where the controller
  acts, and Regulation 1182/71 art. 2(1) takes the holidays of that member state. So ``"EU"``
  gives a calendar with a Saturday/Sunday weekend and **no public holidays** (the strictest
  reading: only weekends roll a deadline forward). A tenant that wants its national holidays
  picks the member state instead (``"IE"``, ``"DE"`` with subdivision ``"BY"``, ...).
* ADGM and DIFC are in the UAE: use ``"AE"``.
* Weekends: Friday-Saturday in SA, QA, BH, OM, KW; Saturday-Sunday elsewhere, including the
  UAE since 1 January 2022 (Friday-Saturday before that).
* Islamic holidays depend on moon sighting: the package's dates can be off by a day. Tenants
  correct them with ``removed`` (the estimated day) and ``added`` (the announced day).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as _holidays

from dsar.sla import Calendar

SAT_SUN = frozenset({5, 6})
FRI_SAT = frozenset({4, 5})

WEEKENDS: dict[str, frozenset[int]] = {
    "SA": FRI_SAT,
    "QA": FRI_SAT,
    "BH": FRI_SAT,
    "OM": FRI_SAT,
    "KW": FRI_SAT,
    "AE": SAT_SUN,  # since 1 January 2022; see weekend_for
}
DEFAULT_WEEKEND = SAT_SUN
UAE_WEEKEND_CHANGE = date(2022, 1, 1)

NO_HOLIDAY_CODES = {"EU"}


def weekend_for(country: str, on: date | None = None) -> frozenset[int]:
    """The weekend days (``date.weekday()`` numbers) of a country, on a given date."""
    country = (country or "").upper()
    if country == "AE" and on is not None and on < UAE_WEEKEND_CHANGE:
        return FRI_SAT
    return WEEKENDS.get(country, DEFAULT_WEEKEND)


def _default_years(today: date | None = None) -> range:
    year = (today or date.today()).year
    return range(year - 1, year + 3)


@lru_cache(maxsize=256)
def _holiday_items(country: str, subdivision: str, years: tuple[int, ...]) -> tuple[tuple[date, str], ...]:
    """Public holidays from the ``holidays`` package, cached (the look-up is slow-ish)."""
    if country in NO_HOLIDAY_CODES:
        return ()
    try:
        table = _holidays.country_holidays(country, subdiv=subdivision or None, years=years)
    except NotImplementedError as exc:
        raise ValueError(f"No holiday calendar for country {country!r} subdivision {subdivision!r}: {exc}") from exc
    return tuple(sorted(table.items()))


def supported_subdivisions(country: str) -> list[str]:
    """Subdivision codes the ``holidays`` package knows for a country ([] when none)."""
    return list(_holidays.list_supported_countries().get(country.upper()) or [])


def build_calendar(country: str, subdivision: str = "", years: range | None = None, weekend=None,
                   added: dict[date, str] | None = None, removed=None) -> Calendar:
    """A working-day calendar for ``country``/``subdivision`` over ``years``.

    ``weekend`` overrides the country's weekend; ``removed`` drops holiday dates (for
    example an estimated Eid day) and ``added`` adds dates with their names (the Eid
    day announced after moon sighting, a company closure day). ``removed`` is applied
    before ``added``.
    """
    country = (country or "").upper()
    subdivision = (subdivision or "").strip()
    years = years if years is not None else _default_years()
    table = dict(_holiday_items(country, subdivision, tuple(years)))
    for d in removed or ():
        table.pop(d, None)
    table.update(added or {})
    wk = frozenset(weekend) if weekend is not None else weekend_for(country)
    name = country + (f"-{subdivision}" if subdivision else "")
    if country in NO_HOLIDAY_CODES:
        name += " (weekends only, no public holidays)"
    return Calendar(weekend=wk, holidays=table, name=name)
