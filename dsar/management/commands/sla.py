"""Answer "why is this due then?": the due date of a request under a rule set, with its steps.

    python manage.py sla --rules gdpr --received 2026-01-31 --json
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dsar import clock, sla
from tenants.models import RuleSet, Tenant


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{what}: {value!r} is not a date in the form YYYY-MM-DD.")


def parse_pause(value: str) -> sla.Pause:
    start, sep, end = value.partition(":")
    if not sep:
        raise CommandError(f"--pause {value!r}: use START:END, e.g. 2026-02-03:2026-02-10 (END may be empty if still paused).")
    return sla.Pause(
        start=parse_date(start, "--pause start"),
        end=parse_date(end, "--pause end") if end else None,
        reason=sla.CLARIFICATION,
    )


class Command(BaseCommand):
    help = "Print the due date of a request and the steps that explain it."

    def add_arguments(self, parser):
        parser.add_argument("--rules", required=True, help="Rule-set code, e.g. gdpr, uk-gdpr, ccpa, sa-pdpl.")
        parser.add_argument("--received", required=True, help="Date of receipt, YYYY-MM-DD.")
        parser.add_argument("--verified", help="Date identity was verified (rule sets whose clock starts then).")
        parser.add_argument("--pause", action="append", default=[], metavar="START:END",
                            help="A clarification pause; repeat for several.")
        parser.add_argument("--pause-reason", choices=[sla.IDENTITY, sla.CLARIFICATION], default=sla.CLARIFICATION)
        parser.add_argument("--extend", action="count", default=0, help="Apply an extension (repeat for several).")
        parser.add_argument("--request-type", default="", help="e.g. opt_out, which may have its own period.")
        parser.add_argument("--tenant", help="Tenant slug: its promised period, calendar and holiday overrides.")
        parser.add_argument("--today", help="Count open pauses until this date (default: today).")
        parser.add_argument("--json", action="store_true", help="Print JSON: due, acknowledge_by, steps.")

    def handle(self, *args, **opts):
        try:
            rule_set = RuleSet.objects.get(code=opts["rules"])
        except RuleSet.DoesNotExist:
            codes = ", ".join(RuleSet.objects.values_list("code", flat=True))
            raise CommandError(f"No rule set {opts['rules']!r}. Known: {codes}.")
        tenant = None
        if opts["tenant"]:
            tenant = Tenant.objects.filter(slug=opts["tenant"]).first()
            if tenant is None:
                raise CommandError(f"No tenant {opts['tenant']!r}.")
        else:
            tenant = Tenant(promised_period=30, promised_unit="days")  # the default promise of a new tenant
        received = parse_date(opts["received"], "--received")
        pauses = [sla.Pause(p.start, p.end, opts["pause_reason"]) for p in map(parse_pause, opts["pause"])]
        rules = clock.rules_for(rule_set, tenant)
        overrides = list(tenant.holiday_overrides.all()) if tenant.pk else []
        deadline = sla.compute_deadline(
            rules,
            received,
            clock.calendar_for(rule_set, tenant, overrides=overrides),
            request_type=opts["request_type"],
            verified=parse_date(opts["verified"], "--verified") if opts["verified"] else None,
            pauses=pauses,
            extensions=opts["extend"],
            today=parse_date(opts["today"], "--today") if opts["today"] else None,
        )
        steps = list(deadline.steps)
        if rule_set.no_statutory_deadline or rule_set.period is None:
            who = f"{tenant.name}'s" if tenant.pk else "the organisation's default"
            steps.insert(0, f"{rule_set.name} sets no deadline of its own; {who} promise of "
                            f"{rules.period} {rules.unit.replace('_', ' ')} applies.")
        if opts["json"]:
            self.stdout.write(json.dumps({
                "due": deadline.due.isoformat() if deadline.due else None,
                "acknowledge_by": deadline.acknowledge_by.isoformat() if deadline.acknowledge_by else None,
                "steps": steps,
            }, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Due: {sla.fmt(deadline.due) if deadline.due else 'not yet (clock not started)'}")
        if deadline.acknowledge_by:
            self.stdout.write(f"Acknowledge by: {sla.fmt(deadline.acknowledge_by)}")
        for number, step in enumerate(steps, 1):
            self.stdout.write(f"  {number}. {step}")
