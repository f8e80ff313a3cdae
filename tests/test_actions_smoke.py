from django.core import mail

from dsar import actions
from dsar.models import AuditEvent, Status


def test_it_moves_a_case_through_its_lifecycle(acme, alice, case_factory):
    case = case_factory(acme, "in_progress")
    assert case.status == Status.IN_PROGRESS
    assert case.due_date is not None
    for category in acme.data_categories.all():
        actions.record_decision(case, alice, data_category=category, outcome="disclosed")
    case = actions.complete(case, alice)
    assert case.status == Status.COMPLETED
    types = list(AuditEvent.objects.filter(case=case).values_list("event_type", flat=True))
    assert "identity_verified" in types and "completed" in types


def test_it_sends_a_confirmation_email_on_submission(acme):
    from tests.conftest import make_case

    case = make_case(acme, "unconfirmed")
    assert case.status == Status.UNCONFIRMED
    assert len(mail.outbox) == 1
    assert case.reference in mail.outbox[0].subject
