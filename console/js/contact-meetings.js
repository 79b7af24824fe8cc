// The contact page's "Strategy meeting" section, where the current decision is a strategy
// discussion: the meeting convened on the contact (a summary and a link to its page), or a form to
// convene one. The agencies that must be invited (GET /contacts/{id}/strategy-meeting-invitees)
// start ticked; unticking one reveals the reason the API needs for leaving it out. Also the words
// and London times the meeting page (meeting.js) shares.

import { get, post } from "./api.js";
import { el, summaryList, tag, timeElement, words } from "./dom.js";
import { button, dateInput, instantOf, submitting, textInput, values } from "./forms.js";

export const MEETING_OUTCOMES = {
  s47_enquiry: "Section 47 enquiry",
  assessment: "Assessment (section 17)",
  early_help: "Early help",
  no_further_action: "No further action",
};

export const MEDICAL_DECISIONS = {
  required: "A medical examination is needed",
  not_required: "A medical examination is not needed",
  not_applicable: "Does not apply (no physical harm alleged)",
};

export function statusTag(meeting) {
  return meeting.status === "held" ? tag("Held", "green") : tag("Convened", "blue");
}

// ---- when: GOV.UK's date input with a time, in London time ------------------------------------

// A "when" field filled with the time now; sent as the exact time of sending if left as it was,
// so that a record made at once is not a minute earlier than what came just before it.
export function whenField({ id, name, label, hint }) {
  const now = new Date().toISOString();
  const group = dateInput({ id, name, legend: label, time: true, value: now,
                            hint: hint || "UK time. Now, unless you change it." });
  group.dataset.shown = instantOf(fieldValues(group), name);
  return group;
}

function fieldValues(node) {
  const data = {};
  for (const input of node.querySelectorAll("input[name]")) data[input.name] = input.value.trim();
  return data;
}

export function whenValue(form, name) {
  const group = form.querySelector(`[name="${name}-day"]`).closest("[data-shown]");
  const typed = instantOf(values(form), name);
  return typed === group.dataset.shown ? new Date().toISOString() : typed;
}

// ---- the section ---------------------------------------------------------------------------------

function meetingSummary(meeting, agencies) {
  return [
    el("h3", { class: "govuk-heading-s" },
      el("a", { class: "govuk-link", href: `/console/meeting?id=${meeting.id}` },
        `Strategy meeting ${meeting.reference}`), " ", statusTag(meeting)),
    summaryList([
      ["To be held", timeElement(meeting.scheduled_for)],
      meeting.held_at && ["Held", timeElement(meeting.held_at)],
      meeting.outcome && ["Outcome", MEETING_OUTCOMES[meeting.outcome] || words(meeting.outcome)],
      ["Chair", meeting.chair],
      ["Invited", el("ul", { class: "govuk-list" },
        meeting.invited.map((invitation) => el("li", {}, agencies[invitation.agency]?.name || invitation.agency)))],
    ]),
  ];
}

// The agencies that may be invited (not members of the public), by name: those of a required kind
// first, kind by kind.
function invitable(agencies, requiredKinds) {
  const byName = Object.values(agencies)
    .filter((agency) => !["individual", "anonymous"].includes(agency.kind))
    .sort((a, b) => a.name.localeCompare(b.name, "en-GB"));
  return [...requiredKinds.flatMap((kind) => byName.filter((agency) => agency.kind === kind)),
          ...byName.filter((agency) => !requiredKinds.includes(agency.kind))];
}

