// The front door's figures for a period (GET /metrics/timeliness): PI1, the share of contacts
// decided within 24 hours and within 1 working day, by month as a bar chart (Chart.js, on a canvas)
// with the same figures in a table beside it (the table is what a screen reader reads); the
// figures by source agency; step-up and step-down requests; and the information requests to
// partner agencies (figures-requests.js).

// Chart.js's UMD build: its ES module build imports a package by its bare name (@kurkle/color),
// which a browser without a bundler or an import map (an inline script: refused by the CSP)
// cannot resolve. Loaded as a module, the UMD build sets globalThis.Chart, with every chart type,
// scale and plugin registered.
import "/console/chart/chart.umd.min.js";
import { get, Problem } from "./api.js";
import { startPage } from "./layout.js";
import { clear, el, figuresTable, summaryList } from "./dom.js";
import { button, clearErrors } from "./forms.js";
import { requestsSection } from "./figures-requests.js";
import {
  lastWholeMonths, periodFields, periodQuery, periodWords, showPeriodProblem,
} from "./period.js";

const { Chart } = globalThis;
Chart.defaults.font.family = "arial, sans-serif";  // the console's font (console.scss)
Chart.defaults.font.size = 16;

const BLUE = "#1d70b8";   // GOV.UK blue
const GREEN = "#00703c";  // GOV.UK green. Both stand out against white (over 3:1); within a
                          // month the 24 hours bar is always the left one, as in the legend
const TEXT = "#0b0c0c";

let results, status, chart;
const agencies = {};

// "3 of 4 (75%)", or "None decided" when there is nothing to divide by.
function share(ratio, none = "None decided") {
  if (!ratio || !ratio.of) return none;
  return `${ratio.count} of ${ratio.of} (${ratio.percent}%)`;
}

function monthName(key) {
  const [year, month] = key.split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", month: "long", year: "numeric" })
    .format(new Date(Date.UTC(year, month - 1, 1)));
}

// The contacts' figures, a row a month or agency (`rows`: [name, contact figures, total?]).
function contactsTable({ caption, id, first, rows }) {
  return figuresTable({
    caption, id,
    headings: [first, "Received", "Decided", "Decided within 24 hours",
               "Decided within 1 working day", "Awaiting a decision", "Overdue now"],
    rows: rows.map(([name, c, total]) => ({
      name, total,
      cells: [c.received, c.decided, share(c.decided_within_24_hours),
              share(c.decided_within_1_working_day), c.awaiting_decision, c.overdue],
    })),
  });
}

function drawChart(canvas, groups) {
  chart?.destroy();
  const percent = (name) => groups.map((g) => g.contacts[name].percent);
  chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels: groups.map((g) => monthName(g.key)),
      datasets: [
        { label: "Decided within 24 hours (%)", data: percent("decided_within_24_hours"),
          backgroundColor: BLUE, borderColor: BLUE, borderWidth: 1 },
        { label: "Decided within 1 working day (%)", data: percent("decided_within_1_working_day"),
          backgroundColor: GREEN, borderColor: GREEN, borderWidth: 1 },
      ],
    },
    options: {
      // Sized by its container (.app-chart, in the stylesheet): Chart.js sets the canvas's size
      // through the DOM, never by a style attribute or element, which the CSP would refuse.
      responsive: true, maintainAspectRatio: false, animation: false,
      color: TEXT,
      layout: { padding: { top: 8 } },
      scales: {
        y: { min: 0, max: 100, ticks: { color: TEXT, callback: (value) => `${value}%` },
             title: { display: true, text: "Share of decided contacts", color: TEXT } },
        x: { ticks: { color: TEXT } },
      },
      plugins: { legend: { labels: { color: TEXT } } },
    },
  });
}

