// On a contact: for each child, a form to request a step-up (early help to social care) or a
// step-down (social care to early help) with POST /transitions. A step-down needs a plan with
// expected outcomes; the API says so (422) and its messages are shown beside the fields.

import { post } from "./api.js";
import { DIRECTIONS, SERVICES, childName, dateTime, el } from "./dom.js";
import { button, radios, submitting, textarea } from "./forms.js";

const WORDS = { step_up: "Step-up", step_down: "Step-down" };

function requestForm(child, index, after) {
  const id = (name) => `transition-${index}-${name}`;
  const name = childName(child) || child.reference || "this child";
  const form = el("form", { novalidate: true, "aria-labelledby": id("heading") },
    el("h3", { class: "govuk-heading-s", id: id("heading") },
      `Request a step-up or step-down for ${name}`),
    radios({ id: id("direction"), name: "direction", legend: "Direction", items: DIRECTIONS,
             small: true }),
    textarea({ id: id("rationale"), name: "rationale", label: "Why the child should move",
               hint: "At least 20 characters: the needs and risks that call for the other service.",
               rows: 4 }),
    el("fieldset", { class: "govuk-fieldset", "aria-describedby": id("plan-hint") },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" },
        "Plan for a step-down"),
      el("div", { class: "govuk-hint", id: id("plan-hint") },
        "Needed for a step-down: what early help will do, and the outcomes expected."),
      textarea({ id: id("plan-summary"), name: "plan_summary", label: "Plan summary", rows: 3 }),
      textarea({ id: id("plan-outcomes"), name: "expected_outcomes", label: "Expected outcomes",
                 hint: "One outcome on each line.", rows: 3 })),
    button("Send request", { class: "govuk-button govuk-button--secondary" }));
  const fields = {
    child_id: id("direction"), direction: id("direction"), rationale: id("rationale"),
    requested_at: id("rationale"), plan: id("plan-summary"), "plan.summary": id("plan-summary"),
    "plan.expected_outcomes": id("plan-outcomes"),
  };
  submitting(form, (data) => {
    const body = { child_id: child.id, direction: data.direction, rationale: data.rationale };
    const outcomes = (data.expected_outcomes || "").split("\n").map((line) => line.trim())
      .filter(Boolean);
    if (data.plan_summary || outcomes.length) {
      body.plan = { summary: data.plan_summary, expected_outcomes: outcomes };
    }
    return post("/transitions", body);
  }, fields, (_data, transition) => after(
    `${WORDS[transition.direction]} requested for ${name} (${transition.reference}). ` +
    `${SERVICES[transition.to_service]} must respond by ${dateTime(transition.response_due_at)}.`));
  return form;
}

// The section's nodes: a heading and, for staff who may write, a form per child.
export function transitionsSection(contact, canWrite, after) {
  if (!canWrite) return [];
  return [
    el("h2", { class: "govuk-heading-m" }, "Step-up and step-down"),
    el("p", { class: "govuk-body" },
      "Ask for a child to move between early help and social care. The receiving service " +
      "accepts or refuses the request, with its reasons."),
    ...contact.children.map((child, index) => requestForm(child, index, after)),
  ];
}
