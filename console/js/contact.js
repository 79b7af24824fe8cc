// A contact: its children, concerns, consent (with its history and a form for a new status), its
// information requests to partner agencies (contact-requests.js), threshold decisions (superseded
// ones shown as such, and the form to record one), and the feedback given to the referrer (with
// its form). Each form's 422 is shown beside its fields.

import { get, post, Problem } from "./api.js";
import { currentRole } from "./sign-in.js";
import { signOffForm } from "./contact-sign-off.js";
import { transitionsSection } from "./contact-transitions.js";
import { startPage } from "./layout.js";
import { childrenSection } from "./contact-children.js";
import { ragSection } from "./contact-rag.js";
import { keepOpenField, openRequestsOf, requestsSection } from "./contact-requests.js";
import { strategyMeetingSection } from "./contact-meetings.js";
import {
  CHANNELS, CONSENT, FEEDBACK_METHODS, OUTCOMES, clear, dateTime, details, el, lines,
  summaryList, table, tag, timeElement, timeLeft, words, yesNo,
} from "./dom.js";
import {
  activateBanner, button, dateInput, instantOf, radios, submitting as submittingForm, successBanner,
  textInput, textarea,
} from "./forms.js";

const contactId = new URLSearchParams(window.location.search).get("id");
const agencies = {};
let agencyList = [];
let page;

// ---- sections ----------------------------------------------------------------------------------

function overview(contact) {
  const awaiting = contact.status === "awaiting_decision";
  const due = timeLeft(contact.decision_due_at);
  const referrer = contact.referrer || {};
  return [
    el("span", { class: "govuk-caption-l" }, "Contact"),
    el("h1", { class: "govuk-heading-l" }, contact.reference, " ",
      awaiting ? tag("Awaiting decision", "yellow") : tag("Decided", "green")),
    summaryList([
      ["Received", timeElement(contact.received_at)],
      ["Decision due", lines(timeElement(contact.decision_due_at),
        awaiting && (due.overdue ? tag(due.text, "red") : due.text))],
      ["Source agency", agencies[contact.source_agency] || contact.source_agency],
      contact.source_reference && ["Their reference", contact.source_reference],
      contact.channel && ["Received by", CHANNELS[contact.channel] || words(contact.channel)],
      contact.referrer && ["Referrer", lines(referrer.name, referrer.role, referrer.phone,
                                             referrer.email)],
      contact.recorded_by && ["Recorded by", contact.recorded_by],
    ]),
  ];
}

function concerns(contact) {
  const categories = contact.concerns?.categories || [];
  return [
    el("h2", { class: "govuk-heading-m" }, "Concerns"),
    categories.length
      ? el("ul", { class: "govuk-list govuk-list--bullet" },
        categories.map((category) => el("li", {}, words(category))))
      : null,
    el("p", { class: "govuk-body app-preserve" }, contact.concerns?.summary || ""),
  ];
}

function consent(contact, canWrite) {
  const history = contact.consent_history || [];
  const section = [
    el("h2", { class: "govuk-heading-m" }, "Consent"),
    summaryList([
      ["Current status", CONSENT[contact.consent?.status] || words(contact.consent?.status)],
      contact.consent?.given_by && ["Given, refused or asked by", contact.consent.given_by],
      contact.consent?.reason && ["Reason", el("span", { class: "app-preserve" }, contact.consent.reason)],
    ]),
  ];
  if (history.length) {
    section.push(table("Consent history, oldest first", ["Recorded", "Status", "By", "Reason", "Recorded by"],
      history.map((record) => [
        timeElement(record.recorded_at), CONSENT[record.status] || words(record.status),
        record.given_by, el("span", { class: "app-preserve" }, record.reason || ""), record.recorded_by,
      ])));
  }
  if (canWrite) {
    const form = el("form", { novalidate: true, "aria-label": "Record a new consent status" },
      radios({ id: "consent-status", name: "status", legend: "New consent status", items: CONSENT,
               small: true }),
      textInput({ id: "consent-given-by", name: "given_by", label: "Given, refused or asked by (optional)" }),
      textarea({ id: "consent-reason", name: "reason", label: "Reason",
                 hint: "Required unless consent is given.", rows: 3 }),
      button("Record consent status", { class: "govuk-button govuk-button--secondary" }));
    submitting(form, (data) => post(`/contacts/${contactId}/consent`, data),
      { status: "consent-status", given_by: "consent-given-by", reason: "consent-reason" },
      (data) => `Consent recorded: ${CONSENT[data.status] || data.status}.`);
    section.push(details("Record a new consent status", form));
  }
  return section;
}