function conveneForm({ contactId, contact, required, agencies, after }) {
  const requiredKinds = required.filter((item) => item.is_kind).map((item) => item.key);
  const list = invitable(agencies, requiredKinds);
  // Ticked to start with: each required agency, and for each required kind (unless a required
  // agency is of it already) the agency of that kind invited to most meetings, or the first by name.
  const ticked = new Set(required.filter((item) => !item.is_kind).map((item) => item.key));
  for (const item of required.filter((r) => r.is_kind)) {
    if ([...ticked].some((code) => agencies[code]?.kind === item.key)) continue;
    const usual = agencies[item.usual_agency] ? item.usual_agency
      : list.find((agency) => agency.kind === item.key)?.code;
    if (usual) ticked.add(usual);
  }
  // Where each reason field sits: under its agency, or for a kind under the agency ticked for it.
  const placeOf = {};
  for (const item of required) {
    placeOf[item.key] = item.is_kind
      ? ([...ticked].find((code) => agencies[code]?.kind === item.key) || list.find((a) => a.kind === item.key)?.code)
      : item.key;
  }
  const reasonLabel = (item) => (item.is_kind
    ? `Why is no ${words(item.key).toLowerCase()} agency invited?`
    : `Why is ${agencies[item.key]?.name || item.key} not invited?`);
  const reasonFields = {};
  const items = list.map((agency, index) => {
    const id = index === 0 ? "invited" : `invited-${agency.code}`;
    const reasons = required.filter((item) => placeOf[item.key] === agency.code).map((item) => {
      const fieldId = `reason-${item.key}`;
      const group = el("div", { class: "govuk-checkboxes__conditional", hidden: true },
        el("div", { class: "govuk-form-group" },
          el("label", { class: "govuk-label", for: fieldId }, reasonLabel(item)),
          el("div", { class: "govuk-hint", id: `${fieldId}-hint` },
            item.is_kind ? `Or tick another ${words(item.key).toLowerCase()} agency.`
              : "The agency that made the contact is invited unless there is a reason not to."),
          el("textarea", { class: "govuk-textarea", id: fieldId, rows: 2, "data-reason": item.key,
                           "aria-describedby": `${fieldId}-hint` })));
      reasonFields[item.key] = group;
      return group;
    });
    return el("div", {},
      el("div", { class: "govuk-checkboxes__item" },
        el("input", { class: "govuk-checkboxes__input", id, name: "invited", type: "checkbox",
                      value: agency.code, checked: ticked.has(agency.code),
                      "aria-describedby": `${id}-item-hint` }),
        el("label", { class: "govuk-label govuk-checkboxes__label", for: id }, agency.name),
        el("div", { class: "govuk-hint govuk-checkboxes__hint", id: `${id}-item-hint` },
          [words(agency.kind), required.some((item) => item.key === agency.code) ? "the referrer" : null]
            .filter(Boolean).join(", "))),
      reasons);
  });
  const childNames = contact.children.map((child) => [child.given_name, child.family_name].filter(Boolean).join(" "));
  const form = el("form", { novalidate: true, "aria-labelledby": "convene-heading" },
    el("h3", { class: "govuk-heading-s", id: "convene-heading" }, "Convene a strategy meeting"),
    el("p", { class: "govuk-body" }, `About: ${childNames.join(", ")}.`),
    whenField({ id: "convened-at", name: "convened_at", label: "When was it decided to hold the meeting?" }),
    dateInput({ id: "scheduled-for", name: "scheduled_for", legend: "When is it to be held?", time: true,
                hint: "UK time, for example 7 12 2026 and 10:00." }),
    textInput({ id: "chair", name: "chair", label: "Who chairs it?", autocomplete: "off", width: 20 }),
    el("div", { class: "govuk-form-group" },
      el("fieldset", { class: "govuk-fieldset", "aria-describedby": "invited-hint" },
        el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, "Agencies invited"),
        el("div", { class: "govuk-hint", id: "invited-hint" },
          "Police, health and the agency that made the contact (and early help when a child is open to it) ",
          "must be invited. If you leave one out, say why."),
        el("div", { class: "govuk-checkboxes govuk-checkboxes--small" }, items))),
    button("Convene meeting"));

  // A required agency's reason shows while it is not invited: a kind while no agency of it is
  // ticked (unless an unticked required agency of that kind asks already: its reason covers both).
  const tickedCodes = () => new Set([...form.querySelectorAll('input[name="invited"]:checked')].map((i) => i.value));
  const visibleReasons = () => {
    const codes = tickedCodes();
    const kinds = new Set([...codes].map((code) => agencies[code]?.kind));
    const shown = new Set();
    for (const item of required.filter((r) => !r.is_kind)) if (!codes.has(item.key)) shown.add(item.key);
    for (const item of required.filter((r) => r.is_kind)) {
      const covered = [...shown].some((code) => agencies[code]?.kind === item.key);
      if (!kinds.has(item.key) && !covered) shown.add(item.key);
    }
    return shown;
  };
  const reveal = () => {
    const shown = visibleReasons();
    for (const [key, group] of Object.entries(reasonFields)) group.hidden = !shown.has(key);
  };
  form.addEventListener("change", (event) => { if (event.target.name === "invited") reveal(); });
  reveal();

  // The API's field names -> this form's fields (a reason not shown: the one that covers it).
  const fields = () => {
    const shown = visibleReasons();
    const map = { convened_at: "convened-at-day", scheduled_for: "scheduled-for-day", chair: "chair",
                  invited: "invited", contact_id: "convened-at", children: "convened-at" };
    list.forEach((agency, index) => { map[`invited[${index}].agency`] = "invited"; });
    for (const item of required) {
      const cover = shown.has(item.key) ? item.key
        : [...shown].find((code) => agencies[code]?.kind === item.key);
      if (cover) map[`not_invited_reasons.${item.key}`] = `reason-${cover}`;
    }
    return map;
  };
  const mapped = {};  // filled as each is sent, from the reasons shown then
  submitting(form, () => {
    for (const key of Object.keys(mapped)) delete mapped[key];
    Object.assign(mapped, fields());
    const shown = visibleReasons();
    const reasons = {};
    for (const textarea of form.querySelectorAll("textarea[data-reason]")) {
      const text = textarea.value.trim();
      if (text && shown.has(textarea.dataset.reason)) reasons[textarea.dataset.reason] = text;
    }
    const chair = form.querySelector("#chair").value.trim();
    return post("/strategy-meetings", {
      contact_id: contactId,
      children: contact.children.map((child) => child.id),
      convened_at: whenValue(form, "convened_at"),
      scheduled_for: instantOf(values(form), "scheduled_for"),
      chair: chair || undefined,
      invited: [...tickedCodes()].map((code) => ({ agency: code })),
      not_invited_reasons: reasons,
    });
  }, mapped, (data, meeting) => after(`Strategy meeting ${meeting.reference} convened.`));
  return form;
}

