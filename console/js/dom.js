// Building the page from the API's answers. Case data only ever enters the page as text: el()
// turns every string child into a text node and sets attributes one by one; nothing here (or
// anywhere in the console) assigns innerHTML.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// GOV.UK Frontend's scripts run only where this class is set (it would be an inline script in
// their template; the Content-Security-Policy allows none).
export function markFrontendSupported() {
  if ("noModule" in HTMLScriptElement.prototype) {
    document.body.classList.add("govuk-frontend-supported", "js-enabled");
  }
}

// ---- pieces of a page -------------------------------------------------------------------------

export function summaryList(rows) {
  return el("dl", { class: "govuk-summary-list" },
    rows.filter(Boolean).map(([key, value]) => el("div", { class: "govuk-summary-list__row" },
      el("dt", { class: "govuk-summary-list__key" }, key),
      el("dd", { class: "govuk-summary-list__value" }, value ?? ""))));
}

// A table scrolls sideways on a narrow screen (a region the keyboard can reach) rather than
// widening the page.
export function table(caption, headings, rows) {
  return el("div", { class: "app-table-scroll", role: "region", tabindex: "0", "aria-label": caption },
    el("table", { class: "govuk-table" },
    el("caption", { class: "govuk-table__caption govuk-table__caption--s" }, caption),
    el("thead", { class: "govuk-table__head" },
      el("tr", { class: "govuk-table__row" },
        headings.map((heading) => el("th", { class: "govuk-table__header", scope: "col" }, heading)))),
    el("tbody", { class: "govuk-table__body" },
      rows.map((cells) => el("tr", { class: "govuk-table__row" },
        cells.map((cell) => el("td", { class: "govuk-table__cell" }, cell ?? "")))))));
}

// A table of figures: a heading cell naming each row, then its figures as numeric cells (right
// aligned, under right-aligned headings). `rows`: [{ name, cells, total }], `total` marking a
// totals row. Scrolls sideways in its own region on a narrow screen.
export function figuresTable({ caption, id, headings, rows }) {
  return el("div", { class: "app-table-scroll", role: "region", tabindex: "0", "aria-labelledby": id },
    el("table", { class: "govuk-table app-figures-table" },
      el("caption", { class: "govuk-table__caption govuk-table__caption--s", id }, caption),
      el("thead", { class: "govuk-table__head" },
        el("tr", { class: "govuk-table__row" },
          headings.map((heading, index) => el("th", {
            class: `govuk-table__header${index ? " govuk-table__header--numeric" : ""}`, scope: "col",
          }, heading)))),
      el("tbody", { class: "govuk-table__body" },
        rows.map(({ name, cells, total }) => el("tr", {
          class: `govuk-table__row${total ? " app-total-row" : ""}` },
          el("th", { class: "govuk-table__header", scope: "row" }, name),
          cells.map((cell) => el("td", { class: "govuk-table__cell govuk-table__cell--numeric" },
            typeof cell === "number" ? String(cell) : cell)))))));
}

// GOV.UK Frontend's details: a form or text shown when its summary is opened.
export function details(summary, ...content) {
  return el("details", { class: "govuk-details" },
    el("summary", { class: "govuk-details__summary" },
      el("span", { class: "govuk-details__summary-text" }, summary)),
    el("div", { class: "govuk-details__text" }, content));
}

export function lines(...parts) {
  const shown = parts.filter(Boolean);
  return shown.flatMap((part, index) => (index ? [el("br"), part] : [part]));
}

export function tag(text, colour) {
  return el("strong", { class: `govuk-tag${colour ? ` govuk-tag--${colour}` : ""}` }, text);
}

export const yesNo = (value) => (value === true ? "Yes" : value === false ? "No" : "");

// ---- words for the API's codes ---------------------------------------------------------------

export const OUTCOMES = {
  nfa: "No further action",
  information_advice: "Information and advice",
  universal_services: "Universal services",
  early_help: "Early help",
  existing_case: "Existing case",
  assessment: "Assessment (section 17)",
  strategy_discussion: "Strategy discussion (section 47)",
};

export const CONSENT = {
  given: "Given",
  refused: "Refused",
  not_sought: "Not sought",
  overridden: "Overridden",
};

export const FEEDBACK_METHODS = {
  phone: "Phone",
  email: "Email",
  letter: "Letter",
  secure_portal: "Secure portal",
  in_person: "In person",
};

export const CHANNELS = { ...FEEDBACK_METHODS, api: "Partner system" };

export function words(code) {
  if (!code) return "";
  const text = String(code).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---- time ------------------------------------------------------------------------------------

const LONDON = "Europe/London";

// Made once: making a formatter costs far more than using one (a queue of 500 rows shows 1,000
// times: bench/console_render.py).
const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  timeZone: LONDON, day: "numeric", month: "short", year: "numeric",
  hour: "2-digit", minute: "2-digit",
});
const DATE = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC", day: "numeric", month: "short", year: "numeric",
});

// A London calendar date and wall-clock time, by parts ({ year, month, day, hour, minute }: strings,
// month and day without a leading zero), as a date input shows them.
const LONDON_PARTS = new Intl.DateTimeFormat("en-GB", {
  timeZone: LONDON, day: "numeric", month: "numeric", year: "numeric",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

export function londonParts(instant) {
  const named = {};
  for (const { type, value } of LONDON_PARTS.formatToParts(new Date(instant))) named[type] = value;
  return named;
}

// Today's London date as YYYY-MM-DD.
export function londonToday(now = new Date()) {
  const { year, month, day } = londonParts(now);
  return `${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}`;
}

export function dateTime(iso) {
  if (!iso) return "";
  return DATE_TIME.format(new Date(iso));
}

export function date(iso) {
  if (!iso) return "";
  return DATE.format(new Date(iso));
}

export function timeElement(iso, text = dateTime(iso)) {
  return el("time", { datetime: iso }, text);
}

function span(minutes) {
  const days = Math.floor(minutes / (24 * 60));
  const hours = Math.floor((minutes % (24 * 60)) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(`${days} day${days === 1 ? "" : "s"}`);
  if (hours) parts.push(`${hours} hour${hours === 1 ? "" : "s"}`);
  if (!days && mins) parts.push(`${mins} minute${mins === 1 ? "" : "s"}`);
  return parts.join(" ") || "less than a minute";
}

// "5 hours 20 minutes left" or "Overdue by 1 day 3 hours", and whether it is overdue.
export function timeLeft(dueIso, now = Date.now()) {
  const minutes = Math.round((new Date(dueIso).getTime() - now) / 60000);
  if (minutes < 0) return { overdue: true, text: `Overdue by ${span(-minutes)}` };
  return { overdue: false, text: `${span(minutes)} left` };
}

// "2 days 3 hours": how long since `sinceIso` (a decision awaiting sign-off, say).
export function waited(sinceIso, now = Date.now()) {
  return span(Math.max(0, Math.round((now - new Date(sinceIso).getTime()) / 60000)));
}

export const SERVICES = {
  mash: "MASH",
  early_help: "Early help",
  social_care: "Social care",
};

export const DIRECTIONS = {
  step_up: "Step-up (early help to social care)",
  step_down: "Step-down (social care to early help)",
};

export function childName(child) {
  return [child.given_name, child.family_name].filter(Boolean).join(" ");
}
