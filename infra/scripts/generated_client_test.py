#!/usr/bin/env python3
"""A client generated from the OpenAPI document, used as an integrator would.

Generates a Python client from the document kyc-local serves (openapi-python-client,
pinned in infra/requirements-test.txt) into a temp dir, imports it, and with it:
creates a lead, declares a document, PUTs the file's bytes to the returned signed
upload URL with the returned headers, waits for the document to be scored, and reads
the audit trail (checking its hash chain). Run by infra/scripts/schemathesis.sh
against the fresh kyc-local it started.

Usage: generated_client_test.py --url URL --key API_KEY --document URL_OR_PATH --work DIR
Prints one closing line `generated client: N passed, N failed`; exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
import urllib.request
from pathlib import Path

PACKAGE = "kyc_generated_client"


def generate(document: str, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    source = work / "openapi.json"
    if re.match(r"^https?://", document):
        with urllib.request.urlopen(document, timeout=10) as answer:
            source.write_bytes(answer.read())
    else:
        source.write_bytes(Path(document).read_bytes())
    venv_bin = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    run = subprocess.run(
        [str(venv_bin / "openapi-python-client"), "generate", "--path", str(source),
         "--output-path", str(work / PACKAGE), "--meta", "none", "--overwrite"],
        capture_output=True, text=True, env=env, check=False,
    )
    output = (run.stdout + run.stderr).strip()
    # A warning means part of the document could not be turned into code: that is a finding.
    if run.returncode != 0 or "Warning" in output or "Error" in output:
        raise SystemExit(f"openapi-python-client failed on the document:\n{output}")
    sys.path.insert(0, str(work))


def tiny_jpeg() -> bytes:
    """A JPEG header (SOI, JFIF APP0, a baseline frame of 800x600) and EOI: enough for the
    upload and the file checks to run; whatever they conclude is fine here."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0\x00\x11\x08" + (600).to_bytes(2, "big") + (800).to_bytes(2, "big") + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + sof0 + b"\x00" * 512 + b"\xff\xd9"


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--document", required=True)
    parser.add_argument("--work", required=True, type=Path)
    args = parser.parse_args()

    generate(args.document, args.work)
    client_module = importlib.import_module(PACKAGE)
    models = importlib.import_module(f"{PACKAGE}.models")
    create_lead = importlib.import_module(f"{PACKAGE}.api.leads.create_lead")
    create_document = importlib.import_module(f"{PACKAGE}.api.documents.create_lead_document")
    get_document = importlib.import_module(f"{PACKAGE}.api.documents.get_lead_document")
    list_audit = importlib.import_module(f"{PACKAGE}.api.audit.list_lead_audit_events")

    client = client_module.AuthenticatedClient(base_url=args.url, token=args.key, raise_on_unexpected_status=True)
    passed, failed = 0, 0
    state: dict = {}

    def step(name, fn):
        nonlocal passed, failed
        try:
            fn()
            passed += 1
            print(f"generated client: {name} ... ok")
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"generated client: {name} ... FAILED")
            traceback.print_exc()

    def create():
        body = models.LeadCreate(
            level=models.Level.ENHANCED,
            email="ada@example.com",
            individual=models.IndividualInput(
                first_name="Ada", last_name="Lovelace", nationality=models.CountryCode("GB")
            ),
            address=models.AddressInput(line1="12 St James's Square", city="London", country=models.CountryCode("GB")),
        )
        reply = create_lead.sync_detailed(client=client, body=body, idempotency_key="generated-client-lead-1")
        assert reply.status_code == 201, (reply.status_code, reply.content)
        lead = reply.parsed
        assert isinstance(lead, models.Lead), type(lead)
        assert re.fullmatch(r"lead_[0-9a-f]{32}", lead.id), lead.id
        assert reply.headers.get("etag") == f'"{lead.version}"'
        state["lead"] = lead.id
        # The same key and body answer the first response again.
        again = create_lead.sync_detailed(client=client, body=body, idempotency_key="generated-client-lead-1")
        assert again.status_code == 201 and again.parsed.id == lead.id
        assert again.headers.get("idempotent-replayed") == "true"

    def upload():
        body = models.DocumentCreate(
            kind=models.DocumentKind.PASSPORT,
            content_type=models.DocumentCreateContentType.IMAGEJPEG,
            side=models.Side.FRONT,
        )
        reply = create_document.sync_detailed(state["lead"], client=client, body=body)
        assert reply.status_code == 201, (reply.status_code, reply.content)
        created = reply.parsed
        assert isinstance(created, models.DocumentUpload), type(created)
        assert created.document.status == models.DocumentStatus.PENDING_UPLOAD
        instruction = created.upload
        headers = dict(instruction.headers.additional_properties)
        # The raw bytes, with exactly the signed headers, as a phone would send them.
        put = client.get_httpx_client().request(
            instruction.method, instruction.url, content=tiny_jpeg(), headers=headers
        )
        assert put.status_code == 200, (put.status_code, put.text)
        state["document"] = created.document.id

    def scored():
        deadline = time.monotonic() + 30
        while True:
            reply = get_document.sync_detailed(state["lead"], state["document"], client=client)
            assert reply.status_code == 200, (reply.status_code, reply.content)
            document = reply.parsed
            if document.status != models.DocumentStatus.PENDING_UPLOAD:
                break
            assert time.monotonic() < deadline, "the document was not scored within 30 s"
            time.sleep(0.2)
        assert document.file is not None and document.file.size_bytes == len(tiny_jpeg())
        assert document.checks, "a scored document has checks"

    def audit():
        reply = list_audit.sync_detailed(state["lead"], client=client, limit=100)
        assert reply.status_code == 200, (reply.status_code, reply.content)
        trail = reply.parsed
        assert isinstance(trail, models.AuditEventList), type(trail)
        actions = [str(event.action) for event in trail.data]
        for expected in ("lead.created", "document.requested", "document.received"):
            assert expected in actions, (expected, actions)
        # The chain, recomputed from the events as they came over the wire.
        previous = "0" * 64
        for seq, event in enumerate(json.loads(reply.content)["data"], start=1):
            without_hash = {k: v for k, v in event.items() if k != "hash"}
            digest = hashlib.sha256((event["prev_hash"] + canonical(without_hash)).encode()).hexdigest()
            assert (event["seq"], event["prev_hash"], event["hash"]) == (seq, previous, digest), event["seq"]
            previous = event["hash"]

    step("create a lead", create)
    if "lead" in state:
        step("declare a document and PUT its file to the upload URL", upload)
    if "document" in state:
        step("the document is scored", scored)
        step("read the audit trail and check its hash chain", audit)
    print(f"generated client: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed == 4 else 1


if __name__ == "__main__":
    sys.exit(main())
