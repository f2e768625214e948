"""Schemathesis hooks for infra/scripts/schemathesis.sh (loaded through `hooks` in
schemathesis.toml, with this folder on PYTHONPATH).

Two adjustments, both narrow and both reported in schemathesis' own summary:

1. Headers that refer to state: schemathesis draws few distinct values (the
   document's example, "0", ...), and the server rightly answers them before it looks
   at the body: a reused `Idempotency-Key` with 422 `idempotency_key_reused`, an
   `If-Match` naming another version with 412. So a key that the document calls valid
   gets a run-unique prefix (still 1-255 visible ASCII characters), and every other
   well-formed `If-Match` becomes `*` (any version); malformed values are sent as
   drawn (they must stay 400). Without this most bodies would never be validated.

2. Answers that depend on state, not on the request's shape: the document lists them
   per operation under `x-state-dependent-refusals` (status, problem `code` and, for
   validation problems, the only `field`s that may be named and how their messages
   begin). A "schema-valid request rejected" failure (ST202) is dropped only when the
   answer is exactly one of those: same status, same code, every error's field among
   the listed ones and its message starting as listed. Every other refusal of
   schema-valid data stays a failure. So is a "server error" (ST101), but for the
   listed refusals that depend on the deployment (a Sumsub share token where kyc-local
   has no Sumsub credentials: 503 `sumsub_not_configured`).
"""

from __future__ import annotations

import itertools
import json
import os
import re

import schemathesis

IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")
IF_MATCH = re.compile(r'^((W/)?"[0-9]{1,19}"|[0-9]{1,19})$')
_keys = itertools.count(1)
_tags = itertools.count(1)


@schemathesis.hook
def map_case(context, case):
    headers = case.headers
    if headers:
        for name in list(headers):
            value = headers[name]
            if not isinstance(value, str):
                continue
            if name.lower() == "idempotency-key" and IDEMPOTENCY_KEY.match(value):
                headers[name] = (f"st{next(_keys):07d}-" + value)[:255]
            elif name.lower() == "if-match" and IF_MATCH.match(value) and next(_tags) % 2:
                headers[name] = "*"
    return case


def _refusals(operation) -> list[dict]:
    raw = getattr(getattr(operation, "definition", None), "raw", None)
    if not isinstance(raw, dict):
        return []
    return raw.get("x-state-dependent-refusals", [])


def documented_refusal(operation, response) -> bool:
    """Whether `response` is one of the operation's documented state-dependent refusals."""
    try:
        problem = json.loads(response.content or b"null")
    except ValueError:
        return False
    if not isinstance(problem, dict):
        return False
    errors = [e for e in problem.get("errors") or [] if isinstance(e, dict)]
    for refusal in _refusals(operation):
        if refusal.get("status") != response.status_code or refusal.get("code") != problem.get("code"):
            continue
        fields, messages = refusal.get("fields"), refusal.get("messages")
        if fields is None:
            return True
        if errors and all(
            _named(e.get("field"), fields)
            and (messages is None or any(str(e.get("message", "")).startswith(m) for m in messages))
            for e in errors
        ):
            return True
    return False


def _named(field, allowed) -> bool:
    """`field` is one of `allowed`, where `*` in an entry stands for an array index."""
    return any(
        re.fullmatch(r"[0-9]+".join(re.escape(part) for part in entry.split("*")), field or "") for entry in allowed
    )


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if getattr(failure, "code", None) not in ("ST202", "ST101") or context.operation is None or response is None:
        return True
    if not documented_refusal(context.operation, response):
        return True
    # Optionally tally what was dropped (operation, status, code, fields), never the values.
    tally = os.environ.get("KYC_DROPPED_REFUSALS_LOG")
    if tally:
        problem = json.loads(response.content)
        fields = ",".join(sorted({e.get("field", "") for e in problem.get("errors") or []}))
        with open(tally, "a", encoding="utf-8") as out:
            out.write(f"{context.operation.label}\t{response.status_code}\t{problem.get('code')}\t{fields}\n")
    return False
