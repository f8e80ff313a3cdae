"""The portability package: JSON and CSV per data category, the letter, and a manifest whose checksums verify."""

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from dsar import annex, package
from dsar.models import Response
from tests.test_letters import access_case_with_data, answered_case, letter_bytes, thamra_like


def open_package(response):
    with response.package.open("rb") as handle:
        data = handle.read()
    return data, zipfile.ZipFile(io.BytesIO(data))


@pytest.mark.parametrize("request_type", ["access", "portability"])
def test_it_builds_a_package_whose_manifest_checksums_verify(db, request_type):
    tenant = thamra_like()
    case = access_case_with_data(tenant) if request_type == "access" else None
    if case is None:
        case = answered_case(tenant, "portability", extend=False)
    response = case.responses.get(kind="answer")
    letter = letter_bytes(response)
    data, archive = open_package(response)

    assert response.package_sha256 == hashlib.sha256(data).hexdigest()
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["schema_version"] == package.SCHEMA_VERSION
    assert manifest["tenant"] == "thamra"
    assert manifest["reference"] == case.reference
    assert datetime.fromisoformat(manifest["generated_at"]) == response.rendered_at
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(archive.namelist()) == set(listed) | {"manifest.json"}
    for path, entry in listed.items():
        content = archive.read(path)
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["bytes"]
    assert archive.read(f"{case.reference}-answer-en.pdf") == letter
    assert package.verify(data) == []


def test_it_writes_one_json_and_one_csv_per_category_with_the_records(db):
    tenant = thamra_like()
    case = access_case_with_data(tenant, rows=4)
    _, archive = open_package(case.responses.get(kind="answer"))
    names = sorted(n for n in archive.namelist() if n.startswith("data/"))
    assert names == ["data/01-account-data.csv", "data/01-account-data.json",
                     "data/02-billing-records.csv", "data/02-billing-records.json"]
    account = json.loads(archive.read("data/01-account-data.json"))
    assert account["category"] == "Account data"
    assert {"field": "email", "value": "sam@example.com"} in account["records"]
    assert {"at": "2026-02-01T10:00:00Z", "ip": "198.51.100.7"} in account["records"]
    billing_rows = list(csv.DictReader(io.StringIO(archive.read("data/02-billing-records.csv").decode("utf-8-sig"))))
    assert [row["invoice"] for row in billing_rows] == ["INV-00000", "INV-00001", "INV-00002", "INV-00003"]
    assert billing_rows[1]["amount"] == "10.00"


def test_it_detects_a_tampered_package(db):
    tenant = thamra_like()
    case = access_case_with_data(tenant)
    data, archive = open_package(case.responses.get(kind="answer"))
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as out:
        for name in archive.namelist():
            content = archive.read(name)
            if name == "data/02-billing-records.csv":
                content = content.replace(b"INV-00001", b"INV-99999")
            out.writestr(name, content)
        out.writestr("data/extra.json", b"{}")
    problems = package.verify(tampered.getvalue())
    assert "data/02-billing-records.csv: checksum differs" in problems
    assert "data/extra.json: not in the manifest" in problems


def test_it_adds_no_package_to_letters_that_carry_no_data(db):
    tenant = thamra_like()
    case = answered_case(tenant, "erasure", extend=False)
    response = case.responses.get(kind="answer")
    assert response.state == Response.State.READY
    assert not response.package and response.package_sha256 == ""


def test_it_neutralises_spreadsheet_formulas_and_names_arabic_categories():
    category = type("Category", (), {"name": "بيانات الفوترة", "pk": 7})()
    section = annex.Section(key="c", title="بيانات الفوترة", category=category,
                            records=[{"note": "=HYPERLINK(\"http://evil.example\")", "amount": "-5", "ok": "text"}])
    built = package.build(tenant_slug="t", reference="T-1", generated_at=datetime(2026, 1, 1, tzinfo=UTC),
                          sections=[section], letter_pdf=b"%PDF-1.7")
    archive = zipfile.ZipFile(io.BytesIO(built))
    assert "data/01-data.csv" in archive.namelist()
    row = next(csv.DictReader(io.StringIO(archive.read("data/01-data.csv").decode("utf-8-sig"))))
    assert row == {"note": "'=HYPERLINK(\"http://evil.example\")", "amount": "'-5", "ok": "text"}
    # The JSON keeps the exact values: it is data, not a spreadsheet.
    assert json.loads(archive.read("data/01-data.json"))["records"][0]["note"].startswith("=HYPERLINK")
    assert json.loads(archive.read("data/01-data.json"))["category"] == "بيانات الفوترة"


def test_it_produces_the_same_bytes_for_the_same_content():
    section = annex.Section(key="c", title="A", records=[{"a": 1}])
    kwargs = dict(tenant_slug="t", reference="T-1", generated_at=datetime(2026, 1, 1, tzinfo=UTC),
                  sections=[section], letter_pdf=b"%PDF-1.7")
    assert package.build(**kwargs) == package.build(**kwargs)


# --- reading staff uploads -------------------------------------------------------------------------


def test_it_reads_csv_and_json_uploads_into_records():
    assert annex.parse_data_file("a.csv", "text/csv", "\ufeffname,city\nSam,Riyadh\n".encode()) == [
        {"name": "Sam", "city": "Riyadh"}]
    assert annex.parse_data_file("a.json", "application/json", b'{"records": [{"a": 1}, 2]}') == [
        {"a": 1}, {"value": 2}]
    assert annex.parse_data_file("a.json", "application/json", b'{"a": 1, "b": 2}') == [{"a": 1, "b": 2}]
    extra = annex.parse_data_file("a.csv", "text/csv", b"a\n1,2,3\n")
    assert extra == [{"a": "1", "(extra)": "2, 3"}], "cells beyond the header are kept, not lost"


@pytest.mark.parametrize("name,content,message", [
    ("broken.json", b'{"a": ', "broken.json is not valid JSON"),
    ("latin.csv", "café".encode("latin-1"), "latin.csv is not UTF-8 text"),
    ("scalar.json", b'"just text"', "scalar.json: expected a list of records"),
])
def test_it_explains_unreadable_uploads(name, content, message):
    content_type = "application/json" if name.endswith(".json") else "text/csv"
    with pytest.raises(annex.AnnexError, match=message):
        annex.parse_data_file(name, content_type, content)


def test_it_refuses_an_upload_with_too_many_records(monkeypatch):
    monkeypatch.setattr(annex, "MAX_ROWS", 10)
    with pytest.raises(annex.AnnexError, match="too many records"):
        annex.parse_data_file("big.csv", "text/csv", b"a\n" + b"1\n" * 11)
    with pytest.raises(annex.AnnexError, match="too many records"):
        annex.parse_data_file("big.json", "application/json", json.dumps(list(range(11))).encode())


def test_it_prints_nested_values_and_cuts_huge_cells():
    assert annex.cell_text({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'
    assert annex.cell_text(True) == "true" and annex.cell_text(None) == ""
    assert len(annex.cell_text("x" * 10_000)) == annex.MAX_CELL_CHARS + 1