function decisionCard(decision, byId) {
  const superseded = Boolean(decision.superseded_by);
  const replacement = superseded ? byId[decision.superseded_by] : null;
  const approval = decision.approval;
  return el("div", { class: `govuk-summary-card${superseded ? " app-superseded" : ""}` },
    el("div", { class: "govuk-summary-card__title-wrapper" },
      el("h3", { class: "govuk-summary-card__title" }, OUTCOMES[decision.outcome] || words(decision.outcome)),
      superseded ? tag("Superseded", "grey") : tag("Current", "blue")),
    el("div", { class: "govuk-summary-card__content" }, summaryList([
      ["Decided", lines(timeElement(decision.decided_at), decision.decided_by && `by ${decision.decided_by}`)],
      ["Rationale", el("span", { class: "app-preserve" }, decision.rationale)],
      ["Within 24 hours", yesNo(decision.within_24_hours)],
      ["Within 1 working day", yesNo(decision.within_1_working_day)],
      decision.supersedes && ["Why it replaced the earlier decision",
                              el("span", { class: "app-preserve" }, decision.supersede_reason || "")],
      superseded && ["Superseded by", replacement
        ? `${OUTCOMES[replacement.outcome] || replacement.outcome}, decided ${dateTime(replacement.decided_at)}`
        : "a later decision"],
      ["Manager sign-off", approval
        ? lines(`Signed off by ${approval.approved_by}`, timeElement(approval.approved_at),
                approval.note && el("span", { class: "app-preserve" }, approval.note))
        : "Not signed off yet"],
    ])));
}

function decisions(items, canWrite, openRequests) {
  const byId = Object.fromEntries(items.map((decision) => [decision.id, decision]));
  const current = items.find((decision) => !decision.superseded_by);
  const section = [el("h2", { class: "govuk-heading-m" }, "Threshold decisions")];
  section.push(items.length
    ? el("div", {}, items.map((decision) => decisionCard(decision, byId)))
    : el("p", { class: "govuk-body" }, "No decision has been recorded yet."));
  if (current && !current.approval && currentRole() === "manager") section.push(signOffForm(current, show));
  // A decided contact's form to supersede its decision stays folded until asked for.
  if (canWrite) {
    section.push(current ? details("Record a new threshold decision", decisionForm(current, openRequests))
                         : decisionForm(current, openRequests));
  }
  return section;
}

// With information requests still open, the decider says whether to keep them open; otherwise the
// decision withdraws them ("decided without it").
function decisionForm(current, openRequests) {
  const form = el("form", { novalidate: true, "aria-labelledby": "decision-form-heading" },
    el(current ? "h3" : "h2", { class: current ? "govuk-heading-s" : "govuk-heading-m",
                               id: "decision-form-heading" },
      current ? "A new decision, superseding the current one" : "Record a threshold decision"),
    current
      ? el("div", { class: "govuk-inset-text" },
        `This decision will supersede the current one (${OUTCOMES[current.outcome] || current.outcome}, ` +
        `decided ${dateTime(current.decided_at)}).`)
      : null,
    radios({ id: "outcome", name: "outcome", legend: "Outcome", items: OUTCOMES }),
    textarea({ id: "rationale", name: "rationale", label: "Rationale",
               hint: "Why this outcome: at least 20 characters, and not a placeholder such as n/a.",
               rows: 6 }),
    current
      ? textarea({ id: "supersede-reason", name: "supersede_reason",
                   label: "Why does this decision supersede the current one?", rows: 3 })
      : null,
    keepOpenField(openRequests, agencies),
    button("Record decision"));
  submitting(form, (data) => {
    const body = current ? { ...data, supersedes: current.id } : { ...data };
    if (openRequests.length) body.keep_information_requests_open = data.keep_information_requests_open === "true";
    return post(`/contacts/${contactId}/decisions`, body);
  },
  { outcome: "outcome", rationale: "rationale", supersede_reason: "supersede-reason",
    supersedes: "supersede-reason", decided_at: "rationale", keep_information_requests_open: "keep-requests" },
  (data, decision) => {
    // What the decision did to the requests that were open, as its answer says.
    const requests = decision.open_information_requests || [];
    const count = (n) => (n === 1 ? "1 information request" : `${n} information requests`);
    const kept = requests.filter((request) => request.status === "open").length;
    const withdrawn = requests.length - kept;
    return [`Decision recorded: ${OUTCOMES[data.outcome] || data.outcome}.`,
      kept && `${count(kept)} kept open.`,
      withdrawn && `${count(withdrawn)} withdrawn, decided without ${withdrawn === 1 ? "it" : "them"}.`,
    ].filter(Boolean).join(" ");
  });
  return form;
}

