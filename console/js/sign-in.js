// Sign-in, in one place, in one of two ways, as the server says (/console/sign-in.json):
// - `oidc`: with the council's identity provider, by the authorization code flow with PKCE (RFC
//   7636, S256), the console a public client: to the provider's sign-in page and back to
//   /console/ with a code, which is exchanged (with the verifier only this tab holds) for a token;
// - `local`: the API's own POST /auth/token with a username and password.
// Either way the token is held in sessionStorage (this tab only, gone when it closes; never
// localStorage, never a cookie), so moving between the console's pages keeps it, with who the API
// takes its holder to be (GET /me: the role, service and name the pages use). Signing out forgets
// both.
//
// While signing in again (an expired or refused token), the page is hidden, not rebuilt: a form
// half filled in is still there, as typed, when the page comes back (with a password; a sign-in
// with the council's provider leaves the page, and says so first).

import { clear, el } from "./dom.js";
import { showProblem, textInput, button, values } from "./forms.js";

const KEY = "mash-console-session";
const FLOW = "mash-console-sign-in";  // the PKCE verifier and state of a sign-in under way
const TITLE = "Sign in – MASH front door";
const REDIRECT = "/console/";

let session = readSession();
let pending = null;
let settings = null;

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

// Who the API takes the holder of the token to be (GET /me, asked at sign-in): the role, to leave
// out forms the API would refuse this person (the API decides), whatever issued the token.
function me() {
  return (session && session.me) || {};
}

export function currentRole() {
  return me().role || null;
}

// The staff member's service (mash, early_help, social_care), to show what is theirs to answer.
export function currentService() {
  return me().service || null;
}

// Who is signed in (the account's name), to tell their own records from others'.
export function currentUser() {
  return me().sub || null;
}

export function forgetToken() {
  session = null;
  sessionStorage.removeItem(KEY);
}

async function signInSettings() {
  if (!settings) {
    const response = await fetch("/console/sign-in.json", { cache: "no-store", credentials: "omit" });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.detail || "The sign-in service could not be reached. Try again.");
    }
    settings = await response.json();
  }
  return settings;
}

// Holds a new token, with who the API says its holder is.
async function hold(accessToken, expiresIn) {
  const response = await fetch("/api/v1/me", {
    headers: { Accept: "application/json", Authorization: `Bearer ${accessToken}` },
    cache: "no-store", credentials: "omit",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.detail || "The front door did not accept the sign-in.");
  }
  session = { access_token: accessToken, expires_at: Date.now() + expiresIn * 1000, me: body };
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

// ---- the council's identity provider: authorization code flow with PKCE -----------------------

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function toProvider(provider) {
  const verifier = randomText();
  const state = randomText();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(FLOW, JSON.stringify({
    verifier, state, return_to: window.location.pathname + window.location.search,
  }));
  const url = new URL(provider.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code", client_id: provider.client_id, scope: provider.scope,
    redirect_uri: window.location.origin + REDIRECT, state,
    code_challenge: challenge, code_challenge_method: "S256",
  }).toString();
  window.location.assign(url.toString());
}

function returnedFromProvider() {
  const params = new URLSearchParams(window.location.search);
  return window.location.pathname === REDIRECT && params.has("state")
    && (params.has("code") || params.has("error"));
}

// Back from the provider: the code exchanged for a token; then on to the page the sign-in began
// on. Throws an Error saying what went wrong (the sign-in panel shows it).
async function fromProvider() {
  const params = new URLSearchParams(window.location.search);
  const flow = JSON.parse(sessionStorage.getItem(FLOW) || "null");
  sessionStorage.removeItem(FLOW);
  window.history.replaceState(null, "", REDIRECT);  // the code is used once, and never shown
  if (params.has("error")) {
    throw new Error(`The council's sign-in did not sign you in: ${
      params.get("error_description") || params.get("error")}.`);
  }
  if (!flow || params.get("state") !== flow.state) {
    throw new Error("That sign-in was not started here, or has been used. Sign in again.");
  }
  const provider = await signInSettings();
  let response;
  try {
    response = await fetch(provider.token_endpoint, {
      method: "POST", cache: "no-store", credentials: "omit",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code: params.get("code"),
        redirect_uri: window.location.origin + REDIRECT, client_id: provider.client_id,
        code_verifier: flow.verifier,
      }),
    });
  } catch {
    throw new Error("The council's sign-in service could not be reached. Sign in again.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.access_token) {
    throw new Error(`The council's sign-in did not give a token: ${
      body.error_description || body.error || response.status}. Sign in again.`);
  }
  await hold(body.access_token, Number(body.expires_in) || 300);
  return flow.return_to;
}

