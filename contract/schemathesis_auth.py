"""Tokens for schemathesis in the contract checks (loaded through `hooks` in
schemathesis.toml; `.ci/contract` writes the file CONTRACT_AUTH names).

Every request carries a real token: the partner client's, or the admin
client's for the operations that need the `admin` scope (and for editing an
organization other than the partner's own). The stateful phase
follows `listClients` to `revokeClient` and revokes the very clients it uses;
their tokens then answer 401. On a 401 schemathesis asks this provider again
(`retry_on`) and replays the request once: the provider mints a token with
the same credential or, if it was revoked, creates a new client for the same
organization with `circles admin create-client` (as an operator would), so
the rest of the run still writes.
"""

import json
import os
import subprocess
import threading

import requests
import schemathesis

ADMIN_OPERATIONS = {"createOrganization", "listClients", "createClient", "revokeClient"}

with open(os.environ["CONTRACT_AUTH"], encoding="utf-8") as f:
    SETUP = json.load(f)
LOCK = threading.Lock()


def role(case) -> str:
    op_id = case.operation.definition.raw.get("operationId")
    if op_id == "updateOrganization":
        # A partner edits its own profile; an administrator any other
        # (a partner gets 404 for another's, by design).
        own = {SETUP["partner"]["org"], SETUP["partner"].get("slug")}
        return "partner" if (case.path_parameters or {}).get("id_or_slug") in own else "admin"
    return "admin" if op_id in ADMIN_OPERATIONS else "partner"


def token_for(name: str) -> str:
    cred = SETUP[name]
    for _ in range(2):
        res = requests.post(
            f"{SETUP['url']}/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": cred["client_id"],
                "client_secret": cred["client_secret"],
            },
            timeout=30,
        )
        if res.status_code == 200:
            return res.json()["access_token"]
        if res.status_code != 401:
            res.raise_for_status()
        # Revoked (by the run itself): a new client for the same organization.
        args = [SETUP["bin"], "admin", "create-client", "--org", cred["org"]]
        if name == "admin":
            args.append("--admin")
        created = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
        cred["client_id"], cred["client_secret"] = created["client_id"], created["client_secret"]
        SETUP["recreated"] = SETUP.get("recreated", 0) + 1
        with open(os.environ["CONTRACT_AUTH"], "w", encoding="utf-8") as f:
            json.dump(SETUP, f, indent=2)
    raise RuntimeError(f"no token for the {name} client")


@schemathesis.auth(refresh_interval=3600, cache_by_key=lambda case, ctx: role(case), retry_on=[401])
class CirclesAuth:
    def get(self, case, context):
        with LOCK:
            return token_for(role(case))

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
