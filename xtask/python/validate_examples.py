"""Validates every example of a spec against its schema (OpenAPI 3.0 rules, openapi-schema-validator).

Usage: python3 validate_examples.py <spec.yaml>

Covers request and response media examples (`example` and each of `examples`) and the `example` of
every component schema. Local `$ref`s resolve against the whole document. Exit 1 on any mismatch.
"""

import sys

import yaml
from openapi_schema_validator import OAS30Validator

METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]


def resolve(doc, node):
    for _ in range(16):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not ref or not ref.startswith("#/"):
            return node
        target = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def examples_of(doc):
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            label = op.get("operationId", f"{method.upper()} {path}")
            body = op.get("requestBody")
            if body is not None:
                yield from media_examples(doc, f"{label} request", resolve(doc, body))
            for status, resp in (op.get("responses") or {}).items():
                yield from media_examples(doc, f"{label} {status}", resolve(doc, resp))
    for name, schema in (doc.get("components", {}).get("schemas") or {}).items():
        if "example" in schema:
            yield f"schema {name}", schema, schema["example"]


def media_examples(doc, where, holder):
    for ctype, media in (holder.get("content") or {}).items():
        schema = media.get("schema")
        if schema is None or "json" not in ctype and "form" not in ctype:
            continue
        if "example" in media:
            yield f"{where} ({ctype})", schema, media["example"]
        for name, ex in (media.get("examples") or {}).items():
            ex = resolve(doc, ex)
            if "value" in ex:
                yield f"{where} ({ctype}) {name}", schema, ex["value"]


def main():
    path = sys.argv[1]
    doc = yaml.safe_load(open(path))
    components = doc.get("components", {})
    bad = 0
    total = 0
    for where, schema, example in examples_of(doc):
        total += 1
        validator = OAS30Validator({"allOf": [schema], "components": components})
        errors = sorted(validator.iter_errors(example), key=lambda e: list(e.absolute_path))
        if errors:
            bad += 1
            print(f"{path}: example at {where} does not fit its schema:")
            for e in errors[:5]:
                at = "/".join(str(p) for p in e.absolute_path) or "(root)"
                print(f"    {at}: {e.message[:300]}")
    print(f"{path}: {total} examples checked against their schemas, {bad} do not fit")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
