"""The information requests' scorecard in GET /api/v1/metrics/timeliness (README, "Information
requests" among the metric definitions), from a small front door built through the API.

Every expected figure is a literal worked out by hand; nothing is computed by the code under
test. June 2026 is British Summer Time (London = UTC+1); working hours are 09:00-17:00 London.
Deadlines (defaults): red 2 clock hours, amber (and unrated) 4 working hours, green the end of
the first working day after.

  D   hilltop-gp contact, Fri 15 May 09:00Z, unrated
      R0  wmp        asked 09:30Z (10:30 London), due 13:30Z; answered Mon 18 May 09:30Z:
                     72 hours, late
  A   wmp contact, Mon 1 Jun 08:00Z, rated red 08:10Z
      R1  hilltop-gp asked 08:30Z, due 10:30Z; answered 09:30Z: 1 hour, in time
      R2  oakfield   asked 08:30Z, due 10:30Z; answered 12:30Z: 4 hours, late
  B   wmp contact, Tue 2 Jun 09:00Z, unrated
      R3  hilltop-gp asked 09:00Z (10:00 London), due 13:00Z; answered 11:00Z: 2 hours, in time
      R4  oakfield   asked 09:00Z; withdrawn by staff 10:00Z
      R5  wmp        asked 09:00Z, due 13:00Z; never answered: overdue
  C   oakfield contact, Mon 29 Jun 09:00Z, rated green
      R6  hilltop-gp asked Tue 30 Jun 09:00Z, due the end of Wed 1 Jul; open, not overdue
      R7  oakfield   asked 2026-06-30 23:30Z (00:30 on 1 July in London): July, not June; open
The figures are read at Wed 2026-07-01 11:00Z.
"""

import pytest

from tests.helpers import ratio

READ_AT = "2026-07-01T11:00:00Z"
QUESTION = "Do you know this child or family, and is there anything we should know today?"
REASON = "Disclosure of harm this morning; the child is afraid to go home tonight."


class Requests:
    def __init__(self, front_door, api_as):
        self.f = front_door
        self.agencies = {code: api_as("agency", agency=code, sub=f"{code}-system")
                         for code in ("wmp", "hilltop-gp", "oakfield-primary")}

    def rate(self, contact, when, rating):
        self.f.at(when)
        self.f.post(self.f.mash, f"/api/v1/contacts/{contact['id']}/rag",
                    {"rating": rating, "reason": REASON})

    def ask(self, contact, when, agency, due_at):
        self.f.at(when)
        asked = self.f.post(self.f.mash, f"/api/v1/contacts/{contact['id']}/information-requests",
                            {"agency": agency, "question": QUESTION,
                             "child_ids": [contact["child_id"]]})
        assert asked["due_at"] == due_at  # the deadline as worked out by hand
        return asked

    def answer(self, request, when, within_deadline, known=True):
        self.f.at(when)
        body = {"known": known, "responded_at": when}
        if known:
            body["information"] = "Known to us: last seen at the surgery in March; no concerns then."
        answered = self.f.post(self.agencies[request["agency"]],
                               f"/api/v1/information-requests/{request['id']}/response", body)
        assert answered["response"]["within_deadline"] is within_deadline

    def withdraw(self, request, when):
        self.f.at(when)
        self.f.post(self.f.mash, f"/api/v1/information-requests/{request['id']}/withdrawal",
                    {"reason": "The school has already told us what we needed."})


