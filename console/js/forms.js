// GOV.UK Frontend's form patterns, built as elements: fields with their labels and hints, and the
// error summary with each message beside its field. A problem's `errors` keys (the API's field
// names) are mapped to the form's fields by each form's `fields` table.

import { ErrorSummary, NotificationBanner } from "/console/govuk/govuk-frontend.min.js";
import { Problem } from "./api.js";
import { el } from "./dom.js";

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

// GOV.UK's date input: day, month and year in a fieldset. The day's id is `${id}-day`, so an
// error summary's link to the date lands on it; readDate() gives the date as YYYY-MM-DD.
export function dateInput({ id, legend, hint, value }) {
  const [year, month, day] = (value || "").split("-");
  const part = (name, label, width, initial) => el("div", { class: "govuk-date-input__item" },
    el("div", { class: "govuk-form-group" },
      el("label", { class: "govuk-label govuk-date-input__label", for: `${id}-${name}` }, label),
      el("input", { class: `govuk-input govuk-date-input__input govuk-input--width-${width}`,
                    id: `${id}-${name}`, name: `${id}-${name}`, type: "text", inputmode: "numeric",
                    value: initial ? String(Number(initial)) : null })));
  return el("div", { class: "govuk-form-group" },
    el("fieldset", { class: "govuk-fieldset", role: "group", id: `${id}-fieldset`,
                     "aria-describedby": hint ? `${id}-hint` : null },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, legend),
      hintFor(id, hint),
      el("div", { class: "govuk-date-input", id },
        part("day", "Day", 2, day), part("month", "Month", 2, month), part("year", "Year", 4, year))));
}

// The date typed into dateInput(`id`) as YYYY-MM-DD (the API checks it; blank parts stay blank).
export function readDate(form, id) {
  const value = (name) => form.querySelector(`#${CSS.escape(`${id}-${name}`)}`).value.trim();
  const [day, month, year] = [value("day"), value("month"), value("year")];
  if (!day && !month && !year) return "";
  const two = (text) => (/^\d$/.test(text) ? `0${text}` : text);
  return `${year}-${two(month)}-${two(day)}`;
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
  if (field.type === "radio") {
    const fieldset = field.closest("fieldset");
    fieldset.querySelector(".govuk-radios").before(message);
    describe(fieldset, errorId);
  } else {
    field.before(message);
    field.classList.add(field.tagName === "TEXTAREA" ? "govuk-textarea--error" : "govuk-input--error");
    describe(field, errorId);
  }
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
