// A strategy meeting (/console/meeting?id=): the contact and children it is about, when it is held,
// who was invited and who convened it; then, for staff, its forms in the order they happen: the
// outcome (attendance of each invited agency, the outcome, the medical examination decision), the
// minutes, and the initial child protection conference (ICPC) an s47 enquiry leads to. Each shows
// what was recorded once it is; each 422 is shown beside its field. Read-only for an auditor.

import { get, post, Problem } from "./api.js";
import { currentRole } from "./sign-in.js";
import { startPage } from "./layout.js";
import {
  append, childName, clear, date, el, lines, londonToday, summaryList, table, tag, timeElement, words,
  yesNo,
} from "./dom.js";
import {
  activateBanner, button, dateInput, dateOf, submitting, successBanner, textInput, textarea, values,
} from "./forms.js";
import { MEDICAL_DECISIONS, MEETING_OUTCOMES, statusTag, whenField, whenValue } from "./contact-meetings.js";

const meetingId = new URLSearchParams(window.location.search).get("id");
const agencies = {};
let page;

const agencyName = (code) => agencies[code]?.name || code;
// A key of not_invited_reasons: an agency's code, or a kind ("police": any police agency).
const leftOutName = (key) => (agencies[key] ? agencies[key].name : `Any ${words(key).toLowerCase()} agency`);
const preserve = (text) => el("span", { class: "app-preserve" }, text || "");

// Radios, inline or stacked, whose items may reveal more questions (GOV.UK's conditional reveal,
// shown while its radio is chosen). items: [value, text, revealed nodes?]. Not Frontend's Radios
// script: it sets aria-expanded on each radio, which a radio may not have (axe, WCAG 4.1.2).
function choice({ id, name, legend, hint, items, inline = false, small = false }) {
  const reveals = [];
  const options = items.flatMap(([value, text, revealed], index) => {
    const radioId = index === 0 ? id : `${id}-${index + 1}`;
    const conditionalId = revealed ? `${radioId}-conditional` : null;
    const input = el("input", { class: "govuk-radios__input", id: radioId, name, type: "radio", value,
                                "aria-controls": conditionalId });
    const conditional = revealed ? el("div", {
      class: "govuk-radios__conditional govuk-radios__conditional--hidden", id: conditionalId }, revealed) : null;
    if (conditional) reveals.push([input, conditional]);
    return [el("div", { class: "govuk-radios__item" }, input,
      el("label", { class: "govuk-label govuk-radios__label", for: radioId }, text)), conditional];
  });
  const sync = () => {
    for (const [input, conditional] of reveals) {
      conditional.classList.toggle("govuk-radios__conditional--hidden", !input.checked);
    }
  };
  const classes = ["govuk-radios", inline && "govuk-radios--inline", small && "govuk-radios--small"];
  return el("div", { class: "govuk-form-group" },
    el("fieldset", { class: "govuk-fieldset", "aria-describedby": hint ? `${id}-hint` : null },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, legend),
      hint ? el("div", { class: "govuk-hint", id: `${id}-hint` }, hint) : null,
      el("div", { class: classes.filter(Boolean).join(" "), onchange: reveals.length ? sync : null }, options)));
}

const checked = (form, name) => form.querySelector(`input[name="${name}"]:checked`)?.value;
const typed = (form, id) => form.querySelector(`#${id}`)?.value.trim() || undefined;

// A form on this page: on success the meeting is read again and the banner says what was recorded.
// `fields` may be a function: the map is made when the form is sent (it depends on what was sent).
function posting(form, send, fields, said) {
  const mapped = {};
  submitting(form, () => {
    const sent = send();
    for (const key of Object.keys(mapped)) delete mapped[key];
    Object.assign(mapped, typeof fields === "function" ? fields() : fields);
    return sent;
  }, mapped, () => show(said));
}

// ---- what was recorded -------------------------------------------------------------------------

function overview(meeting, contact) {
  const names = Object.fromEntries(contact.children.map((child) => [child.id, childName(child)]));
  return [
    el("span", { class: "govuk-caption-l" }, "Strategy meeting"),
    el("h1", { class: "govuk-heading-l" }, meeting.reference, " ", statusTag(meeting)),
    summaryList([
      ["Contact", el("a", { class: "govuk-link", href: `/console/contact?id=${encodeURIComponent(contact.id)}` },
        contact.reference)],
      ["Children", el("ul", { class: "govuk-list" },
        meeting.children.map((id) => el("li", { class: "app-preserve" }, names[id] || id)))],
      ["To be held", timeElement(meeting.scheduled_for)],
      ["Decided to hold it", timeElement(meeting.convened_at)],
      ["Chair", preserve(meeting.chair)],
      ["Convened by", lines(meeting.recorded_by, timeElement(meeting.recorded_at))],
    ]),
  ];
}

