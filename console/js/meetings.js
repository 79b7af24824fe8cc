// Strategy meetings (/console/meetings): those convened and waiting for their outcome, the soonest
// to be held first, then the most recent held ones with what is still to do (minutes, the ICPC).

import { get, Problem } from "./api.js";
import { startPage } from "./layout.js";
import { append, childName, clear, date, el, table, tag, timeElement, words } from "./dom.js";
import { MEETING_OUTCOMES } from "./contact-meetings.js";

const HELD_SHOWN = 50;

function meetingLink(meeting) {
  return el("a", { class: "govuk-link app-nowrap", href: `/console/meeting?id=${encodeURIComponent(meeting.id)}` },
    meeting.reference);
}

function contactCell(meeting, contacts) {
  const contact = contacts[meeting.contact_id];
  if (!contact) return "";
  const names = contact.children.filter((child) => meeting.children.includes(child.id)).map(childName);
  return [el("a", { class: "govuk-link app-nowrap", href: `/console/contact?id=${encodeURIComponent(contact.id)}` },
    contact.reference), el("br"), el("span", { class: "app-preserve" }, names.join(", "))];
}

function minutesCell(meeting) {
  if (!meeting.minutes_recorded_at) return tag("Not recorded", "yellow");
  return meeting.minutes_within_1_working_day ? "On time" : tag("Late", "red");
}

function icpcCell(meeting) {
  if (meeting.outcome !== "s47_enquiry") return "Not needed";
  if (meeting.icpc) {
    if (meeting.icpc.not_required) return "Not needed";
    return meeting.icpc.within_timescale ? `Held ${date(meeting.icpc.held_on)}` : tag("Held late", "red");
  }
  return [tag("Due", "yellow"), " ", date(meeting.icpc_due_date)];
}

async function main() {
  const page = await startPage("/console/meetings");
  try {
    const [convened, held] = await Promise.all([
      get("/strategy-meetings", { status: "convened", limit: 500 }),
      get("/strategy-meetings", { status: "held", limit: HELD_SHOWN }),
    ]);
    const waiting = [...convened.items].sort((a, b) => a.scheduled_for.localeCompare(b.scheduled_for));
    const ids = [...new Set([...waiting, ...held.items].map((meeting) => meeting.contact_id))];
    const contacts = Object.fromEntries((await Promise.all(ids.map((id) => get(`/contacts/${id}`).catch((error) => {
      if (error instanceof Problem) return null;  // a contact this person may not see: shown without it
      throw error;
    })))).filter(Boolean).map((contact) => [contact.id, contact]));
    const now = Date.now();
    append(clear(page), [
      el("h1", { class: "govuk-heading-l" }, "Strategy meetings"),
      el("h2", { class: "govuk-heading-m" }, "Waiting for their outcome"),
      waiting.length
        ? table("Convened meetings waiting for their outcome, the soonest first",
          ["Meeting", "To be held", "Contact and children", "Chair"],
          waiting.map((meeting) => [
            meetingLink(meeting),
            [timeElement(meeting.scheduled_for),
             ...(new Date(meeting.scheduled_for).getTime() < now ? [el("br"), tag("Outcome not recorded", "red")] : [])],
            contactCell(meeting, contacts), el("span", { class: "app-preserve" }, meeting.chair),
          ]))
        : el("p", { class: "govuk-body" }, "No convened meeting is waiting for its outcome."),
      el("h2", { class: "govuk-heading-m" }, "Held"),
      held.items.length
        ? table(`Held meetings, the most recently convened first (at most ${HELD_SHOWN})`,
          ["Meeting", "Held", "Contact and children", "Outcome", "Minutes", "Conference"],
          held.items.map((meeting) => [
            meetingLink(meeting), timeElement(meeting.held_at), contactCell(meeting, contacts),
            MEETING_OUTCOMES[meeting.outcome] || words(meeting.outcome), minutesCell(meeting), icpcCell(meeting),
          ]))
        : el("p", { class: "govuk-body" }, "No meeting has been held yet."),
    ]);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    append(clear(page), [el("h1", { class: "govuk-heading-l" }, "There is a problem"),
      el("p", { class: "govuk-body" }, error.detail)]);
  }
}

main();
