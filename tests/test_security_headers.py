"""Response headers (CSP, HSTS, framing, referrer, cookies), no-store on personal-data pages, and
Django's deployment checklist with production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from dsar import subject_session

ROOT = Path(__file__).resolve().parent.parent


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_it_sends_a_strict_content_security_policy(client, acme):
    response = client.get(f"/{acme.slug}/request/")
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert all(source == "'self'" or source.startswith("'nonce-") for source in csp["script-src"])


def test_it_denies_framing_and_sets_the_referrer_policy(client, acme):
    response = client.get(f"/{acme.slug}/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_sends_hsts_over_https(client, acme, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get(f"/{acme.slug}/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_it_uses_secure_cookies_and_hsts_in_production():
    """The settings module itself, loaded as production would load it."""
    env = {**os.environ, "DEBUG": "0", "TESTING": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "dsar.example.org"}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.OTP_REQUIRED, s.SESSION_COOKIE_HTTPONLY)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "dsar.settings"},
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out[-6:] == ["True"] * 6


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "TESTING", "DEBUG")}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "dsar.settings", "DEBUG": "0"}, capture_output=True, text=True,
    )
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def _admin_urls(case):
    """Every admin page: index, and each registered model's list, add and change pages."""
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        for name, args in ((f"admin:{info[0]}_{info[1]}_changelist", []), (f"admin:{info[0]}_{info[1]}_add", [])):
            try:
                urls.append(reverse(name, args=args))
            except NoReverseMatch:
                pass
        obj = model_admin.get_queryset(_request_for(model_admin)).first()
        if obj is not None:
            urls.append(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))
    return urls


def _request_for(model_admin):
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="root")
    return request


def test_it_forbids_caching_of_every_admin_page(client, superuser, acme, case_factory):
    case = case_factory(acme, "in_progress")
    client.force_login(superuser)
    checked = 0
    for url in _admin_urls(case):
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        assert "no-store" in response["Cache-Control"], url
        checked += 1
    assert checked > 10


def test_it_forbids_caching_of_the_login_and_two_factor_pages(client, alice, settings):
    settings.OTP_REQUIRED = True
    for url in ("/admin/login/", "/admin/two-factor/", "/admin/two-factor/setup/"):
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_it_forbids_caching_of_every_public_page_with_personal_data(client, acme, case_factory):
    case = case_factory(acme, "in_progress")
    session = client.session
    session[subject_session.SESSION_KEY] = {"tenant": acme.pk, "case": case.pk}
    session.save()
    status = client.get(reverse("dsar:status", args=[acme.slug]))
    assert status.status_code == 200 and case.reference in status.content.decode()
    pages = [
        status,
        client.get(reverse("dsar:request", args=[acme.slug])),
        client.get(reverse("dsar:status_link", args=[acme.slug])),
        client.get(reverse("dsar:confirm", args=[acme.slug, "bogus"])),
        client.get(reverse("dsar:status_open", args=[acme.slug, "bogus"])),
        client.post(reverse("dsar:status_reply", args=[acme.slug]), {"body": "hello"}),
        client.post(reverse("dsar:download_code_check", args=[acme.slug]), {"code": "12"}),
    ]
    for response in pages:
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]


def test_it_lets_a_view_that_chooses_its_caching_keep_it(client, acme):
    response = client.get(reverse("dsar:brand_css", args=[acme.slug]))
    if response.has_header("Cache-Control") and "no-store" not in response["Cache-Control"]:
        assert "max-age" in response["Cache-Control"]
    else:
        assert "no-store" in response["Cache-Control"]


def _deploy_env(**extra):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production never has it.
    dropped = ("TESTING", "DEBUG", "FILE_ENCRYPTION_KEYS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="0",
        SECRET_KEY="k" * 20 + "Zq8#x!pL0v9wQ2mR7sT4uY6eA1bC3dF5gH",
        ALLOWED_HOSTS="dsar.example.org",
        SITE_URL="https://dsar.example.org",
        FILE_ENCRYPTION_KEYS="7Yc0YgqHd8oXbUMlU9GmsdAJmdy6oiMTPZ2gPnr1i3c=",
        # The checklist reads settings only; a file database keeps it apart from the test database.
        DATABASE_URL="sqlite:////tmp/dsar-deploy-check.sqlite3",
    )
    env.update(extra)
    return env


@pytest.mark.slow
def test_it_passes_the_deployment_checklist_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_deploy_env(), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_it_fails_the_deployment_checklist_when_production_is_weakened():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_deploy_env(FILE_ENCRYPTION_KEYS="", OTP_REQUIRED="0", SESSION_COOKIE_SECURE="0"),
        capture_output=True, text=True,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for check_id in ("dsar.W001", "dsar.W002", "security.W012"):
        assert check_id in output
