"""HTML to PDF with weasyprint, safely: only our bundled static files are fetched, nothing is embedded,
and every render runs in a child process bounded in time and memory.

The HTML we render carries text typed by strangers (requesters) and by staff. Autoescaping stops
markup, but a template bug or a future change must still not let a letter reach the network, read a
local file or embed one: the fetcher below is the second wall, the child process limits the third
(a malicious layout that loops or balloons is killed, not the worker).

Use `html_to_pdf(html)`; `python -m dsar.pdf` is the child side (HTML on stdin, PDF on stdout).
"""

import mimetypes
import os
import resource
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024
ROOTS_ENV = "DSAR_PDF_STATIC_ROOTS"


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


def _limit_child_resources(memory_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def html_to_pdf(html: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> bytes:
    """Render HTML to PDF in a child process (killed after `timeout` seconds, address space capped).

    Raises RenderError with a readable reason on timeout, memory exhaustion or a weasyprint failure.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        ROOTS_ENV: os.pathsep.join(str(root) for root in static_roots()),
        # Fontconfig needs a cache dir; the child must not depend on anything else of ours.
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path(os.environ.get("HOME", "/tmp")) / ".cache")),
    }
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "dsar.pdf"],
            input=html.encode("utf-8"),
            capture_output=True,
            cwd=BASE_DIR,
            env=env,
            timeout=timeout,
            preexec_fn=_limit_child_resources(memory_bytes),
        )
    except subprocess.TimeoutExpired:
        # subprocess.run kills the child on timeout before raising.
        raise RenderError(f"The letter took longer than {timeout:g} seconds to render and was stopped.")
    if completed.returncode != 0 or not completed.stdout.startswith(b"%PDF-"):
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        last = detail[-1] if detail else f"exit status {completed.returncode}"
        # Under the address-space cap Python raises MemoryError, or shared libraries fail to map.
        stderr = completed.stderr.decode("utf-8", "replace")
        out_of_memory = ("MemoryError", "Cannot allocate memory", "failed to map segment", "cannot load library")
        if completed.returncode < 0 or any(sign in stderr for sign in out_of_memory):
            raise RenderError(f"The letter needed more memory than allowed and was stopped ({last[:300]}).")
        raise RenderError(f"The letter could not be rendered: {last[:300]}")
    return completed.stdout


def _child_main():
    import logging

    from weasyprint import HTML

    # Refused URLs are expected (hostile input); they are not errors worth a stack trace.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    roots = [Path(p).resolve() for p in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if p]
    if not roots:
        sys.stderr.write("RenderError: no static roots given\n")
        sys.exit(2)
    html = sys.stdin.buffer.read().decode("utf-8")
    fetcher = make_fetcher(roots)
    document = HTML(string=html, base_url=roots[0].as_uri() + "/", url_fetcher=fetcher).render()
    # Belt and braces: whatever the HTML asked for, the PDF carries no attached files, even ones
    # the fetcher would serve (`<a rel=attachment href=letters/letter.css>`).
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]
    pdf = document.write_pdf(attachments=None)
    sys.stdout.buffer.write(pdf)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _child_main()
