"""Hostile input: markup, remote URLs and attachment links planted in every field a subject or staff
member can type must render as text; the renderer must fetch nothing and embed nothing."""

import http.server
import io
import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from dsar import actions, pdf, responses
from dsar.models import Attachment, Case, Response
from tests.conftest import make_tenant
from tests.test_letters import ANSWER_TYPES, has, pdf_text


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def trap():
    """An HTTP server on a random 127.0.0.1 port that records every request it gets."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def payloads(port):
    """Short pieces (they must fit 120-character fields); long fields get all of them."""
    return [
        f"<img src=http://127.0.0.1:{port}/img>",
        "<link rel=attachment href=file:///etc/passwd>",
        f"<style>@import url(http://127.0.0.1:{port}/import);</style>",
        f'<b style="background:url(http://127.0.0.1:{port}/css)">',
        "<a rel=attachment href=file:///etc/passwd>passwd</a>",
        f"<link rel=stylesheet href=http://127.0.0.1:{port}/sheet>",
        f"<iframe src=http://127.0.0.1:{port}/frame></iframe>",
    ]


def hostile_case(port):
    """A case with hostile text in every typed field, built through the actions where they exist."""
    pieces = payloads(port)
    everything = " ".join(pieces)

    def short(i):  # at most ~110 characters, cycling through the pieces
        return pieces[i % len(pieces)][:110]

    tenant = make_tenant("hostile", role="both")
    tenant.name, tenant.name_ar, tenant.legal_name = short(0), short(2), short(3)[:200]
    tenant.address, tenant.dpo_name = everything, short(4)
    tenant.save()
    for i, category in enumerate(tenant.data_categories.all()):
        category.name, category.name_ar = short(5 + i), short(1 + i)
        category.retention_reason = everything[:300]
        category.save()
    case = actions.log_offline_request(
        tenant, None, rule_set=tenant.rule_sets.get(), request_type="access", channel=Case.Channel.EMAIL,
        received_at=timezone.now(), requester_name=short(0), requester_email=f'"{short(0)[:60]}"@example.com',
        subject_name=short(1), description=everything, identity_answers={"account": everything, short(6): short(2)},
    )
    actions.verify_identity(case, None, method="Hostile test", note=everything)
    actions.extend(case, None, reason=everything)
    actions.create_tasks_from_inventory(case, None)
    for i, task in enumerate(case.tasks.all()):
        actions.update_task(task, None, notes=everything, records=[
            {short(i): everything, "nested": {"x": short(i + 1)}}, {"plain": short(i + 2)}])
        data_csv = f"name,{short(3).replace(',', ' ')}\n\"{everything}\",=HYPERLINK(\"http://127.0.0.1:{port}/csv\")\n"
        actions.store_attachment(case, None, kind=Attachment.Kind.DATA, task=task, content_type="text/csv",
                                 upload=SimpleUploadedFile(f"{short(0)[:40]}.csv", data_csv.encode(), "text/csv"))
        actions.store_attachment(case, None, kind=Attachment.Kind.DATA, task=task, content_type="application/json",
                                 upload=SimpleUploadedFile("data.json", json.dumps([{short(4): everything}]).encode(),
                                                           "application/json"))
    actions.request_information(case, None, reason="clarification", subject=short(2), body=everything)
    actions.requester_reply(case, body=everything)
    actions.request_information(case, None, reason="clarification", subject=short(5), body=everything)
    for i, category in enumerate(tenant.data_categories.all()):
        actions.record_decision(case, None, data_category=category, outcome="kept" if i else "erased",
                                legal_basis=short(i + 3), retention_period=short(i + 4), note=everything)
    # Fields only set by closing actions (deny, forward, complete): one case carries them all at once.
    Case.objects.filter(pk=case.pk).update(outcome_note=everything, denial_reason="other", denial_details=everything,
                                           forwarded_to=short(6), forwarded_at=timezone.now())
    case.refresh_from_db()
    return case


LETTERS = [(kind, None) for kind in ("acknowledgement", "extension", "info_request", "denial", "forwarded")] + [
    ("answer", request_type) for request_type in ANSWER_TYPES
]


def assert_nothing_embedded(data: bytes):
    reader = PdfReader(io.BytesIO(data))
    names = reader.trailer["/Root"].get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object()
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            assert annotation.get_object().get("/Subtype") != "/FileAttachment"
    assert b"/EmbeddedFile" not in data and b"/FileAttachment" not in data
    text = "".join(page.extract_text() for page in reader.pages)
    assert "root:x:0:0" not in text and b"root:x:0:0" not in data


def test_it_renders_every_letter_from_hostile_input_without_fetching_or_embedding_anything(db, trap):
    port = trap.server_address[1]
    case = hostile_case(port)
    rendered = 0
    for language in ("en", "ar"):
        for kind, request_type in LETTERS:
            if request_type:
                case.request_type = request_type
            response = Response(case=case, kind=kind, language=language)
            html = responses.render_html(response)
            assert f"<img src=http://127.0.0.1:{port}" not in html, "autoescaping is on"
            assert "<link rel=attachment" not in html
            data = responses.render_pdf_bytes(html)
            assert_nothing_embedded(data)
            text = pdf_text(data)
            # The hostile text is shown to the reader as text.
            assert has(text, f"<img src=http://127.0.0.1:{port}/img>"), (kind, request_type, language)
            rendered += 1
    assert rendered == 2 * len(LETTERS)
    assert trap.hits == [], f"the renderer reached the network: {trap.hits}"


def test_it_renders_the_hostile_answer_through_the_task_with_its_package(db, trap):
    import zipfile

    port = trap.server_address[1]
    case = hostile_case(port)
    response = Response.objects.create(case=case, kind="answer", language="en")
    assert responses.render(response.pk) == "ready"
    response.refresh_from_db()
    with response.letter.open("rb") as handle:
        assert_nothing_embedded(handle.read())
    with response.package.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    csv_text = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".csv"))
    assert "'=HYPERLINK" in csv_text and "\n=HYPERLINK" not in csv_text.replace(",=HYPERLINK", "")
    assert trap.hits == []


def test_the_trap_does_see_a_renderer_that_fetches(trap):
    """Control: weasyprint's own fetcher would reach the trap, so an empty hit list means something."""
    from weasyprint import HTML

    port = trap.server_address[1]
    HTML(string=f"<img src=http://127.0.0.1:{port}/control>").write_pdf()
    assert trap.hits == ["/control"]


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://127.0.0.1:1/x",
    "https://example.com/x.css",
    "data:text/css,body{}",
    "ftp://example.com/x",
    "static:../../etc/passwd",
    "static:letters/../../dsar/settings.py",
    "file://otherhost/work/main/static/letters/letter.css",
])
def test_it_refuses_urls_outside_the_bundled_static_files(url):
    roots = pdf.static_roots()
    with pytest.raises(pdf.RefusedURL):
        pdf.resolve_static(url, roots)


