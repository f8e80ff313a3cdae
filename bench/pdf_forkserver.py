"""A proposal for dsar/pdf.py, measured by the bench: same isolation, without paying weasyprint's start-up per letter.

dsar.pdf.html_to_pdf starts `python -m dsar.pdf` for every letter; importing weasyprint (cffi, pango,
fontconfig) takes 1.5-2 s of the ~2-4 s a one-page letter costs. Here a multiprocessing forkserver
imports weasyprint once, renders a warm-up page (fontconfig caches filled), and forks a fresh child per
letter: the child still gets its own address-space cap and is killed on timeout, and still renders with
dsar.pdf's static-only fetcher and without attachments. Used by bench/letters.py --mode forkserver.
"""

import multiprocessing
import resource
from pathlib import Path

_context = None


WARM_UP_HTML = """<!doctype html><html><head><link rel="stylesheet" href="letters/letter.css"></head><body>
<div class="letterhead"><div class="org">Warm up</div></div><h1>Letter</h1><p>Latin text, <b>bold</b> <i>italic</i>.</p>
<p dir="rtl" lang="ar">نص عربي للتحضير</p><table><tr><th>Column</th><td>value</td></tr></table></body></html>"""


def _warm():
    """Load weasyprint and the letters' fonts (the Noto faces of letter.css, Latin and Arabic) once."""
    from weasyprint import HTML

    static = Path(__file__).resolve().parent.parent / "static"
    HTML(string=WARM_UP_HTML, base_url=static.as_uri() + "/").write_pdf()
    HTML(string=WARM_UP_HTML.replace("<html>", '<html lang="ar" dir="rtl">'), base_url=static.as_uri() + "/").write_pdf()


def _render_in_child(conn, html: str, roots: list[str], memory_bytes: int):
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        from weasyprint import HTML

        from dsar.pdf import make_fetcher

        root_paths = [Path(p).resolve() for p in roots]
        document = HTML(string=html, base_url=root_paths[0].as_uri() + "/", url_fetcher=make_fetcher(root_paths)).render()
        document.metadata.attachments = []
        for page in document.pages:
            page.links = [link for link in page.links if link[0] != "attachment"]
        pdf = document.write_pdf(attachments=None)
        conn.send((True, pdf, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises RenderError
        conn.send((False, f"{type(exc).__name__}: {exc}"[:300], 0))
    finally:
        conn.close()


def context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        # Imported (and warmed) once in the fork server, inherited by every letter's child.
        _context.set_forkserver_preload(["bench.pdf_forkserver_warm"])
    return _context


def html_to_pdf(html: str, *, timeout: float = 60, memory_bytes: int = 1024 * 1024 * 1024) -> tuple[bytes, float]:
    """The PDF, and the rendering child's peak RSS in MB."""
    from dsar.pdf import RenderError, static_roots

    ctx = context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_render_in_child, args=(sender, html, [str(r) for r in static_roots()], memory_bytes))
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            child.kill()
            raise RenderError(f"The letter took longer than {timeout:g} seconds to render and was stopped.")
        try:
            ok, payload, peak_kb = receiver.recv()
        except EOFError:
            raise RenderError("The letter needed more memory than allowed and was stopped.")
    finally:
        child.join(5)
        receiver.close()
    if not ok:
        raise RenderError(f"The letter could not be rendered: {payload}")
    return payload, peak_kb / 1024
