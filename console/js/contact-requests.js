// The contact's information requests to partner agencies: each request in the order asked (the
// agency, the question, the children, when it is due, and the answer or the withdrawal), for
// staff while the contact awaits its decision a form to ask several agencies at once (one
// POST /contacts/{id}/information-requests per agency), and a form to withdraw each open one.
// contact.js calls requestsSection() in show(), and keepOpenField() in its decision form.
// The agencies answer from their own systems, never here.

import { Problem, post } from "./api.js";
import { childName, date, dateTime, details, el, lines, summaryList, tag, timeElement } from "./dom.js";
import { button, clearErrors, importantBanner, showProblem, textarea, values } from "./forms.js";

const STATUSES = {
  open: ["Open", null],
  answered: ["Answered", "green"],
  withdrawn: ["Withdrawn", "grey"],
};
// Members of the public are not asked (as for a strategy meeting's invitations).
const NOT_ASKED = ["individual", "anonymous"];

// What was typed in the form to ask when only some of the agencies could be asked: the page is
// read again (to show the requests made) and the new form starts from it.
let draft = null;

export function openRequestsOf(contact) {
  return (contact.information_requests || []).filter((request) => request.status === "open");
}

function statusTag(request) {
  const [text, colour] = STATUSES[request.status] || [request.status, "grey"];
  return tag(text, colour);
}

function childList(children) {
  const names = children.map((child) => childName(child) || "A child with no name given");
  return names.length > 1
    ? el("ul", { class: "govuk-list" }, names.map((name) => el("li", {}, name)))
    : names[0] || "";
}

function answerRows(response) {
  return [
    ["Answer", response.known ? "Known to the agency" : "Not known to the agency"],
    response.information && ["What they know", el("span", { class: "app-preserve" }, response.information)],
    ["Answered", lines(
      el("span", {}, timeElement(response.responded_at),
        response.within_deadline === false && [" ", tag("Late", "orange")],
        response.after_decision && [" ", tag("After the decision", "purple")]),
      response.by && `by ${response.by}`)],
  ];
}

function withdrawForm(request, name, submitting) {
  const reasonId = `withdraw-reason-${request.id}`;
  const form = el("form", { novalidate: true, "aria-label": `Withdraw the request to ${name}` },
    textarea({ id: reasonId, name: "reason", label: "Why is it no longer needed?", rows: 3 }),
    button("Withdraw request", { class: "govuk-button govuk-button--secondary" }));
  submitting(form, (data) => post(`/information-requests/${request.id}/withdrawal`, data),
    { reason: reasonId }, () => `Request to ${name} withdrawn.`);
  const folded = details("Withdraw this request", form);
  folded.classList.add("app-card-details");
  return folded;
}

function requestCard(request, names, { canWrite, submitting }) {
  const name = names[request.agency] || request.agency;
  const open = request.status === "open";
  return el("div", { class: "govuk-summary-card" },
    el("div", { class: "govuk-summary-card__title-wrapper" },
      el("h3", { class: "govuk-summary-card__title" }, name), statusTag(request)),
    el("div", { class: "govuk-summary-card__content" },
      summaryList([
        ["Question", el("span", { class: "app-preserve" }, request.question)],
        ["Children asked about", childList(request.children || [])],
        ["Asked", lines(timeElement(request.requested_at), request.requested_by && `by ${request.requested_by}`)],
        ["Due", el("span", {}, timeElement(request.due_at),
          open && request.overdue && [" ", tag("Overdue", "red")])],
        ...(request.response ? answerRows(request.response) : []),
        request.status === "withdrawn" && ["Withdrawn", lines(timeElement(request.withdrawn_at),
          request.withdrawn_by && `by ${request.withdrawn_by}`)],
        request.status === "withdrawn" && ["Why it was withdrawn", el("span", { class: "app-preserve" },
          request.withdrawal_reason || "")],
      ]),
      open && canWrite ? withdrawForm(request, name, submitting) : null));
}

// ---- asking --------------------------------------------------------------------------------------

function checkboxes({ id, legend, hint, items }) {
  return el("div", { class: "govuk-form-group" },
    el("fieldset", { class: "govuk-fieldset", "aria-describedby": hint ? `${id}-hint` : null },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, legend),
      hint ? el("div", { class: "govuk-hint", id: `${id}-hint` }, hint) : null,
      el("div", { class: "govuk-checkboxes govuk-checkboxes--small", "data-module": "govuk-checkboxes" },
        items)));
}

