"""Starts a real kyc-local for the example's tests: a free loopback port, its own data
dir, three keys of one tenant (integrator, reviewer, admin), Sumsub credentials pointing
at a fake Sumsub (tests/fake_sumsub.py) for the crypto-rails flow; stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "tests"))

from fake_sumsub import APP_TOKEN, SECRET_KEY, FakeSumsub  # noqa: E402


@dataclass(frozen=True)
class Kyc:
    url: str
    integrator_key: str
    reviewer_key: str
    admin_key: str


def kyc_local_binary() -> str:
    """KYC_LOCAL_BIN when set, else the workspace's debug build (cargo builds it if needed)."""
    given = os.environ.get("KYC_LOCAL_BIN")
    if given:
        return given
    subprocess.run(["cargo", "build", "--locked", "-q", "-p", "kyc-local"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "kyc-local")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def sumsub() -> Iterator[FakeSumsub]:
    fake = FakeSumsub()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture(scope="session")
def kyc(tmp_path_factory: pytest.TempPathFactory, sumsub: FakeSumsub) -> Iterator[Kyc]:
    data_dir = tmp_path_factory.mktemp("kyc-local-data")
    port = free_port()
    keys = "example:sk_ex_integrator:shop:integrator,example:sk_ex_reviewer:alice:reviewer,example:sk_ex_admin:ops:admin"
    env = dict(os.environ, KYC_API_KEYS=keys, KYC_WEBHOOK_RETRY_SCHEDULE="1,1,1",
               KYC_SUMSUB_BASE_URL=sumsub.url, KYC_SUMSUB_APP_TOKEN=APP_TOKEN, KYC_SUMSUB_SECRET_KEY=SECRET_KEY)
    log = open(data_dir / "kyc-local.log", "wb")
    process = subprocess.Popen(
        [kyc_local_binary(), "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir / "data")],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"kyc-local exited with {process.returncode}; see {data_dir / 'kyc-local.log'}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("kyc-local did not answer /health within 30 s")
            time.sleep(0.1)
        yield Kyc(url, "sk_ex_integrator", "sk_ex_reviewer", "sk_ex_admin")
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
