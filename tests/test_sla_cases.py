"""The SLA clock applied to real cases: recomputation on every relevant event, the ledger, extensions,
pauses that count only where the rule set says so, and the `sla` command."""

import json
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dsar import actions, sla
from dsar.models import AuditEvent, Case, ClockPause, DeadlineRecord
from tests.conftest import make_tenant


def at(day: str, hour=12):
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@contextmanager
def clock_at(day: str):
    with mock.patch("django.utils.timezone.now", return_value=at(day)):
        yield


def logged(tenant, rule_code, received, request_type="access"):
    return actions.log_offline_request(
        tenant, None, rule_set=tenant.rule_sets.get(code=rule_code), request_type=request_type,
        channel=Case.Channel.EMAIL, received_at=received, requester_name="Sam", requester_email="sam@example.com",
    )


@pytest.fixture
def multi(db):
    return make_tenant("multi", rule_codes=("gdpr", "uk-gdpr", "ccpa", "qa-pdppl"))


def test_it_answers_the_acceptance_example_as_json(db):
    out = StringIO()
    call_command("sla", "--rules", "gdpr", "--received", "2026-01-31", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["due"] == "2026-03-02"
    assert answer["acknowledge_by"] is None
    assert any("28 February 2026" in step and "Saturday" in step for step in answer["steps"])


def test_it_applies_pauses_and_extensions_on_the_command_line(db):
    out = StringIO()
    call_command("sla", "--rules", "uk-gdpr", "--received", "2026-03-02", "--verified", "2026-03-02",
                 "--pause", "2026-03-10:2026-03-17", "--json", stdout=out)
    paused = json.loads(out.getvalue())
    out = StringIO()
    call_command("sla", "--rules", "gdpr", "--received", "2026-01-15", "--extend", "--json", stdout=out)
    extended = json.loads(out.getvalue())
    # uk-gdpr: 2 April + 7 paused days = 9 April 2026 (a Thursday before Good Friday).
    assert paused["due"] == "2026-04-09"
    # gdpr: 1 month + 2 months from the original receipt = 15 April 2026.
    assert extended["due"] == "2026-04-15"


def test_it_uses_the_tenants_promise_where_the_law_sets_no_deadline(db):
    tenant = make_tenant("thamraish", rule_codes=("qa-pdppl",), promised_period=30, promised_unit="days")
    out = StringIO()
    call_command("sla", "--rules", "qa-pdppl", "--received", "2026-01-31", "--tenant", tenant.slug, "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["due"] == "2026-03-01" or answer["due"] == "2026-03-02"
    assert "promise" in answer["steps"][0]


def test_it_refuses_unknown_rules_and_bad_dates_with_a_clear_message(db):
    with pytest.raises(CommandError, match="Known: "):
        call_command("sla", "--rules", "nope", "--received", "2026-01-31")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("sla", "--rules", "gdpr", "--received", "31/01/2026")
    with pytest.raises(CommandError, match="START:END"):
        call_command("sla", "--rules", "gdpr", "--received", "2026-01-31", "--pause", "2026-02-01")


def test_it_computes_the_due_date_at_receipt_and_records_the_explanation(multi):
    case = logged(multi, "gdpr", at("2026-01-31"))
    assert case.due_date == date(2026, 3, 2)
    record = case.deadline_records.get()
    assert record.trigger == "logged"
    assert any("Saturday" in step for step in record.steps)
    event = AuditEvent.objects.get(case=case, event_type="deadline_computed")
    assert event.new_value["due_date"] == "2026-03-02"
    assert "28 February 2026" in event.message


def test_it_moves_a_paused_case_by_exactly_the_paused_time(multi):
    with clock_at("2026-03-02"):
        case = logged(multi, "uk-gdpr", at("2026-03-02", hour=9))
        assert case.due_date is None  # the UK clock starts once identity is confirmed
        case = actions.verify_identity(case, None, method="Passport seen")
    assert case.due_date == date(2026, 4, 2)
    with clock_at("2026-03-10"):
        case = actions.request_information(case, None, reason=ClockPause.Reason.CLARIFICATION, body="Which account?")
    assert case.pauses.get().counts is True and case.paused_since is not None
    with clock_at("2026-03-17"):  # the requester took 7 days to answer
        case = actions.requester_reply(case, body="The shop account.")
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.paused_since is None
    assert case.due_date == date(2026, 4, 9)  # 2 April + 7 paused days
    ledger = list(case.deadline_records.values_list("trigger", "due_date"))
    assert ledger[-1] == ("resumed", date(2026, 4, 9))
    assert any("7 calendar days added back" in step for step in case.deadline_records.last().steps)


def test_it_does_not_stop_the_clock_where_the_law_has_no_pause(multi):
    case = logged(multi, "ccpa", at("2026-03-02"))
    due = case.due_date
    case = actions.verify_identity(case, None, method="Email matched")
    case = actions.request_information(case, None, reason=ClockPause.Reason.CLARIFICATION, body="Which account?")
    assert case.paused_since is None
    assert case.pauses.get().counts is False
    event = AuditEvent.objects.filter(case=case, event_type="information_requested").get()
    assert event.new_value["clock_paused"] is False
    case = actions.requester_reply(case, body="This one.")
    assert case.due_date == due


def test_it_extends_from_the_original_receipt_and_only_as_far_as_the_law_allows(multi, alice):
    case = logged(multi, "gdpr", at("2026-10-20"))
    assert case.due_date == date(2026, 11, 20)
    # Today (22 Nov 2026 in this project's clock) is past the first deadline: too late to extend.
    with pytest.raises(actions.ActionRefused):
        actions.extend(case, alice, reason="Many systems to search")
    fresh = logged(multi, "gdpr", timezone.now() - timedelta(days=3))
    base_due = fresh.due_date
    with pytest.raises(actions.ActionRefused, match="reason"):
        actions.extend(fresh, alice, reason="  ")
    fresh = actions.extend(fresh, alice, reason="Many systems to search")
    received = timezone.localtime(fresh.received_at, timezone.get_fixed_timezone(0)).date()
    expected = sla.add_months(received, 3)[0]
    assert fresh.due_date >= expected and fresh.due_date > base_due
    assert fresh.extension_records.get().previous_due == base_due
    assert AuditEvent.objects.filter(case=fresh, event_type="extended").exists()
    with pytest.raises(actions.ActionRefused):
        actions.extend(fresh, alice, reason="Still more")


def test_it_recomputes_when_the_rule_set_changes(multi, alice):
    case = logged(multi, "gdpr", at("2026-03-02"))
    assert case.due_date == date(2026, 4, 2)
    case = actions.change_rule_set(case, alice, multi.rule_sets.get(code="ccpa"))
    assert case.due_date == date(2026, 4, 16)  # 45 calendar days
    assert case.acknowledge_by is not None
    assert DeadlineRecord.objects.filter(case=case, trigger="rule_set_changed").exists()
    with pytest.raises(actions.ActionRefused):
        other = make_tenant("other-law", rule_codes=("sa-pdpl",))
        actions.change_rule_set(case, alice, other.rule_sets.get())


def test_it_starts_the_clock_only_when_the_email_is_confirmed(multi):
    from dsar import tokens
    from dsar.models import AccessToken

    case, created = actions.submit_request(
        multi, rule_set=multi.rule_sets.get(code="gdpr"), request_type="access",
        requester_name="Sam", requester_email="sam@example.com",
    )
    assert created and case.due_date is None and case.received_at is None
    signed = tokens.issue(case, AccessToken.Purpose.CONFIRM, timedelta(hours=1))
    token = tokens.lookup(signed, AccessToken.Purpose.CONFIRM, timedelta(hours=1))
    case = actions.confirm_email(token)
    assert case.received_at is not None and case.due_date is not None
    assert case.deadline_records.get().trigger == "email_confirmed"
