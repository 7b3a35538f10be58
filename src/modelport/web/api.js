// The HTTP API: fetch with the session cookie, the CSRF header on writes, JSON errors.

const SAFE = new Set(["GET", "HEAD"]);
let current = null; // {account, scopes, csrf_token} while signed in

class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

function csrfToken() {
  return current?.csrf_token || cookie("mp_csrf");
}

async function errorOf(response) {
  const retry = response.headers.get("Retry-After");
  const retryAfter = retry === null ? null : Number(retry);
  let code = "http_error";
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    const error = body?.error;
    if (error) {
      code = error.code || code;
      message = (typeof error === "string" ? error : error.message) || message;
    }
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 429) {
    message = retryAfter ? `Too many requests, try again in ${retryAfter} s.` : "Too many requests, try again later.";
  }
  return new ApiError(response.status, code, message, retryAfter);
}

/** Fetch `path`; `json` is sent as JSON. Answers parsed JSON, text, or null for 204. */
export async function api(path, { method = "GET", json, body, headers = {} } = {}) {
  const sent = new Headers(headers);
  if (json !== undefined) {
    sent.set("Content-Type", "application/json");
    body = JSON.stringify(json);
  }
  const token = csrfToken();
  if (!SAFE.has(method) && token) sent.set("X-CSRF-Token", token);
  const response = await fetch(path, { method, headers: sent, body, credentials: "same-origin" });
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/** PUT a file with upload progress (fetch cannot report it): onProgress(loaded, total). */
export function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload failed: network error."));
    xhr.onload = () => {
      const response = new Response(xhr.responseText, {
        status: xhr.status,
        headers: { "Content-Type": xhr.getResponseHeader("Content-Type") || "" },
      });
      if (response.ok) resolve(response.json());
      else errorOf(response).then(reject);
    };
    xhr.send(file);
  });
}

/** Call an algorithm: answers {result, metadata} or {error, metadata}; throws on 4xx/5xx. */
export function callAlgorithm(ref, body, contentType) {
  return api(`/v1/algo/${ref}`, { method: "POST", body, headers: { "Content-Type": contentType } });
}

export function session() {
  return current;
}

export function can(scope) {
  return Boolean(current && (current.scopes.includes(scope) || current.scopes.includes("admin")));
}

/** The signed-in session, or null. */
export async function loadSession() {
  try {
    current = await api("/v1/sessions/current");
  } catch (error) {
    if (error.status !== 401) throw error;
    current = null;
  }
  return current;
}

export async function signIn(credentials) {
  current = await api("/v1/sessions", { method: "POST", json: credentials });
  return current;
}

export async function signOut() {
  try {
    await api("/v1/sessions/current", { method: "DELETE" });
  } finally {
    current = null;
  }
}

/** `owner/name` and other path segments, each percent-encoded. */
export function path(...segments) {
  return segments.map(encodeURIComponent).join("/");
}
