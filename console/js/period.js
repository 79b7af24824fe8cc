// A period of London dates, chosen with two GOV.UK date inputs (the first day and the last day,
// both included), for the figures and audit pages. The API's periods are `from` inclusive and
// `to` exclusive: periodQuery() adds the day after the last day. The API checks the dates (a 422
// names `from` or `to`, shown beside that date by showPeriodProblem).

import { Problem } from "./api.js";
import { londonToday } from "./dom.js";
import { dateInput, readDate, showProblem } from "./forms.js";

const DAY_MS = 24 * 60 * 60 * 1000;

function isoDay(time) {
  return new Date(time).toISOString().slice(0, 10);
}

function parts(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return null;
  const [year, month, day] = match.slice(1).map(Number);
  const time = Date.UTC(year, month - 1, day);
  return isoDay(time) === iso ? time : null;  // a real date (not 31 February)
}

// The last `months` whole months before this one: { first, last } (the last day included).
export function lastWholeMonths(months = 6, today = londonToday()) {
  const [year, month] = today.split("-").map(Number);
  const thisMonth = Date.UTC(year, month - 1, 1);
  return {
    first: isoDay(Date.UTC(year, month - 1 - months, 1)),
    last: isoDay(thisMonth - DAY_MS),
  };
}

// The two date inputs, filled with `period` ({ first, last }).
export function periodFields(period, { legendFrom = "From", legendTo = "To" } = {}) {
  return [
    dateInput({ id: "from", legend: legendFrom, hint: "The first day of the period, for example 1 6 2026",
                value: period.first }),
    dateInput({ id: "to", legend: legendTo, hint: "The last day of the period, which is included, for example 30 11 2026",
                value: period.last }),
  ];
}

// The period typed into `form` as the API's query: { from, to } with `to` the day after the
// last day. A date that is not a real date is sent as typed, for the API to refuse.
export function periodQuery(form) {
  const first = readDate(form, "from");
  const last = readDate(form, "to");
  const lastTime = parts(last);
  return { from: first, to: lastTime === null ? last : isoDay(lastTime + DAY_MS) };
}

// The period the API answered for, in words: "1 June 2026 to 30 November 2026".
export function periodWords({ from, to }) {
  const words = (time) => new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC", day: "numeric", month: "long", year: "numeric",
  }).format(new Date(time));
  return `${words(parts(from))} to ${words(parts(to) - DAY_MS)}`;
}

// The API's messages about `to` speak of an exclusive end; the form asks for the last day.
const TO_MESSAGES = [
  [/^Must be after from/, "The last day must be the same as or after the first day."],
  [/^Missing data/, "Enter the last day of the period."],
  [/^Not a valid date/, "The last day must be a real date, for example 30 11 2026."],
];
const FROM_MESSAGES = [
  [/^Missing data/, "Enter the first day of the period."],
  [/^Not a valid date/, "The first day must be a real date, for example 1 6 2026."],
];

function reworded(messages, table) {
  return messages.map((message) => table.find(([pattern]) => pattern.test(message))?.[1] || message);
}

// A problem from the API (a 422 about the period) on `form`, each message beside its date.
export function showPeriodProblem(form, problem) {
  const errors = { ...problem.errors };
  if (errors.to) errors.to = reworded(errors.to, TO_MESSAGES);
  if (errors.from) errors.from = reworded(errors.from, FROM_MESSAGES);
  const shown = new Problem(problem.status, { title: problem.title, detail: problem.detail, errors });
  showProblem(form, shown, { from: "from-day", to: "to-day" });
}
