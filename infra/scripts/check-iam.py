#!/usr/bin/env python3
"""Least privilege, both ways: each function's IAM actions against the AWS calls it makes.

The calls are not guessed from the source: they are what the functions really sent to
moto while the Lambda stack on moto ran its end-to-end tests (moto's request recorder,
`LAMBDA_STACK_RECORD_CALLS`). The stack gives each function its own access key id, the
function's logical id in the template (`LeadsApiFunction`, ...), so every recorded request,
and every presigned URL a function signed and a client then used, names the function
whose role would have to allow it.

  1. a call the function's role does not allow is an AccessDenied waiting in production:
     an error (exit 1);
  2. an action the role allows that the function never called in the run is a grant
     too many, unless it is in REVIEWED below: a path of the function's code that the
     stack's tests do not take (a Sumsub secret, a screening list object, the AWS
     verifier), named with what needs it and where it is tested instead. An unreviewed
     grant without a call is an error, and so is a reviewed or exempt grant the template
     no longer gives (the list would go stale). A reviewed grant the run did call is
     reported, to be taken off the list.

Some allowed actions are never called by the function's code: the ones the Lambda
service or S3 uses with the function's role (NOT_CALLS below).

The actions are compared after the SAM translation (target/template.translated.json, made
by check-template.py), so policy templates are expanded; a statement under `Fn::If` counts
as granted. Only the roles' inline policies are compared: the managed policies SAM
attaches (logs, X-Ray, stream pollers) are the Lambda service's.

Usage: check-iam.py [--calls-only] RECORDING [TRANSLATED_TEMPLATE]
  --calls-only: check only that every call is allowed (a run of some of the stack's
  tests, e.g. `test.sh` with a test filter, cannot show which grants are used).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

ROOT = Path(__file__).resolve().parents[2]

# Allowed actions that are not calls of the function's code.
NOT_CALLS: dict[tuple[str, str], str] = {
    ("WebhookSenderFunction", "sqs:ReceiveMessage"): "the SQS event source's poller (Lambda) receives",
    ("WebhookSenderFunction", "sqs:DeleteMessage"): "the SQS event source's poller deletes handled messages",
    ("WebhookSenderFunction", "sqs:GetQueueAttributes"): "the SQS event source's poller reads the queue",
    ("RiskScorerFunction", "sqs:SendMessage"): "Lambda sends a failed S3 event to the OnFailure destination",
    ("ImporterFunction", "sqs:SendMessage"): "Lambda sends a failed S3 event to the OnFailure destination",
    ("RiskScorerFunction", "s3:ListBucket"): "S3 checks it to answer 404, not 403, for a missing object",
    ("ImporterFunction", "s3:ListBucket"): "S3 checks it to answer 404, not 403, for a missing object",
}

# Allowed actions the stack's tests do not call, each reviewed: the path of the function
# that needs it, and where that path is tested against moto or kyc-local instead.
REVIEWED: dict[tuple[str, str], str] = {
    ("LeadsApiFunction", "secretsmanager:GetSecretValue"):
        "a share-token import reads the Sumsub credentials secret (SecretSumsub; "
        "tests/tests/sumsub.rs reads it from moto's Secrets Manager); the stack has none",
    ("FollowUpFunction", "secretsmanager:GetSecretValue"):
        "the refresh of pending Sumsub imports reads the same secret (as above)",
    ("LeadsApiFunction", "dynamodb:DeleteItem"):
        "a Sumsub answer naming another applicant deletes the old applicant index item "
        "(kyc_app::sumsub ImportReview; tests/tests/sumsub.rs, a fresh token on an approved lead)",
    ("FollowUpFunction", "dynamodb:DeleteItem"):
        "the same, when the follow-up job's refresh learns it; and an index item whose "
        "lead no longer names the applicant (kyc_app::sumsub::refresh)",
    ("FollowUpFunction", "dynamodb:UpdateItem"):
        "a refreshed Sumsub answer that decides the lead adds to the status counters "
        "(DynamoDB ADD; tests/tests/sumsub.rs on moto)",
    ("LeadsApiFunction", "s3:GetObject"):
        "the screening list object (ScreeningListKey) on first use; the stack screens "
        "with the shipped sample (S3Objects::read_prefix is tested on moto)",
    ("LinksApiFunction", "s3:GetObject"):
        "the same list, when a KYC link creates its lead",
    ("RiskScorerFunction", "textract:AnalyzeID"):
        "VerifierKind=aws reads identity documents (moto has no AnalyzeID; the adapter "
        "runs against tests/src/fake_verifier.rs)",
    ("RiskScorerFunction", "textract:DetectDocumentText"):
        "VerifierKind=aws reads proofs of address (as above)",
    ("RiskScorerFunction", "rekognition:DetectFaces"):
        "VerifierKind=aws checks a selfie's face (as above)",
    ("RiskScorerFunction", "rekognition:CompareFaces"):
        "VerifierKind=aws matches the selfie with the document photo (as above)",
    ("WebhookSenderFunction", "sqs:SendMessage"):
        "a delivery out of attempts is dead-lettered to the DLQ (SqsQueue::with_dead_letter; "
        "tests/tests/queue_contract.rs and webhooks.rs on moto); the stack's tests end before",
}

# SQS batch calls are authorised by the single call's action.
SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# TransactWriteItems and TransactGetItems have no IAM action of their own: each item is
# authorised as the single-item call.
TRANSACT_ITEM = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def credential(entry: dict) -> tuple[str, str] | None:
    """(access key id, service) from the Authorization header or a presigned URL."""
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    match = re.search(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/", headers.get("authorization", ""))
    if match:
        return match.group(1), match.group(2)
    query = parse_qs(urlparse(entry.get("url", "")).query)
    scope = query.get("X-Amz-Credential", [""])[0].split("/")
    if len(scope) >= 4:
        return scope[0], scope[3]
    return None


def body_text(entry: dict) -> str:
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    return body


def actions_of(entry: dict, service: str) -> list[str]:
    """The IAM actions one recorded request needs."""
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    target = headers.get("x-amz-target", "")
    operation = target.rsplit(".", 1)[-1] if target else ""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            items = json.loads(body_text(entry) or "{}").get("TransactItems", [])
            return sorted({f"dynamodb:{TRANSACT_ITEM[kind]}" for item in items for kind in item})
        return [f"dynamodb:{operation}"]
    if service == "sqs":
        if not operation:
            operation = parse_qs(body_text(entry)).get("Action", [""])[0]
        return [f"sqs:{SQS_BATCH.get(operation, operation)}"]
    if service == "s3":
        url = urlparse(entry.get("url", ""))
        query = parse_qs(url.query, keep_blank_values=True)
        parts = [p for p in unquote(url.path).split("/") if p]
        has_key = len(parts) >= 2  # path-style: /bucket/key
        method = entry.get("method", "GET")
        if not has_key:
            return ["s3:ListBucket"] if method in ("GET", "HEAD") else [f"s3:{method}Bucket"]
        if "uploadId" in query or "uploads" in query:
            return ["s3:PutObject"]
        return {"GET": ["s3:GetObject"], "HEAD": ["s3:GetObject"], "PUT": ["s3:PutObject"],
                "POST": ["s3:PutObject"], "DELETE": ["s3:DeleteObject"]}.get(method, [f"s3:{method}"])
    if operation:  # KMS, Secrets Manager, Textract, Rekognition: JSON protocols
        return [f"{service}:{operation}"]
    return [f"{service}:?"]


def recorded_calls(recording: Path) -> dict[str, set[str]]:
    used: dict[str, set[str]] = defaultdict(set)
    for line in recording.read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        who = credential(entry)
        if who is None:
            continue
        key, service = who
        used[key].update(actions_of(entry, service))
    return used


def statements(node) -> list[dict]:
    """Every statement of a policy document, `Fn::If` branches included."""
    if isinstance(node, list):
        return [s for item in node for s in statements(item)]
    if isinstance(node, dict):
        if "Fn::If" in node:
            return [s for branch in node["Fn::If"][1:] for s in statements(branch)]
        if "Action" in node and node.get("Effect") == "Allow":
            return [node]
    return []


def granted_actions(template: dict) -> dict[str, set[str]]:
    resources = template["Resources"]
    granted: dict[str, set[str]] = {}
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        role = resource["Properties"].get("Role", {})
        role_name = role.get("Fn::GetAtt", [None])[0] if isinstance(role, dict) else None
        actions: set[str] = set()
        for policy in resources.get(role_name, {}).get("Properties", {}).get("Policies", []):
            for statement in statements(policy.get("PolicyDocument", {}).get("Statement", [])):
                action = statement["Action"]
                actions.update([action] if isinstance(action, str) else action)
        granted[name] = actions
    return granted


def compare(used: dict[str, set[str]], granted: dict[str, set[str]]) -> tuple[list[str], list[str], list[str]]:
    """(calls without a grant, grants without a call that nobody reviewed, reviewed grants called)."""
    denied, unused, reached = [], [], []
    for function, actions in sorted(granted.items()):
        calls = used.get(function, set())
        for call in sorted(calls):
            if not any(fnmatch.fnmatchcase(call, grant) for grant in actions):
                denied.append(f"{function} calls {call}, which its role does not allow")
        for grant in sorted(actions):
            called = any(fnmatch.fnmatchcase(call, grant) for call in calls)
            if (function, grant) in REVIEWED and called:
                reached.append(f"{function}: {grant}")
            if called or (function, grant) in NOT_CALLS or (function, grant) in REVIEWED:
                continue
            unused.append(f"{function}: {grant}")
    return denied, unused, reached


def stale(granted: dict[str, set[str]]) -> list[str]:
    """Exemptions of a grant the template no longer gives."""
    return [f"{function}: {action}" for (function, action) in sorted({**NOT_CALLS, **REVIEWED})
            if action not in granted.get(function, set())]


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if a != "--calls-only"]
    calls_only = len(args) != len(argv) - 1
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    recording = Path(args[0])
    template = json.loads(Path(args[1] if len(args) > 1 else ROOT / "target" / "template.translated.json").read_text())
    used = recorded_calls(recording)
    granted = granted_actions(template)
    for function in sorted(granted):
        print(f"{function}: calls {', '.join(sorted(used.get(function, set()))) or 'nothing'}")
    # The tests' own calls (their harness reads the stack's table and queues) are signed
    # with other keys: not a function's, not compared.
    others = sorted(set(used) - set(granted))
    if others:
        print(f"not a function's (the tests' own): {', '.join(others)}")
    if not any(used.get(function) for function in granted):
        print("check-iam: the recording has no call of any function", file=sys.stderr)
        return 1
    denied, unused, reached = compare(used, granted)
    for line in reached:
        print(f"reviewed as not called, but called in this run (take it off REVIEWED): {line}")
    errors = [f"least privilege: {line}" for line in denied]
    if not calls_only:
        errors += [f"least privilege: {line} is allowed but never called, and not reviewed "
                   "(remove the grant, reach it in a stack test, or add it to REVIEWED)" for line in unused]
        errors += [f"check-iam: {line} is exempt or reviewed, but no longer granted (remove it here)"
                   for line in stale(granted)]
    for line in errors:
        print(line, file=sys.stderr)
    if errors:
        return 1
    reviewed = sum(1 for (function, action) in REVIEWED if action in granted.get(function, set()))
    print(f"check-iam: {len(granted)} functions; every recorded call allowed"
          + ("" if calls_only else f"; every other grant reviewed ({reviewed}) or used by Lambda itself ({len(NOT_CALLS)})"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
