"""Every action button of the case page, from every case state: allowed ones change the case and write
their audit event; refused ones show the translated reason and change nothing."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from dsar import actions, admin_views, workflow
from dsar.models import AuditEvent, Case, Response, Status
from tests.conftest import make_case, make_tenant, make_user

STAFF_ACTIONS = {name: spec.workflow for name, spec in admin_views.CASE_ACTIONS.items() if spec.workflow}


@pytest.fixture(autouse=True)
def _no_letter_rendering(monkeypatch):
    # These tests are about the workflow; rendering a PDF for every closed case would only slow them down.
    monkeypatch.setattr("dsar.tasks.render_response", lambda response_id: "skipped in this test")


@pytest.fixture
def initech(db):
    # Controller and processor (so forwarding is possible), with two rule sets (so the rule set can change).
    return make_tenant("initech", rule_codes=("gdpr", "uk-gdpr"), role="both")


@pytest.fixture
def olga(initech):
    return make_user("olga", initech, "officer")


def decide_everything(case, actor):
    for category in case.tenant.data_categories.all():
        actions.record_decision(case, actor, data_category=category, outcome="disclosed")


def case_in(tenant, status, actor):
    """A case of the tenant in any status, reached through the real actions."""
    if status in ("unconfirmed", "received", "verifying", "in_progress", "awaiting_requester"):
        return make_case(tenant, status, rule_code="gdpr")
    if status == Status.CLOSED_UNCONFIRMED:
        return actions.close_unconfirmed(make_case(tenant, "unconfirmed", rule_code="gdpr"))
    case = make_case(tenant, "in_progress", rule_code="gdpr")
    if status in (Status.COMPLETED, Status.PARTIALLY_COMPLETED):
        decide_everything(case, actor)
        return actions.complete(case, actor, partial=status == Status.PARTIALLY_COMPLETED)
    if status == Status.DENIED:
        return actions.deny(case, actor, reason="other", details="We hold no account under this name.")
    if status == Status.FORWARDED:
        return actions.forward_to_controller(case, actor, controller="Agency One")
    if status == Status.WITHDRAWN:
        return actions.withdraw(case, actor)
    if status == Status.DUPLICATE:
        return actions.mark_duplicate(case, actor, original=make_case(tenant, "received", email="first@example.com"))
    raise ValueError(status)


def valid_input(action, case, actor):
    """What a careful officer would type for the action (and its preconditions met)."""
    tenant = case.tenant
    if action == "assign":
        return {"assignee": actor.pk}
    if action == "verify_identity":
        return {"method": "Passport checked by video call", "note": ""}
    if action == "request_information":
        return {"reason": "clarification", "subject": "Your request", "body": "Which account do you mean?"}
    if action in ("extend", "reopen"):
        return {"reason": "Records in six systems; the appeal letter of 3 May."}
    if action == "record_decision":
        return {"data_category": tenant.data_categories.first().pk, "outcome": "disclosed"}
    if action == "complete":
        if workflow.is_allowed("record_decision", case.status):
            decide_everything(case, actor)
        return {"note": "All data disclosed."}
    if action == "deny":
        return {"reason": "legal_exemption", "details": "A legal exemption applies: an ongoing investigation."}
    if action == "forward":
        return {"controller": "Agency One", "note": ""}
    if action == "mark_duplicate":
        return {"original": make_case(tenant, "received", email="original@example.com").reference}
    if action == "withdraw":
        return {"note": "Withdrawn by phone."}
    if action == "change_rule_set":
        return {"rule_set": tenant.rule_sets.exclude(pk=case.rule_set_id).first().pk}
    if action == "send_message":
        return {"subject": "Hello", "body": "We are working on your request."}
    if action == "render_response":
        response = case.responses.first() or Response.objects.create(case=case, kind=Response.Kind.ANSWER)
        return {"response": response.pk}
    return {}


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", sorted(STAFF_ACTIONS))
def test_it_runs_or_refuses_each_action_from_each_state(client, initech, olga, action, status):
    case = case_in(initech, status, olga)
    data = valid_input(action, case, olga)
    case.refresh_from_db()
    events_before = AuditEvent.objects.filter(case=case).count()
    status_before = case.status
    client.force_login(olga)

    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, action]), data)

    assert response.status_code in (200, 302)
    notes = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    case.refresh_from_db()
    if workflow.is_allowed(STAFF_ACTIONS[action], status):
        assert response.status_code == 302 and response["Location"] == reverse("admin:dsar_case_change", args=[case.pk])
        assert [level for level, _m in notes] == ["success"], notes
        assert AuditEvent.objects.filter(case=case, actor=olga).count() > 0
        assert AuditEvent.objects.filter(case=case).count() > events_before
    else:
        assert [level for level, _m in notes] == ["error"], notes
        assert "You cannot" in notes[0][1] and case.get_status_display() in notes[0][1]
        assert case.status == status_before
        assert AuditEvent.objects.filter(case=case).count() == events_before


@pytest.mark.parametrize("status", Status.values)
def test_it_only_offers_the_buttons_the_state_allows(client, initech, olga, status):
    case = case_in(initech, status, olga)
    client.force_login(olga)
    page = client.get(reverse("admin:dsar_case_change", args=[case.pk]))
    offered = {button["name"] for button in page.context["buttons"]}
    allowed = set(workflow.allowed_actions(status))
    assert {STAFF_ACTIONS[name] for name in offered if name in STAFF_ACTIONS} <= allowed
    for name in offered:
        assert reverse("admin:dsar_case_action", args=[case.pk, name]) in page.content.decode()
    if status == Status.IN_PROGRESS:
        assert {"complete", "deny", "extend", "request_information", "forward", "withdraw"} <= offered
    if status == Status.COMPLETED:
        assert "reopen" in offered and "complete" not in offered and "deny" not in offered


def test_it_keeps_what_was_typed_when_an_action_is_refused(client, acme, alice):
    case = case_in(acme, Status.WITHDRAWN, alice)
    client.force_login(alice)
    details = "The request is manifestly excessive: the 14th identical request this month."
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "deny"]),
                           {"reason": "unfounded_or_excessive", "details": details})
    assert response.status_code == 200
    assert details in response.content.decode()
    assert "You cannot deny the request" in response.content.decode()


def test_it_explains_missing_input_without_changing_anything(client, acme, alice):
    case = make_case(acme, "in_progress")
    client.force_login(alice)
    events = AuditEvent.objects.filter(case=case).count()
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "deny"]), {"reason": "other", "details": ""})
    assert response.status_code == 200 and response.context["form"].errors["details"]
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "deny"]), {"reason": "made-up", "details": "x"})
    assert response.context["form"].errors["reason"]
    assert AuditEvent.objects.filter(case=case).count() == events
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_it_refuses_to_complete_before_every_category_is_decided(client, acme, alice):
    case = make_case(acme, "in_progress")
    actions.record_decision(case, alice, data_category=acme.data_categories.first(), outcome="disclosed")
    client.force_login(alice)
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "complete"]), {"note": ""})
    assert "Billing records" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_it_records_a_kept_decision_with_its_legal_basis(client, acme, alice):
    case = make_case(acme, "in_progress", request_type="erasure")
    billing = acme.data_categories.get(name="Billing records")
    client.force_login(alice)
    client.post(reverse("admin:dsar_case_action", args=[case.pk, "record_decision"]),
                {"data_category": billing.pk, "outcome": "kept", "legal_basis": "", "retention_period": ""})
    decision = case.decisions.get(data_category=billing)
    assert (decision.outcome, decision.legal_basis, decision.retention_period) == ("kept", "Legal obligation", "5 years")


def test_it_refuses_a_decision_on_another_tenants_category(client, acme, globex, alice):
    case = make_case(acme, "in_progress")
    foreign = globex.data_categories.first()
    client.force_login(alice)
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "record_decision"]),
                           {"data_category": foreign.pk, "outcome": "erased"})
    assert response.status_code == 200 and response.context["form"].errors["data_category"]
    assert not case.decisions.exists()


def test_it_refuses_a_duplicate_of_another_tenants_case(client, acme, globex, alice):
    case = make_case(acme, "received")
    foreign = make_case(globex, "received")
    client.force_login(alice)
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "mark_duplicate"]),
                           {"original": foreign.reference.replace("GLO", "ACM")})
    assert response.context["form"].errors["original"]
    case.refresh_from_db()
    assert case.status == Status.RECEIVED


def test_it_lets_an_analyst_work_a_task_and_refuses_on_a_closed_case(client, acme, alice, bob):
    case = make_case(acme, "in_progress")
    actions.create_tasks_from_inventory(case, alice)
    task = case.tasks.first()
    client.force_login(bob)
    url = reverse("admin:dsar_case_action", args=[case.pk, "update_task"])
    client.post(url, {"task": task.pk, "state": "done", "notes": "Exported 3 records", "fields_erased": ""})
    task.refresh_from_db()
    assert (task.state, task.notes) == ("done", "Exported 3 records")
    assert AuditEvent.objects.filter(case=case, event_type="task_updated", actor=bob).exists()
    actions.withdraw(case, alice)
    response = client.post(url, {"task": task.pk, "state": "open", "notes": "", "fields_erased": ""})
    assert "closed" in [m.message for m in get_messages(response.wsgi_request)][-1]
    task.refresh_from_db()
    assert task.state == "done"


def test_it_sets_and_releases_a_legal_hold(client, acme, alice):
    case = make_case(acme, "received")
    client.force_login(alice)
    url = reverse("admin:dsar_case_action", args=[case.pk, "legal_hold"])
    client.post(url, {"on": "1", "reason": "Litigation hold from counsel"})
    case.refresh_from_db()
    assert case.legal_hold
    client.post(url, {"on": "0", "reason": "Litigation closed"})
    case.refresh_from_db()
    assert not case.legal_hold
    assert list(AuditEvent.objects.filter(case=case, event_type__startswith="legal_hold")
                .values_list("event_type", flat=True)) == ["legal_hold_set", "legal_hold_released"]


def test_it_refuses_to_send_a_letter_that_is_not_ready(client, acme, alice):
    case = make_case(acme, "in_progress")
    response = Response.objects.create(case=case, kind=Response.Kind.ANSWER, state=Response.State.FAILED)
    client.force_login(alice)
    result = client.post(reverse("admin:dsar_case_action", args=[case.pk, "send_response"]), {"response": response.pk})
    assert "Only a ready letter can be sent." in result.content.decode()
    response.refresh_from_db()
    assert response.state == Response.State.FAILED


def test_it_refuses_to_reissue_download_access_without_a_sent_answer(client, acme, alice):
    case = case_in(acme, Status.DENIED, alice)
    Response.objects.filter(case=case).update(state=Response.State.READY)
    client.force_login(alice)
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "reissue_download"]))
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]


def test_it_assigns_to_me_and_unknown_actions_are_not_found(client, acme, bob):
    case = make_case(acme, "received")
    client.force_login(bob)
    client.post(reverse("admin:dsar_case_action", args=[case.pk, "assign_to_me"]))
    case.refresh_from_db()
    assert case.assignee == bob
    assert client.post(reverse("admin:dsar_case_action", args=[case.pk, "delete_everything"])).status_code == 404
    assert Case.objects.filter(pk=case.pk).exists()
