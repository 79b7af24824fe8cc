// Sign-in, in one place: today the API's own POST /auth/token with a username and password; the
// council's identity provider replaces this module later. The token is held in sessionStorage
// (this tab only, gone when it closes; never localStorage, never a cookie), so moving between the
// console's pages keeps it. Signing out forgets it.
//
// While signing in again (an expired or refused token), the page is hidden, not rebuilt: a form
// half filled in is still there, as typed, when the page comes back.

import { clear, el } from "./dom.js";
import { showProblem, textInput, button, values } from "./forms.js";

const KEY = "mash-console-session";
const TITLE = "Sign in – MASH front door";

let session = readSession();
let pending = null;

function readSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY));
    return stored && typeof stored.access_token === "string" ? stored : null;
  } catch {
    return null;
  }
}

export function currentToken() {
  return session && session.expires_at > Date.now() ? session.access_token : null;
}

// The role the token names, to leave out forms the API would refuse this person (the API decides).
function claims() {
  try {
    const payload = session.access_token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    return JSON.parse(atob(payload)) || {};
  } catch {
    return {};
  }
}

export function currentRole() {
  return claims().role || null;
}

// The staff member's service (mash, early_help, social_care), to show what is theirs to answer.
export function currentService() {
  return claims().service || null;
}

// Who is signed in (the account's name), to tell their own records from others'.
export function currentUser() {
  return claims().sub || null;
}

export function forgetToken() {
  session = null;
  sessionStorage.removeItem(KEY);
}

export function signOut() {
  forgetToken();
  window.location.assign("/console/");
}

function showSignedIn(signedIn) {
  for (const item of document.querySelectorAll("[data-signed-in]")) item.hidden = !signedIn;
}

// Resolves once signed in: at once with a token held, otherwise after the sign-in form.
export function startSession() {
  for (const control of document.querySelectorAll("[data-sign-out]")) {
    control.addEventListener("click", signOut);
  }
  if (currentToken()) {
    showSignedIn(true);
    document.getElementById("page").hidden = false;
    return Promise.resolve();
  }
  return signIn("start");
}

// Shows the sign-in form over the page (hidden meanwhile, its forms untouched); resolves when a
// new token is held. `reason`: "start" (no token yet) or "expired" (the API refused the token).
export function signIn(reason) {
  if (pending) return pending;
  pending = new Promise((resolve) => {
    const page = document.getElementById("page");
    const panel = document.getElementById("sign-in");
    const returnFocus = document.activeElement;
    const pageTitle = document.title;
    page.hidden = true;
    showSignedIn(false);

    const heading = el("h1", { class: "govuk-heading-l", tabindex: "-1" }, "Sign in");
    const notice = reason === "expired"
      ? el("div", { class: "govuk-inset-text" },
        "Your sign-in has ended. Sign in again to carry on: what you typed is kept.")
      : el("p", { class: "govuk-body" }, "Sign in with your MASH front door account.");
    const form = el("form", { novalidate: true },
      textInput({ id: "username", name: "username", label: "Username", autocomplete: "username",
                  width: 20 }),
      textInput({ id: "password", name: "password", label: "Password", type: "password",
                  autocomplete: "current-password", width: 20 }),
      button("Sign in"));
    clear(panel).append(el("div", { class: "govuk-grid-row" },
      el("div", { class: "govuk-grid-column-two-thirds" }, heading, notice, form)));
    panel.hidden = false;
    document.title = TITLE;
    heading.focus();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { username = "", password = "" } = values(form);
      let response;
      try {
        response = await fetch("/api/v1/auth/token", {
          method: "POST", cache: "no-store", credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ username, password }),
        });
      } catch {
        showProblem(form, { detail: "The front door could not be reached. Try again." });
        return;
      }
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showProblem(form, signInProblem(response, body, username, password),
                    { username: "username", password: "password", body: "username" });
        return;
      }
      session = { access_token: body.access_token, expires_at: Date.now() + body.expires_in * 1000 };
      sessionStorage.setItem(KEY, JSON.stringify(session));
      clear(panel).hidden = true;
      page.hidden = false;
      showSignedIn(true);
      document.title = pageTitle;
      pending = null;
      if (returnFocus && returnFocus !== document.body && document.contains(returnFocus)) {
        returnFocus.focus();
      }
      resolve();
    });
  });
  return pending;
}

function signInProblem(response, body, username, password) {
  if (response.status === 401) {
    return { errors: { username: ["Enter a correct username and password."] } };
  }
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    return { detail: `Too many attempts to sign in. Wait ${wait || "a few"} seconds and try again.` };
  }
  if (response.status === 422 && (!username || !password)) {
    const errors = {};
    if (!username) errors.username = ["Enter your username."];
    if (!password) errors.password = ["Enter your password."];
    return { errors };
  }
  return body;
}
