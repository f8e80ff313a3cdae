"""Letter rendering, measured in a process of its own so that its peak memory is its own.

    .venv/bin/python bench/letters.py --db dsar_bench --response 12 --mode portal --repeat 5

portal: the portal's path, `responses.render_html()` then `responses.render_pdf_bytes()` (which renders in a
        bounded child process of dsar.pdf's fork server, with the static-only fetcher). The fork server is
        started and warmed by one render before the timed ones: once per worker process, not per letter.
bare:   `weasyprint.HTML(string=html, base_url=<static dir>).write_pdf()` in this process, weasyprint already
        imported: the floor. The base URL lets the bare render load the same stylesheet, so both lay out
        the same pages.
Prints JSON: the seconds of each repetition, the PDF's page count, and peak RSS (this process and its
children, which for the portal path is the weasyprint child).
"""

import argparse
import io
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _high_water_mark_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over exec() from the forked parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main():
    # Imported here, not at the top: dsar.pdf's render children re-import the main module (multiprocessing's
    # forkserver rule), and psycopg there would cost every letter 0.2 s that manage.py does not.
    from bench import common

    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--response", type=int, required=True)
    parser.add_argument("--mode", choices=("portal", "bare"), required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    common.use_database(args.db)

    import pypdf

    from dsar import pdf, responses
    from dsar.models import Response

    response = Response.objects.select_related("case__tenant", "case__rule_set").get(pk=args.response)
    html = responses.render_html(response)
    if args.mode == "bare":
        import weasyprint

        base_url = pdf.base_url()
        weasyprint.HTML(string="<p>warm up</p>").write_pdf()  # the import and font set-up are not the letter

    forked_peak_mb, first_render_s = 0.0, None
    if args.mode == "portal":
        started = time.perf_counter()
        pdf.html_to_pdf("<p>start the fork server</p>")  # once per worker process, not per letter
        first_render_s = round(time.perf_counter() - started, 3)

    seconds, document = [], b""
    for _ in range(args.repeat):
        started = time.perf_counter()
        if args.mode == "portal":
            response = Response.objects.select_related("case__tenant", "case__rule_set").get(pk=args.response)
            document = responses.render_pdf_bytes(responses.render_html(response))
            forked_peak_mb = max(forked_peak_mb, pdf.last_peak_mb or 0.0)
        else:
            document = weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        seconds.append(time.perf_counter() - started)
    pages = len(pypdf.PdfReader(io.BytesIO(document)).pages)
    self_mb = _high_water_mark_mb()
    # The fork server's children are not ours: their peak comes back with each PDF (pdf.last_peak_mb).
    children_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, forked_peak_mb)
    print(json.dumps({"mode": args.mode, "seconds": seconds, "pages": pages, "self_peak_mb": round(self_mb, 1),
                      "children_peak_mb": round(children_mb, 1), "html_chars": len(html),
                      **({"first_render_s": first_render_s} if first_render_s is not None else {})}))


if __name__ == "__main__":
    main()
