// Decisions awaiting sign-off: the managers' inbox (GET /decisions?approval=pending), the longest
// waiting first, each linked to its contact where the manager signs it off; filtered by the
// decider's service and the period the decision was made in.

import { get, Problem } from "./api.js";
import { startPage } from "./layout.js";
import { OUTCOMES, SERVICES, clear, dateTime, el, timeElement, waited, words } from "./dom.js";
import { clearErrors, dateInput, dateOf, showProblem, values } from "./forms.js";

const PAGE_SIZE = 50;
const HREF = "/console/sign-off";

const state = { filters: {}, items: [], nextCursor: null };
let tbody, status, more, table, empty, filters;

function row(decision) {
  return el("tr", { class: "govuk-table__row" },
    el("th", { class: "govuk-table__header", scope: "row" },
      el("a", { class: "govuk-link app-nowrap",
                href: `/console/contact?id=${encodeURIComponent(decision.contact_id)}` },
        decision.contact_reference)),
    el("td", { class: "govuk-table__cell" }, OUTCOMES[decision.outcome] || words(decision.outcome)),
    el("td", { class: "govuk-table__cell" }, decision.decided_by,
      decision.decided_by_service
        ? [el("br"), el("span", { class: "govuk-body-s" },
          SERVICES[decision.decided_by_service] || words(decision.decided_by_service))]
        : null),
    el("td", { class: "govuk-table__cell" }, timeElement(decision.decided_at)),
    el("td", { class: "govuk-table__cell app-nowrap" }, waited(decision.decided_at)));
}

function render() {
  clear(tbody).append(...state.items.map(row));
  table.hidden = state.items.length === 0;
  empty.hidden = state.items.length !== 0;
  more.hidden = !state.nextCursor;
  const count = state.items.length;
  status.textContent = `${count}${state.nextCursor ? " or more" : ""} decision${count === 1 ? "" : "s"} ` +
    `awaiting sign-off. Updated at ${dateTime(new Date().toISOString())}.`;
}

async function load({ append = false } = {}) {
  try {
    const page = await get("/decisions", {
      approval: "pending", limit: PAGE_SIZE, ...state.filters,
      cursor: append ? state.nextCursor : undefined,
    });
    clearErrors(filters);
    state.items = append ? [...state.items, ...page.items] : page.items;
    state.nextCursor = page.next_cursor;
    render();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    showProblem(filters, error, { service: "service", from: "decided-from", to: "decided-to" });
  }
}

function filtersForm() {
  const select = el("select", { class: "govuk-select", id: "service", name: "service" },
    el("option", { value: "" }, "All services"),
    Object.entries(SERVICES).map(([code, name]) => el("option", { value: code }, name)));
  const form = el("form", { class: "app-filters", novalidate: true,
                            "aria-label": "Filter the decisions awaiting sign-off" },
    el("div", { class: "govuk-form-group" },
      el("label", { class: "govuk-label", for: "service" }, "Decided by staff of"), select),
    dateInput({ id: "decided-from", name: "from", legend: "Decided on or after",
                hint: "For example, 27 3 2026." }),
    dateInput({ id: "decided-to", name: "to", legend: "Decided before" }),
    el("button", { type: "submit", class: "govuk-button govuk-button--secondary",
                   "data-module": "govuk-button" }, "Apply filters"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = values(form);
    state.filters = { service: data.service, from: dateOf(data, "from"), to: dateOf(data, "to") };
    load();
  });
  return form;
}

async function main() {
  const page = await startPage(HREF);
  tbody = el("tbody", { class: "govuk-table__body" });
  table = el("div", { class: "app-table-scroll", role: "region", tabindex: "0",
                      "aria-labelledby": "sign-off-caption" },
    el("table", { class: "govuk-table" },
      el("caption", { class: "govuk-table__caption govuk-table__caption--m", id: "sign-off-caption" },
        "Decisions awaiting sign-off, the longest waiting first"),
      el("thead", { class: "govuk-table__head" },
        el("tr", { class: "govuk-table__row" },
          ["Contact", "Outcome", "Decided by", "Decided", "Waiting"].map(
            (heading) => el("th", { class: "govuk-table__header", scope: "col" }, heading)))),
      tbody));
  empty = el("p", { class: "govuk-body", hidden: true }, "No decisions are awaiting sign-off.");
  status = el("p", { class: "govuk-body-s app-queue-status", role: "status" });
  more = el("button", { type: "button", class: "govuk-button govuk-button--secondary",
                        "data-module": "govuk-button", hidden: true }, "Show more decisions");
  more.addEventListener("click", () => load({ append: true }));
  filters = filtersForm();

  page.append(
    el("h1", { class: "govuk-heading-xl" }, "Decisions awaiting sign-off"),
    el("p", { class: "govuk-body-l" },
      "Current threshold decisions no manager has signed off yet, the longest waiting first. " +
      "Open a contact to read the decision and sign it off."),
    filters, table, empty, more, status);
  await load();
}

main();
