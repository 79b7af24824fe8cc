// Downloads for auditors and managers: the threshold decisions of a period (GET
// /exports/decisions, as CSV for a spreadsheet or NDJSON for another system) and Ofsted's Annex A
// lists (GET /exports/annex-a/{list}, CSV). Each is fetched with the bearer token (api.js
// download) and handed to the browser as a file through an object URL. Every export is recorded
// in the API's access log.

import { download, Problem } from "./api.js";
import { startPage } from "./layout.js";
import { el } from "./dom.js";
import { button, clearErrors, showProblem } from "./forms.js";
import { lastWholeMonths, periodFields, periodQuery, showPeriodProblem } from "./period.js";

// value: [label, what it holds, path, Accept, file name when the API names none]
const LISTS = {
  "decisions-csv": ["Threshold decisions (CSV, for a spreadsheet)",
    "Every threshold decision made in the period (by the date it was decided), including "
    + "decisions later replaced, with who decided, the rationale, whether it was within 24 hours "
    + "and 1 working day, sign-off and feedback to the referrer. One row a decision.",
    "/exports/decisions", "text/csv", "decisions.csv"],
  "decisions-ndjson": ["Threshold decisions (NDJSON, for another system)",
    "The same decisions as one JSON record a line, for loading into another system.",
    "/exports/decisions", "application/x-ndjson", null],
  "annex-a-contacts": ["Annex A List 1: contacts",
    "Every contact received in the period, a row for each child the contact is about.",
    "/exports/annex-a/contacts", "text/csv", "annex-a-contacts.csv"],
  "annex-a-referrals": ["Annex A List 3: referrals",
    "Every referral made in the period (a contact decided as an assessment or a strategy "
    + "discussion), a row for each child; a child appears once for each referral.",
    "/exports/annex-a/referrals", "text/csv", "annex-a-referrals.csv"],
  "annex-a-section-47": ["Annex A List 5: section 47 enquiries",
    "Every section 47 enquiry started in the period, a row for each child of the strategy "
    + "discussion; a child appears once for each enquiry.",
    "/exports/annex-a/section-47", "text/csv", "annex-a-section-47.csv"],
};

function listChoice() {
  const items = Object.entries(LISTS).map(([value, [label, hint]], index) => {
    const id = index === 0 ? "list" : `list-${index + 1}`;
    return el("div", { class: "govuk-radios__item" },
      el("input", { class: "govuk-radios__input", id, name: "list", type: "radio", value,
                    "aria-describedby": `${id}-item-hint`, checked: index === 0 }),
      el("label", { class: "govuk-label govuk-radios__label", for: id }, label),
      el("div", { class: "govuk-hint govuk-radios__hint", id: `${id}-item-hint` }, hint));
  });
  return el("div", { class: "govuk-form-group" },
    el("fieldset", { class: "govuk-fieldset" },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--m" },
        el("h2", { class: "govuk-fieldset__heading" }, "What to download")),
      el("div", { class: "govuk-radios", "data-module": "govuk-radios" }, items)));
}

// The file handed to the browser: a link to an object URL with `download`, clicked.
function save({ blob, filename }) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function main() {
  const page = await startPage("/console/audit");
  const status = el("p", { class: "govuk-body", role: "status" });
  const form = el("form", { novalidate: true, "aria-labelledby": "period-heading" },
    el("h2", { class: "govuk-heading-m", id: "period-heading" }, "Period"),
    periodFields(lastWholeMonths(6)),
    listChoice(),
    button("Download"));
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    const chosen = new FormData(form).get("list");
    const [label, , path, accept, fallback] = LISTS[chosen];
    const query = periodQuery(form);
    status.textContent = `Preparing ${label}…`;
    try {
      const file = await download(path, {
        query, accept,
        fallbackName: (fallback || `decisions-${query.from}-${query.to}.ndjson`),
      });
      clearErrors(form);
      save(file);
      status.textContent = `Downloaded ${label} as ${file.filename}.`;
    } catch (error) {
      status.textContent = "";
      if (!(error instanceof Problem)) throw error;
      if (error.status === 422) showPeriodProblem(form, error);
      else showProblem(form, error);
    } finally {
      busy = false;
    }
  });
  page.append(
    el("h1", { class: "govuk-heading-xl" }, "Audit"),
    el("p", { class: "govuk-body-l" },
      "Download the front door's records of a period for quality assurance or an inspection."),
    el("div", { class: "govuk-inset-text" },
      "Each download is recorded with your name. The files hold case records: keep them only "
      + "on the council's systems and delete them when you no longer need them."),
    form, status);
}

main();
