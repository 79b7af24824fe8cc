"""An NDJSON export is complete or visibly not: its last line, the trailer, counts the lines before
it and carries the sha256 of their bytes, so a body cut short (a worker killed mid-stream, a
dropped connection) or changed since cannot pass for a whole one.

Each file is checked twice: as the README's shell commands check it (`tail -n 1` read as JSON,
`head -n -1 | wc -l`, `head -n -1 | sha256sum`, written out here in Python), and by
`flask exports check`.
"""

import hashlib
import json
import re

import pytest

from api.config import PROJECT_ROOT

from tests.helpers import child, decide, iso, new_nhs_number, record_contact, utc

EXPORT = "/api/v1/exports/decisions"
OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}
NDJSON = {"Accept": "application/x-ndjson"}
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.fixture
def october(staff):
    """Three decisions in October 2026, one whose rationale is not ASCII and holds a character
    some readers take for a line break (U+2028): a line is what ends in a newline byte."""
    for day, rationale in ((5, None), (12, "Mère inquiète\u2028l'école a appelé."), (19, None)):
        contact = record_contact(staff.mash, received_at=iso(utc(f"2026-10-{day:02}T08:00:00Z")),
                                 children=[child("Amelia", new_nhs_number())])
        decide(staff.mash, contact["id"], "information_advice",
               decided_at=iso(utc(f"2026-10-{day:02}T09:00:00Z")),
               **({"rationale": rationale} if rationale else {}))


def export_body(client, period=OCTOBER, path=EXPORT):
    response = client.get(path, query_string=period, headers=NDJSON)
    assert response.status_code == 200 and response.is_streamed
    return response.get_data()


def shell_check(data):
    """What the README's commands find in a file holding `data`: "complete", or what is wrong.

    GNU `tail -n 1` is the last line (the bytes after the last newline but the final one), and
    `head -n -1` everything before it; `wc -l` counts newline bytes."""
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    start = data.rfind(b"\n", 0, end) + 1
    head, last = data[:start], data[start:]
    try:
        trailer = json.loads(last)["@end"]
    except (ValueError, KeyError, TypeError):
        return "no trailer"
    if head.count(b"\n") != trailer["rows"]:
        return "count differs"
    if hashlib.sha256(head).hexdigest() != trailer["sha256"]:
        return "digest differs"
    return "complete"


@pytest.fixture
def check_file(app, tmp_path):
    """`flask exports check` on a file holding `data`: (exit code, what it printed)."""
    runner = app.test_cli_runner()

    def check(data):
        path = tmp_path / "export.ndjson"
        path.write_bytes(data)
        result = runner.invoke(args=["exports", "check", str(path)])
        return result.exit_code, result.output

    return check


# ---- a whole export ---------------------------------------------------------------------------


def test_an_export_ends_with_a_trailer_counting_the_lines_before_it_and_their_sha256(
        staff, october, check_file):
    body = export_body(staff.auditor)
    *records, trailer = body.split(b"\n")[:-1]
    assert body.endswith(b"\n")
    assert len(records) == 3
    assert all("@end" not in json.loads(line) for line in records)
    before = b"".join(line + b"\n" for line in records)
    digest = hashlib.sha256(before).hexdigest()
    assert json.loads(trailer) == {"@end": {"rows": 3, "sha256": digest}}
    assert body == before + trailer + b"\n"
    assert shell_check(body) == "complete"
    assert check_file(body) == (0, f"complete: 3 rows, sha256 {digest}\n")


def test_an_empty_export_is_its_trailer_alone_with_the_sha256_of_no_bytes(staff, check_file):
    body = export_body(staff.auditor, {"from": "2030-01-01", "to": "2030-01-02"})
    assert body == b'{"@end":{"rows":0,"sha256":"' + EMPTY_SHA256.encode() + b'"}}\n'
    assert shell_check(body) == "complete"
    assert check_file(body) == (0, f"complete: 0 rows, sha256 {EMPTY_SHA256}\n")