function checkbox({ id, name, value, label, hint, checked = false }) {
  return el("div", { class: "govuk-checkboxes__item" },
    el("input", { class: "govuk-checkboxes__input", id, name, type: "checkbox", value, checked,
                  "aria-describedby": hint ? `${id}-item-hint` : null }),
    el("label", { class: "govuk-label govuk-checkboxes__label", for: id }, label),
    hint ? el("div", { class: "govuk-hint govuk-checkboxes__hint", id: `${id}-item-hint` }, hint) : null);
}

const FIELDS = { agency: "ask-agency", question: "ask-question", child_ids: "ask-children" };

function listed(texts) {
  if (texts.length < 2) return texts.join("");
  return `${texts.slice(0, -1).join(", ")} and ${texts[texts.length - 1]}`;
}

function askForm(contact, agencies, names, { contactId, after }) {
  // An agency with a request open on the contact is not offered (the API would refuse it, 409):
  // the hint names it instead.
  const held = openRequestsOf(contact);
  const holding = new Set(held.map((request) => request.agency));
  const askable = agencies.filter((agency) => !NOT_ASKED.includes(agency.kind) && !holding.has(agency.code))
    .sort((a, b) => a.name.localeCompare(b.name, "en-GB"));
  const agencyItems = askable.map((agency, index) => checkbox({
    id: index === 0 ? FIELDS.agency : `ask-to-${agency.code}`, name: "agency", value: agency.code,
    label: agency.name,
  }));
  const notOffered = held.map((request) => `${names[request.agency] || request.agency} ` +
    `(due ${dateTime(request.due_at)})`);
  const childItems = contact.children.map((child, index) => checkbox({
    id: index === 0 ? FIELDS.child_ids : `ask-children-${index + 1}`, name: "child_ids", value: child.id,
    label: childName(child) || "A child with no name given", checked: true,
    hint: child.date_of_birth && `Born ${date(child.date_of_birth)}`,
  }));
  // Folded once the contact has requests (the list comes first), unless it holds what was typed.
  const folded = contact.information_requests.length > 0;
  const form = el("form", { novalidate: true, "aria-label": folded ? "Ask partner agencies" : null,
                            "aria-labelledby": folded ? null : "ask-heading" },
    folded ? null : el("h3", { class: "govuk-heading-s", id: "ask-heading" }, "Ask partner agencies"),
    checkboxes({ id: "ask-agency", legend: "Agencies to ask", items: agencyItems,
                 hint: "Each agency ticked gets a request of its own, with the same question." +
                       (notOffered.length ? ` Not offered: ${listed(notOffered)}, already asked; an agency can ` +
                         "be asked again once it answers or its request is withdrawn." : "") }),
    checkboxes({ id: "ask-children", legend: "Children asked about", items: childItems,
                 hint: "The agencies see each child's name, date of birth and NHS number." }),
    textarea({ id: FIELDS.question, name: "question", label: "Question", rows: 4,
               hint: "What you need to know from them. The answer is due by a time the contact's " +
                     "RAG rating sets." }),
    button("Send requests", { class: "govuk-button govuk-button--secondary" }));
  const typed = draft?.contactId === contactId ? draft : null;
  draft = null;
  if (typed) restore(form, typed);

  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    try {
      await ask(form, contactId, names, after);
    } finally {
      busy = false;
    }
  });
  if (!folded) return form;
  const closed = details("Ask partner agencies", form);
  closed.open = Boolean(typed);
  return closed;
}

function restore(form, typed) {
  form.querySelector(`#${FIELDS.question}`).value = typed.question || "";
  for (const input of form.querySelectorAll('input[name="child_ids"]')) {
    input.checked = typed.child_ids.includes(input.value);
  }
  for (const input of form.querySelectorAll('input[name="agency"]')) {
    input.checked = typed.agencies.includes(input.value);
  }
}

