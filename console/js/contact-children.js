// The contact page's children: each child linked to their page (earlier contacts and chronology
// one click away) and, for staff, a child whose details as the referrer gave them may be another
// record: the candidates with what matched, and a form to confirm one or reject them all, with a
// reason (POST /contacts/{id}/children/{n}/link). contact.js calls childrenSection() in show().

import { post } from "./api.js";
import { childName, date, el, lines, summaryList, table, tag, words } from "./dom.js";
import { button, radios, textarea } from "./forms.js";

const EVIDENCE = {
  nhs_number: "NHS number (with another date of birth)",
  local_child_id: "Local child id",
  name_and_date_of_birth: "Name and date of birth",
};
const NONE = "none";

function born(child) {
  if (child.date_of_birth) return date(child.date_of_birth);
  if (child.expected_date_of_birth) return `Expected ${date(child.expected_date_of_birth)}`;
  return "";
}

function childLink(child) {
  return el("a", { class: "govuk-link app-name", href: `/console/child?id=${encodeURIComponent(child.id)}` },
    childName(child) || "Name not known");
}

const open = (child) => (child.possible_matches || []).filter((match) => match.status === "open");

function matchCard(contactId, child, position, submitting) {
  const matches = open(child);
  const given = child.as_given || {};
  const prefix = `link-${position}`;
  const items = Object.fromEntries(matches.map((match) => [match.candidate.id,
    `${childName(match.candidate)}, ${born(match.candidate) || "date of birth not known"} ` +
    `(${match.candidate.reference})`]));
  items[NONE] = "None of these: keep the record it is linked to now";
  const form = el("form", { novalidate: true, "aria-labelledby": `${prefix}-heading` },
    el("h4", { class: "govuk-heading-s", id: `${prefix}-heading` }, "Confirm or reject"),
    radios({ id: `${prefix}-child`, name: "child", legend: "Which record is this child?", items,
             small: true }),
    textarea({ id: `${prefix}-reason`, name: "reason", label: "Reason",
               hint: "What confirms it, or why they are not the same child.", rows: 3 }),
    button("Save", { class: "govuk-button govuk-button--secondary" }));
  submitting(form,
    (data) => post(`/contacts/${contactId}/children/${position}/link`,
      { child: data.child === NONE ? null : data.child, reason: data.reason }),
    { child: `${prefix}-child`, reason: `${prefix}-reason` },
    (data) => (data.child === NONE
      ? `Possible matches rejected: ${childName(given) || "the child"} keeps the record it is linked to.`
      : `Child linked to ${items[data.child] || "the record chosen"}.`));

  return el("div", { class: "govuk-summary-card" },
    el("div", { class: "govuk-summary-card__title-wrapper" },
      el("h3", { class: "govuk-summary-card__title app-preserve" },
        `Possible match: ${childName(given) || childName(child)}`),
      tag("To check", "yellow")),
    el("div", { class: "govuk-summary-card__content" },
      el("p", { class: "govuk-body" }, "As the referrer gave them:"),
      el("div", { class: "govuk-!-margin-bottom-6" }, summaryList([
        ["Name", el("span", { class: "app-preserve" }, childName(given))],
        ["Date of birth", born(given) || "Not given"],
        ["NHS number", given.nhs_number || "Not given"],
        ["Local child id", given.local_child_id || "Not given"],
        ["Linked now to", lines(childLink(child), child.reference)],
      ])),
      table(`Records ${childName(given) || "this child"} may be`,
        ["Record", "Date of birth", "NHS number", "Local child id", "What matched"],
        matches.map((match) => [
          lines(childLink(match.candidate), match.candidate.reference), born(match.candidate),
          match.candidate.nhs_number || "", match.candidate.local_child_id || "",
          lines(...(match.evidence || []).map((code) => EVIDENCE[code] || words(code))),
        ])),
      form));
}

// The section's nodes. `submitting(form, send, fields, said)`: contact.js's form helper (the
// contact read again and `said(data)` shown on success).
export function childrenSection(contact, { contactId, canWrite, submitting }) {
  const children = contact.children || [];
  const section = [
    el("h2", { class: "govuk-heading-m" }, "Children"),
    table("The children this contact is about", ["Name", "Date of birth", "Sex", "NHS number",
                                                 "Local id", "Child reference"],
      children.map((child) => [
        open(child).length ? lines(childLink(child), tag("Possible match to check", "yellow"))
          : childLink(child),
        born(child), words(child.sex), child.nhs_number, child.local_child_id, child.reference,
      ])),
  ];
  if (canWrite) {
    for (const child of children) {
      const matches = open(child);
      if (matches.length) section.push(matchCard(contactId, child, matches[0].position, submitting));
    }
  }
  return section;
}
