// Direct REST calls for the browser tests: the numbers the UI must show, and the
// requests a browser cannot make (another hospital's user, a reused link).
export const baseUrl = () => {
  const url = process.env.PACSPORT_URL;
  if (!url) throw new Error("PACSPORT_URL is not set (run the tests with `npm test`)");
  return url.replace(/\/$/, "");
};

export const users = {
  northUser: { username: "north-user", password: "north-user-pass" },
  northAdmin: { username: "north-admin", password: "north-admin-pass" },
  riverUser: { username: "river-user", password: "river-user-pass" },
};

export async function apiToken(user) {
  const response = await fetch(`${baseUrl()}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(user),
  });
  if (!response.ok) throw new Error(`login of ${user.username}: ${response.status}`);
  return (await response.json()).token;
}

export async function api(token, path, { method = "GET", body, headers = {} } = {}) {
  const response = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get("content-type") ?? "";
  const answer = type.includes("json") ? await response.json() : Buffer.from(await response.arrayBuffer());
  return { status: response.status, body: answer, headers: response.headers };
}

export async function apiJson(token, path, options) {
  const { status, body } = await api(token, path, options);
  if (status >= 300) throw new Error(`${options?.method ?? "GET"} ${path}: ${status} ${JSON.stringify(body)}`);
  return body;
}

/** Every patient of the token's hospital (the API pages by at most 1000). */
export async function allPatients(token) {
  return (await apiJson(token, "/api/patients?limit=1000")).patients;
}

/** The hospital's study with the most instances among those that have a thumbnail. */
export async function studyWithImages(token) {
  const { studies } = await apiJson(token, "/api/studies?limit=1000");
  let best = null;
  for (const study of studies) {
    if (best && study.numberOfInstances <= best.numberOfInstances) continue;
    const { status } = await api(token, `/api/studies/${study.studyInstanceUID}/thumbnail`);
    if (status === 200) best = study;
  }
  if (!best) throw new Error("no study of the hospital has a thumbnail");
  return best;
}
