"""The data found for an access or portability answer: records per data category, as tables.

Staff record what they found per task (system) as structured records (`task.records`, a list of
objects) or upload it as CSV or JSON (an Attachment of kind "data"). Both become `Section`s: one
per data category, each a list of flat records, which the letter prints as tables and the package
writes as JSON and CSV.
"""

import csv
import io
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_ROWS = 20_000
MAX_CELL_CHARS = 2_000


class AnnexError(ValueError):
    """Uploaded data that cannot be read; str(exc) names the file and the problem."""


@dataclass
class Section:
    """The data found in one data category (or in a system with no category)."""

    key: str
    title: str
    category: object = None
    sources: list = field(default_factory=list)
    records: list = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return columns_of(self.records)

    @property
    def rows(self) -> list[list[str]]:
        columns = self.columns
        return [[cell_text(record.get(column)) for column in columns] for record in self.records]


def columns_of(records) -> list[str]:
    """Every key of every record, in the order first seen."""
    seen = {}
    for record in records:
        for key in record:
            seen.setdefault(key, None)
    return list(seen)


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"


def normalise(records, source: str) -> list[dict]:
    """A list of objects with string keys; a scalar row becomes {"value": ...}."""
    if isinstance(records, dict):
        # An export wrapped as {"records": [...]}, or a single object.
        records = records["records"] if isinstance(records.get("records"), list) else [records]
    if not isinstance(records, list):
        raise AnnexError(_("%(source)s: expected a list of records.") % {"source": source})
    if len(records) > MAX_ROWS:
        raise AnnexError(_("%(source)s: too many records (at most %(max)s).") % {"source": source, "max": MAX_ROWS})
    normalised = []
    for record in records:
        if isinstance(record, dict):
            normalised.append({str(key): value for key, value in record.items()})
        else:
            normalised.append({"value": record})
    return normalised


def parse_data_file(name: str, content_type: str, data: bytes) -> list[dict]:
    """Records from an uploaded CSV or JSON file; AnnexError with a clear message otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnnexError(_("%(name)s is not UTF-8 text.") % {"name": name})
    looks_json = content_type == "application/json" or name.lower().endswith(".json")
    if looks_json:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AnnexError(_("%(name)s is not valid JSON (line %(line)s).") % {"name": name, "line": exc.lineno})
        return normalise(parsed, name)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        records = []
        for row in reader:
            if len(records) >= MAX_ROWS:
                raise AnnexError(_("%(source)s: too many records (at most %(max)s).") % {"source": name, "max": MAX_ROWS})
            # Extra cells beyond the header land under None: keep them visible, not lost.
            extra = row.pop(None, None)
            if extra:
                row["(extra)"] = ", ".join(extra)
            records.append({key: value for key, value in row.items()})
    except csv.Error as exc:
        raise AnnexError(_("%(name)s is not valid CSV: %(error)s") % {"name": name, "error": exc})
    return records


def sections_for(case) -> list[Section]:
    """The data found for a case, one section per data category in inventory order."""
    from . import uploads
    from .models import Attachment

    sections: dict[str, Section] = {}

    def section_for(category, fallback_title):
        key = f"category-{category.pk}" if category else f"system-{fallback_title}"
        if key not in sections:
            sections[key] = Section(key=key, title=category.localized_name() if category else fallback_title,
                                    category=category)
        return sections[key]

    for task in case.tasks.select_related("data_category"):
        if task.records:
            section = section_for(task.data_category, task.system)
            section.records.extend(normalise(task.records, task.title))
            section.sources.append(task.system)
    data_files = case.attachments.filter(kind=Attachment.Kind.DATA, deleted_at__isnull=True).select_related(
        "task__data_category"
    )
    for attachment in data_files:
        if not attachment.file:
            continue
        task = attachment.task
        section = section_for(task.data_category if task else None, task.system if task else _("Uploaded data"))
        section.records.extend(
            parse_data_file(attachment.original_name, attachment.content_type, uploads.read_private(attachment))
        )
        section.sources.append(attachment.original_name)

    def order(section):
        category = section.category
        return (0, category.order, category.name) if category else (1, 0, section.title)

    return sorted(sections.values(), key=order)
