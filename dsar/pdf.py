"""HTML to PDF with weasyprint, safely: only our bundled static files are fetched, nothing is embedded,
and every render runs in a child process bounded in time and memory.

The HTML we render carries text typed by strangers (requesters) and by staff. Autoescaping stops
markup, but a template bug or a future change must still not let a letter reach the network, read a
local file or embed one: the fetcher below is the second wall, the child process limits the third
(a malicious layout that loops or balloons is killed, not the worker).

Use `html_to_pdf(html)`. Each render runs in a fresh child forked from a multiprocessing fork server
that imported weasyprint and rendered a warm-up page (Latin and Arabic, letter.css) once: the child
starts with weasyprint, pango and the fonts loaded (what `python -m dsar.pdf` per letter paid 1.5 s
for) and still has its own address-space cap, is killed on timeout, and renders with the static-only
fetcher and without attachments. The PDF comes back over a pipe.

As with any multiprocessing start method but fork, each child re-imports the program's main module
(manage.py, gunicorn's script, pytest's) as `__mp_main__`: that module must keep its work under
`if __name__ == "__main__":` and should import little at its top, or every letter pays for it.
The first render of a process starts the server (~1.5-3 s); the next ones only fork.
"""

import logging
import mimetypes
import multiprocessing
import os
import resource
import signal
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024
# Set (to the static roots) only while the fork server starts: the server's import of this module warms it.
WARM_ENV = "DSAR_PDF_WARM_ROOTS"
# Seconds of CPU a child may use beyond its timeout: a child orphaned by a killed worker still ends.
CPU_GRACE_SECONDS = 30
OUT_OF_MEMORY_SIGNS = ("MemoryError", "Cannot allocate memory", "failed to map segment", "cannot load library")

logger = logging.getLogger(__name__)
# Peak resident memory (MB) of the last render's child; read by bench/letters.py.
last_peak_mb: float | None = None


class RenderError(Exception):
    """The PDF could not be produced; str(exc) says why, in words staff can act on."""


class RefusedURL(ValueError):
    """A URL outside our bundled static files: never fetched."""


def static_roots() -> list[Path]:
    from django.conf import settings

    return [Path(root).resolve() for root in settings.STATICFILES_DIRS]


def base_url() -> str:
    """Relative URLs in letters (href="letters/letter.css") resolve under the first static dir."""
    return static_roots()[0].as_uri() + "/"


def resolve_static(url: str, roots: list[Path]) -> Path:
    """The file inside one of the static roots that a URL names, or RefusedURL.

    Accepted: file: URLs (what relative URLs become against our base URL) and `static:` URLs,
    whose path, once resolved (symlinks and `..` included), stays inside a root.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused (remote file host): {url[:200]}")
        candidates = [Path(unquote(parts.path))]
    elif scheme == "static":
        relative = unquote(parts.path).lstrip("/")
        candidates = [root / relative for root in roots]
    else:
        raise RefusedURL(f"refused (only bundled static files are used): {url[:200]}")
    for candidate in candidates:
        resolved = candidate.resolve()
        for root in roots:
            if resolved.is_relative_to(root) and resolved.is_file():
                return resolved
    raise RefusedURL(f"refused (not a bundled static file): {url[:200]}")


def make_fetcher(roots: list[Path]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves files from our static dirs; refuses everything else (network, local files, data:)."""

        def __init__(self):
            super().__init__(allowed_protocols=("file", "static"), allow_redirects=False, fail_on_errors=False)
            self.refused = []

        def fetch(self, url, headers=None):
            try:
                path = resolve_static(url, roots)
            except RefusedURL:
                self.refused.append(url[:200])
                raise
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type})

    return StaticOnlyFetcher()


WARM_UP_HTML = """<!doctype html><html><head><link rel="stylesheet" href="letters/letter.css"></head><body>
<div class="letterhead"><div class="org">Warm up</div></div><h1>Letter</h1><p>Latin text, <b>bold</b> <i>italic</i>.</p>
<p dir="rtl" lang="ar">نص عربي للتحضير <b>عريض</b></p><table><tr><th>Column</th><td>value</td></tr></table></body></html>"""


def _render(html: str, roots: list[Path]) -> bytes:
    from weasyprint import HTML

    document = HTML(string=html, base_url=roots[0].as_uri() + "/", url_fetcher=make_fetcher(roots)).render()
    # Belt and braces: whatever the HTML asked for, the PDF carries no attached files, even ones
    # the fetcher would serve (`<a rel=attachment href=letters/letter.css>`).
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]
    return document.write_pdf(attachments=None)


def _warm(roots: list[Path]) -> None:
    """In the fork server: import weasyprint and fill pango's and fontconfig's caches with the letters' faces."""
    # Refused URLs are expected (hostile input); they are not errors worth a stack trace.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    _render(WARM_UP_HTML, roots)
    _render(WARM_UP_HTML.replace("<html>", '<html lang="ar" dir="rtl">'), roots)


