"""The baseline for the intake figure: a form with a CSRF token whose POST inserts one row, no more."""

from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.utils.html import escape

TABLE_SQL = "CREATE TABLE IF NOT EXISTS bench_bare_row (id bigserial PRIMARY KEY, payload text NOT NULL, " \
    "created_at timestamptz NOT NULL DEFAULT now())"


def bare(request):
    if request.method == "POST":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_bare_row (payload) VALUES (%s)", [request.POST.get("payload", "")])
        return HttpResponseRedirect("/bench/bare/?sent=1")
    token = escape(get_token(request))
    return HttpResponse(
        '<!doctype html><form method="post">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        '<input type="text" name="payload"><button>Send</button></form>'
    )
