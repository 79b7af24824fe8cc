// A manager's sign-off of a contact's current decision (POST /decisions/{id}/approval), with an
// optional note. The console shows the form to any manager; the API decides who may sign off (never
// the person who decided) and its reason is shown beside the note.

import { post } from "./api.js";
import { el } from "./dom.js";
import { button, submitting, textarea } from "./forms.js";

// `after(message)`: what the page does once it is signed off (read the contact again, say so).
export function signOffForm(decision, after) {
  const form = el("form", { novalidate: true, "aria-labelledby": "sign-off-heading" },
    el("h3", { class: "govuk-heading-s", id: "sign-off-heading" }, "Sign off this decision"),
    el("p", { class: "govuk-body" },
      "Management oversight: you have read the decision and its rationale and agree with it."),
    textarea({ id: "sign-off-note", name: "note", label: "Note (optional)",
               hint: "Anything the record should show about your oversight.", rows: 3 }),
    button("Sign off decision"));
  submitting(form, (data) => post(`/decisions/${decision.id}/approval`, data),
    { note: "sign-off-note", decision: "sign-off-note" },
    () => after("Decision signed off."));
  return form;
}
