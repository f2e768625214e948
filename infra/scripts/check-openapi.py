#!/usr/bin/env python3
"""Offline checks of the OpenAPI document (infra/openapi.json).

  1. the document is valid OpenAPI 3.1 (openapi-spec-validator, every error reported);
  2. every example (media type `example`/`examples`, parameter and header `example`,
     schema `examples`) validates against its schema (JSON Schema 2020-12, formats checked);
  3. house rules: every POST and PATCH takes the `Idempotency-Key` header and documents
     its 400 (malformed key) and 422 (`idempotency_key_reused`); every 4xx/5xx response
     is `application/problem+json` with the `Problem` schema (an operation marked
     `x-html-refusals`, a page for people, may offer `text/html` beside it); every entry of an
     operation's `x-state-dependent-refusals` is well-formed and names a status the
     operation documents; and every example audit trail (`{"data": [AuditEvent...]}`)
     is a valid hash chain as the document defines it.

Exits 1 if any check fails, 0 otherwise.

Run with the project venv:  .venv/bin/python infra/scripts/check-openapi.py [DOCUMENT]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from urllib.parse import quote

from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DOCUMENT = ROOT / "infra" / "openapi.json"
BASE = "urn:kyc:openapi"
PROBLEM_REF = "#/components/schemas/Problem"
GENESIS = "0" * 64


def pointer(parts: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(doc: dict, node):
    """Follows a local `$ref` (components) to its target."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"non-local $ref {ref}")
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
    return node


def check_spec(doc: dict) -> list[str]:
    if not str(doc.get("openapi", "")).startswith("3.1."):
        return [f"openapi must be 3.1.x, is {doc.get('openapi')!r}"]
    errors = []
    for error in OpenAPIV31SpecValidator(doc).iter_errors():
        where = "/".join(str(p) for p in getattr(error, "absolute_path", []) or [])
        errors.append(f"spec: {error.message}" + (f" (at {where})" if where else ""))
    return errors


