"""Country calendars (dsar/calendars.py). Pure: no Django, no database."""

from datetime import date

import pytest

from dsar import calendars
from dsar.calendars import build_calendar, weekend_for

YEARS = range(2025, 2028)


def test_it_uses_friday_saturday_weekends_in_the_gulf():
    for country in ("SA", "QA", "BH", "OM", "KW"):
        assert weekend_for(country) == frozenset({4, 5})


def test_it_uses_saturday_sunday_in_the_uae_since_2022():
    assert weekend_for("AE") == frozenset({5, 6})
    assert weekend_for("AE", date(2022, 1, 1)) == frozenset({5, 6})
    assert weekend_for("AE", date(2021, 12, 31)) == frozenset({4, 5})


def test_it_defaults_to_saturday_sunday():
    for country in ("EU", "GB", "US", "IE", "DE"):
        assert weekend_for(country) == frozenset({5, 6})


def test_it_tells_england_and_scotland_apart():
    england = build_calendar("GB", "ENG", years=YEARS)
    scotland = build_calendar("GB", "SCT", years=YEARS)
    assert date(2026, 1, 2) in scotland.holidays
    assert date(2026, 1, 2) not in england.holidays
    assert england.is_working_day(date(2026, 1, 2))
    assert not scotland.is_working_day(date(2026, 1, 2))
    assert date(2026, 4, 6) in england.holidays  # Easter Monday: England only
    assert date(2026, 4, 6) not in scotland.holidays


def test_it_has_no_public_holidays_for_the_eu_placeholder():
    eu = build_calendar("EU", years=YEARS)
    assert eu.holidays == {}
    assert eu.weekend == frozenset({5, 6})
    assert eu.is_working_day(date(2026, 12, 25))
    assert not eu.is_working_day(date(2026, 12, 26))


def test_it_takes_member_state_holidays_when_asked():
    ireland = build_calendar("IE", years=YEARS)
    assert date(2026, 3, 17) in ireland.holidays  # Saint Patrick's Day


def test_it_has_saudi_eid_and_california_holidays():
    saudi = build_calendar("SA", years=YEARS)
    assert "Eid al-Fitr" in saudi.holidays[date(2026, 3, 19)]
    california = build_calendar("US", "CA", years=YEARS)
    assert date(2026, 3, 31) in california.holidays  # Cesar Chavez Day (state holiday)
    assert date(2026, 1, 19) in california.holidays  # Martin Luther King Jr. Day


def test_it_applies_tenant_overrides():
    # Moon sighting moves Eid one day: remove the estimated day, add the announced one.
    cal = build_calendar("SA", years=YEARS, removed={date(2026, 3, 19)},
                         added={date(2026, 3, 25): "Eid al-Fitr Holiday (announced)"})
    assert date(2026, 3, 19) not in cal.holidays
    assert cal.holidays[date(2026, 3, 25)] == "Eid al-Fitr Holiday (announced)"
    plain = build_calendar("SA", years=YEARS)
    assert date(2026, 3, 19) in plain.holidays  # overrides do not leak into the cache
    assert date(2026, 3, 25) not in plain.holidays


def test_it_lets_the_weekend_be_overridden():
    cal = build_calendar("AE", years=YEARS, weekend={4, 5})
    assert cal.weekend == frozenset({4, 5})


def test_it_caches_the_holiday_lookup():
    calendars._holiday_items.cache_clear()
    build_calendar("OM", years=YEARS)
    build_calendar("OM", years=YEARS)
    info = calendars._holiday_items.cache_info()
    assert info.hits >= 1 and info.misses == 1


def test_it_rejects_unknown_countries():
    with pytest.raises(ValueError):
        build_calendar("XX", years=YEARS)


def test_it_names_the_calendar():
    assert build_calendar("GB", "SCT", years=YEARS).name == "GB-SCT"


def test_it_counts_working_days_across_a_gulf_weekend():
    saudi = build_calendar("SA", years=YEARS)
    # Thursday 2026-02-05 + 1 working day = Sunday 2026-02-08 (Friday and Saturday are weekend).
    assert saudi.add_working_days(date(2026, 2, 5), 1) == date(2026, 2, 8)
    assert saudi.add_working_days(date(2026, 2, 5), 0) == date(2026, 2, 5)
    assert saudi.next_working_day(date(2026, 2, 6)) == date(2026, 2, 8)
    assert saudi.next_working_day(date(2026, 2, 8)) == date(2026, 2, 8)


def test_it_uses_a_default_year_range():
    cal = build_calendar("GB", "ENG")
    this_year = date.today().year
    assert date(this_year, 12, 25) in cal.holidays
