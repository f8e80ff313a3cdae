"""Drive a form over loopback like a browser would: GET it (CSRF cookie, idempotency key), fill it, POST it.

Used by run.py against the public request form and against the bare baseline view, both served by one
gunicorn. Each submission is one GET and one POST on fresh connections (gunicorn's sync workers close
them anyway); a submission succeeds when the POST answers with a redirect.
"""

import http.client
import itertools
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

# Checkboxes that change who is asking (and so demand more evidence) stay unticked: the bench submits a
# plain request about oneself. Fields that look like honeypots stay empty.
UNTICKED_WORDS = ("agent", "parent", "behalf", "child", "guardian", "marketing")
HONEYPOT_WORDS = ("website", "honeypot", "hp_", "url", "leave")
PREFERRED_CHOICES = {"request_type": "access", "relationship": "self", "language": "en"}


class FormParser(HTMLParser):
    """The POST forms of a page, with their fields as the browser would submit them.

    `form` is the main one: the POST form with the most fields (pages also carry small forms, like the
    language switcher).
    """

    def __init__(self):
        super().__init__()
        self.forms = []  # dicts: action, fields
        self.current = None
        self._select = None
        self._textarea = None

    @property
    def form(self):
        return max(self.forms, key=lambda f: len(f["fields"]), default=None)

    @property
    def action(self):
        return self.form["action"] if self.form else None

    @property
    def fields(self):
        return self.form["fields"] if self.form else []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = {"action": attrs.get("action") or "", "fields": []}
            self.forms.append(self.current)
        if self.current is None:
            return
        fields = self.current["fields"]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            fields.append({"name": name, "kind": kind, "value": attrs.get("value", ""),
                           "checked": "checked" in attrs, "required": "required" in attrs})
        elif tag == "select" and name:
            self._select = {"name": name, "kind": "select", "options": [], "selected": None,
                            "required": "required" in attrs}
            fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select["options"].append(value)
            if "selected" in attrs:
                self._select["selected"] = value
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "kind": "textarea", "value": "", "required": "required" in attrs}
            fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.current = None


def fill(fields, email: str, text: str) -> list[tuple[str, str]]:
    """Values for a plain request about oneself, chosen from what the form offers."""
    data = []
    radios_done = set()
    for f in fields:
        name, kind, lower = f["name"], f["kind"], f["name"].lower()
        if kind in ("submit", "button", "image", "file", "reset"):
            continue
        if kind == "hidden":
            data.append((name, f["value"]))
        elif kind == "checkbox":
            if f["checked"] or not any(word in lower for word in UNTICKED_WORDS):
                data.append((name, f["value"] or "on"))
        elif kind == "radio":
            if name in radios_done:
                continue
            preferred = PREFERRED_CHOICES.get(name)
            siblings = [g["value"] for g in fields if g["name"] == name and g["kind"] == "radio"]
            data.append((name, preferred if preferred in siblings else siblings[0]))
            radios_done.add(name)
        elif kind == "select":
            options = [o for o in f["options"] if o]
            preferred = PREFERRED_CHOICES.get(name)
            value = preferred if preferred in options else f["selected"] or (options[0] if options else "")
            data.append((name, value))
        elif any(word in lower for word in HONEYPOT_WORDS):
            data.append((name, ""))
        elif kind == "email" or "email" in lower:
            data.append((name, email))
        elif kind == "tel" or "phone" in lower:
            data.append((name, "+97450000000"))
        elif kind == "date" or "birth" in lower or "date" in lower:
            data.append((name, "1990-01-01"))
        elif kind == "number":
            data.append((name, "1"))
        elif kind == "textarea":
            data.append((name, text))
        elif "subject" in lower:
            data.append((name, ""))  # only for someone asking on another's behalf
        elif "name" in lower:
            data.append((name, "Bench Subject"))
        else:
            data.append((name, f["value"] or "BENCH-1234"))
    return data


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    samples: list = field(default_factory=list)  # the first few failures, to show what went wrong
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, what: str):
        with self.lock:
            self.errors += 1
            if len(self.samples) < 3:
                self.samples.append(what[:600])

    def success(self):
        with self.lock:
            self.ok += 1


def _request(host, port, method, path, cookies, body=None, content_type=None):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    headers = {"Host": f"{host}:{port}", "User-Agent": "dsar-bench"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        headers["Content-Type"] = content_type
        headers["Origin"] = f"http://{host}:{port}"
        headers["Referer"] = f"http://{host}:{port}{path}"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            cookies.update({key: morsel.value for key, morsel in jar.items()})
        return response.status, response.headers, payload
    finally:
        conn.close()


def submit_once(base_url: str, path: str, email: str, tally: Tally) -> None:
    parts = urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    cookies = {}
    try:
        status, _headers, page = _request(host, port, "GET", path, cookies)
        if status != 200:
            tally.fail(f"GET {path} -> {status}")
            return
        parser = FormParser()
        parser.feed(page.decode("utf-8", "replace"))
        if parser.action is None:
            tally.fail(f"GET {path}: no POST form on the page")
            return
        action = urlsplit(urljoin(path, parser.action or path))
        target = action.path + (f"?{action.query}" if action.query else "")
        body = urlencode(fill(parser.fields, email, "Please send me a copy of my data (bench).")).encode()
        status, headers, page = _request(host, port, "POST", target, cookies, body,
                                         "application/x-www-form-urlencoded")
        if status in (302, 303):
            tally.success()
        else:
            tally.fail(f"POST {target} -> {status}: {page.decode('utf-8', 'replace')[:2000]}")
    except (OSError, http.client.HTTPException) as exc:
        tally.fail(f"{type(exc).__name__}: {exc}")


def drive(base_url: str, path: str, submissions: int, threads: int, email_prefix: str) -> dict:
    """Submit the form `submissions` times from `threads` threads; successful submissions per second."""
    tally = Tally()
    numbers = itertools.count()
    numbers_lock = threading.Lock()

    def worker():
        while True:
            with numbers_lock:
                n = next(numbers)
            if n >= submissions:
                return
            submit_once(base_url, path, f"{email_prefix}-{n}@bench.example", tally)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    return {"submitted": submissions, "ok": tally.ok, "errors": tally.errors, "seconds": round(seconds, 2),
            "rps": round(tally.ok / seconds, 1) if seconds else 0.0, "error_samples": tally.samples}
