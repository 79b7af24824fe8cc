// What every page starts with: GOV.UK Frontend switched on, the session (sign-in.js), and the
// navigation for the signed-in person's role. Each page calls startPage() and then builds itself
// in #page from the API's answers.
//
// The navigation only leaves out pages whose every action the API would refuse this role; the API
// decides what anyone may read or do.

import { currentRole, startSession } from "./sign-in.js";
import { el, markFrontendSupported } from "./dom.js";

// href: (text, the roles it is shown to)
const STAFF = ["practitioner", "manager"];
const CASE_READERS = [...STAFF, "auditor"];
const OVERSEERS = ["auditor", "manager"];
export const NAVIGATION = [
  ["/console/", "Front-door queue", CASE_READERS],
  ["/console/sign-off", "Sign-off", ["manager"]],
  ["/console/meetings", "Strategy meetings", STAFF],
  ["/console/transitions", "Step-up and step-down", STAFF],
  ["/console/children", "Find a child", STAFF],
  ["/console/figures", "Figures", CASE_READERS],
  ["/console/audit", "Audit", OVERSEERS],
];

function navigation(current) {
  const list = document.getElementById("navigation");
  const signOut = list.querySelector("[data-sign-out]")?.closest("li");
  for (const item of list.querySelectorAll("[data-page-link]")) item.remove();
  const role = currentRole();
  for (const [href, text, roles] of NAVIGATION) {
    if (!roles.includes(role)) continue;
    const active = href === current;
    const link = active
      ? el("a", { class: "govuk-service-navigation__link", href, "aria-current": "page" },
        el("strong", { class: "govuk-service-navigation__active-fallback" }, text))
      : el("a", { class: "govuk-service-navigation__link", href }, text);
    signOut.before(el("li", {
      class: `govuk-service-navigation__item${active ? " govuk-service-navigation__item--active" : ""}`,
      "data-page-link": true, "data-signed-in": true,
    }, link));
  }
}

// Resolves once signed in, with #page shown and the navigation laid out. `current`: this page's
// entry in NAVIGATION (its href), marked as the current page.
export async function startPage(current) {
  markFrontendSupported();
  await startSession();
  navigation(current);
  return document.getElementById("page");
}