// The section's nodes, or none unless the current decision is a strategy discussion (or a
// meeting was convened on the contact already). `after(message)` shows the contact again.
export async function strategyMeetingSection({ contactId, contact, decisions, canWrite, after }) {
  const current = decisions.find((decision) => !decision.superseded_by);
  const [meetings, agencyList] = await Promise.all([
    get("/strategy-meetings", { contact_id: contactId, limit: 50 }),
    get("/agencies", { limit: 500 }),
  ]);
  if (current?.outcome !== "strategy_discussion" && !meetings.items.length) return [];
  const agencies = Object.fromEntries(agencyList.items.map((agency) => [agency.code, agency]));
  const section = [el("h2", { class: "govuk-heading-m" }, "Strategy meeting")];
  if (meetings.items.length) {
    for (const meeting of meetings.items) section.push(...meetingSummary(meeting, agencies));
    return section;
  }
  if (!canWrite) {
    section.push(el("p", { class: "govuk-body" }, "No strategy meeting has been convened yet."));
    return section;
  }
  const invitees = await get(`/contacts/${contactId}/strategy-meeting-invitees`);
  section.push(el("p", { class: "govuk-body" }, "No strategy meeting has been convened yet."),
    conveneForm({ contactId, contact, required: invitees.required, agencies, after }));
  return section;
}