function feedback(contact, canWrite) {
  const given = contact.feedback || [];
  const section = [el("h2", { class: "govuk-heading-m" }, "Feedback to the referrer")];
  section.push(given.length
    ? table("Feedback given, oldest first", ["Given", "How", "What they were told"],
      given.map((item) => [timeElement(item.given_at), FEEDBACK_METHODS[item.method] || words(item.method),
                           el("span", { class: "app-preserve" }, item.summary)]))
    : el("p", { class: "govuk-body" }, "No feedback has been recorded yet."));
  if (canWrite) {
    const form = el("form", { novalidate: true, "aria-labelledby": "feedback-form-heading" },
      el("h3", { class: "govuk-heading-s", id: "feedback-form-heading" }, "Record feedback given"),
      dateInput({ id: "feedback-given-at", name: "given_at", legend: "When it was given", time: true,
                  value: new Date().toISOString(), hint: "UK time, for example 27 3 2026 and 14:30." }),
      radios({ id: "feedback-method", name: "method", legend: "How it was given",
               items: FEEDBACK_METHODS, small: true }),
      textarea({ id: "feedback-summary", name: "summary", label: "What the referrer was told", rows: 3 }),
      button("Record feedback", { class: "govuk-button govuk-button--secondary" }));
    submitting(form, (data) => post(`/contacts/${contactId}/feedback`, {
      method: data.method, summary: data.summary, given_at: instantOf(data, "given_at"),
    }), { given_at: "feedback-given-at-day", method: "feedback-method", summary: "feedback-summary" },
    () => "Feedback recorded.");
    section.push(form);
  }
  return section;
}

// A form on this page: on success the contact is read again and the banner says what was recorded
// (`said(data, answer)`).
function submitting(form, send, fields, said) {
  submittingForm(form, send, fields, (data, answer) => show(said(data, answer)));
}

// ---- the page ----------------------------------------------------------------------------------

// `message`: the banner's text (a success), or a banner already built.
async function show(message) {
  const [contact, decided] = await Promise.all([
    get(`/contacts/${contactId}`), get(`/contacts/${contactId}/decisions`),
  ]);
  const canWrite = ["practitioner", "manager"].includes(currentRole());
  document.title = `Contact ${contact.reference} – MASH front door`;
  const banner = message instanceof Node ? message : message ? successBanner(message) : null;
  const meeting = await strategyMeetingSection({ contactId, contact, decisions: decided.items, canWrite, after: show });
  clear(page).append(
    el("a", { class: "govuk-back-link", href: "/console/" }, "Back to the queue"),
    ...(banner ? [banner] : []),
    ...overview(contact),
    ...ragSection(contact, { contactId, canWrite, submitting }),
    ...childrenSection(contact, { contactId, canWrite, submitting }), ...concerns(contact),
    ...consent(contact, canWrite),
    ...requestsSection(contact, { contactId, canWrite, submitting, agencies: agencyList, after: show }),
    ...decisions(decided.items, canWrite, openRequestsOf(contact)),
    ...meeting, ...feedback(contact, canWrite), ...transitionsSection(contact, canWrite, show));
  if (banner) activateBanner(banner);
}

async function main() {
  page = await startPage();
  if (!contactId) {
    page.append(el("h1", { class: "govuk-heading-l" }, "Contact not found"),
      el("p", { class: "govuk-body" }, el("a", { class: "govuk-link", href: "/console/" }, "Back to the queue")));
    return;
  }
  try {
    agencyList = (await get("/agencies", { limit: 500 })).items;
    for (const agency of agencyList) agencies[agency.code] = agency.name;
    await show();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    clear(page).append(
      el("h1", { class: "govuk-heading-l" }, error.status === 404 ? "Contact not found" : "There is a problem"),
      el("p", { class: "govuk-body" }, error.detail),
      el("p", { class: "govuk-body" }, el("a", { class: "govuk-link", href: "/console/" }, "Back to the queue")));
  }
}

main();
