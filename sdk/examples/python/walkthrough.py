"""The README walkthrough with the generated Python client (openapi-python-client).

Generate the client first (see sdk/README.md), then:

    CIRCLES_URL=http://127.0.0.1:8080 CIRCLES_CLIENT_ID=... CIRCLES_CLIENT_SECRET=... \
        PYTHONPATH=path/to/generated python sdk/examples/python/walkthrough.py

It gets a token, creates a group, publishes it, finds it in a search and in
the change feed. It exits non-zero if any step does not do what the API
documentation says.
"""

import os
import sys
import uuid

from circles_client import AuthenticatedClient, Client
from circles_client.api.auth import issue_token
from circles_client.api.groups import create_group, get_group, list_groups, update_group
from circles_client.api.sync import list_changes
from circles_client.models import (
    GroupResponse,
    GroupWrite,
    GroupWritePatch,
    ListingType,
    Topic,
    TokenRequest,
    TokenResponse,
)

url = os.environ.get("CIRCLES_URL", "http://127.0.0.1:8080")
client_id = os.environ["CIRCLES_CLIENT_ID"]
client_secret = os.environ["CIRCLES_CLIENT_SECRET"]


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"python walkthrough: {what}")


# 1. Exchange the client credentials for a token.
public = Client(base_url=url, raise_on_unexpected_status=True)
token = issue_token.sync(
    client=public,  # type: ignore[arg-type]
    body=TokenRequest.from_dict(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    ),
)
check(isinstance(token, TokenResponse), f"no token: {token}")
api = AuthenticatedClient(base_url=url, token=token.access_token, raise_on_unexpected_status=True)

# 2. Create a group (a draft).
external_id = f"py-grief-{uuid.uuid4().hex[:8]}"
group = create_group.sync(
    client=api,
    idempotency_key=str(uuid.uuid4()),
    body=GroupWrite.from_dict(
        {
            "external_id": external_id,
            "name": "Tuesday grief circle (Python SDK)",
            "summary": "A gentle space to talk about loss.",
            "topics": ["grief"],
            "format": "hybrid",
            "facilitation": "peer_led",
            "schedule": {
                "rrule": "FREQ=WEEKLY;BYDAY=TU",
                "starts_at": "2026-01-06T18:00:00",
                "timezone": "Europe/London",
                "duration_minutes": 90,
            },
            "recovery_stages": ["moratorium", "awareness"],
            "support_types": ["emotional", "companionship"],
            "languages": ["en"],
            "location": {
                "visibility": "area_only",
                "street_address": "12 Cedar Road",
                "locality": "London",
                "country": "GB",
                "latitude": 51.5362,
                "longitude": -0.1034,
            },
            "online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/circles-grief-tuesday"},
        }
    ),
)
check(isinstance(group, GroupResponse), f"create failed: {group}")
check(str(group.status) == "draft", f"a new group is a draft, got {group.status}")

# 3. Publish it (JSON Merge Patch).
published = update_group.sync(
    id=group.id, client=api, body=GroupWritePatch.from_dict({"status": "published"})
)
check(isinstance(published, GroupResponse) and str(published.status) == "published", f"publish failed: {published}")

# 4. Anyone finds it; the street address stays private.
reader = Client(base_url=url, raise_on_unexpected_status=True)
page = list_groups.sync(client=reader, topic=[Topic.GRIEF], language=["en"], limit=100)  # type: ignore[arg-type]
found = [g for g in page.data if g.id == group.id]
check(len(found) == 1, "the published group is not in the search results")
check(not found[0].location.street_address, "the street address leaked into a public read")
one = get_group.sync(id=group.id, client=reader)  # type: ignore[arg-type]
check(isinstance(one, GroupResponse) and one.name == group.name, f"public read failed: {one}")

# 5. The change feed carries it.
seen = False
after = None
while True:
    kwargs = {"after": after} if after else {}
    feed = list_changes.sync(client=reader, type_=[ListingType.GROUP], limit=100, **kwargs)  # type: ignore[arg-type]
    seen = seen or any(str(c.id) == str(group.id) for c in feed.data)
    if not feed.has_more:
        break
    after = feed.next_cursor
check(seen, "the group is not in the change feed")

print(f"python walkthrough: ok (group {group.id} created, published, found, in the change feed)")
