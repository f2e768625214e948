#!/usr/bin/env python3
"""Offline checks of the SAM template.

`cfn-lint template.yaml` alone misses errors inside SAM resources, so this script also
expands the SAM transform locally (aws-sam-translator, no AWS calls) and lints the
resulting CloudFormation JSON:

  1. load template.yaml (CloudFormation short-form tags: !Ref, !Sub, !GetAtt, ...);
  2. replace every local CodeUri / ContentUri with a dummy s3:// URI (what
     `sam package` would do) and drop the SAM CLI build metadata;
  3. translate with samtranslator (managed-policy lookups answered with {});
  4. write target/template.translated.json;
  5. run cfn-lint on template.yaml AND on the translated JSON;

and checks the project's own rules cfn-lint does not know: every alarm notifies the
alarm topic (AlarmActions and OKActions), and every function is built the way
infra/scripts/build-lambdas.sh reproduces `sam build` (BuildMethod rust-cargolambda, a
BuildProperties.Binary that is a binary of this workspace, CodeUri `.`, no extra Flags,
arm64), so the script's zips are what SAM deploys, and the Lambda target's rustflags in
.cargo/config.toml keep cargo-lambda's Graviton CPU and the position-dependent link.

Exits 1 on any cfn-lint error or warning (informational findings are printed but do
not fail), 2 if the translation itself fails.

Run with the project venv:  .venv/bin/python infra/scripts/check-template.py [TEMPLATE]
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = ROOT / "template.yaml"
OUT = ROOT / "target" / "template.translated.json"
DUMMY_URI = "s3://bucket/key.zip"

# Must be set before samtranslator builds ARNs / partitions.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])

from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

# Properties that hold a local path which `sam package` would upload to S3.
LOCAL_URI_PROPS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}
# SAM CLI build metadata: meaningful to `sam build`, not to the transform.
BUILD_METADATA_KEYS = ("BuildMethod", "BuildProperties")


class PolicyLoader:
    """Managed policy name -> ARN lookups, answered offline with nothing."""

    def load(self) -> dict[str, str]:
        return {}


def is_local(uri: object) -> bool:
    return isinstance(uri, str) and not re.match(r"^(s3|https?)://", uri)


def prepare(template: dict) -> dict:
    """A copy of `template` as `sam package` would leave it (local paths -> S3)."""
    out = copy.deepcopy(template)
    globals_fn = out.get("Globals", {}).get("Function", {})
    if is_local(globals_fn.get("CodeUri")):
        globals_fn["CodeUri"] = DUMMY_URI
    for resource in out.get("Resources", {}).values():
        if not isinstance(resource, dict):
            continue
        prop = LOCAL_URI_PROPS.get(resource.get("Type", ""))
        props = resource.get("Properties") or {}
        if prop and is_local(props.get(prop)):
            props[prop] = DUMMY_URI
            resource["Properties"] = props
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict):
            for key in BUILD_METADATA_KEYS:
                metadata.pop(key, None)
            if not metadata:
                del resource["Metadata"]
    # A function whose CodeUri is missing (no Globals either) would fail the transform:
    # that is a real error, so it is left as it is.
    return out


def cfn_lint(path: Path) -> tuple[int, list[dict]]:
    """Run the venv's cfn-lint on `path`; returns (exit code, findings)."""
    exe = Path(sys.executable).with_name("cfn-lint")
    cmd = [str(exe) if exe.exists() else "cfn-lint", "--format", "json", "--", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    findings: list[dict] = []
    if proc.stdout.strip():
        try:
            findings = json.loads(proc.stdout)
        except json.JSONDecodeError:
            findings = [{"Level": "Error", "Rule": {"Id": "cfn-lint"}, "Message": proc.stdout.strip()}]
    # cfn-lint exit codes are a bit field: 2 error, 4 warning, 8 informational;
    # anything else (1, or stderr with no findings) means it failed to run.
    if proc.returncode & 1 or (proc.returncode and not findings):
        findings.append({
            "Level": "Error",
            "Rule": {"Id": "cfn-lint"},
            "Message": f"cfn-lint exited {proc.returncode}: {proc.stderr.strip() or proc.stdout.strip()}",
        })
    return proc.returncode, findings


def show(path: Path, findings: list[dict]) -> tuple[int, int]:
    errors = warnings = 0
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for f in findings:
        level = f.get("Level", "Error")
        rule = (f.get("Rule") or {}).get("Id", "?")
        loc = (f.get("Location") or {}).get("Start") or {}
        line = loc.get("LineNumber", "?")
        col = loc.get("ColumnNumber", "?")
        path_in_tpl = "/".join(str(p) for p in (f.get("Location") or {}).get("Path") or [])
        message = " ".join(str(f.get("Message", "")).split())
        if len(message) > 400:  # enum mismatches list every allowed value
            message = message[:400] + " ..."
        print(f"{rel}:{line}:{col}: {level} {rule}: {message}"
              + (f"  [{path_in_tpl}]" if path_in_tpl else ""))
        if level == "Error":
            errors += 1
        elif level == "Warning":
            warnings += 1
    return errors, warnings


def unheard_alarms(template: dict) -> list[str]:
    """Alarms that notify nobody: each must send its alarm and OK state to the topic."""
    unheard = []
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        props = resource.get("Properties", {})
        for key in ("AlarmActions", "OKActions"):
            if {"Ref": "AlarmTopic"} not in (props.get(key) or []):
                unheard.append(f"{name}: {key} does not name AlarmTopic")
    return unheard


def workspace_binaries() -> set[str]:
    """The binaries `cargo lambda build --bin NAME` can build: each workspace member
    package's name (a member with src/main.rs) and its [[bin]] names."""
    names: set[str] = set()
    root = (ROOT / "Cargo.toml").read_text()
    members = re.findall(r'^\s*"([^"]+)",?\s*$', root.split("members", 1)[1].split("]", 1)[0], re.M)
    for member in members:
        manifest = (ROOT / member / "Cargo.toml").read_text()
        package = re.search(r'^name\s*=\s*"([^"]+)"', manifest, re.M)
        if package and (ROOT / member / "src" / "main.rs").exists():
            names.add(package.group(1))
        for block in manifest.split("[[bin]]")[1:]:
            bin_name = re.search(r'^name\s*=\s*"([^"]+)"', block, re.M)
            if bin_name:
                names.add(bin_name.group(1))
    return names


def builds_sam_would_not_match(template: dict) -> list[str]:
    """Functions whose `sam build` the build script would not reproduce."""
    problems = []
    binaries = workspace_binaries()
    global_arch = template.get("Globals", {}).get("Function", {}).get("Architectures", ["x86_64"])
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        metadata = resource.get("Metadata", {})
        props = resource.get("Properties", {})
        build = metadata.get("BuildProperties", {})
        if metadata.get("BuildMethod") != "rust-cargolambda":
            problems.append(f"{name}: BuildMethod is not rust-cargolambda")
        if build.get("Binary") not in binaries:
            problems.append(f"{name}: BuildProperties.Binary {build.get('Binary')!r} is no binary of the workspace")
        if "Flags" in build:
            problems.append(f"{name}: BuildProperties.Flags are not passed by build-lambdas.sh")
        if props.get("CodeUri") != ".":
            problems.append(f"{name}: CodeUri is not the workspace root")
        if props.get("Architectures", global_arch) != ["arm64"]:
            problems.append(f"{name}: not arm64 (build-lambdas.sh builds arm64)")
    return problems


# What the Lambda target's rustflags in .cargo/config.toml must say: both `sam build`
# (through cargo-lambda) and build-lambdas.sh read them. Configured rustflags replace
# cargo-lambda's own default for arm64 (`-C target-cpu=neoverse-n1`), so they repeat it;
# `-no-pie` links the executables position-dependent (no relocations at a cold start).
LAMBDA_TARGET = "aarch64-unknown-linux-gnu"
LAMBDA_RUSTFLAGS = ("target-cpu=neoverse-n1", "link-arg=-no-pie")


def lambda_rustflags_problems() -> list[str]:
    """What is missing from the Lambda target's rustflags in .cargo/config.toml."""
    config_path = ROOT / ".cargo" / "config.toml"
    if not config_path.exists():
        return [f"{config_path.relative_to(ROOT)} is missing"]
    config = tomllib.loads(config_path.read_text())
    flags = config.get("target", {}).get(LAMBDA_TARGET, {}).get("rustflags", [])
    # Codegen options as rustc takes them: "-C", "x=y" or "-Cx=y".
    given = {flags[i + 1] for i, flag in enumerate(flags[:-1]) if flag == "-C"}
    given |= {flag[2:] for flag in flags if flag.startswith("-C") and len(flag) > 2}
    return [f"[target.{LAMBDA_TARGET}] rustflags lack -C {flag}" for flag in LAMBDA_RUSTFLAGS if flag not in given]


def main(argv: list[str]) -> int:
    template_path = Path(argv[1]).resolve() if len(argv) > 1 else DEFAULT_TEMPLATE
    template = yaml_parse(template_path.read_text())

    unheard = unheard_alarms(template)
    for line in unheard:
        print(f"alarm without actions: {line}", file=sys.stderr)
    if unheard:
        return 1
    mismatched = builds_sam_would_not_match(template) + lambda_rustflags_problems()
    for line in mismatched:
        print(f"build: {line}", file=sys.stderr)
    if mismatched:
        return 1

    try:
        translated = transform(prepare(template), {}, PolicyLoader())
    except Exception as exc:  # samtranslator raises InvalidDocumentException & co.
        causes = getattr(exc, "causes", None) or []
        print(f"SAM transform failed: {exc}", file=sys.stderr)
        for cause in causes:
            print(f"  - {getattr(cause, 'message', cause)}", file=sys.stderr)
        return 2

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(translated, indent=2, sort_keys=False) + "\n")
    print(f"translated: {OUT.relative_to(ROOT)} "
          f"({len(translated.get('Resources', {}))} CloudFormation resources)")

    total_errors = total_warnings = 0
    for path in (template_path, OUT):
        _, findings = cfn_lint(path)
        errors, warnings = show(path, findings)
        total_errors += errors
        total_warnings += warnings
        infos = len(findings) - errors - warnings
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"cfn-lint {rel}: {errors} error(s), {warnings} warning(s), {infos} informational")

    if total_errors or total_warnings:
        print(f"FAILED: {total_errors} error(s), {total_warnings} warning(s)", file=sys.stderr)
        return 1
    print("template OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