@pytest.fixture
def scorecard(front_door, api_as):
    f, r = front_door, Requests(front_door, api_as)
    d = f.contact("2026-05-15T09:00:00Z", "hilltop-gp")
    r0 = r.ask(d, "2026-05-15T09:30:00Z", "wmp", "2026-05-15T13:30:00Z")
    r.answer(r0, "2026-05-18T09:30:00Z", within_deadline=False, known=False)

    a = f.contact("2026-06-01T08:00:00Z", "wmp")
    r.rate(a, "2026-06-01T08:10:00Z", "red")
    r1 = r.ask(a, "2026-06-01T08:30:00Z", "hilltop-gp", "2026-06-01T10:30:00Z")
    r2 = r.ask(a, "2026-06-01T08:30:00Z", "oakfield-primary", "2026-06-01T10:30:00Z")
    r.answer(r1, "2026-06-01T09:30:00Z", within_deadline=True)
    r.answer(r2, "2026-06-01T12:30:00Z", within_deadline=False)

    b = f.contact("2026-06-02T09:00:00Z", "wmp")
    r3 = r.ask(b, "2026-06-02T09:00:00Z", "hilltop-gp", "2026-06-02T13:00:00Z")
    r4 = r.ask(b, "2026-06-02T09:00:00Z", "oakfield-primary", "2026-06-02T13:00:00Z")
    r.ask(b, "2026-06-02T09:00:00Z", "wmp", "2026-06-02T13:00:00Z")
    r.withdraw(r4, "2026-06-02T10:00:00Z")
    r.answer(r3, "2026-06-02T11:00:00Z", within_deadline=True)

    c = f.contact("2026-06-29T09:00:00Z", "oakfield-primary")
    r.rate(c, "2026-06-29T09:05:00Z", "green")
    r.ask(c, "2026-06-30T09:00:00Z", "hilltop-gp", "2026-07-01T22:59:59.999999Z")
    r.ask(c, "2026-06-30T23:30:00Z", "oakfield-primary", "2026-07-02T22:59:59.999999Z")
    f.at(READ_AT)
    return f


def requests(requested=0, answered=0, in_time=None, median=None, still_open=0, overdue=0,
             withdrawn=0):
    return {"requested": requested, "answered": answered,
            "answered_in_time": in_time or ratio(0, 0, None), "median_hours_to_answer": median,
            "open": still_open, "overdue": overdue, "withdrawn": withdrawn}


def agency(code, **figures):
    return {"agency": code, **requests(**figures)}


JUNE = {
    # R1-R6: answered R1 (1h) R2 (4h) R3 (2h), median 2; in time R1 R3; open R5 (overdue) R6
    **requests(6, 3, ratio(2, 3, 66.7), 2.0, still_open=2, overdue=1, withdrawn=1),
    "by_agency": [
        agency("hilltop-gp", requested=3, answered=2, in_time=ratio(2, 2, 100.0), median=1.5,
               still_open=1),  # R1 R3 answered (1h, 2h), R6 open and not yet due
        agency("oakfield-primary", requested=2, answered=1, in_time=ratio(0, 1, 0.0),
               median=4.0, withdrawn=1),  # R2 late, R4 withdrawn
        agency("wmp", requested=1, still_open=1, overdue=1),  # R5: nothing answered, null median
    ],
}


def test_the_scorecard_for_a_period_for_all_agencies_and_each(scorecard):
    response = scorecard.metrics("from=2026-06-01&to=2026-07-01")
    assert response.status_code == 200, response.json
    assert response.json["information_requests"] == JUNE


def test_the_scorecard_by_month(scorecard):
    response = scorecard.metrics("from=2026-04-01&to=2026-08-01&group_by=month")
    assert response.status_code == 200, response.json
    by_month = {group["key"]: group["information_requests"] for group in response.json["groups"]}
    assert by_month == {
        "2026-04": {**requests(), "by_agency": []},
        # R0 only: answered late, 72 hours
        "2026-05": {**requests(1, 1, ratio(0, 1, 0.0), 72.0),
                    "by_agency": [agency("wmp", requested=1, answered=1, in_time=ratio(0, 1, 0.0),
                                         median=72.0)]},
        "2026-06": JUNE,
        # R7, asked at 00:30 on 1 July in London; due the end of Thu 2 July: not overdue
        "2026-07": {**requests(1, still_open=1),
                    "by_agency": [agency("oakfield-primary", requested=1, still_open=1)]},
    }


