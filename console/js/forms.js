// GOV.UK Frontend's form patterns, built as elements: fields with their labels and hints, and the
// error summary with each message beside its field. A problem's `errors` keys (the API's field
// names) are mapped to the form's fields by each form's `fields` table.

import { ErrorSummary, NotificationBanner } from "/console/govuk/govuk-frontend.min.js";
import { Problem } from "./api.js";
import { el, londonParts } from "./dom.js";

const TITLE_ERROR = "Error: ";

function hintFor(id, hint) {
  return hint ? el("div", { class: "govuk-hint", id: `${id}-hint` }, hint) : null;
}

export function textInput({ id, name, label, hint, type = "text", autocomplete, width, value }) {
  const input = el("input", {
    class: `govuk-input${width ? ` govuk-input--width-${width}` : ""}`, id, name, type,
    autocomplete, spellcheck: type === "text" ? "false" : null,
    "aria-describedby": hint ? `${id}-hint` : null,
  });
  if (value !== undefined) input.value = value;
  return el("div", { class: "govuk-form-group" },
    el("label", { class: "govuk-label", for: id }, label), hintFor(id, hint), input);
}

export function textarea({ id, name, label, hint, rows = 5 }) {
  return el("div", { class: "govuk-form-group" },
    el("label", { class: "govuk-label govuk-label--s", for: id }, label), hintFor(id, hint),
    el("textarea", { class: "govuk-textarea", id, name, rows,
                     "aria-describedby": hint ? `${id}-hint` : null }));
}

// The first radio's id is `id`, so an error summary's link to the question lands on it.
export function radios({ id, name, legend, hint, items, small = false }) {
  const options = Object.entries(items).map(([value, text], index) => {
    const radioId = index === 0 ? id : `${id}-${index + 1}`;
    return el("div", { class: "govuk-radios__item" },
      el("input", { class: "govuk-radios__input", id: radioId, name, type: "radio", value }),
      el("label", { class: "govuk-label govuk-radios__label", for: radioId }, text));
  });
  const fieldsetId = `${id}-fieldset`;
  return el("div", { class: "govuk-form-group" },
    el("fieldset", { class: "govuk-fieldset", id: fieldsetId,
                     "aria-describedby": hint ? `${id}-hint` : null },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, legend),
      hintFor(id, hint),
      el("div", { class: `govuk-radios${small ? " govuk-radios--small" : ""}`,
                  "data-module": "govuk-radios" }, options)));
}

// GOV.UK Frontend's date input, as its own template builds it: day, month and year in a fieldset,
// the group's id `id` and its fields `<id>-day`, `-month`, `-year` (an error summary's link lands
// on the day), and with `time` a 24-hour time field beside them. `value`: a date (YYYY-MM-DD) or an
// instant, shown in London time. The values come back through values() as `<name>-day`, `-month`,
// `-year` (and `-time`): dateOf() and instantOf() put them together for the API, which judges them.
export function dateInput({ id, name = id, legend, hint, time = false, value }) {
  const parts = !value ? {} : /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? Object.fromEntries(["year", "month", "day"].map((part, index) => [part, String(Number(value.split("-")[index]))]))
    : londonInputParts(value);
  const item = (part, label, width, extra = {}) => el("div", { class: "govuk-date-input__item" },
    el("div", { class: "govuk-form-group" },
      el("label", { class: "govuk-label govuk-date-input__label", for: `${id}-${part}` }, label),
      fieldWithValue(el("input", {
        class: `govuk-input govuk-date-input__input govuk-input--width-${width}`,
        id: `${id}-${part}`, name: `${name}-${part}`, type: "text", inputmode: "numeric", ...extra,
      }), parts[part])));
  return el("div", { class: "govuk-form-group" },
    el("fieldset", { class: "govuk-fieldset", role: "group",
                     "aria-describedby": hint ? `${id}-hint` : null },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, legend),
      hintFor(id, hint),
      el("div", { class: "govuk-date-input", id },
        item("day", "Day", 2), item("month", "Month", 2), item("year", "Year", 4),
        time ? item("time", "Time (24-hour)", 4, { inputmode: null, spellcheck: "false" }) : null)));
}

function fieldWithValue(input, value) {
  if (value !== undefined) input.value = value;
  return input;
}

const pad = (number) => String(number).padStart(2, "0");

// The London calendar date and time of an instant, as a date input shows them.
function londonInputParts(instant) {
  const { day, month, year, hour, minute } = londonParts(instant);
  return { day, month, year, time: `${hour}:${minute}` };
}

