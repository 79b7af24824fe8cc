// A child: their identity (GET /children/{id}), the contacts about them, the possible matches
// still to check, and their chronology across contacts, decisions, strategy meetings and
// step-up/step-down requests (GET /children/{id}/chronology), newest first, each event linked to
// its contact. A record merged into another sends the reader on to that one, saying so; a child
// who does not exist or is restricted from the reader is "not found".

import { Problem, get } from "./api.js";
import { currentRole } from "./sign-in.js";
import { startPage } from "./layout.js";
import {
  OUTCOMES, childName, clear, date, el, lines, summaryList, table, timeElement, words,
} from "./dom.js";

const STAFF = ["practitioner", "manager"];
const SERVICES = { early_help: "Early help", social_care: "Social care" };
const STATUSES = { awaiting_decision: "Awaiting decision", decided: "Decided" };
export const EVIDENCE = {
  nhs_number: "NHS number (with another date of birth)",
  local_child_id: "Local child id",
  name_and_date_of_birth: "Name and date of birth",
};

let page;
const agencies = {};

function childLink(id, text) {
  return el("a", { class: "govuk-link app-name", href: `/console/child?id=${encodeURIComponent(id)}` }, text);
}

function contactLink(id, text) {
  return el("a", { class: "govuk-link app-nowrap", href: `/console/contact?id=${encodeURIComponent(id)}` }, text);
}

function born(child) {
  if (child.date_of_birth) return date(child.date_of_birth);
  if (child.expected_date_of_birth) return `Expected ${date(child.expected_date_of_birth)}`;
  return "Not known";
}

// The API's summary, with the codes it names in the words the contact page uses: a decision's
// outcome, and a contact's concern categories (in brackets at its end). Nothing else is touched:
// other summaries end with what someone wrote.
function summaryText(item) {
  if (item.kind.startsWith("decision_")) {
    return item.summary.replace(/\b[a-z]+(?:_[a-z0-9]+)+\b|\bnfa\b|\bassessment\b/g,
      (code) => (Object.hasOwn(OUTCOMES, code) ? OUTCOMES[code] : code));
  }
  if (item.kind === "contact_received") {
    return item.summary.replace(/\(([a-z_, ]+)\)\.$/, (_all, codes) =>
      `(${codes.split(", ").map((code) => words(code).toLowerCase()).join(", ")}).`);
  }
  return item.summary;
}

function notice(text) {
  return el("div", { class: "govuk-notification-banner", role: "region",
                     "aria-labelledby": "notice-title", "data-module": "govuk-notification-banner" },
    el("div", { class: "govuk-notification-banner__header" },
      el("h2", { class: "govuk-notification-banner__title", id: "notice-title" }, "Important")),
    el("div", { class: "govuk-notification-banner__content" },
      el("p", { class: "govuk-notification-banner__heading" }, text)));
}

function identity(child) {
  return [
    el("span", { class: "govuk-caption-l" }, "Child"),
    el("h1", { class: "govuk-heading-l app-preserve" }, childName(child) || "Name not known"),
    summaryList([
      ["Date of birth", born(child)],
      ["Sex", words(child.sex)],
      ["NHS number", child.nhs_number || "Not known"],
      ["Local child id", child.local_child_id || "Not known"],
      ["Child reference", child.reference],
      ["Current service", SERVICES[child.current_service] || "Not open to early help or social care"],
    ]),
  ];
}

function contactsSection(child) {
  const contacts = child.contacts || [];
  return [
    el("h2", { class: "govuk-heading-m" }, "Contacts"),
    contacts.length
      ? table("Contacts about this child, oldest first", ["Contact", "Received", "Source agency", "Status"],
        contacts.map((contact) => [
          contactLink(contact.id, contact.reference), timeElement(contact.received_at),
          agencies[contact.source_agency] || contact.source_agency,
          STATUSES[contact.status] || words(contact.status),
        ]))
      : el("p", { class: "govuk-body" }, "No contact you can see is about this child."),
  ];
}