export function signOut() {
  forgetToken();
  window.location.assign("/console/");
}

function showSignedIn(signedIn) {
  for (const item of document.querySelectorAll("[data-signed-in]")) item.hidden = !signedIn;
}

// Resolves once signed in: at once with a token held (or one just brought back from the council's
// provider), otherwise after the sign-in form.
export async function startSession() {
  for (const control of document.querySelectorAll("[data-sign-out]")) {
    control.addEventListener("click", signOut);
  }
  let failure = null;
  if (returnedFromProvider()) {
    try {
      const returnTo = await fromProvider();
      if (returnTo && returnTo !== REDIRECT && returnTo.startsWith("/console/")) {
        window.location.replace(returnTo);  // the page the sign-in began on
        return new Promise(() => {});
      }
    } catch (error) {
      failure = error.message;
    }
  }
  if (currentToken()) {
    showSignedIn(true);
    document.getElementById("page").hidden = false;
    return undefined;
  }
  return signIn("start", failure);
}

// Shows the sign-in form over the page (hidden meanwhile, its forms untouched); resolves when a
// new token is held. `reason`: "start" (no token yet) or "expired" (the API refused the token);
// `failure`: why a sign-in with the council's provider just failed, to show.
export function signIn(reason, failure = null) {
  if (pending) return pending;
  pending = new Promise((resolve) => {
    const page = document.getElementById("page");
    const panel = document.getElementById("sign-in");
    const returnFocus = document.activeElement;
    const pageTitle = document.title;
    page.hidden = true;
    showSignedIn(false);
    signInSettings().then(
      (found) => (found.mode === "oidc"
        ? providerPanel(panel, found, reason, failure)
        : passwordPanel(panel, page, reason, pageTitle, returnFocus, resolve)),
      (error) => unavailablePanel(panel, error.message),
    );
  });
  return pending;
}

function unavailablePanel(panel, message) {
  const heading = el("h1", { class: "govuk-heading-l", tabindex: "-1" }, "Sign in");
  clear(panel).append(el("div", { class: "govuk-grid-row" },
    el("div", { class: "govuk-grid-column-two-thirds" }, heading,
      el("div", { class: "govuk-inset-text" }, message))));
  panel.hidden = false;
  document.title = TITLE;
  heading.focus();
}

// The council's provider: one button to its sign-in page (this page is left, and comes back).
function providerPanel(panel, provider, reason, failure) {
  const heading = el("h1", { class: "govuk-heading-l", tabindex: "-1" }, "Sign in");
  const notice = reason === "expired"
    ? el("div", { class: "govuk-inset-text" },
      "Your sign-in has ended. Signing in again takes you to the council's sign-in page and back: "
      + "anything typed on this page and not yet saved is lost, so copy it first.")
    : el("p", { class: "govuk-body" },
      "Sign in with your council account: you go to the council's sign-in page and come back here.");
  const form = el("form", { novalidate: true }, button("Sign in with your council account"));
  clear(panel).append(el("div", { class: "govuk-grid-row" },
    el("div", { class: "govuk-grid-column-two-thirds" }, heading, notice, form)));
  panel.hidden = false;
  document.title = TITLE;
  heading.focus();
  if (failure) showProblem(form, { detail: failure });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    toProvider(provider).catch(() => showProblem(form, {
      detail: "The sign-in could not be started in this browser. Try again.",
    }));
  });
}

// The API's own sign-in: a username and password.
function passwordPanel(panel, page, reason, pageTitle, returnFocus, resolve) {
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
    try {
      await hold(body.access_token, body.expires_in);
    } catch (error) {
      showProblem(form, { detail: error.message });
      return;
    }
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