// "YYYY-MM-DD" from a date input's values, or the parts as typed when they are not a date (the API
// then says what is wrong), or undefined when all are blank.
export function dateOf(data, name) {
  const [day, month, year] = ["day", "month", "year"].map((part) => data[`${name}-${part}`] || "");
  if (!day && !month && !year) return undefined;
  if (/^\d{1,2}$/.test(day) && /^\d{1,2}$/.test(month) && /^\d{4}$/.test(year)) {
    return `${year}-${pad(month)}-${pad(day)}`;
  }
  return `${year}-${month}-${day}`;
}

// An ISO 8601 instant with London's offset on that date (GMT or BST) from a date input with a
// time, e.g. 2026-07-01T14:30:00+01:00; what was typed, as it was, when it is not a date and time.
export function instantOf(data, name) {
  const day = dateOf(data, name);
  const time = (data[`${name}-time`] || "").replace(".", ":");
  if (day === undefined && !time) return undefined;
  const match = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || "") || !match) return `${day || ""}T${time}`;
  const local = `${day}T${pad(match[1])}:${match[2]}:00`;
  const offset = londonOffsetMinutes(local);
  const sign = offset < 0 ? "-" : "+";
  return `${local}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

// The date typed into dateInput(`id`) as YYYY-MM-DD, as dateOf() gives it ("" when blank).
export function readDate(form, id) {
  const data = {};
  for (const part of ["day", "month", "year"]) {
    data[`${id}-${part}`] = form.querySelector(`#${CSS.escape(`${id}-${part}`)}`).value.trim();
  }
  return dateOf(data, id) ?? "";
}

// London's offset from UTC, in minutes, at a London wall-clock time.
function londonOffsetMinutes(local) {
  const asUtc = new Date(`${local}Z`).getTime();
  const offsetAt = (instant) => {
    const p = londonInputParts(instant);
    const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day),
                          ...p.time.split(":").map(Number));
    return Math.round((wall - instant) / 60000);
  };
  const first = offsetAt(asUtc);
  return offsetAt(asUtc - first * 60000);
}

export function button(text, attributes = {}) {
  return el("button", { type: "submit", class: "govuk-button", "data-module": "govuk-button",
                        ...attributes }, text);
}

// ---- errors ----------------------------------------------------------------------------------

export function clearErrors(form) {
  form.querySelector(":scope > .govuk-error-summary")?.remove();  // the summary showProblem added
  for (const message of form.querySelectorAll(".govuk-error-message")) message.remove();
  for (const group of form.querySelectorAll(".govuk-form-group--error")) {
    group.classList.remove("govuk-form-group--error");
  }
  for (const field of form.querySelectorAll(".govuk-input--error, .govuk-textarea--error")) {
    field.classList.remove("govuk-input--error", "govuk-textarea--error");
  }
  for (const described of form.querySelectorAll("[aria-describedby]")) {
    const ids = described.getAttribute("aria-describedby").split(" ")
      .filter((part) => !part.endsWith("-error"));
    if (ids.length) described.setAttribute("aria-describedby", ids.join(" "));
    else described.removeAttribute("aria-describedby");
  }
  if (document.title.startsWith(TITLE_ERROR)) {
    document.title = document.title.slice(TITLE_ERROR.length);
  }
}