def _status_kb(field: str) -> int | None:
    """A figure of /proc/self/status in KB (VmHWM: peak resident memory, VmSize: address space)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_rss_kb() -> int:
    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(conn, html: str, roots: list[str], memory_bytes: int, cpu_seconds: int) -> None:
    """A fresh child of the fork server: cap it, render, send (ok, PDF or reason, peak KB) back."""
    try:
        # The child starts with the fork server's address space (weasyprint loaded): a cap below it
        # could never be met, as a fresh process would fail to load weasyprint under it.
        size_kb = _status_kb("VmSize")
        if size_kb is not None and size_kb * 1024 >= memory_bytes:
            raise MemoryError(f"the renderer alone takes {size_kb // 1024} MB of address space, "
                              f"the cap is {memory_bytes // (1024 * 1024)} MB")
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
        pdf = _render(html, [Path(root) for root in roots])
        conn.send((True, pdf, _peak_rss_kb()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises RenderError
        try:
            conn.send((False, f"{type(exc).__name__}: {exc}"[:300], _peak_rss_kb()))
        except BaseException:  # noqa: BLE001 - no memory left even for the reason: the parent sees EOF
            pass
    finally:
        conn.close()


_server_lock = threading.Lock()


def _context(roots: list[str]):
    """The forkserver context, its server running with this module preloaded and warmed."""
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    with _server_lock:
        context.set_forkserver_preload([__name__])
        # The server inherits the environment at its start; this variable tells its import of this
        # module to warm up, and is gone from ours (and the server's) right after.
        os.environ[WARM_ENV] = os.pathsep.join(roots)
        try:
            forkserver.ensure_running()  # starts it once, and again if it died
        finally:
            os.environ.pop(WARM_ENV, None)
    return context


def _start(child) -> None:
    """Start the render child, also from a daemonic process (a django-q2 worker).

    multiprocessing refuses children to daemonic processes because they may be killed without
    reaping them; this child is waited for or killed within html_to_pdf, and its CPU limit ends it
    even if the worker dies first.
    """
    current = multiprocessing.current_process()
    if not current.daemon:
        child.start()
        return
    with _server_lock:
        current._config["daemon"] = False
        try:
            child.start()
        finally:
            current._config["daemon"] = True


def html_to_pdf(html: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> bytes:
    """Render HTML to PDF in a child process (killed after `timeout` seconds, address space capped).

    Raises RenderError with a readable reason on timeout, memory exhaustion or a weasyprint failure.
    """
    global last_peak_mb
    roots = [str(root) for root in static_roots()]
    context = _context(roots)
    receiver, sender = context.Pipe(duplex=False)
    cpu_seconds = int(timeout) + CPU_GRACE_SECONDS
    child = context.Process(target=_child, args=(sender, html, roots, memory_bytes, cpu_seconds), daemon=True,
                            name="dsar-pdf-render")
    try:
        _start(child)
        sender.close()
        if not receiver.poll(timeout):
            raise RenderError(f"The letter took longer than {timeout:g} seconds to render and was stopped.")
        try:
            ok, payload, peak_kb = receiver.recv()
        except (EOFError, OSError):
            child.join(5)
            code = child.exitcode
            if code == -signal.SIGXCPU:
                raise RenderError(f"The letter took longer than {timeout:g} seconds to render and was stopped.")
            if code is None or code <= 0:
                # Under the address-space cap the child may crash, or fail to send even its reason.
                raise RenderError(f"The letter needed more memory than allowed and was stopped (exit status {code}).")
            # E.g. the program's main module is re-imported in the child and fails (multiprocessing's
            # `if __name__ == "__main__":` rule); its traceback is on stderr.
            raise RenderError(f"The letter could not be rendered: the render process failed (exit status {code}).")
    finally:
        sender.close()
        receiver.close()
        if child.is_alive():
            child.kill()
        if child.pid is not None:
            child.join(5)
    last_peak_mb = round(peak_kb / 1024, 1)
    if not ok:
        if any(sign in payload for sign in OUT_OF_MEMORY_SIGNS):
            raise RenderError(f"The letter needed more memory than allowed and was stopped ({payload}).")
        raise RenderError(f"The letter could not be rendered: {payload}")
    return payload


def _warm_if_fork_server() -> None:
    roots = os.environ.pop(WARM_ENV, None)
    if not roots:
        return
    try:
        _warm([Path(root) for root in roots.split(os.pathsep) if root])
    except Exception:  # noqa: BLE001 - a cold server still renders, only slower
        logger.exception("PDF fork server: warm-up failed")


_warm_if_fork_server()
