"""A fake of Sumsub's API for the crypto-rails example's tests: it checks each call's
app-token signature as Sumsub does (hex HMAC-SHA256 with the secret key over
ts + METHOD + path-with-query + body) and answers 401 to a wrong one, redeems each share
token once, and answers the imported applicant's review as the test scripted it."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

APP_TOKEN = "sbx:example-app-token"
SECRET_KEY = "example-secret-key"


class FakeSumsub:
    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.reviews: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.bad_signatures = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _signed(self, body: bytes) -> bool:
                ts = self.headers.get("X-App-Access-Ts", "")
                expected = hmac.new(SECRET_KEY.encode(), ts.encode() + self.command.encode() + self.path.encode() + body,
                                    hashlib.sha256).hexdigest()
                fresh = ts.isdigit() and abs(time.time() - int(ts)) <= 300
                ok = (self.headers.get("X-App-Token") == APP_TOKEN and fresh
                      and hmac.compare_digest(expected, self.headers.get("X-App-Access-Sig", "")))
                if not ok:
                    fake.bad_signatures += 1
                return ok

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if not self._signed(body):
                    return self._answer(401, {"code": 401, "description": "Invalid signature"})
                url = urlparse(self.path)
                token = parse_qs(url.query).get("shareToken", [""])[0]
                if url.path != "/resources/applicants/-/import" or token not in fake.tokens or token in fake.used:
                    return self._answer(401, {"code": 401, "description": "Token is invalid"})
                fake.used.add(token)
                self._answer(200, {"id": fake.tokens[token]})

            def do_GET(self) -> None:  # noqa: N802
                if not self._signed(b""):
                    return self._answer(401, {"code": 401, "description": "Invalid signature"})
                parts = urlparse(self.path).path.strip("/").split("/")
                applicant = unquote(parts[2]) if len(parts) == 4 and parts[3] == "one" else ""
                if applicant not in fake.reviews:
                    return self._answer(404, {"code": 404, "description": "not found"})
                self._answer(200, {"id": applicant, "info": {"firstName": "Ada", "lastName": "Lovelace"},
                                   "review": fake.reviews[applicant]})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def share(self, token: str, applicant: str, answer: str | None, reject_type: str | None = None) -> None:
        """`token` shares `applicant`, whose review is `answer` (GREEN / RED) or pending (None)."""
        self.tokens[token] = applicant
        review: dict[str, Any] = {"reviewStatus": "completed" if answer else "pending"}
        if answer:
            review["reviewResult"] = {"reviewAnswer": answer, "reviewRejectType": reject_type, "rejectLabels": []}
        self.reviews[applicant] = review

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