function invitations(meeting) {
  const held = meeting.status === "held";
  const attendance = Object.fromEntries(meeting.attendance.map((item) => [item.agency, item]));
  const section = [
    el("h2", { class: "govuk-heading-m" }, "Agencies invited"),
    table("Agencies invited to the meeting", held
      ? ["Agency", "Invited", "Attended", "Who attended"]
      : ["Agency", "Invited"],
    meeting.invited.map((invitation) => {
      const cells = [agencyName(invitation.agency), timeElement(invitation.invited_at)];
      if (held) {
        const came = attendance[invitation.agency];
        cells.push(came ? yesNo(came.attended) : "Not recorded",
          came ? lines(came.name && preserve(came.name), came.role && preserve(came.role)) : "");
      }
      return cells;
    })),
  ];
  const reasons = Object.entries(meeting.not_invited_reasons || {});
  if (reasons.length) {
    section.push(table("Required agencies not invited, and why", ["Agency", "Why not invited"],
      reasons.map(([key, reason]) => [leftOutName(key), preserve(reason)])));
  }
  return section;
}

function outcome(meeting) {
  const summary = meeting.attendance_summary;
  const medical = meeting.medical_examination;
  return [
    el("h2", { class: "govuk-heading-m" }, "Outcome"),
    summaryList([
      ["Held", timeElement(meeting.held_at)],
      ["Held the same day it was decided", yesNo(meeting.held_same_day)],
      ["Attendance", `${summary.attended} of ${summary.invited} invited agencies attended`
        + (summary.recorded < summary.invited ? ` (${summary.invited - summary.recorded} not recorded)` : "")],
      ["Outcome", MEETING_OUTCOMES[meeting.outcome] || words(meeting.outcome)],
      ["Rationale", preserve(meeting.rationale)],
      ["Medical examination", lines(MEDICAL_DECISIONS[medical?.decision] || words(medical?.decision),
        medical?.reason && preserve(medical.reason))],
      meeting.icpc_due_date && ["Initial child protection conference due", date(meeting.icpc_due_date)],
    ]),
    meeting.actions.length
      ? table("Actions agreed", ["Action", "Agency", "Due"],
        meeting.actions.map((action) => [preserve(action.description), agencyName(action.owner_agency),
                                         date(action.due_date)]))
      : null,
  ].filter(Boolean);
}

function minutes(meeting) {
  return summaryList([
    ["Minutes written", timeElement(meeting.minutes_recorded_at)],
    ["Within 1 working day of the meeting", meeting.minutes_within_1_working_day
      ? yesNo(true) : tag("No: late", "red")],
  ]);
}

function icpc(meeting, names) {
  const conference = meeting.icpc;
  if (conference.not_required) {
    return summaryList([
      ["Conference", "Not needed"],
      ["Why", preserve(conference.reason)],
    ]);
  }
  return [
    summaryList([
      ["Held on", date(conference.held_on)],
      ["Within the timescale", lines(conference.within_timescale ? yesNo(true) : tag("No: late", "red"),
        `Due by ${date(meeting.icpc_due_date)}`)],
    ]),
    table("Child protection plans", ["Child", "Subject to a child protection plan"],
      conference.children.map((child) => [preserve(names[child.child_id] || child.child_id),
                                          yesNo(child.child_protection_plan)])),
  ];
}

// ---- forms -------------------------------------------------------------------------------------