def test_it_refuses_a_path_that_escapes_the_static_dir(settings):
    escaping = (pdf.static_roots()[0] / "letters" / ".." / ".." / "dsar" / "settings.py").as_uri()
    with pytest.raises(pdf.RefusedURL):
        pdf.resolve_static(escaping, pdf.static_roots())


def test_it_refuses_a_symlink_out_of_the_static_dir(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (root / "innocent.css").symlink_to("/etc/passwd")
    with pytest.raises(pdf.RefusedURL):
        pdf.resolve_static("static:innocent.css", [root.resolve()])
    with pytest.raises(pdf.RefusedURL):
        pdf.resolve_static((root / "innocent.css").as_uri(), [root.resolve()])


def test_it_serves_our_own_stylesheet(settings):
    path = pdf.resolve_static("static:letters/letter.css", pdf.static_roots())
    assert path.name == "letter.css"
    assert pdf.resolve_static(pdf.base_url() + "letters/letter.css", pdf.static_roots()) == path


def test_it_embeds_no_attachment_even_from_our_static_files(settings):
    data = pdf.html_to_pdf('<link rel=attachment href="letters/letter.css"><a rel=attachment href="letters/letter.css">a</a>')
    assert_nothing_embedded(data)


def test_it_stops_a_render_that_takes_too_long(settings):
    with pytest.raises(pdf.RenderError, match="took longer than"):
        pdf.html_to_pdf("<p>slow</p>" * 20000, timeout=0.5)


def test_it_stops_a_render_that_needs_too_much_memory(settings):
    with pytest.raises(pdf.RenderError, match="more memory than allowed"):
        pdf.html_to_pdf("<p>big</p>", memory_bytes=64 * 1024 * 1024)
