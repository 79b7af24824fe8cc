// The contact's RAG rating (how fast it must be decided): the current rating as a GOV.UK tag with
// its reason, every rating given, and for staff, while the contact awaits its decision, a form to
// set it (POST /contacts/{id}/rag). The rating moves "Decision due" in the overview. contact.js
// calls ragSection() in show(); the queue shows ragTag() in each row.

import { post } from "./api.js";
import { details, el, lines, summaryList, table, tag, timeElement } from "./dom.js";
import { button, radios, textarea } from "./forms.js";

export const RAG = {
  red: "Red",
  amber: "Amber",
  green: "Green",
};
// GOV.UK Frontend has no amber tag: orange is its nearest.
const COLOURS = { red: "red", amber: "orange", green: "green" };

// The rating as a tag, or "Not rated" (a contact never rated keeps the statutory working day).
export function ragTag(rag) {
  if (!rag) return el("span", { class: "app-nowrap" }, "Not rated");
  return tag(RAG[rag.rating] || rag.rating, COLOURS[rag.rating] || "grey");
}

function ragForm(contactId, rated, submitting) {
  // A rated contact's form to change it stays folded until asked for.
  const form = el("form", { novalidate: true, "aria-label": rated ? "Change the RAG rating" : null,
                            "aria-labelledby": rated ? null : "rag-form-heading" },
    rated ? null : el("h3", { class: "govuk-heading-s", id: "rag-form-heading" }, "Set the RAG rating"),
    radios({ id: "rag-rating", name: "rating", legend: "Rating", items: RAG, small: true,
             hint: "Red: immediate risk, decide within 4 hours of receipt. Amber: decide by the end " +
                   "of the next working day. Green: decide within 3 working days." }),
    textarea({ id: "rag-reason", name: "reason", label: "Why this rating",
               hint: "At least 20 characters, and not a placeholder such as n/a.", rows: 3 }),
    button(rated ? "Change RAG rating" : "Set RAG rating", { class: "govuk-button govuk-button--secondary" }));
  submitting(form, (data) => post(`/contacts/${contactId}/rag`, data),
    { rating: "rag-rating", reason: "rag-reason" },
    (data) => `RAG rating set: ${RAG[data.rating] || data.rating}.`);
  return rated ? details("Change the RAG rating", form) : form;
}

// The section's nodes. `submitting(form, send, fields, said)`: contact.js's form helper (the
// contact is read again and the banner says `said(data)`). Nothing is shown to a reader the API
// does not show the rating to.
export function ragSection(contact, { contactId, canWrite, submitting }) {
  if (!("rag" in contact)) return [];
  const rag = contact.rag;
  const history = contact.rag_history || [];
  const section = [
    el("h2", { class: "govuk-heading-m", id: "rag-heading" }, "RAG rating"),
    summaryList([
      ["Current rating", ragTag(rag)],
      rag && ["Reason", el("span", { class: "app-preserve" }, rag.reason)],
      rag && ["Rated", lines(timeElement(rag.at), rag.by && `by ${rag.by}`)],
    ]),
  ];
  if (history.length > 1) {
    section.push(table("RAG ratings, oldest first", ["Rated", "Rating", "Reason", "By"],
      history.map((item) => [timeElement(item.at), ragTag(item),
                             el("span", { class: "app-preserve" }, item.reason), item.by])));
  }
  if (canWrite && contact.status === "awaiting_decision") {
    section.push(ragForm(contactId, Boolean(rag), submitting));
  }
  return section;
}
