// The one module that talks to the API: its base path, the bearer token (from sign-in.js), POST
// bodies with an Idempotency-Key, problem+json answers as Problems, and a refused token (401)
// answered by signing in again and sending the same request once more.

import { currentToken, forgetToken, signIn } from "./sign-in.js";

const BASE = "/api/v1";

export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `The API answered ${status}.`);
    this.status = status;
    this.title = body?.title;
    this.detail = body?.detail || this.message;
    this.errors = body?.errors || {};
    this.body = body || {};  // the whole problem: its other members (a merged child's merged_into)
  }
}

export async function request(method, path, { body, query } = {}) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  // The same key on the retry after signing in again: a write the API did make is not made twice.
  const idempotencyKey = method === "POST" ? crypto.randomUUID() : null;
  for (let attempt = 0; ; attempt += 1) {
    if (!currentToken()) await signIn("expired");
    const headers = { Accept: "application/json", Authorization: `Bearer ${currentToken()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const response = await fetch(url, {
      method, headers, cache: "no-store", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && attempt < 2) {
      forgetToken();
      continue;
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Problem(response.status, answer);
    return answer;
  }
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body = {}) => request("POST", path, { body });

// A file the API answers (an export: CSV, NDJSON), fetched with the bearer token as `request`
// does: resolves to { blob, filename }, the name from Content-Disposition (else `fallbackName`).
// A problem (a 422 for a bad period) is thrown as a Problem.
export async function download(path, { query, accept, fallbackName = "download" } = {}) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  for (let attempt = 0; ; attempt += 1) {
    if (!currentToken()) await signIn("expired");
    const response = await fetch(url, {
      headers: { Accept: accept || "*/*", Authorization: `Bearer ${currentToken()}` },
      cache: "no-store", credentials: "omit",
    });
    if (response.status === 401 && attempt < 2) {
      forgetToken();
      continue;
    }
    if (!response.ok) throw new Problem(response.status, await response.json().catch(() => null));
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="?([^";]+)"?/i.exec(disposition);
    return { blob: await response.blob(), filename: named ? named[1] : fallbackName };
  }
}
