"""Checks recorded SDK requests against the specs with an independent validator (openapi-core).

Usage: python3 validate_requests.py <workspace root> <dir of <crate>.jsonl files>

Every request the test suite sent (recorded by dam-test-server with DAM_RECORD_REQUESTS) is matched
to the spec operations with its method and path (and the fixed query of `#variant` path keys); it
must validate against one of them: path, query and header parameters, request body. Credentials are
not checked here (their own tests pin them), so security requirements are dropped. Requests to URLs
no operation describes (storage services, signed URLs) are counted and skipped, and so are requests a
test sent by hand (no `User-Agent: <crate>/...`, which every SDK client sends): the simulators' own
tests send malformed requests on purpose to pin how the service refuses them. Exit 1 on any invalid
request, and when a generated operation was never exercised.
"""

import copy
import json
import re
import sys
import urllib.parse
from pathlib import Path

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
CRATES = {
    "sdk-skyfish": "specs/skyfish.yaml",
    "sdk-ci": "specs/ci.yaml",
    "sdk-mediagraph": "specs/mediagraph.yaml",
    "sdk-intelligencebank": "specs/intelligencebank.yaml",
}
HOST = "http://sdk.test"


def template_regex(path):
    parts = []
    for piece in re.split(r"(\{[^}]+\})", path):
        parts.append("[^/]+" if piece.startswith("{") else re.escape(piece))
    return re.compile("^" + "".join(parts) + "/?$")


def operations(spec):
    ops = []
    for key, item in spec.get("paths", {}).items():
        base = key.split("#")[0].split("?")[0]
        fixed = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (item.get("x-dam-fixed-query") or {}).items()}
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            op = copy.deepcopy(op)
            op.pop("security", None)
            # Operations on another host (Ci's io host, IntelligenceBank v3) name it in their own
            # `servers`; here every request is matched on its path alone.
            op.pop("servers", None)
            path_item = {method: op}
            if "parameters" in item:
                path_item["parameters"] = item["parameters"]
            mini = {
                "openapi": spec["openapi"],
                "info": spec["info"],
                "servers": [{"url": HOST}],
                "paths": {base: path_item},
                "components": spec.get("components", {}),
            }
            ops.append({
                "id": op.get("operationId"),
                "method": method.upper(),
                "regex": template_regex(base),
                "fixed": fixed,
                "mini": mini,
                "generated": "x-dam-skip" not in op,
                "templated": base.count("{"),
                "api": None,
            })
    return ops


def api_of(op, without_body):
    key = "api_nobody" if without_body else "api"
    if op.get(key) is None:
        mini = op["mini"]
        if without_body:
            mini = copy.deepcopy(mini)
            for item in mini["paths"].values():
                for method in METHODS:
                    if method in item:
                        item[method].pop("requestBody", None)
        op[key] = OpenAPI.from_dict(mini)
    return op[key]


def space_delimited(op):
    """Names of the operation's `style: spaceDelimited` query parameters."""
    mini = op["mini"]
    names = set()
    for item in mini["paths"].values():
        params = list(item.get("parameters", []))
        for method in METHODS:
            if method in item:
                params += item[method].get("parameters", [])
        for p in params:
            p = resolve(mini, p)
            if p.get("in") == "query" and p.get("style") == "spaceDelimited":
                names.add(p["name"])
    return names


def declared(op):
    """Names of the operation's query parameters."""
    if "declared" not in op:
        mini = op["mini"]
        names = set()
        for item in mini["paths"].values():
            params = list(item.get("parameters", []))
            for method in METHODS:
                if method in item:
                    params += item[method].get("parameters", [])
            for p in params:
                p = resolve(mini, p)
                if p.get("in") == "query":
                    names.add(p["name"])
        op["declared"] = names
    return op["declared"]


def resolve(doc, node):
    for _ in range(16):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not ref or not ref.startswith("#/"):
            return node
        target = doc
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def validate(op, r):
    query = urllib.parse.parse_qsl(r.get("query") or "", keep_blank_values=True)
    # openapi-core splits spaceDelimited values on an encoded space (`%20`); the wire's `+` is the
    # same space once form-decoded.
    spaced = space_delimited(op)
    query = [(k, v.replace(" ", "%20") if k in spaced else v) for k, v in query]
    headers = {}
    for name, value in r.get("headers", []):
        headers.setdefault(name.lower(), value)
    content_type = headers.get("content-type", "")
    multipart = content_type.startswith("multipart/")
    body = None if multipart else r.get("body", "").encode()
    request = MockRequest(
        HOST,
        r["method"].lower(),
        urllib.parse.unquote(r["path"]),
        args=query,
        headers=headers,
        data=body if body else None,
        content_type=content_type.split(";")[0].strip() or "application/json",
    )
    api_of(op, multipart).validate_request(request)


def main():
    root = Path(sys.argv[1])
    records = Path(sys.argv[2])
    failed = False
    for crate, spec_file in CRATES.items():
        log = records / f"{crate}.jsonl"
        if not log.exists():
            print(f"{crate}: no recorded requests ({log} missing)")
            failed = True
            continue
        spec = yaml.safe_load((root / spec_file).read_text())
        ops = operations(spec)
        seen = set()
        checked = skipped = by_hand = 0
        invalid = []
        for line in log.read_text().splitlines():
            r = json.loads(line)
            agent = next((v for k, v in r.get("headers", []) if k.lower() == "user-agent"), "")
            if not agent.startswith(f"{crate}/"):
                by_hand += 1
                continue
            query = dict(urllib.parse.parse_qsl(r.get("query") or "", keep_blank_values=True))
            candidates = [
                o for o in ops
                if o["method"] == r["method"] and o["regex"].match(r["path"])
                and all(query.get(k) == v for k, v in o["fixed"].items())
            ]
            if not candidates:
                skipped += 1
                continue
            # The most specific first: a `#variant` with a fixed query, then the operation that
            # declares most of the query parameters sent, then a literal path before a template.
            candidates.sort(key=lambda o: (-len(o["fixed"]), -len(declared(o) & set(query)), o["templated"]))
            checked += 1
            errors = []
            for op in candidates:
                try:
                    validate(op, r)
                    seen.add(op["id"])
                    errors = None
                    break
                except Exception as e:  # the validator's own error types
                    detail = []
                    cause = e
                    while cause is not None:
                        detail.extend(str(x) for x in getattr(cause, "schema_errors", []) or [])
                        if cause is not e:
                            detail.append(f"{type(cause).__name__}: {cause}")
                        cause = cause.__cause__ or cause.__context__
                    errors.append(f"{op['id']}: {type(e).__name__}: {e} | {' | '.join(detail)}".strip())
            if errors:
                invalid.append((r, errors))
        generated = {o["id"] for o in ops if o["generated"]}
        never = sorted(generated - seen)
        print(f"{crate}: {checked} requests validated against {spec_file}, {len(invalid)} invalid, "
              f"{skipped} to URLs no operation describes, {by_hand} sent by tests by hand; "
              f"{len(generated) - len(never)}/{len(generated)} generated operations exercised")
        for r, errors in invalid[:20]:
            print(f"  INVALID {r['method']} {r['path']}?{r.get('query') or ''}")
            for e in errors:
                print(f"    {e[:400]}")
        if never:
            print(f"  never exercised: {', '.join(never)}")
        failed |= bool(invalid) or bool(never)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
