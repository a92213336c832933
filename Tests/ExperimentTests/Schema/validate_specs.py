#!/usr/bin/env python3
"""Validates every spec file of the repository against grammar/spec.schema.json with an independent
JSON Schema implementation (Python's jsonschema), the way an editor's YAML language server does.

Every spec the tool accepts must pass (bases and profile overlays included: an editor sees them as
files of their own, so the schema must allow a spec that sets part of what it extends). Prints each
disagreement and exits 1 if there is any; exits 2 when jsonschema or PyYAML is missing.
Run from anywhere: python3 Tests/ExperimentTests/Schema/validate_specs.py
"""
import json
import pathlib
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"missing Python module: {e.name} (apt-get install python3-jsonschema python3-yaml)")
    sys.exit(2)

root = pathlib.Path(__file__).resolve().parents[3]
schema = json.loads((root / "grammar" / "spec.schema.json").read_text())
validator = jsonschema.Draft202012Validator(schema)
specs = sorted(list((root / "experiments").rglob("*.yaml")) + list((root / "Tests/ExperimentTests/Specs/good").rglob("*.yaml")))
problems = 0
for path in specs:
    document = yaml.safe_load(path.read_text())
    if document is None:
        continue
    for error in validator.iter_errors(document):
        problems += 1
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        print(f"{path.relative_to(root)}: {where}: {error.message[:200]}")
# The check must be able to fail: specs the tool rejects for their keys are rejected here too.
for wrong in ({"datset": {"name": "cifar10"}}, {"attack": {"poison": "sometimes"}}, {"train": {"steps": "many"}},
              {"model": {"widths": 16}}):
    if validator.is_valid(wrong):
        problems += 1
        print(f"the schema accepts {wrong}, which the tool rejects")
print(f"{len(specs)} specs, {problems} disagreements")
sys.exit(1 if problems else 0)
