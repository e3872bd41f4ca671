#!/usr/bin/env python3
"""Completeness of the OpenAPI document, by rules over the whole document
(no list of operations: new ones are held to the same rules).

    python3 contract/check_document.py openapi/openapi.json [--strict-examples]

Fails on: a missing or duplicate operationId; an operation without a tag
(declared at the top level), a summary or a description; a parameter without
a schema or an example; an error response (4xx/5xx) with a body that is not
`application/problem+json` with the `Problem` schema; a secured operation
that does not document 401; `info` without contact or license; no `servers`.

Request-body and main-response examples (in the media type or on the schema)
are counted; `--strict-examples` makes a missing one fail too.

Every example in the document (on a schema or a property, in a media type,
on a parameter) must be valid against its schema: checked with `jsonschema`
(Draft 2020-12, formats included), which `.ci/contract` runs this with from
target/contract/venv. Without `jsonschema` the check says it was skipped.
"""

import json
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def main(argv):
    path = argv[1] if len(argv) > 1 else "openapi/openapi.json"
    strict_examples = "--strict-examples" in argv
    doc = json.load(open(path, encoding="utf-8"))
    schemas = doc.get("components", {}).get("schemas", {})
    errors, gaps = [], []

    def has_example(media):
        if "example" in media or "examples" in media:
            return True
        schema = media.get("schema", {})
        ref = schema.get("$ref", "").rsplit("/", 1)[-1]
        target = schemas.get(ref, schema)
        return "example" in target or "examples" in target

    info = doc.get("info", {})
    if not info.get("contact"):
        errors.append("info: no contact")
    if not info.get("license"):
        errors.append("info: no license")
    if not doc.get("servers"):
        errors.append("no servers")
    tags = {t["name"] for t in doc.get("tags", [])}

    seen = {}
    count = 0
    for route, item in doc.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            count += 1
            where = f"{method.upper()} {route}"
            op_id = op.get("operationId")
            if not op_id:
                errors.append(f"{where}: no operationId")
            elif op_id in seen:
                errors.append(f"{where}: operationId {op_id} also used by {seen[op_id]}")
            else:
                seen[op_id] = where
            if not op.get("tags"):
                errors.append(f"{where}: no tag")
            for tag in op.get("tags", []):
                if tag not in tags:
                    errors.append(f"{where}: tag {tag} is not declared in `tags`")
            for key in ("summary", "description"):
                if not str(op.get(key, "")).strip():
                    errors.append(f"{where}: no {key}")
            for p in item.get("parameters", []) + op.get("parameters", []):
                label = f"{where} parameter {p.get('name')}"
                if "schema" not in p and "content" not in p:
                    errors.append(f"{label}: no schema")
                if not ("example" in p or "examples" in p or "example" in p.get("schema", {})):
                    errors.append(f"{label}: no example")
                if not p.get("description"):
                    errors.append(f"{label}: no description")
            body = op.get("requestBody")
            if body:
                for media_type, media in body.get("content", {}).items():
                    if not has_example(media):
                        gaps.append(f"{where}: request body {media_type} has no example")
            responses = op.get("responses", {})
            success = sorted(s for s in responses if s.startswith("2"))
            if not success:
                errors.append(f"{where}: no success response")
            for status, resp in responses.items():
                if "$ref" in resp:  # a shared response, e.g. components/responses/TooManyRequests
                    name = resp["$ref"].rsplit("/", 1)[-1]
                    resp = doc.get("components", {}).get("responses", {}).get(name, {})
                if not resp.get("description"):
                    errors.append(f"{where} {status}: no description")
                if status[0] in "45" and resp.get("content"):
                    media = resp["content"].get("application/problem+json")
                    if media is None:
                        errors.append(f"{where} {status}: error body is not application/problem+json")
                    elif media.get("schema", {}).get("$ref") != "#/components/schemas/Problem":
                        errors.append(f"{where} {status}: error body is not the Problem schema")
            for status in success[:1]:
                for media_type, media in responses[status].get("content", {}).items():
                    if media_type.endswith("json") and not has_example(media):
                        gaps.append(f"{where} {status}: {media_type} response has no example")
            security = op.get("security", doc.get("security", []))
            if security and {} not in security and "401" not in responses:
                errors.append(f"{where}: needs a token but does not document 401")

    errors += invalid_examples(doc)

    for e in errors:
        print(f"error: {e}")
    for g in gaps:
        print(f"{'error' if strict_examples else 'gap'}: {g}")
    print(f"{count} operations, {len(errors)} errors, {len(gaps)} missing examples")
    return 1 if errors or (strict_examples and gaps) else 0


def invalid_examples(doc):
    """Every example checked against the schema it illustrates."""
    try:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        print("note: jsonschema is not installed; examples were not validated")
        return []
    root = "urn:circles:openapi"
    registry = Registry().with_resource(root, Resource(contents=doc, specification=DRAFT202012))
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    found, count = [], 0

    def check(value, pointer, label):
        nonlocal count
        count += 1
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"{root}#{pointer}"}, registry=registry, format_checker=checker
        )
        for err in validator.iter_errors(value):
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            found.append(f"{label}: example invalid at {where}: {err.message[:200]}")

    def escape(key):
        return str(key).replace("~", "~0").replace("/", "~1")

    def walk(node, pointer):
        if isinstance(node, dict):
            for key in ("example", "examples"):
                if key not in node:
                    continue
                in_schema = key == "example" or isinstance(node[key], list)
                if pointer.endswith("/schema") or "/components/schemas" in pointer[:20] or in_schema and "/schema" in pointer:
                    if key == "example":
                        check(node[key], pointer, pointer)
                    elif isinstance(node[key], list):
                        for i, ex in enumerate(node[key]):
                            check(ex, pointer, f"{pointer}/examples/{i}")
            # media types and parameters: their example illustrates `schema`
            if "schema" in node and isinstance(node["schema"], dict):
                if "example" in node:
                    check(node["example"], pointer + "/schema", pointer)
                for name, ex in (node.get("examples") or {}).items():
                    if isinstance(ex, dict) and "value" in ex:
                        check(ex["value"], pointer + "/schema", f"{pointer}/examples/{name}")
            for key, value in node.items():
                walk(value, f"{pointer}/{escape(key)}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{pointer}/{i}")

    walk(doc.get("components", {}), "/components")
    walk(doc.get("paths", {}), "/paths")
    print(f"{count} examples validated against their schemas")
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv))
