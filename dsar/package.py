"""The portability package: a ZIP with the data found as JSON and CSV per data category, the letter,
and a manifest that lists every file with its SHA-256 so that the subject (or a regulator) can check it.
"""

import csv
import hashlib
import io
import json
import zipfile

from django.utils.text import slugify

from .annex import Section

SCHEMA_VERSION = "1.0"
# A fixed timestamp inside the ZIP makes the same content produce the same bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def section_basename(index: int, section: Section) -> str:
    # Category names may be Arabic (slugify keeps nothing) or duplicate once slugified: number them.
    name = slugify(section.category.name if section.category else section.title) or "data"
    return f"{index:02d}-{name}"


def to_json(section: Section) -> bytes:
    payload = {"category": section.title, "sources": section.sources, "records": section.records}
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def to_csv(section: Section) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(section.columns)
    for row in section.rows:
        # A cell starting with = + - @ runs as a formula in spreadsheets: prefix it so it stays text.
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell for cell in row])
    # BOM so that spreadsheet programs read Arabic text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def build(*, tenant_slug: str, reference: str, generated_at, sections: list[Section], letter_pdf: bytes,
          letter_name: str = "letter.pdf") -> bytes:
    files: list[tuple[str, bytes]] = [(letter_name, letter_pdf)]
    for index, section in enumerate(sections, start=1):
        base = section_basename(index, section)
        files.append((f"data/{base}.json", to_json(section)))
        files.append((f"data/{base}.csv", to_csv(section)))
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "tenant": tenant_slug,
        "reference": reference,
        "generated_at": generated_at.isoformat(),
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)} for path, data in files
        ],
        "categories": [
            {"title": section.title, "records": len(section.records), "files": [f"data/{section_basename(i, section)}.json",
                                                                               f"data/{section_basename(i, section)}.csv"]}
            for i, section in enumerate(sections, start=1)
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in [("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")), *files]:
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def verify(package: bytes) -> list[str]:
    """Problems found when checking a package against its manifest (empty when it verifies)."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        listed = {entry["path"] for entry in manifest["files"]}
        for entry in manifest["files"]:
            digest = hashlib.sha256(archive.read(entry["path"])).hexdigest()
            if digest != entry["sha256"]:
                problems.append(f"{entry['path']}: checksum differs")
        for name in archive.namelist():
            if name != "manifest.json" and name not in listed:
                problems.append(f"{name}: not in the manifest")
    return problems
