#!/usr/bin/env python3
"""Breaking-change check: compare an OpenAPI document with its baseline.

    python3 contract/breaking.py openapi/baseline.json openapi/openapi.json

Exits 1 and lists every change that can break a client generated from the
baseline:

- an operation (method + path) was removed;
- a parameter was removed, became required, or a required one was added;
- a request body became required, or lost a media type;
- a property was removed from a request or response schema;
- a request schema gained a required property (or an optional one became
  required), or a response property stopped being always present;
- an enum lost values (in a parameter, a request or a response);
- a value's type changed in a way the other side cannot accept;
- a documented success response or its media type was removed.

Adding things (operations, optional parameters, optional request fields,
response fields, enum values, status codes) is not breaking and passes.

Only the Python standard library is used. `contract/test_breaking.py` tests
this script; `contract/README.md` says how to update the baseline on purpose.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
REQUEST, RESPONSE = "request", "response"


class Checker:
    def __init__(self, old: dict, new: dict) -> None:
        self.old, self.new = old, new
        self.problems: list[str] = []
        self._seen: set[tuple[int, int, str]] = set()

    # --- helpers -----------------------------------------------------------

    def report(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    @staticmethod
    def resolve(doc: dict, node: Any) -> Any:
        """Follow local `$ref`s (several hops) to the node they name."""
        hops = 0
        while isinstance(node, dict) and "$ref" in node and hops < 32:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return node
            target: Any = doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            # Sibling keywords next to $ref (3.1) override nothing we compare.
            node = target
            hops += 1
        return node

    @staticmethod
    def types(schema: dict) -> set[str] | None:
        t = schema.get("type")
        if t is None:
            return None
        return set(t) if isinstance(t, list) else {t}

    @staticmethod
    def flatten_all_of(doc: dict, schema: dict) -> dict:
        """Merge `allOf` members into one object schema (properties, required)."""
        if "allOf" not in schema:
            return schema
        merged: dict = {k: v for k, v in schema.items() if k != "allOf"}
        props = dict(merged.get("properties", {}))
        required = list(merged.get("required", []))
        for part in schema["allOf"]:
            part = Checker.flatten_all_of(doc, Checker.resolve(doc, part))
            props.update(part.get("properties", {}))
            required += part.get("required", [])
            for key in ("type", "enum", "items", "additionalProperties"):
                if key in part and key not in merged:
                    merged[key] = part[key]
        if props:
            merged["properties"] = props
        if required:
            merged["required"] = sorted(set(required))
        return merged

    # --- schemas ------------------------------------------------------------

    def schema(self, where: str, old: Any, new: Any, direction: str) -> None:
        old_ref = old.get("$ref") if isinstance(old, dict) else None
        old = self.flatten_all_of(self.old, self.resolve(self.old, old))
        new = self.flatten_all_of(self.new, self.resolve(self.new, new))
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        key = (id(old), id(new), direction)
        if key in self._seen:  # recursive schemas
            return
        self._seen.add(key)
        if old_ref:
            where = f"{where} ({old_ref.rsplit('/', 1)[-1]})"
        old_choice = old.get("oneOf") or old.get("anyOf")
        new_choice = new.get("oneOf") or new.get("anyOf")
        if not old_choice and new_choice and not new.get("properties"):
            # A schema became a choice (typically made nullable): the old
            # shape must live on as one of the members.
            members = [m for m in new_choice if self.resolve(self.new, m).get("type") != "null"]
            if direction == RESPONSE and len(members) < len(new_choice):
                self.report(where, "may now be null")
            if len(members) == 1:
                self.schema(where, old, members[0], direction)
            return

        old_t, new_t = self.types(old), self.types(new)
        if old_t is not None and new_t is not None:
            if direction == REQUEST and not old_t <= new_t:
                self.report(where, f"accepts type {sorted(new_t)}, was {sorted(old_t)}")
            if direction == RESPONSE and not new_t <= old_t:
                self.report(where, f"may now be {sorted(new_t - old_t)} (was {sorted(old_t)})")

        if "enum" in old and "enum" in new:
            lost = [v for v in old["enum"] if v not in new["enum"]]
            if lost:
                self.report(where, f"enum narrowed: {lost} removed")
        elif "enum" not in old and "enum" in new and direction == REQUEST:
            self.report(where, f"now restricted to an enum {new['enum']}")
        if "const" in old and "const" in new and old["const"] != new["const"]:
            self.report(where, f"const changed from {old['const']!r} to {new['const']!r}")

        old_props = old.get("properties", {})
        new_props = new.get("properties", {})
        for name, sub in old_props.items():
            if name not in new_props:
                self.report(where, f"property `{name}` removed")
            else:
                self.schema(f"{where}.{name}", sub, new_props[name], direction)
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        if direction == REQUEST:
            for name in sorted(new_req - old_req):
                self.report(where, f"property `{name}` is now required")
        else:
            for name in sorted(old_req - new_req):
                if name in new_props:
                    self.report(where, f"property `{name}` is no longer always present")

        if "items" in old and "items" in new:
            self.schema(f"{where}[]", old["items"], new["items"], direction)
        if isinstance(old.get("additionalProperties"), dict) and isinstance(
            new.get("additionalProperties"), dict
        ):
            self.schema(f"{where}{{*}}", old["additionalProperties"], new["additionalProperties"], direction)

        old_choice = old.get("oneOf") or old.get("anyOf")
        new_choice = new.get("oneOf") or new.get("anyOf")
        if old_choice and new_choice:
            self.alternatives(where, old_choice, new_choice, direction)

    def alternatives(self, where: str, old: list, new: list, direction: str) -> None:
        """Pair `oneOf`/`anyOf` members by `$ref` name, else by position."""
        new_by_ref = {m["$ref"]: m for m in new if isinstance(m, dict) and "$ref" in m}
        for i, member in enumerate(old):
            if isinstance(member, dict) and "$ref" in member:
                if member["$ref"] in new_by_ref:
                    self.schema(where, member, new_by_ref[member["$ref"]], direction)
                elif i < len(new) and isinstance(new[i], dict) and "$ref" in new[i]:
                    # Same place, schema renamed: compare the shapes.
                    self.schema(where, member, new[i], direction)
                elif direction == REQUEST or len(new) < len(old):
                    self.report(where, f"alternative {member['$ref']} removed")
            elif i < len(new) and not (isinstance(new[i], dict) and "$ref" in new[i]):
                self.schema(where, member, new[i], direction)

    # --- operations -----------------------------------------------------------

    @staticmethod
    def operations(doc: dict) -> dict[tuple[str, str], tuple[str, dict, list]]:
        ops = {}
        for path, item in doc.get("paths", {}).items():
            shape = re.sub(r"\{[^}]*\}", "{}", path)
            shared = item.get("parameters", [])
            for method in METHODS:
                if method in item:
                    ops[(method, shape)] = (path, item[method], shared)
        return ops

    def parameters(self, doc: dict, op: dict, shared: list) -> dict[tuple[str, str], dict]:
        params = {}
        for p in list(shared) + list(op.get("parameters", [])):
            p = self.resolve(doc, p)
            key = (p.get("in", ""), p.get("name", "") if p.get("in") != "header" else p.get("name", "").lower())
            if p.get("in") == "path":
                key = ("path", str(len([k for k in params if k[0] == "path"])))
            params[key] = p
        return params

    def operation(self, where: str, old: tuple, new: tuple) -> None:
        _, old_op, old_shared = old
        _, new_op, new_shared = new
        old_params = self.parameters(self.old, old_op, old_shared)
        new_params = self.parameters(self.new, new_op, new_shared)
        for key, p in old_params.items():
            label = f"{where} parameter `{p.get('name')}` ({p.get('in')})"
            if key not in new_params:
                self.report(label, "removed")
                continue
            q = new_params[key]
            if q.get("required") and not p.get("required"):
                self.report(label, "is now required")
            self.schema(label, p.get("schema", {}), q.get("schema", {}), REQUEST)
        for key, q in new_params.items():
            if key not in old_params and q.get("required"):
                self.report(f"{where} parameter `{q.get('name')}` ({q.get('in')})", "new and required")

        old_body = self.resolve(self.old, old_op.get("requestBody"))
        new_body = self.resolve(self.new, new_op.get("requestBody"))
        if old_body and not new_body:
            self.report(f"{where} request body", "removed")
        elif new_body and not old_body:
            if new_body.get("required"):
                self.report(f"{where} request body", "new and required")
        elif old_body and new_body:
            if new_body.get("required") and not old_body.get("required"):
                self.report(f"{where} request body", "is now required")
            for media, content in old_body.get("content", {}).items():
                if media not in new_body.get("content", {}):
                    self.report(f"{where} request body", f"media type {media} removed")
                else:
                    self.schema(
                        f"{where} request {media}",
                        content.get("schema", {}),
                        new_body["content"][media].get("schema", {}),
                        REQUEST,
                    )

        new_responses = new_op.get("responses", {})
        for status, old_resp in old_op.get("responses", {}).items():
            old_resp = self.resolve(self.old, old_resp)
            if status not in new_responses:
                if status.startswith("2"):
                    self.report(f"{where} response {status}", "removed")
                continue
            new_resp = self.resolve(self.new, new_responses[status])
            for media, content in old_resp.get("content", {}).items():
                if media not in new_resp.get("content", {}):
                    if status.startswith("2"):
                        self.report(f"{where} response {status}", f"media type {media} removed")
                    continue
                self.schema(
                    f"{where} response {status} {media}",
                    content.get("schema", {}),
                    new_resp["content"][media].get("schema", {}),
                    RESPONSE,
                )

    def run(self) -> list[str]:
        old_ops, new_ops = self.operations(self.old), self.operations(self.new)
        for key, old in sorted(old_ops.items()):
            where = f"{key[0].upper()} {old[0]}"
            if key not in new_ops:
                self.report(where, "operation removed")
            else:
                self.operation(where, old, new_ops[key])
        old_schemas = self.old.get("components", {}).get("schemas", {})
        new_schemas = self.new.get("components", {}).get("schemas", {})
        for name in old_schemas:
            if name not in new_schemas:
                self.report(f"components.schemas.{name}", "schema removed")
        return self.problems


def compare(old: dict, new: dict) -> list[str]:
    return Checker(old, new).run()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        old = json.load(f)
    with open(argv[2], encoding="utf-8") as f:
        new = json.load(f)
    problems = compare(old, new)
    if problems:
        print(f"{len(problems)} breaking change(s) from {argv[1]} to {argv[2]}:")
        for p in problems:
            print(f"  - {p}")
        print(
            "\nIf this is on purpose (a new major version, or nobody can depend on it yet),"
            "\nupdate the baseline: cp openapi/openapi.json openapi/baseline.json"
            " (see contract/README.md)."
        )
        return 1
    print(f"no breaking changes from {argv[1]} to {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
