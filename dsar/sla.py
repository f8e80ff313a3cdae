"""The SLA clock: pure date arithmetic for data-subject request deadlines.

No Django imports here: the rule set, the calendar and the case history come in
as plain values and a :class:`Deadline` with human-readable steps comes out.

Counting rules (EU Regulation 1182/71 art. 3, EDPB Guidelines 01/2022 on the
right of access, ICO guidance on time limits):

* the day of the event that starts the clock (receipt, or verification) is not
  counted;
* a period in months ends on the same date of the following month(s); where that
  date does not exist, on the last day of that month;
* a period in days ends that many calendar days later;
* a period in working days counts only working days (not weekend days of the
  calendar, not its holidays);
* when ``roll_forward`` is set and the period ends on a non-working day, the
  deadline moves to the next working day.

Pauses that the rule set allows add back the paused time (calendar days for
day/month periods, working days for working-day periods) to the end of the
period before the roll-forward. Extensions are counted from the original start
(1 month + 2 months = start + 3 months), never from the first due date.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

DAYS, WORKING_DAYS, MONTHS = "days", "working_days", "months"
UNITS = (DAYS, WORKING_DAYS, MONTHS)
RECEIPT, VERIFICATION = "receipt", "verification"
IDENTITY, CLARIFICATION = "identity", "clarification"

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

REQUEST_TYPE_LABELS = {
    "access": "access",
    "rectification": "rectification",
    "erasure": "erasure",
    "portability": "portability",
    "restriction": "restriction",
    "objection": "objection",
    "consent_withdrawal": "consent withdrawal",
    "opt_out": "opt-out of sale/sharing",
    "limit_use": "limit use of sensitive personal information",
}


# --------------------------------------------------------------------------- formatting


def day_name(d: date) -> str:
    return _DAY_NAMES[d.weekday()]


def fmt(d: date) -> str:
    """``28 February 2026 (Saturday)`` (locale independent)."""
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year} ({day_name(d)})"


def fmt_plain(d: date) -> str:
    """``28 February 2026``."""
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def describe_period(n: int, unit: str) -> str:
    words = {DAYS: ("calendar day", "calendar days"), WORKING_DAYS: ("working day", "working days"),
             MONTHS: ("month", "months")}[unit]
    return f"{n} {words[0] if n == 1 else words[1]}"


def _weekend_words(weekend: frozenset[int]) -> str:
    names = [_DAY_NAMES[i] for i in sorted(weekend)]
    if not names:
        return "no weekend days"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Rules:
    code: str
    period: int | None  # None only when no statutory deadline AND no promise given
    unit: str  # DAYS | WORKING_DAYS | MONTHS
    roll_forward: bool = True
    clock_starts: str = RECEIPT  # RECEIPT | VERIFICATION
    pause_for_identity: bool = False
    pause_for_clarification: bool = False
    extension_period: int | None = None
    extension_unit: str = MONTHS
    max_extensions: int = 1
    acknowledge_period: int | None = None
    acknowledge_unit: str = WORKING_DAYS
    # {"opt_out": (15, WORKING_DAYS), ...}
    right_periods: dict = field(default_factory=dict, hash=False)

    def __post_init__(self):
        for unit in (self.unit, self.extension_unit, self.acknowledge_unit):
            if unit not in UNITS:
                raise ValueError(f"Unknown period unit {unit!r}; expected one of {UNITS}.")
        if self.clock_starts not in (RECEIPT, VERIFICATION):
            raise ValueError(f"Unknown clock start {self.clock_starts!r}.")
        for name in ("period", "extension_period", "acknowledge_period"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative.")
        if self.max_extensions < 0:
            raise ValueError("max_extensions must not be negative.")

    def allows_pause(self, reason: str) -> bool:
        if reason == IDENTITY:
            return self.pause_for_identity
        if reason == CLARIFICATION:
            return self.pause_for_clarification
        return False

    @property
    def allows_extension(self) -> bool:
        return bool(self.extension_period) and self.max_extensions > 0


@dataclass(frozen=True)
class Pause:
    start: date
    end: date | None  # None = still paused (count until `today`)
    reason: str  # "identity" | "clarification"


@dataclass(frozen=True)
class Calendar:
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Mon=0 .. Sun=6
    holidays: dict = field(default_factory=dict, hash=False)  # date -> holiday name
    name: str = ""

    def is_working_day(self, d: date) -> bool:
        return d.weekday() not in self.weekend and d not in self.holidays

    def why_not_working(self, d: date) -> str:
        """Why ``d`` is not a working day, as the end of a sentence ("a Saturday, ...")."""
        if d in self.holidays:
            return f"a public holiday ({self.holidays[d]})"
        return f"a {day_name(d)}"

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        if len(self.weekend) >= 7:
            raise ValueError("A calendar with seven weekend days has no working days.")
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (the day of ``d`` is not counted)."""
        if n < 0:
            raise ValueError("n must not be negative.")
        if len(self.weekend) >= 7:
            raise ValueError("A calendar with seven weekend days has no working days.")
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open range [start, end)."""
        count, d = 0, start
        while d < end:
            if self.is_working_day(d):
                count += 1
            d += timedelta(days=1)
        return count

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Holidays in the closed range [start, end], skipping those on weekend days."""
        return sorted(
            (d, name) for d, name in self.holidays.items()
            if start <= d <= end and d.weekday() not in self.weekend
        )


