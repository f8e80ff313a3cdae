"""An officer takes a case from the list to a completed letter, in a real browser."""

import re

import pytest

from dsar.models import Case, Response, Status
from tests.conftest import PASSWORD, make_case, make_tenant, make_user


@pytest.mark.django_db(transaction=True)
def test_it_takes_a_case_from_the_list_to_a_completed_letter(page, live_server):
    acme = make_tenant("acme")
    make_user("alice", acme, "officer")
    case = make_case(acme, "received", email="layla.haddad@example.com")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.click("text=New requests")  # the dashboard's shortcut to the list of received cases
    page.click(f"#result_list >> text={case.reference}")
    assert page.locator(".case-status .status").inner_text() == "Received"

    page.click("text=Verify identity…")
    page.fill("#id_method", "Passport checked on a video call")
    page.click("input[type=submit][value='Verify identity']")
    assert "Done: Verify identity." in page.locator(".messagelist").inner_text()
    assert page.locator(".case-status .status").inner_text() == "In progress"

    for category in ("Account data", "Billing records"):
        row = page.locator("#decisions tr", has_text=category)
        row.locator("select[name=outcome]").select_option("disclosed")
        row.locator("button", has_text="Record").click()
        assert "Done: Record a decision." in page.locator(".messagelist").inner_text()

    page.click("text=Complete…")
    page.fill("#id_note", "All data found is in the attached letter.")
    page.click("input[type=submit][value='Complete']")
    assert page.locator(".case-status .status").inner_text() == "Completed"

    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    letter = Response.objects.get(case=case, kind=Response.Kind.ANSWER)
    shown = page.locator("#responses .response-state").first.inner_text()
    assert shown == letter.get_state_display()  # the real state, whatever the renderer did
    if letter.state == Response.State.READY:
        page.click("text=Send to the requester")
        letter.refresh_from_db()
        assert letter.state == Response.State.SENT
        assert page.locator("#responses .response-state").first.inner_text() == "Sent"
    timeline = page.locator("#timeline").inner_text()
    assert re.search(r"Completed", timeline) and "Identity verified" in timeline
    assert Case.objects.get(pk=case.pk).events.filter(event_type="completed").exists()
