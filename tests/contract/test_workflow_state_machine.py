"""The workflow walked in random orders through the HTTP API, with real tokens.

Hypothesis' rule-based state machine records contacts, changes consent, decides, supersedes,
approves, gives feedback, convenes meetings and records their outcomes, minutes and ICPCs, requests
step-ups and step-downs, answers them (twice), withdraws them, and moves the clock, in any order,
valid or not (decide before consent, respond twice, outcome before convening...). Every answer must
be one of the codes the OpenAPI document gives for that operation, never a 5xx; a few answers are
known for certain (a closed request cannot be answered again: 409). At the end of every run the
audit chain verifies. Each run is a savepoint of the test's transaction, rolled back after it.

Bounded in `make test`; `make fuzz` sets FUZZ_MAX_EXAMPLES for many more, longer runs.
"""

import json
import os
import re
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle, RuleBasedStateMachine, initialize, multiple, rule, run_state_machine_as_test,
)

from api.vocab import (
    CONSENT_STATUSES, DIRECTIONS, FEEDBACK_METHODS, MEDICAL_DECISIONS, MEETING_OUTCOMES, OUTCOMES,
)
from tests.helpers import DEFAULT_NOW, ApiClient, contact_body, iso, token_for

LONG_RUN = "FUZZ_MAX_EXAMPLES" in os.environ
RUNS = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
STEPS = 60 if LONG_RUN else 30

RATIONALE = "The child disclosed harm at school; the parent could not explain the injury."
AGENCIES = ("wmp", "hilltop-gp", "oakfield-primary")


def documented_codes(app):
    """{(METHOD, /path/{template}): {documented status codes}} from the generated document."""
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    spec = json.loads(json.dumps(api.spec.to_dict()))
    return {
        (method.upper(), path): {int(code) for code in operation["responses"] if code.isdigit()}
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }


def template_of(path, templates):
    for method_path in templates:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", method_path) + "$"
        if re.match(pattern, path):
            return method_path
    raise AssertionError(f"{path} is not a documented path")