function outcomeForm(meeting) {
  const attendance = meeting.invited.map((invitation, index) => el("div", { class: "govuk-form-group" },
    choice({ id: `attended-${index}`, name: `attended-${index}`, inline: true, small: true,
             legend: `Did ${agencyName(invitation.agency)} attend?`,
             items: [["yes", "Attended"], ["no", "Did not attend"]] }),
    textInput({ id: `attendee-${index}`, name: `attendee-${index}`, autocomplete: "off", width: 20,
                label: `Who attended for ${agencyName(invitation.agency)} (optional)` }),
    textInput({ id: `attendee-role-${index}`, name: `attendee-role-${index}`, autocomplete: "off", width: 20,
                label: ["Their role", el("span", { class: "govuk-visually-hidden" },
                  ` at ${agencyName(invitation.agency)}`), " (optional)"] })));
  const form = el("form", { novalidate: true, "aria-labelledby": "outcome-heading" },
    el("h2", { class: "govuk-heading-m", id: "outcome-heading" }, "Record the outcome"),
    whenField({ id: "held-at", name: "held_at", label: "When was the meeting held?" }),
    el("h3", { class: "govuk-heading-s" }, "Attendance"),
    ...attendance,
    choice({ id: "meeting-outcome", name: "outcome", legend: "Outcome",
             items: Object.entries(MEETING_OUTCOMES) }),
    textarea({ id: "rationale", name: "rationale", label: "Rationale", rows: 5,
               hint: "Why this outcome: at least 20 characters, and not a placeholder such as n/a." }),
    choice({ id: "medical-decision", name: "medical_decision", legend: "Medical examination",
             items: [
               ["required", MEDICAL_DECISIONS.required],
               ["not_required", MEDICAL_DECISIONS.not_required,
                 textarea({ id: "medical-reason", name: "medical_reason", rows: 3,
                            label: "Why is a medical examination not needed?" })],
               ["not_applicable", MEDICAL_DECISIONS.not_applicable],
             ] }),
    button("Record outcome"));
  let sentAttendance = [];  // the invitation index of each attendance entry sent
  const fields = () => {
    const map = { held_at: "held-at-day", outcome: "meeting-outcome", rationale: "rationale",
                  medical_examination: "medical-decision", "medical_examination.decision": "medical-decision",
                  "medical_examination.reason": "medical-reason", attendance: "attended-0" };
    sentAttendance.forEach((index, position) => {
      for (const [key, id] of [["agency", `attended-${index}`], ["attended", `attended-${index}`],
                               ["name", `attendee-${index}`], ["role", `attendee-role-${index}`]]) {
        map[`attendance[${position}].${key}`] = id;
      }
    });
    return map;
  };
  posting(form, () => {
    sentAttendance = [];
    const attended = [];
    meeting.invited.forEach((invitation, index) => {
      const answer = checked(form, `attended-${index}`);
      if (!answer) return;
      sentAttendance.push(index);
      attended.push({ agency: invitation.agency, attended: answer === "yes",
                      name: typed(form, `attendee-${index}`) ?? null,
                      role: typed(form, `attendee-role-${index}`) ?? null });
    });
    const decision = checked(form, "medical_decision");
    return post(`/strategy-meetings/${meetingId}/outcome`, {
      held_at: whenValue(form, "held_at"),
      attendance: attended,
      outcome: checked(form, "outcome"),
      rationale: typed(form, "rationale"),
      medical_examination: decision
        ? { decision, ...(decision === "not_required" ? { reason: typed(form, "medical-reason") ?? null } : {}) }
        : undefined,
    });
  }, fields, "Outcome recorded.");
  return form;
}

function minutesForm() {
  const form = el("form", { novalidate: true, "aria-labelledby": "minutes-heading" },
    el("h3", { class: "govuk-heading-s", id: "minutes-heading" }, "Record the minutes"),
    whenField({ id: "minutes-at", name: "minutes_recorded_at", label: "When were the minutes written?" }),
    button("Record minutes", { class: "govuk-button govuk-button--secondary" }));
  posting(form, () => post(`/strategy-meetings/${meetingId}/minutes`, {
    minutes_recorded_at: whenValue(form, "minutes_recorded_at"),
  }), { minutes_recorded_at: "minutes-at-day" }, "Minutes recorded.");
  return form;
}

