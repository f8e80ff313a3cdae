"""Glue between the database and the pure SLA clock (dsar/sla.py)."""

import zoneinfo
from datetime import date, datetime

from django.utils import timezone

from . import calendars, sla


def tenant_zone(tenant):
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_date(moment: datetime | None, tenant) -> date | None:
    if moment is None:
        return None
    return timezone.localtime(moment, tenant_zone(tenant)).date()


def today_for(tenant) -> date:
    return local_date(timezone.now(), tenant)


def rules_for(rule_set, tenant) -> sla.Rules:
    """The rule set as plain data; where the law sets no deadline, the tenant's promise applies."""
    period, unit = rule_set.period, rule_set.unit
    if rule_set.no_statutory_deadline or period is None:
        period, unit = tenant.promised_period, tenant.promised_unit
    right_periods = {key: tuple(value) for key, value in (rule_set.right_periods or {}).items()}
    return sla.Rules(
        code=rule_set.code,
        period=period,
        unit=unit,
        roll_forward=rule_set.roll_forward,
        clock_starts=rule_set.clock_starts,
        pause_for_identity=rule_set.pause_for_identity,
        pause_for_clarification=rule_set.pause_for_clarification,
        extension_period=rule_set.extension_period,
        extension_unit=rule_set.extension_unit,
        max_extensions=rule_set.max_extensions,
        acknowledge_period=rule_set.acknowledge_period,
        acknowledge_unit=rule_set.acknowledge_unit,
        right_periods=right_periods,
    )


def calendar_for(rule_set, tenant, overrides=None) -> sla.Calendar:
    country = tenant.calendar_country or rule_set.country
    if overrides is None:
        overrides = list(tenant.holiday_overrides.all())
    added = {o.date: o.name or "Holiday (organisation calendar)" for o in overrides if o.kind == "add"}
    removed = {o.date for o in overrides if o.kind == "remove"}
    weekend = frozenset(rule_set.weekend_days) if rule_set.weekend_days else None
    return calendars.build_calendar(
        country, rule_set.subdivision, weekend=weekend, added=added or None, removed=removed or None
    )


def deadline_for(case, today: date | None = None) -> sla.Deadline:
    tenant = case.tenant
    rules = rules_for(case.rule_set, tenant)
    received = local_date(case.received_at, tenant)
    if received is None:
        return sla.Deadline(
            due=None, acknowledge_by=None, paused=False, steps=["The clock has not started: the request is not yet received."],
            base_due=None, extension_limit=None, extensions_left=rules.max_extensions,
        )
    pauses = [
        sla.Pause(start=local_date(p.started_at, tenant), end=local_date(p.ended_at, tenant), reason=p.reason)
        for p in case.pauses.all()
    ]
    return sla.compute_deadline(
        rules,
        received,
        calendar_for(case.rule_set, tenant),
        request_type=case.request_type,
        verified=local_date(case.verified_at, tenant),
        pauses=pauses,
        extensions=case.extensions,
        today=today or today_for(tenant),
    )
