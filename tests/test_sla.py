"""Vectors and properties for the SLA clock (dsar/sla.py). Pure: no Django, no database."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsar.calendars import build_calendar
from dsar.sla import (
    CLARIFICATION,
    DAYS,
    IDENTITY,
    MONTHS,
    VERIFICATION,
    WORKING_DAYS,
    Calendar,
    Deadline,
    Pause,
    Rules,
    add_period,
    can_extend,
    compute_deadline,
    rules_from_preset,
)
from tenants.presets import PRESETS

YEARS = range(2024, 2030)
CAL = {
    "EU": build_calendar("EU", years=YEARS),
    "GB-ENG": build_calendar("GB", "ENG", years=YEARS),
    "GB-SCT": build_calendar("GB", "SCT", years=YEARS),
    "US-CA": build_calendar("US", "CA", years=YEARS),
    "SA": build_calendar("SA", years=YEARS),
    "QA": build_calendar("QA", years=YEARS),
    "AE": build_calendar("AE", years=YEARS),
    "BH": build_calendar("BH", years=YEARS),
    "OM": build_calendar("OM", years=YEARS),
}
P = {p["code"]: rules_from_preset(p) for p in PRESETS}
TODAY = date(2026, 6, 1)

# A promised period for laws without a statutory one (tenant promise, e.g. Thamra: 30 days).
QA_PROMISE = replace(P["qa-pdppl"], period=30, unit=DAYS)
AE_PROMISE = replace(P["ae-pdpl"], period=30, unit=DAYS)
WD_PAUSE = Rules("wd-test", 10, WORKING_DAYS, pause_for_clarification=True)


def d(s: str) -> date:
    return date.fromisoformat(s)


def pause(start, end, reason):
    return Pause(d(start), d(end) if end else None, reason)


# (id, source, rules, calendar, received, keyword arguments, expected due)
VECTORS = [
    # --- GDPR: months, Reg. 1182/71 art. 3(2)(c), Sat/Sun weekend, no EU-wide holidays
    ("gdpr-31jan", "acceptance check; Reg 1182/71 art 3(2)(c); computed: 2026-02-28 is Saturday",
     P["gdpr"], "EU", "2026-01-31", {}, "2026-03-02"),
    ("gdpr-leap", "Reg 1182/71 art 3(2)(c): last day of month; 2028 is a leap year",
     P["gdpr"], "EU", "2028-01-31", {}, "2028-02-29"),
    ("gdpr-31mar", "Reg 1182/71 art 3(2)(c): 31 April does not exist -> 30 April (Thursday)",
     P["gdpr"], "EU", "2026-03-31", {}, "2026-04-30"),
    ("gdpr-same-date", "EDPB 01/2022 section 5.3: same date next month; 2026-09-01 is Tuesday",
     P["gdpr"], "EU", "2026-08-01", {}, "2026-09-01"),
    ("gdpr-saturday", "Reg 1182/71 art 3(4); computed: 2026-03-14 is Saturday",
     P["gdpr"], "EU", "2026-02-14", {}, "2026-03-16"),
    ("gdpr-31may", "Reg 1182/71 art 3(2)(c): 31 June does not exist -> 30 June (Tuesday)",
     P["gdpr"], "EU", "2026-05-31", {}, "2026-06-30"),
    ("gdpr-extension", "GDPR art 12(3): +2 months counted from the original start (31 Jan + 3 months)",
     P["gdpr"], "EU", "2026-01-31", {"extensions": 1}, "2026-04-30"),
    ("gdpr-extension-cap", "GDPR art 12(3): only one extension of two months; extra ones ignored",
     P["gdpr"], "EU", "2026-01-31", {"extensions": 3}, "2026-04-30"),
    ("gdpr-extension-roll", "computed: 2025-11-30 + 3 months = 2026-02-28 (Saturday) -> Monday",
     P["gdpr"], "EU", "2025-11-30", {"extensions": 1}, "2026-03-02"),
    ("gdpr-pause-ignored", "GDPR has no pause for identity: pause ignored; 2026-04-02 is Thursday",
     P["gdpr"], "EU", "2026-03-02", {"pauses": [pause("2026-03-03", "2026-03-10", IDENTITY)]}, "2026-04-02"),
    ("gdpr-verified-ignored", "GDPR clock starts at receipt: a verification date does not move it",
     P["gdpr"], "EU", "2026-03-02", {"verified": d("2026-03-20")}, "2026-04-02"),
    # --- UK GDPR: England and Wales bank holidays, clock at verification, clarification pause
    ("uk-new-year", "ICO time limits: corresponding date is a bank holiday; 2027-01-01 is New Year's Day (Friday)",
     P["uk-gdpr"], "GB-ENG", "2026-12-01", {"verified": d("2026-12-01")}, "2027-01-04"),
    ("uk-christmas", "computed: 2026-12-25 Christmas (Fri), 26-27 weekend, 28 Boxing Day (observed)",
     P["uk-gdpr"], "GB-ENG", "2026-11-25", {"verified": d("2026-11-25")}, "2026-12-29"),
    ("uk-verified-later", "ICO: time limit starts when identity information is received",
     P["uk-gdpr"], "GB-ENG", "2026-03-02", {"verified": d("2026-03-10")}, "2026-04-10"),
    ("uk-not-verified", "ICO: no clock before identity is confirmed",
     P["uk-gdpr"], "GB-ENG", "2026-03-02", {}, None),
    ("uk-pause-weekend", "computed: 3 paused days over a weekend; 2026-04-05 Easter Sunday, 04-06 Easter Monday",
     P["uk-gdpr"], "GB-ENG", "2026-03-02",
     {"verified": d("2026-03-02"), "pauses": [pause("2026-03-06", "2026-03-09", CLARIFICATION)]}, "2026-04-07"),
    ("uk-open-pause", "computed: open pause since 03-10 counts 10 days to today 03-20; 04-12 is Sunday",
     P["uk-gdpr"], "GB-ENG", "2026-03-02",
     {"verified": d("2026-03-02"), "pauses": [pause("2026-03-10", None, CLARIFICATION)],
      "today": d("2026-03-20")}, "2026-04-13"),
    ("uk-overlapping-pauses", "issue: overlapping pauses are not double counted (03-06..03-12 = 6 days)",
     P["uk-gdpr"], "GB-ENG", "2026-03-02",
     {"verified": d("2026-03-02"), "pauses": [pause("2026-03-06", "2026-03-10", CLARIFICATION),
                                              pause("2026-03-08", "2026-03-12", CLARIFICATION)]}, "2026-04-08"),
    ("uk-identity-pause-ignored", "UK preset: identity handled by clock start, not a pause",
     P["uk-gdpr"], "GB-ENG", "2026-03-02",
     {"verified": d("2026-03-02"), "pauses": [pause("2026-03-03", "2026-03-09", IDENTITY)]}, "2026-04-02"),
    ("uk-scotland-2jan", "holidays package: 2 January is a bank holiday in Scotland only",
     P["uk-gdpr"], "GB-SCT", "2025-12-02", {"verified": d("2025-12-02")}, "2026-01-05"),
    ("uk-england-2jan", "holidays package: 2 January is a working day in England",
     P["uk-gdpr"], "GB-ENG", "2025-12-02", {"verified": d("2025-12-02")}, "2026-01-02"),
    ("uk-extension", "UK GDPR art 12(3): +2 months from the verification date",
     P["uk-gdpr"], "GB-ENG", "2026-03-02", {"verified": d("2026-03-02"), "extensions": 1}, "2026-06-02"),
    # --- CCPA: 45 calendar days from receipt, no roll-forward, 15 business days for opt-out/limit use
    ("ccpa-45", "CCPA Regs 7021(b): 45 calendar days; computed 2026-02-19 (Thursday)",
     P["ccpa"], "US-CA", "2026-01-05", {}, "2026-02-19"),
    ("ccpa-no-roll", "CCPA Regs 7021(b) counts calendar days; no roll-forward: stays on Saturday",
     P["ccpa"], "US-CA", "2026-01-07", {}, "2026-02-21"),
    ("ccpa-extension", "CCPA Regs 7021(b): 90 calendar days maximum from receipt",
     P["ccpa"], "US-CA", "2026-01-05", {"extensions": 1}, "2026-04-05"),
    ("ccpa-extension-cap", "CCPA Regs 7021(b): one extension of 45 days at most",
     P["ccpa"], "US-CA", "2026-01-05", {"extensions": 2}, "2026-04-05"),
    ("ccpa-opt-out", "CCPA Regs 7026(f): 15 business days; 2026-01-19 MLK Day not counted",
     P["ccpa"], "US-CA", "2026-01-05", {"request_type": "opt_out"}, "2026-01-27"),
    ("ccpa-limit-use", "CCPA Regs 7027: 15 business days; 2026-02-16 Presidents' Day not counted",
     P["ccpa"], "US-CA", "2026-02-09", {"request_type": "limit_use"}, "2026-03-03"),
    ("ccpa-no-pause", "CCPA Regs 7021(b): 45 days regardless of time to verify: pause ignored",
     P["ccpa"], "US-CA", "2026-01-05", {"pauses": [pause("2026-01-10", "2026-01-20", IDENTITY)]}, "2026-02-19"),
    # --- Saudi PDPL: 30 days (+30), Fri-Sat weekend, Eid from the holidays package
    ("sa-friday", "Implementing Reg art 3(1)(a); computed: 2026-02-06 is Friday -> Sunday",
     P["sa-pdpl"], "SA", "2026-01-07", {}, "2026-02-08"),
    ("sa-eid", "holidays package: Eid al-Fitr holiday 2026-03-19..24 in Saudi Arabia",
     P["sa-pdpl"], "SA", "2026-02-17", {}, "2026-03-25"),
    ("sa-extension", "Implementing Reg art 3(1)(a): +30 days; 2026-03-08 is Sunday, a Saudi working day",
     P["sa-pdpl"], "SA", "2026-01-07", {"extensions": 1}, "2026-03-08"),
    ("sa-extension-cap", "Implementing Reg art 3(1)(a): the extension may not exceed 30 more days",
     P["sa-pdpl"], "SA", "2026-01-07", {"extensions": 2}, "2026-03-08"),
    # --- UAE: Sat-Sun weekend
    ("ae-friday", "tenant promise 30 days; 2026-02-06 Friday is a UAE working day since 2022",
     AE_PROMISE, "AE", "2026-01-07", {}, "2026-02-06"),
    ("ae-saturday", "tenant promise 30 days; 2026-02-07 Saturday -> Monday in the UAE",
     AE_PROMISE, "AE", "2026-01-08", {}, "2026-02-09"),
    ("ae-none", "Decree-Law 45/2021: no statutory period, no promise -> no due date",
     P["ae-pdpl"], "AE", "2026-01-08", {}, None),
    # --- Qatar
    ("qa-none", "Law 13/2016: no statutory period confirmed -> no due date without a promise",
     P["qa-pdppl"], "QA", "2026-01-07", {}, None),
    ("qa-promise-friday", "Thamra promises 30 days; 2026-02-06 Friday -> Sunday in Qatar",
     QA_PROMISE, "QA", "2026-01-07", {}, "2026-02-08"),
    # --- Bahrain
    ("bh-rectification", "Law 30/2018 art 23: 10 working days; Fri-Sat weekend and Eid 03-20..22 skipped",
     P["bh-pdpl"], "BH", "2026-03-15", {"request_type": "rectification"}, "2026-03-30"),
    ("bh-erasure", "Law 30/2018 art 23: 10 working days; computed from Sunday 2026-01-04",
     P["bh-pdpl"], "BH", "2026-01-04", {"request_type": "erasure"}, "2026-01-18"),
    ("bh-access-none", "Law 30/2018: no period confirmed for access -> no due date",
     P["bh-pdpl"], "BH", "2026-03-15", {"request_type": "access"}, None),
    # --- Oman
    ("om-45", "Executive Regulation: 45 days; 2026-02-15 is Sunday, an Omani working day",
     P["om-pdpl"], "OM", "2026-01-01", {}, "2026-02-15"),
    ("om-eid", "computed: 2026-03-21 Saturday and Eid al-Fitr to 03-22 -> Monday 03-23",
     P["om-pdpl"], "OM", "2026-02-04", {}, "2026-03-23"),
    ("om-no-extension", "Oman preset has no extension: the recorded one is ignored",
     P["om-pdpl"], "OM", "2026-01-01", {"extensions": 1}, "2026-02-15"),
    # --- ADGM and DIFC
    ("adgm-2-months", "ADGM DPR 2021 s 10(3): two months; 2026-03-31 is Tuesday",
     P["adgm"], "AE", "2026-01-31", {}, "2026-03-31"),
    ("adgm-weekend", "ADGM DPR 2021 s 10(3); computed: 2026-02-28 Saturday -> Monday",
     P["adgm"], "AE", "2025-12-31", {}, "2026-03-02"),
    ("adgm-extension", "ADGM DPR 2021 s 10(4): +1 month from the original start",
     P["adgm"], "AE", "2026-01-31", {"extensions": 1}, "2026-04-30"),
    ("difc-unconfirmed", "DIFC preset: period not confirmed, left empty -> no due date",
     P["difc"], "AE", "2026-01-31", {}, None),
    # --- working days with a pause: working days in the pause are added back
    ("wd-pause", "issue: working-day periods add the working days paused (Fri 03-06 and Mon 03-09)",
     WD_PAUSE, "GB-ENG", "2026-03-02", {"pauses": [pause("2026-03-06", "2026-03-10", CLARIFICATION)]},
     "2026-03-18"),
    ("wd-plain", "computed: 10 working days after Monday 2026-03-02",
     WD_PAUSE, "GB-ENG", "2026-03-02", {}, "2026-03-16"),
]


@pytest.mark.parametrize(
    ("source", "rules", "cal", "received", "kwargs", "expected"),
    [pytest.param(*v[1:], id=v[0]) for v in VECTORS],
)
def test_it_computes_the_due_date(source, rules, cal, received, kwargs, expected):
    kwargs = {"today": TODAY, **kwargs}
    deadline = compute_deadline(rules, d(received), CAL[cal], **kwargs)
    assert deadline.due == (d(expected) if expected else None), (source, deadline.steps)
    assert all(s.endswith(".") and not s[0].islower() for s in deadline.steps)


def test_it_has_enough_vectors_with_sources():
    assert len(VECTORS) >= 40
    assert all(v[1] for v in VECTORS)
    assert len({v[0] for v in VECTORS}) == len(VECTORS)


def test_it_covers_every_preset():
    used = {v[2].code for v in VECTORS}
    assert {p["code"] for p in PRESETS} <= used


def test_it_explains_the_acceptance_case():
    deadline = compute_deadline(P["gdpr"], d("2026-01-31"), CAL["EU"], today=TODAY)
    assert deadline.due == d("2026-03-02")
    text = deadline.explain()
    assert "Received 31 January 2026 (Saturday); the day of receipt is not counted." in deadline.steps
    assert "28 February 2026 is a Saturday, a non-working day; moved to the next working day: " \
           "2 March 2026 (Monday)." in deadline.steps
    assert "31 February 2026 does not exist" in text


def test_it_names_the_holiday_in_the_steps():
    deadline = compute_deadline(P["uk-gdpr"], d("2026-11-25"), CAL["GB-ENG"], verified=d("2026-11-25"),
                                today=TODAY)
    assert any("25 December 2026 is a public holiday (Christmas Day)" in s for s in deadline.steps)


def test_it_says_why_a_pause_is_ignored():
    deadline = compute_deadline(P["gdpr"], d("2026-03-02"), CAL["EU"], today=TODAY,
                                pauses=[pause("2026-03-03", "2026-03-10", IDENTITY)])
    assert any("is ignored" in s for s in deadline.steps)
    assert deadline.paused is False


def test_it_reports_an_open_pause():
    deadline = compute_deadline(P["uk-gdpr"], d("2026-03-02"), CAL["GB-ENG"], verified=d("2026-03-02"),
                                pauses=[pause("2026-03-10", None, CLARIFICATION)], today=d("2026-03-20"))
    assert deadline.paused is True
    assert any("stopped" in s for s in deadline.steps)


def test_it_waits_for_verification():
    deadline = compute_deadline(P["uk-gdpr"], d("2026-03-02"), CAL["GB-ENG"], today=TODAY)
    assert deadline.due is None and deadline.base_due is None
    assert any("clock starts when identity is verified" in s for s in deadline.steps)


def test_it_computes_the_ccpa_acknowledgement():
    # CCPA Regs 7021(a): confirm receipt within 10 business days (MLK Day 2026-01-19 not counted).
    deadline = compute_deadline(P["ccpa"], d("2026-01-05"), CAL["US-CA"], today=TODAY)
    assert deadline.acknowledge_by == d("2026-01-20")
    assert any("acknowledged by 20 January 2026 (Tuesday)" in s for s in deadline.steps)


def test_it_has_no_acknowledgement_without_a_duty():
    deadline = compute_deadline(P["gdpr"], d("2026-01-05"), CAL["EU"], today=TODAY)
    assert deadline.acknowledge_by is None


def test_it_keeps_base_due_and_extension_limit():
    deadline = compute_deadline(P["gdpr"], d("2026-01-31"), CAL["EU"], extensions=1, today=TODAY)
    assert deadline.base_due == d("2026-03-02")
    assert deadline.extension_limit == d("2026-03-02")
    assert deadline.due == d("2026-04-30")
    assert deadline.extensions_left == 0
    assert sum(s.startswith("Extension 1 of 1") for s in deadline.steps) == 1


def test_it_lets_extend_before_the_original_deadline_only():
    deadline = compute_deadline(P["gdpr"], d("2026-01-31"), CAL["EU"], today=TODAY)
    assert deadline.extensions_left == 1
    assert can_extend(P["gdpr"], deadline, d("2026-03-02")) == (True, "")
    ok, reason = can_extend(P["gdpr"], deadline, d("2026-03-03"))
    assert not ok and "original deadline" in reason


def test_it_refuses_a_second_extension():
    deadline = compute_deadline(P["gdpr"], d("2026-01-31"), CAL["EU"], extensions=1, today=TODAY)
    ok, reason = can_extend(P["gdpr"], deadline, d("2026-02-10"))
    assert not ok and "used" in reason


def test_it_refuses_an_extension_where_the_law_has_none():
    deadline = compute_deadline(P["om-pdpl"], d("2026-01-01"), CAL["OM"], today=TODAY)
    assert deadline.extension_limit is None and deadline.extensions_left == 0
    ok, reason = can_extend(P["om-pdpl"], deadline, d("2026-01-02"))
    assert not ok and reason


def test_it_refuses_an_extension_without_a_deadline():
    deadline = compute_deadline(P["uk-gdpr"], d("2026-01-01"), CAL["GB-ENG"], today=TODAY)
    assert can_extend(P["uk-gdpr"], deadline, d("2026-01-02"))[0] is False


def test_it_adds_periods_with_steps():
    end, steps = add_period(d("2026-01-31"), 1, MONTHS, CAL["EU"])
    assert end == d("2026-02-28") and "31 February 2026 does not exist" in steps[0]
    end, steps = add_period(d("2026-01-31"), 1, MONTHS, CAL["EU"], roll=True)
    assert end == d("2026-03-02")
    end, _ = add_period(d("2026-01-05"), 10, WORKING_DAYS, CAL["US-CA"])
    assert end == d("2026-01-20")
    end, _ = add_period(d("2026-01-05"), 0, DAYS, CAL["EU"])
    assert end == d("2026-01-05")


def test_it_builds_rules_from_every_preset():
    for preset in PRESETS:
        rules = rules_from_preset(preset)
        assert rules.code == preset["code"]
        if preset["no_statutory_deadline"]:
            assert rules.period is None
    assert P["ccpa"].right_periods["opt_out"] == (15, WORKING_DAYS)
    assert P["uk-gdpr"].clock_starts == VERIFICATION


def test_it_accepts_lists_for_right_periods():
    # A JSONField gives lists back, not tuples.
    rules = rules_from_preset({"code": "x", "period": 1, "unit": MONTHS,
                               "right_periods": {"opt_out": [15, "working_days"]}})
    assert rules.right_periods == {"opt_out": (15, WORKING_DAYS)}


def test_it_rejects_unknown_units():
    with pytest.raises(ValueError):
        Rules("x", 1, "weeks")


def test_it_returns_a_deadline_value():
    deadline = compute_deadline(P["gdpr"], d("2026-01-31"), CAL["EU"], today=TODAY)
    assert isinstance(deadline, Deadline)


# --------------------------------------------------------------------------- properties

dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
cal_keys = st.sampled_from(["EU", "GB-ENG", "SA", "AE", "US-CA", "BH"])


@st.composite
def rule_sets(draw, unit=None, roll=None):
    unit = unit or draw(st.sampled_from([DAYS, WORKING_DAYS, MONTHS]))
    period = draw(st.integers(1, 3)) if unit == MONTHS else draw(st.integers(1, 60))
    ext_unit = draw(st.sampled_from([DAYS, WORKING_DAYS, MONTHS]))
    ext = draw(st.none() | (st.integers(1, 3) if ext_unit == MONTHS else st.integers(1, 45)))
    return Rules(
        "prop", period, unit,
        roll_forward=draw(st.booleans()) if roll is None else roll,
        pause_for_identity=draw(st.booleans()),
        pause_for_clarification=draw(st.booleans()),
        extension_period=ext, extension_unit=ext_unit, max_extensions=draw(st.integers(0, 2)),
    )


@st.composite
def pause_lists(draw, received):
    out = []
    for _ in range(draw(st.integers(0, 3))):
        start = received + timedelta(days=draw(st.integers(-5, 40)))
        end = draw(st.none() | st.integers(0, 30).map(lambda n, s=start: s + timedelta(days=n)))
        out.append(Pause(start, end, draw(st.sampled_from([IDENTITY, CLARIFICATION]))))
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.data(), received=dates, cal=cal_keys)
def test_it_never_gives_a_due_date_before_receipt(data, received, cal):
    rules = data.draw(rule_sets())
    pauses = data.draw(pause_lists(received))
    deadline = compute_deadline(rules, received, CAL[cal], pauses=pauses,
                                extensions=data.draw(st.integers(0, 3)), today=received + timedelta(days=20))
    assert deadline.due is not None and deadline.due > received


@settings(max_examples=150, deadline=None)
@given(data=st.data(), received=dates, cal=cal_keys, start=st.integers(0, 30),
       short=st.integers(0, 20), extra=st.integers(0, 20))
def test_it_never_gives_an_earlier_date_for_a_longer_pause(data, received, cal, start, short, extra):
    rules = replace(data.draw(rule_sets()), pause_for_clarification=True)
    begin = received + timedelta(days=start)
    one = compute_deadline(rules, received, CAL[cal], today=received,
                           pauses=[Pause(begin, begin + timedelta(days=short), CLARIFICATION)])
    two = compute_deadline(rules, received, CAL[cal], today=received,
                           pauses=[Pause(begin, begin + timedelta(days=short + extra), CLARIFICATION)])
    assert two.due >= one.due


@settings(max_examples=150, deadline=None)
@given(data=st.data(), received=dates, cal=cal_keys)
def test_it_lands_a_working_day_period_on_a_working_day(data, received, cal):
    rules = data.draw(rule_sets(unit=WORKING_DAYS, roll=False))
    pauses = data.draw(pause_lists(received))
    deadline = compute_deadline(rules, received, CAL[cal], pauses=pauses, today=received + timedelta(days=10))
    assert CAL[cal].is_working_day(deadline.base_due)
    assert deadline.base_due.weekday() not in CAL[cal].weekend
    assert deadline.base_due not in CAL[cal].holidays


@settings(max_examples=150, deadline=None)
@given(data=st.data(), received=dates, cal=cal_keys)
def test_it_never_shortens_with_an_extension(data, received, cal):
    rules = data.draw(rule_sets())
    pauses = data.draw(pause_lists(received))
    before = compute_deadline(rules, received, CAL[cal], pauses=pauses, today=received)
    after = compute_deadline(rules, received, CAL[cal], pauses=pauses, extensions=1, today=received)
    assert after.due >= before.due
    assert after.base_due == before.base_due


@settings(max_examples=150, deadline=None)
@given(data=st.data(), received=dates, cal=cal_keys)
def test_it_rolls_forward_to_a_working_day(data, received, cal):
    rules = data.draw(rule_sets(roll=True))
    pauses = data.draw(pause_lists(received))
    deadline = compute_deadline(rules, received, CAL[cal], pauses=pauses,
                                extensions=data.draw(st.integers(0, 2)), today=received + timedelta(days=5))
    assert CAL[cal].is_working_day(deadline.due)
    assert CAL[cal].is_working_day(deadline.base_due)


@given(received=dates)
def test_it_rolls_forward_in_a_calendar_of_its_own(received):
    cal = Calendar(frozenset({4, 5}), {received + timedelta(days=30): "Test day"})
    deadline = compute_deadline(Rules("x", 30, DAYS), received, cal, today=received)
    assert cal.is_working_day(deadline.due) and deadline.due > received + timedelta(days=30)