function matchesSection(child, references) {
  const matches = child.possible_matches || [];
  if (!matches.length) return [];
  const record = (id, candidate) => (id === child.id ? "This record"
    : candidate ? childLink(id, `${childName(candidate)} (${candidate.reference})`)
      : childLink(id, "Another record"));
  return [
    el("h2", { class: "govuk-heading-m" }, "Possible matches to check"),
    el("p", { class: "govuk-body" },
      "A contact's child may be another record. Open the contact to confirm or reject the match."),
    table("Possible matches to check", ["Contact", "Contact's child is linked to", "May be",
                                        "What matched"],
      matches.map((match) => [
        contactLink(match.contact_id, references[match.contact_id] || "Open the contact"),
        record(match.child_id), record(match.candidate.id, match.candidate),
        lines(...(match.evidence || []).map((code) => EVIDENCE[code] || words(code))),
      ])),
  ];
}

function chronologySection(items, references) {
  const newestFirst = [...items].reverse();
  return [
    el("h2", { class: "govuk-heading-m" }, "Chronology"),
    newestFirst.length
      ? table("Chronology, newest first", ["When", "What happened", "Contact"],
        newestFirst.map((item) => [
          timeElement(item.at),
          [el("span", { class: "app-summary" }, summaryText(item)),
           item.by ? el("span", { class: "govuk-body-s app-by" }, `By ${item.by}`) : null],
          item.contact_id ? contactLink(item.contact_id, references[item.contact_id] || "Open the contact") : "",
        ]))
      : el("p", { class: "govuk-body" }, "Nothing has been recorded about this child yet."),
  ];
}

function notFound() {
  document.title = "Child not found – MASH front door";
  clear(page).append(
    el("h1", { class: "govuk-heading-l" }, "Child not found"),
    el("p", { class: "govuk-body" },
      "There is no such child record, or you cannot see this child."),
    el("p", { class: "govuk-body" }, STAFF.includes(currentRole())
      ? el("a", { class: "govuk-link", href: "/console/children" }, "Find a child")
      : el("a", { class: "govuk-link", href: "/console/" }, "Back to the queue")));
}

async function show(childId, mergedFrom) {
  const [child, chronology] = await Promise.all([
    get(`/children/${childId}`), get(`/children/${childId}/chronology`),
  ]);
  const references = Object.fromEntries((child.contacts || []).map((c) => [c.id, c.reference]));
  document.title = `${childName(child) || "Child"} – MASH front door`;
  const banner = mergedFrom
    ? notice("The record you opened was merged into this one: you are reading the record it is now.")
    : null;
  clear(page).append(
    STAFF.includes(currentRole())
      ? el("a", { class: "govuk-back-link", href: "/console/children" }, "Find a child")
      : el("a", { class: "govuk-back-link", href: "/console/" }, "Back to the queue"),
    ...(banner ? [banner] : []),
    ...identity(child), ...matchesSection(child, references), ...contactsSection(child),
    ...chronologySection(chronology.items || [], references));
}

async function main() {
  page = await startPage();
  let childId = new URLSearchParams(window.location.search).get("id");
  if (!childId) return notFound();
  try {
    for (const agency of (await get("/agencies", { limit: 500 })).items) agencies[agency.code] = agency.name;
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
  }
  let mergedFrom = null;
  for (let hops = 0; hops < 5; hops += 1) {
    try {
      await show(childId, mergedFrom);
      return;
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      const mergedInto = error.status === 404 && error.body.merged_into;
      if (!mergedInto && ![403, 404].includes(error.status)) {
        clear(page).append(el("h1", { class: "govuk-heading-l" }, "There is a problem"),
          el("p", { class: "govuk-body" }, error.detail));
        return;
      }
      if (!mergedInto) break;
      // The record it is now: its own address, so a bookmark or a link copied from here is right.
      mergedFrom = mergedFrom || childId;
      childId = mergedInto;
      const address = new URL(window.location.href);
      address.searchParams.set("id", childId);
      window.history.replaceState(null, "", address);
    }
  }
  notFound();
}

main();