def test_the_audit_trail_streamed_as_ndjson_ends_with_its_trailer_too(staff, october, check_file):
    body = export_body(staff.auditor, {}, "/api/v1/audit/events")
    records = body.split(b"\n")[:-2]
    assert len(records) >= 6  # three contacts, three decisions
    assert shell_check(body) == "complete"
    assert check_file(body)[0] == 0


# ---- an export cut short, or changed --------------------------------------------------------


def cuts(body):
    """`body` cut short where a stream can stop: {what: the bytes that arrived}."""
    lines = body.split(b"\n")[:-1]
    first, trailer = len(lines[0]) + 1, len(lines[-1]) + 1
    return {
        "mid-way through the first record": body[:first // 2],
        "after the first record": body[:first],
        "mid-way through the second record": body[:first + len(lines[1]) // 2],
        "mid-way through the last record": body[:len(body) - trailer - len(lines[-2]) // 2],
        "before the trailer": body[:len(body) - trailer],
        "mid-way through the trailer": body[:len(body) - trailer // 2],
        "before anything": b"",
    }


CUTS = ["mid-way through the first record", "after the first record",
        "mid-way through the second record", "mid-way through the last record",
        "before the trailer", "mid-way through the trailer", "before anything"]


@pytest.mark.parametrize("where", CUTS)
def test_an_export_cut_short_is_seen_to_be_incomplete(staff, october, check_file, where):
    body = export_body(staff.auditor)
    cut = cuts(body)[where]
    assert cut != body
    assert shell_check(cut) == "no trailer"
    code, printed = check_file(cut)
    assert code == 1
    assert printed.startswith("incomplete: no trailer")


def test_a_changed_record_is_seen_by_its_digest(staff, october, check_file):
    body = export_body(staff.auditor)
    assert body.count(b'"information_advice"') == 3
    changed = body.replace(b'"information_advice"', b'"assessment"', 1)
    assert shell_check(changed) == "digest differs"
    code, printed = check_file(changed)
    assert code == 1
    assert printed.startswith("incomplete: digest differs")


def test_a_record_taken_out_or_added_is_seen_by_the_count(staff, october, check_file):
    body = export_body(staff.auditor)
    lines = body.split(b"\n")[:-1]
    taken_out = b"\n".join(lines[1:]) + b"\n"
    added = b"\n".join([lines[0], *lines]) + b"\n"
    for data in (taken_out, added):
        assert shell_check(data) == "count differs"
        code, printed = check_file(data)
        assert code == 1
        assert printed.startswith("incomplete: count differs")
    assert "the trailer says 3 rows, the file holds 2 lines before it" in check_file(taken_out)[1]


def test_a_line_after_the_trailer_leaves_the_file_without_one(staff, october, check_file):
    body = export_body(staff.auditor)
    appended = body + body.split(b"\n")[0] + b"\n"
    assert shell_check(appended) == "no trailer"
    assert check_file(appended)[0] == 1


def test_a_file_that_is_not_there_is_a_usage_error(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["exports", "check", str(tmp_path / "missing")])
    assert result.exit_code == 2


def test_the_readmes_python_check_agrees(staff, october, tmp_path):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(import hashlib, json\n.*?)```", readme, re.DOTALL).group(1)
    names = {}
    exec(snippet, names)  # the README's own example, as an auditor would paste it
    body = export_body(staff.auditor)
    digest = json.loads(body.split(b"\n")[-2])["@end"]["sha256"]
    path = tmp_path / "export.ndjson"
    path.write_bytes(body)
    assert names["check_export"](path) == (3, digest)
    changed = body.replace(b'"information_advice"', b'"nfa"', 1)
    for data, why in [*((cut, "no trailer") for cut in cuts(body).values()),
                      (changed, "do not match")]:
        path.write_bytes(data)
        with pytest.raises(ValueError, match=why):
            names["check_export"](path)
