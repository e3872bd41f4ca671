// The README walkthrough with a generated TypeScript client:
// `openapi-typescript` types (circles.d.ts) and the `openapi-fetch` client.
//
// Generate the types first (see sdk/README.md), then compile and run:
//   CIRCLES_URL=http://127.0.0.1:8080 CIRCLES_CLIENT_ID=... CIRCLES_CLIENT_SECRET=... node walkthrough.js
//
// It gets a token, creates a group, publishes it, finds it in a search and in
// the change feed, and exits non-zero if a step does not do what the API
// documentation says.
import createClient from "openapi-fetch";
import type { paths } from "./circles";

const url = process.env.CIRCLES_URL ?? "http://127.0.0.1:8080";
const clientId = process.env.CIRCLES_CLIENT_ID ?? "";
const clientSecret = process.env.CIRCLES_CLIENT_SECRET ?? "";

function check(condition: unknown, what: string): asserts condition {
  if (!condition) {
    console.error(`ts walkthrough: ${what}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const api = createClient<paths>({ baseUrl: url });

  // 1. Exchange the client credentials for a token.
  const token = await api.POST("/v1/auth/token", {
    body: { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret },
  });
  check(token.data, `no token: ${JSON.stringify(token.error)}`);
  const auth = { Authorization: `Bearer ${token.data.access_token}` };

  // 2. Create a group (a draft).
  const created = await api.POST("/v1/groups", {
    headers: { ...auth, "Idempotency-Key": crypto.randomUUID() },
    body: {
      external_id: `ts-grief-${crypto.randomUUID().slice(0, 8)}`,
      name: "Tuesday grief circle (TypeScript SDK)",
      summary: "A gentle space to talk about loss.",
      topics: ["grief"],
      format: "hybrid",
      facilitation: "peer_led",
      schedule: {
        rrule: "FREQ=WEEKLY;BYDAY=TU",
        starts_at: "2026-01-06T18:00:00",
        timezone: "Europe/London",
        duration_minutes: 90,
      },
      recovery_stages: ["moratorium", "awareness"],
      support_types: ["emotional", "companionship"],
      languages: ["en"],
      location: {
        visibility: "area_only",
        street_address: "12 Cedar Road",
        locality: "London",
        country: "GB",
        latitude: 51.5362,
        longitude: -0.1034,
      },
      online: { platform: "Jitsi", join_url: "https://meet.jit.si/circles-grief-tuesday" },
    },
  });
  check(created.data, `create failed: ${JSON.stringify(created.error)}`);
  const group = created.data;
  check(group.status === "draft", `a new group is a draft, got ${group.status}`);

  // 3. Publish it (JSON Merge Patch).
  const published = await api.PATCH("/v1/groups/{id}", {
    params: { path: { id: group.id } },
    headers: { ...auth, "Content-Type": "application/merge-patch+json" },
    body: { status: "published" },
  });
  check(published.data?.status === "published", `publish failed: ${JSON.stringify(published.error)}`);

  // 4. Anyone finds it; the street address stays private.
  const page = await api.GET("/v1/groups", {
    params: { query: { topic: ["grief"], language: ["en"], limit: 100 } },
    querySerializer: { array: { style: "form", explode: false } },
  });
  check(page.data, `search failed: ${JSON.stringify(page.error)}`);
  const found = page.data.data.find((g) => g.id === group.id);
  check(found, "the published group is not in the search results");
  check(!found.location?.street_address, "the street address leaked into a public read");
  const one = await api.GET("/v1/groups/{id}", { params: { path: { id: group.id } } });
  check(one.data?.name === group.name, `public read failed: ${JSON.stringify(one.error)}`);

  // 5. The change feed carries it.
  let seen = false;
  let after: string | undefined;
  for (;;) {
    const feed = await api.GET("/v1/changes", {
      params: { query: { type: ["group"], limit: 100, ...(after ? { after } : {}) } },
      querySerializer: { array: { style: "form", explode: false } },
    });
    check(feed.data, `change feed failed: ${JSON.stringify(feed.error)}`);
    seen ||= feed.data.data.some((c) => c.id === group.id);
    if (!feed.data.has_more) break;
    after = feed.data.next_cursor;
  }
  check(seen, "the group is not in the change feed");

  console.log(`ts walkthrough: ok (group ${group.id} created, published, found, in the change feed)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