def make_machine(app, connection):
    codes = documented_codes(app)
    paths = sorted({path for _, path in codes}, key=len, reverse=True)
    clients = {
        "police": ApiClient(app, token_for(app, "agency", sub="sm-police", agency="wmp")),
        "mash_practitioner": ApiClient(app, token_for(app, "practitioner", sub="sm-priya", service="mash")),
        "mash_manager": ApiClient(app, token_for(app, "manager", sub="sm-mark", service="mash")),
        "sc_practitioner": ApiClient(app, token_for(app, "practitioner", sub="sm-sam", service="social_care")),
        "sc_manager": ApiClient(app, token_for(app, "manager", sub="sm-sara", service="social_care")),
        "eh_practitioner": ApiClient(app, token_for(app, "practitioner", sub="sm-ella", service="early_help")),
        "eh_manager": ApiClient(app, token_for(app, "manager", sub="sm-emma", service="early_help")),
        "auditor": ApiClient(app, token_for(app, "auditor", sub="sm-alex")),
    }
    # Weighted towards the outcomes that open later steps (meetings, step-up, step-down).
    outcomes = st.sampled_from(["strategy_discussion", "strategy_discussion", "early_help",
                                "assessment", *OUTCOMES])
    staff = st.sampled_from([name for name in clients if "practitioner" in name or "manager" in name])
    managers = st.sampled_from([name for name in clients if "manager" in name])

    class Workflow(RuleBasedStateMachine):
        contacts = Bundle("contacts")
        decisions = Bundle("decisions")
        meetings = Bundle("meetings")
        transitions = Bundle("transitions")

        def __init__(self):
            super().__init__()
            self.savepoint = connection.begin_nested()
            app.test_clock.set(DEFAULT_NOW)
            self.closed_transitions = set()

        # ---- the one way every call is made and judged ------------------------------------

        def call(self, who, method, path, body=None):
            response = clients[who].open(path, method, json=body)
            operation = (method, template_of(path, paths))
            assert response.status_code < 500, (operation, response.status_code, response.json)
            assert response.status_code in codes[operation], (
                f"{method} {path} answered {response.status_code}, documented "
                f"{sorted(codes[operation])}: {response.json}"
            )
            return response

        def now(self):
            return app.test_clock()

        # ---- rules ------------------------------------------------------------------------

        @initialize(target=contacts)
        def first_contact(self):
            return self.post_contact("police", "not_sought", 2)

        @initialize(target=decisions)
        def strategy_discussion(self):
            # One case already at a strategy discussion, so meetings and step-downs are reachable.
            contact = self.post_contact("police", "overridden", 3)
            response = self.call("mash_practitioner", "POST", f"/api/v1/contacts/{contact[0]}/decisions",
                                 {"outcome": "strategy_discussion", "rationale": RATIONALE})
            assert response.status_code == 201, response.json
            return (response.json["id"], contact)

        @staticmethod
        def contact_of(source):
            """A rule's case: a contact, or the contact a decision was made on."""
            return source[1] if isinstance(source[1], tuple) else source

        @rule(target=contacts, who=st.sampled_from(["police", "mash_practitioner"]),
              consent=st.sampled_from(CONSENT_STATUSES), hours_ago=st.integers(0, 30))
        def record_contact(self, who, consent, hours_ago):
            return self.post_contact(who, consent, hours_ago)

        def post_contact(self, who, consent, hours_ago):
            consent_body = {"status": consent}
            if consent != "given":
                consent_body["reason"] = "Consent would place the child at greater risk of harm."
            response = self.call(who, "POST", "/api/v1/contacts", contact_body(
                received_at=iso(self.now() - timedelta(hours=hours_ago)), consent=consent_body,
                channel="api" if who == "police" else "phone",
            ))
            if response.status_code != 201:
                return multiple()
            return (response.json["id"], response.json["children"][0]["id"])

        @rule(contact=contacts, who=staff, consent=st.sampled_from(CONSENT_STATUSES))
        def change_consent(self, contact, who, consent):
            body = {"status": consent}
            if consent != "given":
                body["reason"] = "Risk of significant harm: sharing without consent."
            self.call(who, "POST", f"/api/v1/contacts/{contact[0]}/consent", body)

        @rule(target=decisions, contact=contacts, who=staff, outcome=outcomes)
        def decide(self, contact, who, outcome):
            response = self.call(who, "POST", f"/api/v1/contacts/{contact[0]}/decisions",
                                 {"outcome": outcome, "rationale": RATIONALE})
            return (response.json["id"], contact) if response.status_code == 201 else multiple()

        @rule(target=decisions, decision=decisions, who=staff, outcome=outcomes)
        def supersede(self, decision, who, outcome):
            decision_id, contact = decision
            response = self.call(who, "POST", f"/api/v1/contacts/{contact[0]}/decisions", {
                "outcome": outcome, "rationale": RATIONALE, "supersedes": decision_id,
                "supersede_reason": "New information from the school changes the picture."})
            return (response.json["id"], contact) if response.status_code == 201 else multiple()

        @rule(decision=decisions, who=managers)
        def approve(self, decision, who):
            self.call(who, "POST", f"/api/v1/decisions/{decision[0]}/approval", {"note": "Agreed."})

        @rule(contact=contacts, who=staff, method=st.sampled_from(FEEDBACK_METHODS))
        def feedback(self, contact, who, method):
            self.call(who, "POST", f"/api/v1/contacts/{contact[0]}/feedback", {
                "given_at": iso(self.now()), "method": method,
                "summary": "Your contact has been considered; we will be in touch."})

        @rule(target=meetings, source=st.one_of(contacts, decisions), who=staff,
              invited=st.lists(st.sampled_from(AGENCIES), unique=True))
        def convene(self, source, who, invited):
            contact = self.contact_of(source)
            response = self.call(who, "POST", "/api/v1/strategy-meetings", {
                "contact_id": contact[0], "children": [contact[1]], "convened_at": iso(self.now()),
                "scheduled_for": iso(self.now() + timedelta(hours=2)), "chair": "Mark Evans",
                "invited": [{"agency": agency} for agency in invited],
                "not_invited_reasons": {agency: "Not involved with the family." for agency in AGENCIES
                                        if agency not in invited},
            })
            return (response.json["id"], contact) if response.status_code == 201 else multiple()

        @rule(meeting=meetings, who=staff, outcome=st.sampled_from(MEETING_OUTCOMES),
              medical=st.sampled_from(MEDICAL_DECISIONS), with_minutes=st.booleans())
        def outcome(self, meeting, who, outcome, medical, with_minutes):
            body = {"held_at": iso(self.now()), "outcome": outcome, "rationale": RATIONALE,
                    "medical_examination": {"decision": medical},
                    "attendance": [{"agency": "wmp", "attended": True, "name": "DS Lee"}]}
            if with_minutes:
                body["minutes_recorded_at"] = iso(self.now())
            self.call(who, "POST", f"/api/v1/strategy-meetings/{meeting[0]}/outcome", body)

        @rule(meeting=meetings, who=staff)
        def minutes(self, meeting, who):
            self.call(who, "POST", f"/api/v1/strategy-meetings/{meeting[0]}/minutes",
                      {"minutes_recorded_at": iso(self.now())})

        @rule(meeting=meetings, who=staff, held=st.booleans(), plan=st.booleans())
        def icpc(self, meeting, who, held, plan):
            if held:
                body = {"held_on": self.now().date().isoformat(),
                        "child_protection_plan": [{"child_id": meeting[1][1], "plan": plan}]}
            else:
                body = {"not_required": True, "reason": "The enquiry found no continuing risk."}
            self.call(who, "POST", f"/api/v1/strategy-meetings/{meeting[0]}/icpc", body)

        @rule(target=transitions, source=st.one_of(contacts, decisions), who=staff,
              direction=st.sampled_from(list(DIRECTIONS)), with_plan=st.booleans())
        def request_transition(self, source, who, direction, with_plan):
            contact = self.contact_of(source)
            body = {"child_id": contact[1], "direction": direction,
                    "rationale": "Circumstances have changed; the family needs a different service."}
            if with_plan:
                body["plan"] = {"summary": "Weekly family support",
                                "expected_outcomes": ["School attendance above 95%"]}
            response = self.call(who, "POST", "/api/v1/transitions", body)
            return response.json["id"] if response.status_code == 201 else multiple()

        @rule(transition=transitions, who=managers, accept=st.booleans())
        def respond(self, transition, who, accept):
            body = {"decision": "accepted"} if accept else {
                "decision": "refused", "rationale": "Threshold not met: continue with the current plan."}
            response = self.call(who, "POST", f"/api/v1/transitions/{transition}/response", body)
            if transition in self.closed_transitions:
                assert response.status_code in (403, 409), response.json
            if response.status_code == 201:
                self.closed_transitions.add(transition)

        @rule(transition=transitions, who=staff)
        def withdraw(self, transition, who):
            response = self.call(who, "POST", f"/api/v1/transitions/{transition}/withdrawal",
                                 {"reason": "Sent in error."})
            if transition in self.closed_transitions:
                assert response.status_code in (403, 409), response.json
            if response.status_code == 201:
                self.closed_transitions.add(transition)

        @rule(who=staff, path=st.sampled_from([
            "/api/v1/strategy-meetings/{}/outcome", "/api/v1/strategy-meetings/{}/minutes",
            "/api/v1/transitions/{}/response", "/api/v1/transitions/{}/withdrawal",
            "/api/v1/decisions/{}/approval", "/api/v1/contacts/{}/decisions",
        ]), record=st.uuids())
        def act_on_a_record_never_made(self, who, path, record):
            # An outcome before any meeting was convened, an answer to a request never made...
            bodies = {
                "outcome": {"held_at": iso(self.now()), "outcome": "no_further_action",
                            "rationale": RATIONALE, "medical_examination": {"decision": "not_applicable"}},
                "minutes": {"minutes_recorded_at": iso(self.now())},
                "response": {"decision": "accepted"},
                "withdrawal": {},
                "approval": {},
                "decisions": {"outcome": "nfa", "rationale": RATIONALE},
            }
            response = self.call(who, "POST", path.format(record), bodies[path.rsplit("/", 1)[1]])
            assert response.status_code in (403, 404), response.json

        @rule(contact=contacts, who=st.sampled_from(["auditor", "mash_practitioner", "police"]))
        def read_contact(self, contact, who):
            self.call(who, "GET", f"/api/v1/contacts/{contact[0]}")
            if who != "police":
                self.call(who, "GET", f"/api/v1/contacts/{contact[0]}/decisions")
                self.call(who, "GET", f"/api/v1/children/{contact[1]}/chronology")

        @rule(hours=st.integers(1, 72))
        def time_passes(self, hours):
            app.test_clock.advance(hours=hours)

        def teardown(self):
            try:
                verify = self.call("auditor", "GET", "/api/v1/audit/verify")
                assert verify.status_code == 200 and verify.json["valid"] is True, verify.json
                # Every write, in whatever order, leaves each record as its latest event says.
                state = self.call("auditor", "GET", "/api/v1/audit/state")
                assert state.status_code == 200 and state.json["valid"] is True, state.json
            finally:
                self.savepoint.rollback()

    return Workflow


def test_the_workflow_in_any_order_answers_only_documented_codes(app, db):
    run_state_machine_as_test(
        make_machine(app, db),
        settings=settings(
            max_examples=RUNS, stateful_step_count=STEPS, deadline=None, database=None,
            # Same runs every time in `make test`; random (a failure prints its blob) in `make fuzz`.
            derandomize=not LONG_RUN, print_blob=True, suppress_health_check=list(HealthCheck),
        ),
    )