@dataclass(frozen=True)
class Deadline:
    due: date | None
    acknowledge_by: date | None
    paused: bool  # currently paused
    steps: list[str] = field(hash=False)
    base_due: date | None  # due date before extensions
    extension_limit: date | None  # last day an extension notice may go out (= base_due)
    extensions_left: int

    def explain(self) -> str:
        return " ".join(self.steps)


# --------------------------------------------------------------------------- arithmetic


def add_months(start: date, n: int) -> tuple[date, bool]:
    """Same date n months later, or the last day of that month; second value tells if clamped."""
    total = start.month - 1 + n
    year, month = start.year + total // 12, total % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last)), start.day > last


def _raw_end(start: date, n: int, unit: str, cal: Calendar) -> tuple[date, list[str]]:
    """End of the period, before any roll-forward, with the sentences explaining it."""
    if unit == MONTHS:
        end, clamped = add_months(start, n)
        word = "month" if n == 1 else "months"
        if clamped:
            total = start.month - 1 + n
            missing_month = _MONTH_NAMES[total % 12]
            missing_year = start.year + total // 12
            return end, [
                (f"+{n} {word} = {fmt(end)}: {start.day} {missing_month} {missing_year} does not exist, "
                "so the period ends on the last day of that month.")
            ]
        return end, [f"+{n} {word} = {fmt(end)}."]
    if unit == DAYS:
        end = start + timedelta(days=n)
        return end, [f"+{describe_period(n, DAYS)} = {fmt(end)}."]
    if unit == WORKING_DAYS:
        end = cal.add_working_days(start, n)
        sentence = (
            f"+{describe_period(n, WORKING_DAYS)} (not counting {_weekend_words(cal.weekend)} "
            f"or public holidays) = {fmt(end)}."
        )
        skipped = cal.holidays_between(start + timedelta(days=1), end)
        steps = [sentence]
        if skipped:
            listed = "; ".join(f"{name} on {fmt(d)}" for d, name in skipped)
            steps.append(f"Public holidays not counted: {listed}.")
        return end, steps
    raise ValueError(f"Unknown period unit {unit!r}.")


def roll_forward(d: date, cal: Calendar) -> tuple[date, list[str]]:
    """Move a non-working day to the next working day, explaining why."""
    if cal.is_working_day(d):
        return d, []
    nxt = cal.next_working_day(d)
    steps = [
        (f"{fmt_plain(d)} is {cal.why_not_working(d)}, a non-working day; "
        f"moved to the next working day: {fmt(nxt)}.")
    ]
    also = [x for x in cal.holidays_between(d + timedelta(days=1), nxt - timedelta(days=1))]
    if also:
        listed = "; ".join(f"{name} on {fmt(x)}" for x, name in also)
        steps.append(f"Public holidays skipped on the way: {listed}.")
    return nxt, steps


