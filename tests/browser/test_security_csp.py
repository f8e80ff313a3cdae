"""In a real browser: staff enrol a second factor and work in the admin, and the Content-Security-Policy
blocks nothing the pages need (a CSP violation is a console error, which fails the test)."""

import re
import time
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from tests.conftest import PASSWORD, make_case, make_tenant, make_user

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still synchronous.

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "security"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def totp_from_secret(secret: str) -> str:
    import base64

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_enrols_two_factor_and_shows_the_admin_without_csp_violations(page, live_server, settings):
    settings.OTP_REQUIRED = True
    acme = make_tenant("acme")
    make_user("alice", acme, "officer")
    case = make_case(acme, "in_progress")
    csp_headers = []
    page.on("response", lambda r: csp_headers.append(r.headers.get("content-security-policy"))
            if r.request.resource_type == "document" else None)

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    shot(page, "1-login")
    page.click("input[type=submit]")

    page.wait_for_selector(".otp-qr svg")
    shot(page, "2-setup")
    secret = page.inner_text(".otp-secret").strip()
    page.fill("#id_code", totp_from_secret(secret))
    page.click("input[type=submit]")

    page.wait_for_selector(".otp-recovery-codes")
    codes = page.locator(".otp-recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]+", code) for code in codes)
    shot(page, "3-recovery-codes")
    page.click("text=I have saved them")

    page.wait_for_url(f"{live_server.url}/admin/")
    for path in ("/admin/", "/admin/dsar/case/", f"/admin/dsar/case/{case.pk}/change/", "/admin/tenants/tenant/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 500, path
        assert "no-store" in response.headers["cache-control"], path
    shot(page, "4-case")
    assert csp_headers and all(h and "object-src 'none'" in h for h in csp_headers)
