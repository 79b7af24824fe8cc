"""The same-work baseline (bench/same_work.py) and what bench/load.py judges with it: the rows a
baseline's answers imply, counted on a real database, so a baseline that silently does less than
the app fails the run; and the targets read from the speed rows. No timing is asserted here."""

import math

import pytest

import bench.same_work
from bench.load import (SPEED_ROWS, Site, check_same_work, contact_body, expected_rows,
                        verdicts, work_problems)
from bench.same_work import PREFIX, create_same_work_app
from tests.helpers import site_roles


def _rows(**overrides):
    """speed()'s rows, every one empty, with `overrides` ({name: {field: value}}) applied."""
    rows = {name: {"label": label, "rps": 0.0, "p50_ms": math.nan, "p99_ms": math.nan,
                   "statuses": {}} for name, label in SPEED_ROWS.items()}
    for name, fields in overrides.items():
        rows[name].update(fields)
    return rows


def _met(rows):
    return {what: met for what, _figure, _target, met in verdicts(rows)}


def test_each_target_is_met_at_its_bound_and_missed_just_past_it():
    at_bounds = _rows(
        post={"rps": 85.0, "p99_ms": 39.9}, same_post={"rps": 100.0},
        get={"rps": 170.0, "p99_ms": 19.9}, same_get={"rps": 200.0},
        idle_post={"p50_ms": 7.9}, idle_get={"p50_ms": 3.9},
    )
    assert all(_met(at_bounds).values()), _met(at_bounds)
    past = _rows(
        post={"rps": 84.0, "p99_ms": 40.0}, same_post={"rps": 100.0},
        get={"rps": 169.0, "p99_ms": 20.0}, same_get={"rps": 200.0},
        idle_post={"p50_ms": 8.0}, idle_get={"p50_ms": 4.0},
    )
    assert not any(_met(past).values()), _met(past)


def test_a_target_with_no_answers_is_missed():
    assert not any(_met(_rows()).values())


def test_rows_that_match_the_answers_are_no_problem():
    expected = expected_rows(posts=3, reads=2)
    assert expected["audit events contact.recorded"] == 3
    assert expected["access event records"] == 4
    assert work_problems("same-work", expected, dict(expected)) == []


def test_work_skipped_or_added_is_a_problem():
    expected = expected_rows(posts=3, reads=2)
    counted = {**expected, "audit events contact.recorded": 0, "access events": 1,
               "audit events child.ethnicity_added": 1}
    problems = work_problems("same-work", expected, counted)
    assert problems == [
        "same-work: 0 audit events contact.recorded, expected 3",
        "same-work: 1 access events, expected 2",
        "same-work: 1 audit events child.ethnicity_added, expected none",
    ]


@pytest.fixture
def site(fresh_database_url):
    return Site(fresh_database_url, partners=0, practitioners=0, speed_clients=1,
                **site_roles(fresh_database_url))


def _post_and_read(site, references):
    app = create_same_work_app(site.url)
    client = app.test_client()
    try:
        for reference in references:
            posted = client.post(f"{PREFIX}/contacts", json=contact_body("wmp", reference),
                                 headers={"Idempotency-Key": f"key-{reference}"})
            assert posted.status_code == 201, posted.get_data(as_text=True)
            read = client.get(f"{PREFIX}/contacts/{posted.get_json()['id']}")
            assert read.status_code == 200, read.get_data(as_text=True)
            assert read.get_json()["children"][0]["local_child_id"] == reference
    finally:
        app.extensions["same_work_engine"].dispose()


def _answered(posts, reads):
    return _rows(same_post={"statuses": {"201": posts}}, same_get={"statuses": {"200": reads}})


def test_the_baseline_writes_the_apps_rows_and_a_chain_the_app_verifies(site):
    _post_and_read(site, ["LOAD-same-1", "LOAD-same-2"])
    problems, facts = check_same_work(site, _answered(posts=2, reads=2))
    assert problems == [], facts
    assert facts["same-work"]["audit events child.recorded"] == 2, facts
    assert facts["chain"] == {"length": site.setup_events + 4, "valid": True}


def test_a_retry_with_the_same_key_replays_the_answer_and_writes_nothing(site):
    app = create_same_work_app(site.url)
    client = app.test_client()
    body, key = contact_body("wmp", "LOAD-same-retry"), {"Idempotency-Key": "retried"}
    try:
        first = client.post(f"{PREFIX}/contacts", json=body, headers=key)
        again = client.post(f"{PREFIX}/contacts", json=body, headers=key)
        other = client.post(f"{PREFIX}/contacts", json=contact_body("wmp", "LOAD-same-other"),
                            headers=key)
    finally:
        app.extensions["same_work_engine"].dispose()
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    problems, facts = check_same_work(site, _answered(posts=1, reads=0))
    assert problems == [], facts


def test_a_baseline_that_skips_an_audit_event_is_caught(site, monkeypatch):
    real = bench.same_work.chained
    monkeypatch.setattr(bench.same_work, "chained",
                        lambda seq, prev, at, actor, events: real(seq, prev, at, actor, events[:1]))
    _post_and_read(site, ["LOAD-same-less"])
    problems, _facts = check_same_work(site, _answered(posts=1, reads=1))
    assert problems == ["same-work: 0 audit events contact.recorded, expected 1"], problems