def add_period(start: date, n: int, unit: str, calendar: Calendar, *,
               roll: bool = False) -> tuple[date, list[str]]:
    """``start`` + n units (day of ``start`` not counted), with explaining steps.

    With ``roll=True`` a result on a non-working day moves to the next working day.
    """
    if n < 0:
        raise ValueError("n must not be negative.")
    end, steps = _raw_end(start, n, unit, calendar)
    if roll:
        end, more = roll_forward(end, calendar)
        steps += more
    return end, steps


def _merge_pauses(pauses, rules: Rules, clock_start: date, today: date,
                  steps: list[str]) -> tuple[list[tuple[date, date]], bool]:
    """Allowed pause intervals as merged half-open [start, end) ranges, and whether one is open."""
    intervals: list[tuple[date, date]] = []
    open_now = False
    for p in sorted(pauses, key=lambda p: (p.start, p.end or date.max)):
        label = {IDENTITY: "identity checks", CLARIFICATION: "clarification"}.get(p.reason, p.reason)
        end_text = fmt(p.end) if p.end else "now (still open)"
        if not rules.allows_pause(p.reason):
            steps.append(
                f"The pause for {label} from {fmt(p.start)} to {end_text} is ignored: "
                "this rule set does not stop the clock for that reason."
            )
            continue
        end = p.end if p.end is not None else today
        if p.end is None and p.start <= today:
            open_now = True
        start = max(p.start, clock_start)
        if end <= start:
            steps.append(
                f"The pause for {label} from {fmt(p.start)} to {end_text} adds no time "
                "(it ends before the clock started or on the day it began)."
            )
            continue
        intervals.append((start, end))
    merged: list[tuple[date, date]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged, open_now


def _apply_pauses(end: date, merged, unit: str, cal: Calendar) -> tuple[date, list[str]]:
    if not merged:
        return end, []
    if unit == WORKING_DAYS:
        n = sum(cal.working_days_between(s, e) for s, e in merged)
        new_end = cal.add_working_days(end, n)
        what = describe_period(n, WORKING_DAYS)
    else:
        n = sum((e - s).days for s, e in merged)
        new_end = end + timedelta(days=n)
        what = describe_period(n, DAYS)
    spans = "; ".join(
        f"from {fmt(s)} until {fmt(e)}" for s, e in merged
    )
    return new_end, [
        (f"The clock was stopped {spans}: {what} added back, "
        f"so the period now ends on {fmt(new_end)}.")
    ]


def compute_deadline(rules: Rules, received: date, calendar: Calendar, *, request_type: str = "",
                     verified: date | None = None, pauses=(), extensions: int = 0,
                     today: date | None = None) -> Deadline:
    """The due date of a request and the steps that explain it."""
    cal = calendar
    today = today or date.today()
    steps: list[str] = []

    # Acknowledgement is counted from receipt, whatever starts the main clock.
    acknowledge_by = None
    if rules.acknowledge_period is not None:
        acknowledge_by, _ = add_period(received, rules.acknowledge_period, rules.acknowledge_unit, cal,
                                       roll=rules.roll_forward)

    # Which period applies.
    period, unit = rules.period, rules.unit
    override = rules.right_periods.get(request_type) if request_type else None
    if override:
        period, unit = int(override[0]), override[1]

    def finish(due, base_due, paused, ext_limit, ext_left):
        if acknowledge_by is not None:
            steps.append(
                f"Receipt must be acknowledged by {fmt(acknowledge_by)} "
                f"({describe_period(rules.acknowledge_period, rules.acknowledge_unit)} after receipt)."
            )
        return Deadline(due=due, acknowledge_by=acknowledge_by, paused=paused, steps=steps,
                        base_due=base_due, extension_limit=ext_limit, extensions_left=ext_left)

    if rules.clock_starts == VERIFICATION:
        steps.append(f"Received {fmt(received)}.")
        if verified is None:
            steps.append("The clock starts when identity is verified; identity is not verified yet, "
                         "so there is no due date yet.")
            return finish(None, None, False, None, rules.max_extensions if rules.allows_extension else 0)
        start = max(verified, received)
        steps.append(f"Identity verified {fmt(start)}; the clock starts then and that day is not counted.")
    else:
        start = received
        steps.append(f"Received {fmt(received)}; the day of receipt is not counted.")

    if override:
        label = REQUEST_TYPE_LABELS.get(request_type, request_type.replace("_", " "))
        steps.append(f"For a request to {label} this rule set sets its own period: "
                     f"{describe_period(period, unit)}.")

    if period is None:
        steps.append("No statutory deadline applies and no response time has been promised, "
                     "so there is no due date.")
        return finish(None, None, False, None, 0)

    merged, open_now = _merge_pauses(pauses, rules, start, today, steps)

    # Base period (no extension).
    raw, more = _raw_end(start, period, unit, cal)
    steps += more
    raw, more = _apply_pauses(raw, merged, unit, cal)
    steps += more
    base_due = raw
    if rules.roll_forward:
        base_due, more = roll_forward(raw, cal)
        steps += more

    # Extensions, counted from the original start.
    granted = 0
    if extensions and not rules.allows_extension:
        steps.append("An extension was recorded but this rule set allows none; it is ignored.")
    elif extensions:
        granted = min(extensions, rules.max_extensions)
        if extensions > rules.max_extensions:
            steps.append(f"{extensions} extensions were recorded but this rule set allows at most "
                         f"{rules.max_extensions}; only {granted} counted.")
    due = base_due
    if granted:
        for i in range(1, granted + 1):
            steps.append(f"Extension {i} of {rules.max_extensions}: "
                         f"+{describe_period(rules.extension_period, rules.extension_unit)}.")
        ext_total = rules.extension_period * granted
        if rules.extension_unit == unit:
            raw, more = _raw_end(start, period + ext_total, unit, cal)
            steps.append(f"The extended period is counted from the original start, {fmt(start)}, "
                         "not from the first due date.")
            steps += more
        else:
            first, _ = _raw_end(start, period, unit, cal)
            raw, more = _raw_end(first, ext_total, rules.extension_unit, cal)
            steps.append(f"The extension is counted from the end of the original period, {fmt(first)}, "
                         "not from the first due date.")
            steps += more
        raw, more = _apply_pauses(raw, merged, unit, cal)
        steps += more
        due = raw
        if rules.roll_forward:
            due, more = roll_forward(raw, cal)
            steps += more

    if open_now:
        steps.append(f"The clock is stopped now; the due date assumes it restarts after {fmt(today)}.")
    steps.append(f"Due date: {fmt(due)}.")

    ext_limit = base_due if rules.allows_extension else None
    ext_left = rules.max_extensions - granted if rules.allows_extension else 0
    return finish(due, base_due, open_now, ext_limit, ext_left)


def can_extend(rules: Rules, deadline: Deadline, on: date) -> tuple[bool, str]:
    """Whether an extension may still be granted on ``on``; the reason when not."""
    if not rules.allows_extension:
        return False, "This rule set allows no extension."
    if deadline.due is None:
        return False, "There is no deadline to extend yet."
    if deadline.extensions_left <= 0:
        return False, f"All {rules.max_extensions} extension(s) allowed by this rule set have been used."
    if deadline.extension_limit is not None and on > deadline.extension_limit:
        return False, (f"The extension notice had to be sent by the original deadline, "
                       f"{fmt(deadline.extension_limit)}; it is now {fmt(on)}.")
    return True, ""


def rules_from_preset(preset: dict) -> Rules:
    """Build :class:`Rules` from a preset dict (tenants/presets.py) or a model's values."""
    period = preset.get("period")
    right_periods = {
        key: (int(value[0]), value[1]) for key, value in (preset.get("right_periods") or {}).items()
    }

    def _get(key, default):
        value = preset.get(key)
        return default if value is None else value

    return Rules(
        code=preset["code"],
        period=int(period) if period is not None else None,
        unit=_get("unit", DAYS),
        roll_forward=bool(_get("roll_forward", True)),
        clock_starts=_get("clock_starts", RECEIPT),
        pause_for_identity=bool(_get("pause_for_identity", False)),
        pause_for_clarification=bool(_get("pause_for_clarification", False)),
        extension_period=preset.get("extension_period"),
        extension_unit=_get("extension_unit", MONTHS),
        max_extensions=int(_get("max_extensions", 1 if preset.get("extension_period") else 0)),
        acknowledge_period=preset.get("acknowledge_period"),
        acknowledge_unit=_get("acknowledge_unit", WORKING_DAYS),
        right_periods=right_periods,
    )