function describe(node, id) {
  const ids = (node.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  node.setAttribute("aria-describedby", [...ids, id].join(" "));
}

function markField(form, fieldId, messages) {
  const field = form.querySelector(`#${CSS.escape(fieldId)}`);
  if (!field) return false;
  const dateInput = field.closest(".govuk-date-input");
  if (dateInput) return markDate(form, dateInput, messages);
  const group = field.closest(".govuk-form-group");
  const errorId = `${fieldId}-error`;
  if (form.querySelector(`#${CSS.escape(errorId)}`)) return true;  // two keys, one field
  const message = el("p", { class: "govuk-error-message", id: errorId },
    el("span", { class: "govuk-visually-hidden" }, "Error: "), messages.join(" "));
  if (field.classList.contains("govuk-date-input__input")) {  // a date: day, month, year
    const fieldset = field.closest("fieldset");
    const parts = fieldset.querySelector(".govuk-date-input");
    message.id = `${parts.id}-error`;
    if (form.querySelector(`#${CSS.escape(message.id)}`)) return true;
    fieldset.parentElement.classList.add("govuk-form-group--error");
    parts.before(message);
    for (const part of parts.querySelectorAll("input")) part.classList.add("govuk-input--error");
    describe(fieldset, message.id);
    return true;
  }
  group.classList.add("govuk-form-group--error");
  if (field.type === "radio" || field.type === "checkbox") {  // above the question's choices
    const fieldset = field.closest("fieldset");
    fieldset.querySelector(".govuk-radios, .govuk-checkboxes").before(message);
    describe(fieldset, errorId);
  } else {
    field.before(message);
    field.classList.add(field.tagName === "TEXTAREA" ? "govuk-textarea--error" : "govuk-input--error");
    describe(field, errorId);
  }
  return true;
}

// A GOV.UK date input (its day, month and year in one fieldset): the message above the three
// fields, each of them marked.
function markDate(form, dateInput, messages) {
  const errorId = `${dateInput.id}-error`;
  if (form.querySelector(`#${CSS.escape(errorId)}`)) return true;
  const fieldset = dateInput.closest("fieldset");
  fieldset.closest(".govuk-form-group").classList.add("govuk-form-group--error");
  dateInput.before(el("p", { class: "govuk-error-message", id: errorId },
    el("span", { class: "govuk-visually-hidden" }, "Error: "), messages.join(" ")));
  for (const input of dateInput.querySelectorAll("input")) input.classList.add("govuk-input--error");
  describe(fieldset, errorId);
  return true;
}

// Shows a problem (api.js Problem) on `form`: an error summary at its top, focused and announced,
// and each field's messages beside it. `fields` maps the problem's `errors` keys to field ids;
// a key it does not name is linked to the form's first field.
export function showProblem(form, problem, fields = {}) {
  clearErrors(form);
  const firstField = form.querySelector("input, textarea, select");
  const items = [];
  const errors = problem.errors || {};
  for (const [key, messages] of Object.entries(errors)) {
    const fieldId = fields[key] || firstField?.id;
    if (fields[key]) markField(form, fieldId, messages);
    for (const message of messages) {
      items.push(el("li", {}, el("a", { href: `#${fieldId}` }, message)));
    }
  }
  if (!items.length) items.push(el("li", {}, problem.detail || problem.title || "Something went wrong."));
  const summary = el("div", { class: "govuk-error-summary", "data-module": "govuk-error-summary" },
    el("div", { role: "alert" },
      el("h2", { class: "govuk-error-summary__title" }, "There is a problem"),
      el("div", { class: "govuk-error-summary__body" },
        el("ul", { class: "govuk-list govuk-error-summary__list" }, items))));
  // At the top of the form, under its heading if it has one.
  const heading = form.firstElementChild?.matches("h1, h2, h3") ? form.firstElementChild : null;
  if (heading) heading.after(summary);
  else form.prepend(summary);
  document.title = TITLE_ERROR + document.title;
  new ErrorSummary(summary);  // focuses it; its links move focus to the field (and its label)
}

// A success message (GOV.UK notification banner), focused so that it is announced.
export function successBanner(text) {
  const banner = el("div", {
    class: "govuk-notification-banner govuk-notification-banner--success", role: "alert",
    "aria-labelledby": "success-title", "data-module": "govuk-notification-banner",
  },
    el("div", { class: "govuk-notification-banner__header" },
      el("h2", { class: "govuk-notification-banner__title", id: "success-title" }, "Success")),
    el("div", { class: "govuk-notification-banner__content" },
      el("p", { class: "govuk-notification-banner__heading" }, text)));
  return banner;
}

// An outcome that is not simply a success (some of several writes made, some refused): GOV.UK's
// "Important" notification banner, a heading and a paragraph for each of `paragraphs`, focused
// and announced as the success banner is.
export function importantBanner(heading, ...paragraphs) {
  return el("div", {
    class: "govuk-notification-banner", role: "alert", "aria-labelledby": "important-title",
    "data-module": "govuk-notification-banner",
  },
    el("div", { class: "govuk-notification-banner__header" },
      el("h2", { class: "govuk-notification-banner__title", id: "important-title" }, "Important")),
    el("div", { class: "govuk-notification-banner__content" },
      el("p", { class: "govuk-notification-banner__heading" }, heading),
      paragraphs.filter(Boolean).map((text) => el("p", { class: "govuk-body" }, text))));
}

export function activateBanner(banner) {
  new NotificationBanner(banner);  // focuses a banner with role=alert
}

// The values of a form's named fields (radios: the checked one), blank ones left out.
export function values(form) {
  const data = {};
  for (const [name, value] of new FormData(form).entries()) {
    const trimmed = typeof value === "string" ? value.trim() : value;
    if (trimmed !== "") data[name] = trimmed;
  }
  return data;
}

// A form that posts its values with `send(data)`: a problem (422 or any other) is shown beside its
// fields (`fields` maps the problem's keys to field ids), and `after(data, answer)` runs on
// success. Nothing typed is lost on a problem, or while signing in again; a second submit while
// one is being sent is ignored.
export function submitting(form, send, fields, after) {
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    const data = values(form);
    try {
      const answer = await send(data);
      clearErrors(form);
      await after(data, answer);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      showProblem(form, error, fields);
    } finally {
      busy = false;
    }
  });
}