function direction(title, figures) {
  return [
    el("h3", { class: "govuk-heading-s" }, title),
    summaryList([
      ["Requested", String(figures.requested)],
      ["Accepted", String(figures.accepted)],
      ["Refused", String(figures.refused)],
      ["Withdrawn", String(figures.withdrawn)],
      ["Awaiting a response", String(figures.open)],
      ["Overdue (awaiting a response past the date it was due)", String(figures.overdue)],
      ["Accepted, of those answered", share(figures.acceptance, "None answered")],
      ["Median working days to a response", figures.median_working_days_to_response === null
        ? "None answered" : String(figures.median_working_days_to_response)],
    ]),
  ];
}

function show(byMonth, byAgency, whole) {
  const months = byMonth.groups;
  const canvas = el("canvas", {
    role: "img", id: "pi1-chart",
    "aria-label": "Bar chart: the share of contacts decided within 24 hours and within 1 "
      + "working day, by month. The same figures are in the table under the chart.",
  }, "The same figures are in the table under the chart.");
  const agencyRows = byAgency.groups.map((g) => [agencies[g.key] || g.key, g.contacts]);
  status.textContent = `Figures for contacts received from ${periodWords(whole.period)}.`;
  clear(results).append(
    el("h2", { class: "govuk-heading-m", id: "pi1-heading" },
      "Contacts decided within 24 hours and within 1 working day"),
    el("p", { class: "govuk-body" },
      "Of the contacts received each month that have a decision, how many had their first "
      + "decision within 24 hours of being received, and by the end of the next working day."),
    el("div", { class: "app-chart" }, canvas),
    contactsTable({
      caption: "Decisions by month", id: "by-month-caption", first: "Month",
      rows: [...months.map((g) => [monthName(g.key), g.contacts]),
             ["Whole period", whole.contacts, true]],
    }),
    el("h2", { class: "govuk-heading-m" }, "By source agency"),
    agencyRows.length
      ? contactsTable({ caption: "Decisions by source agency", id: "by-agency-caption",
                       first: "Source agency", rows: agencyRows })
      : el("p", { class: "govuk-body" }, "No contacts were received in this period."),
    el("h2", { class: "govuk-heading-m" }, "Step up and step down"),
    el("p", { class: "govuk-body" }, "Requests made in the period to move a child between early "
      + "help and children's social care."),
    ...direction("Step up (early help to children's social care)", whole.transitions.step_up),
    ...direction("Step down (children's social care to early help)", whole.transitions.step_down),
    ...requestsSection(whole.information_requests, agencies),
  );
  drawChart(canvas, months);
  results.setAttribute("data-figures-loaded", "");
}

async function load(form) {
  const query = periodQuery(form);
  results.removeAttribute("data-figures-loaded");
  try {
    const [byMonth, byAgency, whole] = await Promise.all([
      get("/metrics/timeliness", { ...query, group_by: "month" }),
      get("/metrics/timeliness", { ...query, group_by: "source_agency" }),
      get("/metrics/timeliness", query),
    ]);
    clearErrors(form);
    show(byMonth, byAgency, whole);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    chart?.destroy();
    chart = null;
    clear(results);
    status.textContent = "";
    showPeriodProblem(form, error);
  }
}

async function main() {
  const page = await startPage("/console/figures");
  for (const agency of (await get("/agencies", { limit: 500 })).items) agencies[agency.code] = agency.name;
  const form = el("form", { novalidate: true, class: "app-filters", "aria-labelledby": "period-heading" },
    el("h2", { class: "govuk-heading-m", id: "period-heading" }, "Period"),
    periodFields(lastWholeMonths(6)),
    button("Show figures"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(form);
  });
  status = el("p", { class: "govuk-body govuk-!-font-weight-bold", role: "status" });
  results = el("div", { id: "figures" });
  page.append(
    el("h1", { class: "govuk-heading-xl" }, "Figures"),
    el("p", { class: "govuk-body-l" },
      "How quickly the front door decides contacts, by month and by the agency that made them, "
      + "and how quickly partner agencies answer its requests for information."),
    form, status, results);
  await load(form);
}

main();
