#!/usr/bin/env python3
"""Self-test of contract/breaking.py on mutated copies of the real document.

    python3 contract/test_breaking.py [openapi/openapi.json]

Each breaking mutation must be caught; each additive one must pass. The
mutations look their targets up in the document (the first operation with a
path parameter, the first enum, ...), so the test keeps working as the API
grows.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from breaking import METHODS, Checker, compare  # noqa: E402

SPEC = os.environ.get("CONTRACT_SPEC", "openapi/openapi.json")


def load() -> dict:
    with open(SPEC, encoding="utf-8") as f:
        return json.load(f)


def operations(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def json_schema(doc, content):
    return Checker.resolve(doc, content["application/json"]["schema"])


def request_object_schema(doc):
    """The first JSON request body whose schema is an object with properties."""
    for _, _, op in operations(doc):
        body = op.get("requestBody", {}).get("content", {})
        if "application/json" in body:
            schema = json_schema(doc, body)
            if schema.get("properties"):
                return schema
    raise AssertionError("no JSON request body with properties")


def response_object_schema(doc):
    """The first 200 JSON response whose schema is an object with properties."""
    for _, method, op in operations(doc):
        resp = Checker.resolve(doc, op["responses"].get("200", {}))
        content = resp.get("content", {})
        if method == "get" and "application/json" in content:
            schema = json_schema(doc, content)
            if schema.get("properties"):
                return schema
    raise AssertionError("no JSON 200 response with properties")


def first_enum(doc):
    for schema in doc["components"]["schemas"].values():
        if len(schema.get("enum", [])) > 1:
            return schema
    raise AssertionError("no enum schema")


def first_get_with_query(doc):
    for _, method, op in operations(doc):
        if method == "get" and any(p.get("in") == "query" for p in op.get("parameters", [])):
            return op
    raise AssertionError("no GET with query parameters")


class Breaking(unittest.TestCase):
    def setUp(self):
        self.base = load()
        self.new = copy.deepcopy(self.base)

    def assertBreaks(self, needle):
        problems = compare(self.base, self.new)
        self.assertTrue(problems, "the mutation was not noticed")
        self.assertTrue(any(needle in p for p in problems), problems)

    def assertPasses(self):
        self.assertEqual(compare(self.base, self.new), [])

    def test_identical_passes(self):
        self.assertPasses()

    def test_removed_operation(self):
        path, method, _ = next(operations(self.new))
        del self.new["paths"][path][method]
        self.assertBreaks("operation removed")

    def test_removed_response_field(self):
        schema = response_object_schema(self.new)
        del schema["properties"][next(iter(schema["properties"]))]
        self.assertBreaks("removed")

    def test_removed_request_field(self):
        schema = request_object_schema(self.new)
        del schema["properties"][next(iter(schema["properties"]))]
        self.assertBreaks("removed")

    def test_new_required_request_field(self):
        schema = request_object_schema(self.new)
        schema["properties"]["brand_new_field"] = {"type": "string"}
        schema.setdefault("required", []).append("brand_new_field")
        self.assertBreaks("`brand_new_field` is now required")

    def test_optional_request_field_made_required(self):
        schema = request_object_schema(self.new)
        optional = [n for n in schema["properties"] if n not in schema.get("required", [])]
        schema.setdefault("required", []).append(optional[0])
        self.assertBreaks("is now required")

    def test_narrowed_enum(self):
        first_enum(self.new)["enum"].pop()
        self.assertBreaks("enum narrowed")

    def test_new_required_query_parameter(self):
        op = first_get_with_query(self.new)
        op["parameters"].append(
            {"name": "must_send", "in": "query", "required": True, "schema": {"type": "string"}}
        )
        self.assertBreaks("new and required")

    def test_removed_query_parameter(self):
        op = first_get_with_query(self.new)
        op["parameters"] = [p for p in op["parameters"] if p.get("in") != "query"]
        self.assertBreaks("removed")

    def test_removed_schema(self):
        del self.new["components"]["schemas"][next(iter(self.new["components"]["schemas"]))]
        self.assertBreaks("removed")

    # Additive changes, like the new search parameters, must pass.

    def test_added_optional_query_parameter_passes(self):
        op = first_get_with_query(self.new)
        op["parameters"].append(
            {"name": "near", "in": "query", "required": False, "schema": {"type": "string"}}
        )
        self.assertPasses()

    def test_added_response_field_passes(self):
        schema = response_object_schema(self.new)
        schema["properties"]["distance_km"] = {"type": ["number", "null"]}
        schema.setdefault("required", []).append("distance_km")
        self.assertPasses()

    def test_added_optional_request_field_passes(self):
        schema = request_object_schema(self.new)
        schema["properties"]["nickname"] = {"type": ["string", "null"]}
        self.assertPasses()

    def test_widened_enum_and_new_operation_pass(self):
        first_enum(self.new)["enum"].append("something_new")
        self.new["paths"]["/v1/brand-new"] = {
            "get": {"operationId": "brandNew", "responses": {"200": {"description": "ok"}}}
        }
        self.assertPasses()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        SPEC = sys.argv.pop(1)
    unittest.main(verbosity=1)