// One request per agency ticked, one after another. A problem with what was asked (the question,
// the children) is the same for every agency: shown beside its field at the first, nothing sent
// after it. A problem with one agency (it was asked meanwhile, 409) does not stop the others.
async function ask(form, contactId, names, after) {
  const chosen = [...form.querySelectorAll('input[name="agency"]:checked')].map((input) => input.value);
  const childIds = [...form.querySelectorAll('input[name="child_ids"]:checked')].map((input) => input.value);
  const question = values(form).question;
  if (!chosen.length) {
    showProblem(form, { errors: { agency: ["Select at least one agency to ask."] } }, FIELDS);
    return;
  }
  const asked = [];
  const refused = [];
  for (const code of chosen) {
    try {
      await post(`/contacts/${contactId}/information-requests`, { agency: code, question, child_ids: childIds });
      asked.push(code);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      const keys = Object.keys(error.errors);
      const aboutAgency = error.status === 409 || (keys.length > 0 && keys.every((key) => key === "agency"));
      if (!aboutAgency && !asked.length) {
        showProblem(form, error, FIELDS);
        return;
      }
      refused.push({ code, problem: error });
      if (!aboutAgency) break;
    }
  }
  const name = (code) => names[code] || code;
  // The problem's own words, after the agency's name unless they say it already.
  const why = ({ code, problem }) => (problem.detail.includes(name(code)) ? problem.detail
    : `${name(code)}: ${problem.detail}`);
  if (!asked.length) {
    showProblem(form, { errors: { agency: refused.map(why) } }, FIELDS);
    return;
  }
  clearErrors(form);
  if (!refused.length && asked.length === chosen.length) {
    await after(`Information requested from ${listed(asked.map(name))}.`);
    return;
  }
  const notSent = chosen.filter((code) => !asked.includes(code) && !refused.some((r) => r.code === code));
  draft = { contactId, question, child_ids: childIds, agencies: [...refused.map((r) => r.code), ...notSent] };
  await after(importantBanner(`${asked.length} of ${chosen.length} agencies asked`,
    `Asked: ${listed(asked.map(name))}.`,
    ...refused.map((refusal) => `Not asked: ${why(refusal)}`),
    notSent.length ? `Not sent, after that problem: ${listed(notSent.map(name))}.` : null,
    "Your question is kept in the form to ask partner agencies."));
}

// ---- the decision form's choice --------------------------------------------------------------------

// For contact.js's decision form, when requests are still open: which ones, and a box to keep them
// open (sent as keep_information_requests_open); otherwise the decision withdraws them.
export function keepOpenField(openRequests, names) {
  if (!openRequests.length) return null;
  const which = openRequests.map((request) => `${names[request.agency] || request.agency} ` +
    `(due ${dateTime(request.due_at)}${request.overdue ? ", overdue" : ""})`);
  const hint = `Not answered yet: ${listed(which)}. Unless you keep ` +
    `${openRequests.length === 1 ? "it" : "them"} open, recording this decision withdraws ` +
    `${openRequests.length === 1 ? "it" : "them"} with the reason “decided without it”.`;
  return checkboxes({ id: "keep-requests", legend: "Open information requests", hint, items: [
    checkbox({ id: "keep-requests", name: "keep_information_requests_open", value: "true",
               label: "Keep the open information requests open",
               hint: "An answer that arrives after the decision is shown flagged for you." }),
  ] });
}

// ---- the section ---------------------------------------------------------------------------------

// The section's nodes. `agencies`: GET /agencies' items; `submitting(form, send, fields, said)`:
// contact.js's form helper; `after(message)`: the contact shown again with that banner. Nothing is
// shown to a reader the API does not show the requests to.
export function requestsSection(contact, { contactId, canWrite, submitting, agencies, after }) {
  if (!("information_requests" in contact)) return [];
  const names = Object.fromEntries(agencies.map((agency) => [agency.code, agency.name]));
  const requests = contact.information_requests;
  const section = [
    el("h2", { class: "govuk-heading-m", id: "information-requests-heading" }, "Information requests"),
    requests.length
      ? el("div", {}, requests.map((request) => requestCard(request, names, { canWrite, submitting })))
      : el("p", { class: "govuk-body" }, "No partner agency has been asked for information yet."),
  ];
  if (canWrite && contact.status === "awaiting_decision") {
    section.push(askForm(contact, agencies, names, { contactId, after }));
  }
  return section;
}