function icpcForm(meeting, names) {
  const plans = meeting.children.map((childId, index) => choice({
    id: `plan-${index}`, name: `plan-${index}`, inline: true, small: true,
    legend: `Is ${names[childId] || "the child"} subject to a child protection plan?`,
    items: [["yes", "Yes"], ["no", "No"]],
  }));
  const form = el("form", { novalidate: true, "aria-labelledby": "icpc-heading" },
    el("h3", { class: "govuk-heading-s", id: "icpc-heading" }, "Record the conference"),
    choice({ id: "icpc-held", name: "icpc", legend: "Was an initial child protection conference held?",
             items: [
               ["held", "Yes, it was held", [
                 dateInput({ id: "icpc-held-on", name: "held_on", legend: "Date it was held",
                             value: londonToday(), hint: "For example, 27 3 2026." }),
                 ...plans]],
               ["not_required", "No, a conference is not needed", [
                 textarea({ id: "icpc-reason", name: "icpc_reason", rows: 3,
                            label: "Why is a conference not needed?" })]],
             ] }),
    button("Record conference", { class: "govuk-button govuk-button--secondary" }));
  const fields = () => {
    const held = checked(form, "icpc") === "held";
    const map = { not_required: "icpc-held", reason: "icpc-reason",
                  held_on: held ? "icpc-held-on-day" : "icpc-held",
                  child_protection_plan: held ? "plan-0" : "icpc-held" };
    meeting.children.forEach((childId, index) => {
      map[`child_protection_plan[${index}].plan`] = `plan-${index}`;
      map[`child_protection_plan[${index}].child_id`] = `plan-${index}`;
    });
    return map;
  };
  posting(form, () => {
    const answer = checked(form, "icpc");
    if (answer === "not_required") {
      return post(`/strategy-meetings/${meetingId}/icpc`, { not_required: true, reason: typed(form, "icpc-reason") });
    }
    if (answer !== "held") return post(`/strategy-meetings/${meetingId}/icpc`, {});
    // Every child, answered or not: the API names each child whose answer is missing.
    const childPlans = meeting.children.map((childId, index) => {
      const plan = checked(form, `plan-${index}`);
      return plan ? { child_id: childId, plan: plan === "yes" } : { child_id: childId };
    });
    return post(`/strategy-meetings/${meetingId}/icpc`, {
      held_on: dateOf(values(form), "held_on"), child_protection_plan: childPlans,
    });
  }, fields, "Initial child protection conference recorded.");
  return form;
}

// ---- the page ----------------------------------------------------------------------------------

async function show(message) {
  const meeting = await get(`/strategy-meetings/${meetingId}`);
  const contact = await get(`/contacts/${meeting.contact_id}`);
  const canWrite = ["practitioner", "manager"].includes(currentRole());
  const names = Object.fromEntries(contact.children.map((child) => [child.id, childName(child)]));
  const held = meeting.status === "held";
  document.title = `Strategy meeting ${meeting.reference} – MASH front door`;
  const banner = message ? successBanner(message) : null;
  const parts = [
    el("a", { class: "govuk-back-link", href: `/console/contact?id=${encodeURIComponent(contact.id)}` },
      `Back to contact ${contact.reference}`),
    ...(banner ? [banner] : []), ...overview(meeting, contact), ...invitations(meeting)];
  if (held) parts.push(...outcome(meeting));
  else if (canWrite) parts.push(outcomeForm(meeting));
  else parts.push(el("h2", { class: "govuk-heading-m" }, "Outcome"),
    el("p", { class: "govuk-body" }, "The outcome has not been recorded yet."));
  if (held) {
    parts.push(el("h2", { class: "govuk-heading-m" }, "Minutes"));
    if (meeting.minutes_recorded_at) parts.push(minutes(meeting));
    else {
      parts.push(el("p", { class: "govuk-body" }, "The minutes have not been recorded yet. ",
        "They are due by the end of the next working day after the meeting."));
      if (canWrite) parts.push(minutesForm());
    }
  }
  if (held && meeting.outcome === "s47_enquiry") {
    parts.push(el("h2", { class: "govuk-heading-m" }, "Initial child protection conference"));
    if (meeting.icpc) parts.push(...[icpc(meeting, names)].flat());
    else {
      parts.push(el("p", { class: "govuk-body" }, "Not recorded yet. Due by ",
        el("strong", {}, date(meeting.icpc_due_date)), "."));
      if (canWrite) parts.push(icpcForm(meeting, names));
    }
  }
  append(clear(page), parts);
  if (banner) activateBanner(banner);
}

function notFound(heading, detail) {
  append(clear(page), [el("h1", { class: "govuk-heading-l" }, heading),
    detail ? el("p", { class: "govuk-body" }, detail) : null,
    el("p", { class: "govuk-body" }, el("a", { class: "govuk-link", href: "/console/" }, "Back to the queue"))]);
}

async function main() {
  page = await startPage();
  if (!meetingId) {
    notFound("Strategy meeting not found");
    return;
  }
  try {
    for (const agency of (await get("/agencies", { limit: 500 })).items) agencies[agency.code] = agency;
    await show();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    notFound(error.status === 404 ? "Strategy meeting not found" : "There is a problem", error.detail);
  }
}

main();