def test_the_scorecard_by_the_contacts_source_agency(scorecard):
    response = scorecard.metrics("from=2026-06-01&to=2026-07-01&group_by=source_agency")
    assert response.status_code == 200, response.json
    by_source = {group["key"]: group["information_requests"] for group in response.json["groups"]}
    assert by_source == {
        # C's R6 (R7 is July's)
        "oakfield-primary": {**requests(1, still_open=1),
                             "by_agency": [agency("hilltop-gp", requested=1, still_open=1)]},
        # A's and B's: R1-R5
        "wmp": {**requests(5, 3, ratio(2, 3, 66.7), 2.0, still_open=1, overdue=1, withdrawn=1),
                "by_agency": [
                    agency("hilltop-gp", requested=2, answered=2, in_time=ratio(2, 2, 100.0),
                           median=1.5),  # R1 R3 (R6 is C's, an oakfield contact)
                    JUNE["by_agency"][1],  # R2 R4
                    agency("wmp", requested=1, still_open=1, overdue=1),  # R5
                ]},
    }


def test_overdue_requests_are_judged_at_the_time_of_the_metrics_call(scorecard):
    scorecard.at("2026-07-01T23:00:00Z")  # just past R6's deadline, the end of 1 July
    june = scorecard.metrics("from=2026-06-01&to=2026-07-01").json["information_requests"]
    assert (june["open"], june["overdue"]) == (2, 2)
    assert june["by_agency"][0]["overdue"] == 1  # hilltop-gp: R6


def test_a_period_without_requests_has_an_empty_scorecard(scorecard):
    body = scorecard.metrics("from=2026-03-01&to=2026-04-01").json
    assert body["information_requests"] == {**requests(), "by_agency": []}


def test_each_median_is_in_hours_to_two_places(front_door, api_as):
    f, r = front_door, Requests(front_door, api_as)
    contact = f.contact("2026-06-01T08:00:00Z", "wmp")
    gp = r.ask(contact, "2026-06-01T09:00:00Z", "hilltop-gp", "2026-06-01T13:00:00Z")
    school = r.ask(contact, "2026-06-01T09:00:00Z", "oakfield-primary", "2026-06-01T13:00:00Z")
    r.answer(school, "2026-06-01T09:10:00Z", within_deadline=True)  # 1/6 hour
    r.answer(gp, "2026-06-01T10:10:00Z", within_deadline=True)  # 7/6 hours
    f.at(READ_AT)
    body = f.metrics("from=2026-06-01&to=2026-07-01").json
    assert body["information_requests"] == {
        **requests(2, 2, ratio(2, 2, 100.0), 0.67),  # (1/6 + 7/6) / 2 = 2/3
        "by_agency": [
            agency("hilltop-gp", requested=1, answered=1, in_time=ratio(1, 1, 100.0), median=1.17),
            agency("oakfield-primary", requested=1, answered=1, in_time=ratio(1, 1, 100.0),
                   median=0.17),
        ],
    }


def test_a_request_at_london_midnight_counts_in_the_period_it_starts_and_is_overdue_after_its_due(
    front_door, api_as,
):
    f, r = front_door, Requests(front_door, api_as)
    contact = f.contact("2026-05-31T22:00:00Z", "wmp")
    # 00:00 on Mon 1 June and on Wed 1 July in London; 4 working hours from 09:00: 13:00 London
    r.ask(contact, "2026-05-31T23:00:00Z", "hilltop-gp", "2026-06-01T12:00:00Z")
    r.ask(contact, "2026-06-30T23:00:00Z", "oakfield-primary", "2026-07-01T12:00:00Z")
    for read_at, overdue in (("2026-07-01T12:00:00Z", 0), ("2026-07-01T12:00:00.000001Z", 1)):
        f.at(read_at)
        june = f.metrics("from=2026-06-01&to=2026-07-01").json["information_requests"]
        july = f.metrics("from=2026-07-01&to=2026-08-01").json["information_requests"]
        assert june == {**requests(1, still_open=1, overdue=1),
                        "by_agency": [agency("hilltop-gp", requested=1, still_open=1, overdue=1)]}
        assert july == {**requests(1, still_open=1, overdue=overdue),
                        "by_agency": [agency("oakfield-primary", requested=1, still_open=1,
                                             overdue=overdue)]}, read_at
