#!/usr/bin/env python3
"""One line of counts from a schemathesis JSON report (the newest in DIR).

    schemathesis_counts.py REPORT_DIR BACKEND MODE
"""

import glob
import json
import os
import sys

report_dir, backend, mode = sys.argv[1:4]
path = max(glob.glob(os.path.join(report_dir, "json-*.json")), key=os.path.getmtime)
report = json.load(open(path, encoding="utf-8"))
ops = report["operations"]
cases = report["test_cases"]
failures = sum(f.get("count", 1) for f in report.get("failures", []))
command = report.get("command", "")
# `--checks all`: every check schemathesis has for OpenAPI.
try:
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the checks)
    from schemathesis.checks import CHECKS

    checks = len(CHECKS.get_all_names())
except Exception:  # the report is still useful without the number
    checks = "?"
# The examples asked for per operation (`--max-examples`), from the command line.
args = command.split()
per_op = args[args.index("--max-examples") + 1] if "--max-examples" in args else "?"
phases = ",".join(f"{name}={p['status']}" for name, p in report.get("phases", {}).items())
warnings = {k: len(v) for k, v in report.get("warnings", {}).items() if v}
print(
    f"schemathesis {report['schemathesis_version']} {backend} {mode}: "
    f"{ops['tested']}/{ops['total']} operations, {per_op} examples per operation, "
    f"{cases['generated']} test cases, "
    f"{checks} checks, {failures} failures, {len(report.get('errors', []))} errors; "
    f"phases {phases}; warnings {warnings or 'none'}; {report['running_time']:.0f} s"
)
