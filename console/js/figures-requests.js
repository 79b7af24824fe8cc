// The figures page's information requests to partner agencies (GET /metrics/timeliness,
// `information_requests`): for the requests asked in the period, a summary for all the agencies
// asked, then a table with a row for each agency asked. figures.js calls requestsSection() in
// show(), with the agencies' names from GET /agencies.

import { el, figuresTable, summaryList, tag } from "./dom.js";

// "1 of 2 (50%)", or `none` when nothing was answered.
function share(ratio, none) {
  if (!ratio || !ratio.of) return none;
  return `${ratio.count} of ${ratio.of} (${ratio.percent}%)`;
}

const NUMBER = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });

// The median hours to answer (the API's two decimal places) in words: "2.5 hours", "1 hour",
// "45 minutes", "Less than a minute"; `none` when nothing was answered (null).
export function hoursWords(hours, none = "Not answered yet") {
  if (hours === null || hours === undefined) return none;
  const minutes = Math.round(hours * 60);
  if (minutes < 1) return "Less than a minute";
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const rounded = Math.round(hours * 10) / 10;
  return `${NUMBER.format(rounded)} hour${rounded === 1 ? "" : "s"}`;
}

// Nothing answered: "Not answered yet" while some are open, else (all withdrawn) "None answered".
function notAnswered(figures) {
  return figures.open ? "Not answered yet" : "None answered";
}

// The number overdue, as a red tag when there are any.
function overdue(count) {
  return count > 0 ? tag(String(count), "red") : String(count);
}

function agencyTable(rows, agencies) {
  return figuresTable({
    caption: "Requests by agency asked", id: "requests-by-agency-caption",
    headings: ["Agency asked", "Asked", "Answered", "Answered in time", "Median time to answer",
               "Still open", "Overdue", "Withdrawn"],
    rows: rows.map((r) => ({
      name: agencies[r.agency] || r.agency,
      cells: [r.requested, r.answered, share(r.answered_in_time, "None answered"),
              hoursWords(r.median_hours_to_answer, notAnswered(r)), r.open, overdue(r.overdue),
              r.withdrawn],
    })),
  });
}

// The section: `figures` is the whole period's `information_requests`, `agencies` code: name.
export function requestsSection(figures, agencies) {
  const heading = el("h2", { class: "govuk-heading-m", id: "requests-heading" },
    "Information requests to partner agencies");
  if (!figures.requested) {
    return [heading, el("p", { class: "govuk-body" },
      "No partner agency was asked for information in this period.")];
  }
  return [
    heading,
    el("p", { class: "govuk-body" }, "Requests asked in the period for what an agency knows about "
      + "a contact's children. An answer is in time when it came by the deadline the contact's RAG "
      + "rating set when the agency was asked."),
    summaryList([
      ["Asked", String(figures.requested)],
      ["Answered", String(figures.answered)],
      ["Answered in time", share(figures.answered_in_time, "None answered")],
      ["Median time to answer", hoursWords(figures.median_hours_to_answer, notAnswered(figures))],
      ["Still open", String(figures.open)],
      ["Overdue (still open past the time it was due)", overdue(figures.overdue)],
      ["Withdrawn", String(figures.withdrawn)],
    ]),
    agencyTable(figures.by_agency, agencies),
  ];
}
