// The API client: JSON in and out, `{"error": {code, message, field}}` turned into ApiError.

const TOKEN_KEY = "cratedig.adminToken";

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The admin token lives in sessionStorage: entered once per tab, gone when it closes. */
export const adminToken = {
  get() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || "";
    } catch {
      return "";
    }
  },
  set(token) {
    sessionStorage.setItem(TOKEN_KEY, token.trim());
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** Call the API; resolve with the JSON body, reject with ApiError. */
export async function api(path, { method = "GET", body, admin = false, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = admin ? adminToken.get() : "";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      // The API lets caches keep listings and samples a little while (for a CDN); the page
      // shows what is true now, so it always revalidates (a 304 when nothing changed).
      cache: "no-cache",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "The server did not answer. Check your connection.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    if (error.name === "AbortError") throw error; // the page moved on while reading
    if (response.ok) throw new ApiError(response.status, "bad_response", "The server sent no JSON.");
  }
  if (!response.ok) {
    const error = data && data.error;
    if (error) throw new ApiError(response.status, error.code, error.message, error.field);
    throw new ApiError(response.status, "http_error", `The server answered ${response.status}.`);
  }
  return data;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "" || value === false) continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
