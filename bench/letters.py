"""Letter rendering, measured in a process of its own so that its peak memory is its own.

    .venv/bin/python bench/letters.py --db dsar_bench --response 12 --mode portal --repeat 5

forkserver: the portal's path with bench/pdf_forkserver.py (a proposal) in place of dsar.pdf's child process.
portal: the portal's path, `responses.render_html()` then `responses.render_pdf_bytes()` (which renders in a
        bounded child process with the static-only fetcher).
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

from bench import common  # noqa: E402


def _high_water_mark_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over exec() from the forked parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--response", type=int, required=True)
    parser.add_argument("--mode", choices=("portal", "bare", "forkserver"), required=True)
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

    forked_peak_mb = 0.0
    if args.mode == "forkserver":
        from bench import pdf_forkserver

        pdf_forkserver.html_to_pdf("<p>start the fork server</p>")  # once per web worker, not per letter

    seconds, document = [], b""
    for _ in range(args.repeat):
        started = time.perf_counter()
        if args.mode == "portal":
            response = Response.objects.select_related("case__tenant", "case__rule_set").get(pk=args.response)
            document = responses.render_pdf_bytes(responses.render_html(response))
        elif args.mode == "forkserver":
            response = Response.objects.select_related("case__tenant", "case__rule_set").get(pk=args.response)
            document, peak = pdf_forkserver.html_to_pdf(responses.render_html(response))
            forked_peak_mb = max(forked_peak_mb, peak)
        else:
            document = weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        seconds.append(time.perf_counter() - started)
    pages = len(pypdf.PdfReader(io.BytesIO(document)).pages)
    self_mb = _high_water_mark_mb()
    # The fork server's children are not ours: their peak comes back with each PDF.
    children_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, forked_peak_mb)
    print(json.dumps({"mode": args.mode, "seconds": seconds, "pages": pages, "self_peak_mb": round(self_mb, 1),
                      "children_peak_mb": round(children_mb, 1), "html_chars": len(html)}))


if __name__ == "__main__":
    main()
