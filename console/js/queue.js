// The front-door queue: contacts awaiting a threshold decision, the soonest due first
// (GET /contacts?status=awaiting_decision&order=due), filtered by source agency and overdue,
// refreshed every minute without reloading the page.

import { get } from "./api.js";
import { startPage } from "./layout.js";
import {
  CONSENT, childName, clear, dateTime, el, timeElement, timeLeft,
} from "./dom.js";
import { ragTag } from "./contact-rag.js";

const REFRESH_MS = 60 * 1000;
const PAGE_SIZE = 50;

const state = { agencies: {}, filters: {}, items: [], nextCursor: null };
let tbody, status, more, table, empty;

function agencyName(code) {
  return state.agencies[code] || code;
}

function row(contact) {
  const due = timeLeft(contact.decision_due_at);
  return el("tr", { class: "govuk-table__row" },
    el("th", { class: "govuk-table__header", scope: "row" },
      el("a", { class: "govuk-link app-nowrap", href: `/console/contact?id=${encodeURIComponent(contact.id)}`,
                "data-contact-id": contact.id }, contact.reference)),
    el("td", { class: "govuk-table__cell" }, timeElement(contact.received_at)),
    el("td", { class: "govuk-table__cell" },
      due.overdue
        ? el("strong", { class: "govuk-tag govuk-tag--red" }, due.text)
        : el("span", { class: "app-nowrap" }, due.text),
      el("br"), el("span", { class: "govuk-body-s" }, "Due ", timeElement(contact.decision_due_at))),
    el("td", { class: "govuk-table__cell" }, ragTag(contact.rag)),
    el("td", { class: "govuk-table__cell" }, agencyName(contact.source_agency)),
    el("td", { class: "govuk-table__cell" },
      el("ul", { class: "govuk-list" },
        contact.children.map((child) => el("li", { class: "app-preserve" }, childName(child))))),
    el("td", { class: "govuk-table__cell" },
      CONSENT[contact.consent?.status] || contact.consent?.status || ""));
}

// `added`: only these rows are new, below those shown ("Show more"); otherwise every row is built
// again (a refresh or a filter: contacts leave, arrive and move).
function render(added = null) {
  // A refresh must not take the keyboard user's place: focus returns to the same contact's link.
  const focusedId = document.activeElement?.dataset?.contactId;
  if (added) tbody.append(...added.map(row));
  else clear(tbody).append(...state.items.map(row));
  table.hidden = state.items.length === 0;
  empty.hidden = state.items.length !== 0;
  more.hidden = !state.nextCursor;
  const count = state.items.length;
  status.textContent = `${count}${state.nextCursor ? " or more" : ""} contact${count === 1 ? "" : "s"} ` +
    `awaiting a decision. Updated at ${dateTime(new Date().toISOString())}.`;
  if (focusedId) tbody.querySelector(`[data-contact-id="${CSS.escape(focusedId)}"]`)?.focus();
}

// Each read is numbered: an answer that arrives after a later read was started (a filter applied
// while the first page or a refresh was still on its way) is dropped, never shown over it.
let reads = 0;

async function read(query) {
  const number = ++reads;
  const page = await get("/contacts", {
    status: "awaiting_decision", order: "due", ...state.filters, ...query,
  });
  return number === reads ? page : null;
}

async function load({ append = false } = {}) {
  const page = await read({ limit: PAGE_SIZE, cursor: append ? state.nextCursor : undefined });
  if (!page) return;
  state.items = append ? [...state.items, ...page.items] : page.items;
  state.nextCursor = page.next_cursor;
  render(append ? page.items : null);
}

async function refresh() {
  // As many as are shown, from the top: a contact decided meanwhile leaves, a new one arrives.
  const page = await read({ limit: Math.min(500, Math.max(PAGE_SIZE, state.items.length)) });
  if (!page) return;
  state.items = page.items;
  state.nextCursor = page.next_cursor;
  render();
}

function filtersForm(agencies) {
  const select = el("select", { class: "govuk-select", id: "agency", name: "source_agency" },
    el("option", { value: "" }, "All agencies"),
    agencies.map((agency) => el("option", { value: agency.code }, agency.name)));
  const overdue = el("input", { class: "govuk-checkboxes__input", id: "overdue", name: "overdue",
                                type: "checkbox", value: "true" });
  const form = el("form", { class: "app-filters", "aria-label": "Filter the queue" },
    el("div", { class: "govuk-form-group" },
      el("label", { class: "govuk-label", for: "agency" }, "Source agency"), select),
    el("div", { class: "govuk-form-group" },
      el("div", { class: "govuk-checkboxes govuk-checkboxes--small", "data-module": "govuk-checkboxes" },
        el("div", { class: "govuk-checkboxes__item" }, overdue,
          el("label", { class: "govuk-label govuk-checkboxes__label", for: "overdue" },
            "Only overdue contacts")))),
    el("button", { type: "submit", class: "govuk-button govuk-button--secondary",
                   "data-module": "govuk-button" }, "Apply filters"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.filters = {
      source_agency: select.value || undefined,
      overdue: overdue.checked ? "true" : undefined,
    };
    load();
  });
  return form;
}

async function main() {
  const page = await startPage("/console/");
  const agencies = (await get("/agencies", { limit: 500 })).items;
  for (const agency of agencies) state.agencies[agency.code] = agency.name;

  tbody = el("tbody", { class: "govuk-table__body" });
  table = el("div", { class: "app-table-scroll", role: "region", tabindex: "0",
                      "aria-labelledby": "queue-caption" },
    el("table", { class: "govuk-table" },
      el("caption", { class: "govuk-table__caption govuk-table__caption--m", id: "queue-caption" },
        "Contacts awaiting a decision, soonest due first"),
      el("thead", { class: "govuk-table__head" },
        el("tr", { class: "govuk-table__row" },
          ["Contact", "Received", "Decision due", "RAG rating", "Source agency", "Children", "Consent"].map(
            (heading) => el("th", { class: "govuk-table__header", scope: "col" }, heading)))),
      tbody));
  empty = el("p", { class: "govuk-body", hidden: true }, "No contacts are awaiting a decision.");
  status = el("p", { class: "govuk-body-s app-queue-status", role: "status" });
  more = el("button", { type: "button", class: "govuk-button govuk-button--secondary",
                        "data-module": "govuk-button", hidden: true }, "Show more contacts");
  more.addEventListener("click", () => load({ append: true }));

  page.append(
    el("h1", { class: "govuk-heading-xl" }, "Front-door queue"),
    el("p", { class: "govuk-body-l" },
      "Contacts awaiting a threshold decision, the soonest due first."),
    filtersForm(agencies), table, empty, more, status);
  await load();
  setInterval(() => refresh().catch(() => {}), REFRESH_MS);
}

main();
