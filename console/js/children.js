// Find a child (staff only): GET /children by one criterion — an NHS number, a local child id, or
// family name with given name and date of birth. The API decides what a whole criterion is; its
// 422 is shown beside the fields it names. The search is kept in the page's address, so going
// back from a child's page shows the same results.

import { Problem, get } from "./api.js";
import { currentRole } from "./sign-in.js";
import { startPage } from "./layout.js";
import { childName, clear, date, el, tag, table } from "./dom.js";
import { button, dateInput, dateOf, showProblem, submitting, textInput } from "./forms.js";

const CRITERIA = ["nhs_number", "local_child_id", "family_name", "given_name", "date_of_birth"];
const FIELDS = {
  nhs_number: "nhs-number", local_child_id: "local-child-id", family_name: "family-name",
  given_name: "given-name", date_of_birth: "date-of-birth-day",
};
const PAGE_SIZE = 50;

let results;

function query(data) {
  const dateOfBirth = dateOf(data, "date-of-birth");
  for (const part of ["day", "month", "year"]) delete data[`date-of-birth-${part}`];
  return Object.fromEntries(Object.entries({ ...data, date_of_birth: dateOfBirth })
    .filter(([name, value]) => CRITERIA.includes(name) && value !== undefined && value !== ""));
}

function rows(items) {
  return items.map((child) => [
    el("a", { class: "govuk-link app-name", href: `/console/child?id=${encodeURIComponent(child.id)}` },
      childName(child) || "Name not known"),
    child.date_of_birth ? date(child.date_of_birth)
      : child.expected_date_of_birth ? `Expected ${date(child.expected_date_of_birth)}` : "",
    child.nhs_number || "", child.local_child_id || "",
    child.merged_into ? [child.reference, " ", tag("Merged", "grey")] : child.reference,
  ]);
}

function show(criteria, page, earlier = []) {
  const items = [...earlier, ...page.items];
  clear(results);
  const count = `${items.length}${page.next_cursor ? " or more" : ""}`;
  if (!items.length) {
    results.append(el("h2", { class: "govuk-heading-m" }, "No children match"),
      el("p", { class: "govuk-body" },
        "No child record holds these details. Check them, or search by another detail."));
    return;
  }
  results.append(
    el("h2", { class: "govuk-heading-m" }, `${count} ${items.length === 1 && !page.next_cursor
      ? "child matches" : "children match"}`),
    table("Children matching the search", ["Name", "Date of birth", "NHS number", "Local child id",
                                           "Child reference"], rows(items)));
  if (page.next_cursor) {
    const more = el("button", { type: "button", class: "govuk-button govuk-button--secondary",
                                "data-module": "govuk-button" }, "Show more children");
    more.addEventListener("click", async () => {
      const next = await get("/children", { ...criteria, limit: PAGE_SIZE, cursor: page.next_cursor });
      show(criteria, next, items);
    });
    results.append(more);
  }
}

async function search(criteria) {
  clear(results);
  const page = await get("/children", { ...criteria, limit: PAGE_SIZE });
  const address = new URL(window.location.href);
  address.search = new URLSearchParams(criteria).toString();
  window.history.replaceState(null, "", address);
  show(criteria, page);
  const heading = results.querySelector("h2");
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

async function main() {
  const page = await startPage("/console/children");
  if (!["practitioner", "manager"].includes(currentRole())) {
    // The API answers this role's searches 403: say so rather than offer a form that fails.
    page.append(el("h1", { class: "govuk-heading-l" }, "Find a child"),
      el("p", { class: "govuk-body" }, "Only practitioners and managers can search for children. " +
        "You can read a child's page from a link to it."),
      el("p", { class: "govuk-body" }, el("a", { class: "govuk-link", href: "/console/" }, "Back to the queue")));
    return;
  }
  const initial = Object.fromEntries(new URLSearchParams(window.location.search));
  const form = el("form", { novalidate: true, "aria-label": "Search for a child" },
    textInput({ id: "nhs-number", name: "nhs_number", label: "NHS number", width: 10,
                hint: "10 digits, for example 943 476 5919", value: initial.nhs_number }),
    textInput({ id: "local-child-id", name: "local_child_id", label: "Local child id", width: 10,
                value: initial.local_child_id }),
    el("fieldset", { class: "govuk-fieldset" },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" },
        "Or name and date of birth"),
      textInput({ id: "family-name", name: "family_name", label: "Family name", width: 20,
                  value: initial.family_name }),
      textInput({ id: "given-name", name: "given_name", label: "Given name", width: 20,
                  value: initial.given_name }),
      dateInput({ id: "date-of-birth", legend: "Date of birth", hint: "For example, 2 4 2019",
                  value: initial.date_of_birth })),
    button("Search"));
  results = el("div");
  page.append(
    el("h1", { class: "govuk-heading-l" }, "Find a child"),
    el("p", { class: "govuk-body" },
      "Search by one detail: an NHS number, a local child id, or a family name with the given " +
      "name and date of birth. Merged records are found too."),
    form, results);
  submitting(form, (data) => search(query(data)), FIELDS, () => {});
  if (Object.keys(initial).some((name) => CRITERIA.includes(name))) {
    const criteria = Object.fromEntries(Object.entries(initial).filter(([name]) => CRITERIA.includes(name)));
    await search(criteria).catch((error) => {
      if (!(error instanceof Problem)) throw error;
      showProblem(form, error, FIELDS);
    });
  }
}

main();
