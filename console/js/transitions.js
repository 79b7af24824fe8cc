// Step-up and step-down requests into the signed-in person's service (GET /transitions?to_service=):
// those awaiting a response first, the soonest due at the top, each with its deadline and time left
// (or how overdue), and for a manager of that service a form to accept or refuse it with reasons
// (POST /transitions/{id}/response); then those already answered or withdrawn. MASH staff, whose
// service receives none, see every service's requests.

import { get, post, Problem } from "./api.js";
import { currentRole, currentService } from "./sign-in.js";
import { startPage } from "./layout.js";
import {
  DIRECTIONS, SERVICES, childName, clear, el, lines, summaryList, table, tag, timeElement,
  timeLeft, words,
} from "./dom.js";
import { activateBanner, button, radios, submitting, successBanner, textarea } from "./forms.js";

const HREF = "/console/transitions";
const RECEIVING = ["early_help", "social_care"];
const WORDS = { step_up: "Step-up", step_down: "Step-down" };
const RESPONSES = { accepted: "Accept", refused: "Refuse" };
const STATUS_TAGS = {
  accepted: ["Accepted", "green"], refused: ["Refused", "red"], withdrawn: ["Withdrawn", "grey"],
  requested: ["Awaiting a response", "yellow"],
};

let page;
const children = {};

// Each request names a child by id: their name and reference, read once per page.
async function readChildren(transitions) {
  const wanted = [...new Set(transitions.map((t) => t.child_id))].filter((id) => !(id in children));
  await Promise.all(wanted.map(async (id) => {
    try {
      children[id] = await get(`/children/${id}`);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      children[id] = null;
    }
  }));
}

function childOf(transition) {
  const child = children[transition.child_id];
  if (!child) return "A child you cannot see";
  return el("span", { class: "app-preserve" }, childName(child), child.reference ? ` (${child.reference})` : "");
}

function dueText(transition) {
  const due = timeLeft(transition.response_due_at);
  return lines(timeElement(transition.response_due_at),
    due.overdue ? tag(due.text, "red") : el("span", { class: "app-nowrap" }, due.text));
}

function plan(transition) {
  if (!transition.plan) return null;
  return [
    ["Plan", el("span", { class: "app-preserve" }, transition.plan.summary)],
    ["Expected outcomes", el("ul", { class: "govuk-list govuk-list--bullet" },
      transition.plan.expected_outcomes.map((outcome) => el("li", { class: "app-preserve" }, outcome)))],
  ];
}

function responseForm(transition) {
  const id = (name) => `response-${transition.id}-${name}`;
  const form = el("form", { novalidate: true, "aria-labelledby": id("heading") },
    el("h3", { class: "govuk-heading-s govuk-!-margin-top-6", id: id("heading") },
      `Respond to ${transition.reference}`),
    radios({ id: id("decision"), name: "decision", legend: "Your response", items: RESPONSES,
             small: true }),
    textarea({ id: id("rationale"), name: "rationale", label: "Reasons",
               hint: "Needed to refuse: explain the threshold, at least 20 characters.", rows: 4 }),
    button("Send response"));
  submitting(form, (data) => post(`/transitions/${transition.id}/response`, data),
    { decision: id("decision"), rationale: id("rationale") },
    (data) => show(`${WORDS[transition.direction]} ${transition.reference} ` +
                   `${data.decision === "refused" ? "refused" : "accepted"}.`));
  return form;
}

function openCard(transition, canAnswer) {
  const due = timeLeft(transition.response_due_at);
  return el("div", { class: "govuk-summary-card" },
    el("div", { class: "govuk-summary-card__title-wrapper" },
      el("h3", { class: "govuk-summary-card__title" },
        `${transition.reference}: ${WORDS[transition.direction] || words(transition.direction)}`),
      due.overdue ? tag("Overdue", "red") : tag("Open", "blue")),
    el("div", { class: "govuk-summary-card__content" },
      summaryList([
        ["Child", childOf(transition)],
        ["Direction", DIRECTIONS[transition.direction] || words(transition.direction)],
        ["Requested", lines(timeElement(transition.requested_at), `by ${transition.requested_by}`)],
        ["Response due", dueText(transition)],
        ["Why", el("span", { class: "app-preserve" }, transition.rationale)],
        ...(plan(transition) || []),
      ]),
      canAnswer ? responseForm(transition) : null));
}

function answeredTable(items) {
  return table("Answered and withdrawn requests, the most recent first",
    ["Request", "Child", "Direction", "Requested", "Outcome", "Reasons"],
    items.map((transition) => {
      const [text, colour] = STATUS_TAGS[transition.status] || [words(transition.status)];
      const response = transition.response;
      return [
        transition.reference, childOf(transition), WORDS[transition.direction],
        timeElement(transition.requested_at),
        lines(tag(text, colour), response && `by ${response.by}`,
              response && timeElement(response.at)),
        el("span", { class: "app-preserve" },
          response?.rationale || transition.withdrawal_reason || ""),
      ];
    }));
}

async function show(message) {
  const service = currentService();
  const mine = RECEIVING.includes(service) ? service : undefined;
  const [open, recent] = await Promise.all([
    get("/transitions", { status: "requested", to_service: mine, limit: 500 }),
    get("/transitions", { to_service: mine, limit: 50 }),
  ]);
  const answered = recent.items.filter((transition) => transition.status !== "requested");
  await readChildren([...open.items, ...answered]);
  const waiting = [...open.items].sort((a, b) => a.response_due_at.localeCompare(b.response_due_at)
    || a.requested_at.localeCompare(b.requested_at));
  const canAnswer = (transition) => currentRole() === "manager" && service === transition.to_service;
  const banner = message ? successBanner(message) : null;
  clear(page).append(
    ...(banner ? [banner] : []),
    el("h1", { class: "govuk-heading-xl" }, "Step-up and step-down requests"),
    el("p", { class: "govuk-body-l" }, mine
      ? `Requests for children to move into ${SERVICES[mine].toLowerCase()}, the soonest due first. ` +
        "Each must be answered within its deadline; a refusal gives its reasons."
      : "Requests for children to move between early help and social care, the soonest due first."),
    el("h2", { class: "govuk-heading-m" }, `Awaiting a response (${waiting.length})`),
    waiting.length
      ? el("div", {}, waiting.map((transition) => openCard(transition, canAnswer(transition))))
      : el("p", { class: "govuk-body" }, "No requests are awaiting a response."),
    el("h2", { class: "govuk-heading-m" }, "Answered and withdrawn"),
    answered.length
      ? answeredTable(answered)
      : el("p", { class: "govuk-body" }, "No requests have been answered or withdrawn yet."));
  if (banner) activateBanner(banner);
}

async function main() {
  page = await startPage(HREF);
  await show();
}

main();