def check_examples(doc: dict) -> tuple[list[str], int]:
    registry = Registry().with_resource(BASE, Resource(contents=doc, specification=DRAFT202012))
    errors: list[str] = []
    count = 0

    def validate(instance, schema_parts: list[str], where: str) -> None:
        nonlocal count
        count += 1
        schema = {"$ref": BASE + "#" + quote(pointer(schema_parts), safe="/~")}
        validator = Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            at = "/".join(str(p) for p in e.absolute_path) or "(root)"
            errors.append(f"example {where}: {at}: {e.message}")

    def walk(node, parts: list[str]) -> None:
        if isinstance(node, dict):
            if "schema" in node and isinstance(node["schema"], dict):
                # A media type, parameter or header object.
                target = parts + ["schema"]
                if "example" in node:
                    validate(node["example"], target, pointer(parts + ["example"]))
                for name, ex in (node.get("examples") or {}).items():
                    ex = resolve(doc, ex)
                    if isinstance(ex, dict) and "value" in ex:
                        validate(ex["value"], target, pointer(parts + ["examples", name]))
            elif isinstance(node.get("examples"), list):
                # A schema with JSON Schema `examples`.
                for i, ex in enumerate(node["examples"]):
                    validate(ex, parts, pointer(parts + ["examples", str(i)]))
            for key, value in node.items():
                walk(value, parts + [key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, parts + [str(i)])

    walk(doc, [])
    return errors, count


def check_house_rules(doc: dict) -> list[str]:
    errors = []
    for path, item in doc.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options", "trace"}:
                continue
            name = f"{method.upper()} {path}"
            params = [resolve(doc, p) for p in shared + op.get("parameters", [])]
            takes_key = any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in params)
            # A webhook another service calls (`x-inbound-webhook`, e.g. Sumsub's) sends no
            # Idempotency-Key: its repeats are harmless by design, which it must document.
            inbound = op.get("x-inbound-webhook") is True
            if inbound and "Idempotency-Key" not in op.get("description", ""):
                errors.append(f"{name}: an inbound webhook must say how its repeats are harmless (Idempotency-Key)")
            if method in {"post", "patch"} and not takes_key and not inbound:
                errors.append(f"{name}: a POST or PATCH must take the Idempotency-Key header")
            if takes_key:
                for status, code in (("400", "validation_failed"), ("422", "idempotency_key_reused")):
                    examples = resolve(doc, op.get("responses", {}).get(status, {})).get("content", {})
                    examples = examples.get("application/problem+json", {}).get("examples", {})
                    if not any(resolve(doc, e).get("value", {}).get("code") == code for e in examples.values()):
                        errors.append(f"{name}: takes Idempotency-Key but has no {status} `{code}` example")
            for i, refusal in enumerate(op.get("x-state-dependent-refusals", [])):
                where = f"{name} x-state-dependent-refusals[{i}]"
                if not (isinstance(refusal.get("status"), int) and isinstance(refusal.get("code"), str)
                        and isinstance(refusal.get("when"), str)):
                    errors.append(f"{where}: needs an integer status, a code and a when")
                elif str(refusal["status"]) not in op.get("responses", {}):
                    errors.append(f"{where}: status {refusal['status']} is not among the operation's responses")
                for key in ("fields", "messages"):
                    names = refusal.get(key, [])
                    if not (isinstance(names, list) and all(isinstance(f, str) and f for f in names)):
                        errors.append(f"{where}: {key} must be a list of strings")
            for status, response in op.get("responses", {}).items():
                if not status[:1] in {"4", "5"}:
                    continue
                content = resolve(doc, response).get("content", {})
                # A page for people (`x-html-refusals`) may also answer its refusals
                # as HTML, chosen by the request's Accept header.
                allowed = [["application/problem+json"]]
                if op.get("x-html-refusals") is True:
                    allowed.append(["application/problem+json", "text/html"])
                if list(content) not in allowed:
                    errors.append(f"{name} {status}: must be application/problem+json only")
                elif content["application/problem+json"].get("schema", {}).get("$ref") != PROBLEM_REF:
                    errors.append(f"{name} {status}: schema must be {PROBLEM_REF}")
    return errors


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def check_audit_chains(doc: dict) -> list[str]:
    """hash = hex(SHA-256(prev_hash + canonical JSON of the event without `hash`))."""
    errors = []

    def verify(events: list, where: str) -> None:
        prev, seq = GENESIS, 0
        for event in events:
            seq += 1
            body = {k: v for k, v in event.items() if k != "hash"}
            expected = hashlib.sha256((event.get("prev_hash", "") + canonical(body)).encode()).hexdigest()
            if event.get("seq") != seq or event.get("prev_hash") != prev or event.get("hash") != expected:
                errors.append(f"example {where}: event seq {event.get('seq')} does not chain (seq, prev_hash or hash)")
                return
            prev = event["hash"]

    def walk(node, parts: list[str]) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, list) and data and all(isinstance(e, dict) and "hash" in e for e in data):
                verify(data, pointer(parts))
            for key, value in node.items():
                walk(value, parts + [key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, parts + [str(i)])

    walk(doc, [])
    return errors


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DOCUMENT
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"check-openapi: cannot read {path}: {e}", file=sys.stderr)
        return 1
    if not isinstance(doc, dict):
        print(f"check-openapi: {path} is not a JSON object", file=sys.stderr)
        return 1

    errors = check_spec(doc)
    if not errors:
        # Example and rule checks assume a structurally valid document.
        example_errors, examples = check_examples(doc)
        errors += example_errors + check_house_rules(doc) + check_audit_chains(doc)
    else:
        examples = 0
    for e in errors:
        print(f"check-openapi: {e}", file=sys.stderr)
    if errors:
        print(f"check-openapi: {path}: {len(errors)} error(s)", file=sys.stderr)
        return 1
    operations = sum(
        1 for item in doc["paths"].values() for m in item if m not in {"parameters", "summary", "description", "servers"}
    )
    print(f"check-openapi: {path}: valid OpenAPI {doc['openapi']}, {operations} operations, {examples} examples ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
