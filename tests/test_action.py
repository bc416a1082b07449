"""The GitHub Action, run as the runner would run it: every step of action.yml in order, its `${{ }}` expressions
evaluated, `if:` conditions honoured, `run:` steps in bash with GITHUB_OUTPUT and GITHUB_ACTION_PATH, against
generated repositories. credscope is installed by the action's own install step into a fresh virtualenv (the
package index is needed, as on a runner). The two `uses:` steps are stood in for: setup-python by that
virtualenv's python on PATH, upload-sarif by checking the file it would upload."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import GIT_ENV, Repo, token

CHECKOUT = Path(__file__).resolve().parent.parent
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_TOKEN = re.compile(r"\s*(\|\||&&|==|!=|\(|\)|'(?:[^']|'')*'|[A-Za-z_][\w.-]*(?:\(\))?)")


@dataclass
class Run:
    """What the job did: each step's outcome and outputs, and everything it printed."""

    outcomes: dict[str, str] = field(default_factory=dict)  # step name -> success, failure, skipped
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> outputs
    log: str = ""
    uploaded: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return "failure" in self.outcomes.values()


def evaluate(expression: str, lookup: Callable[[str], str], failed: bool) -> str:
    """A GitHub expression of the forms action.yml uses: context paths, string literals, ==, !=, &&, ||, (),
    always(). Values are strings; "" and "false" are falsy, `a || b` is the first truthy, `a && b` the last."""
    tokens = [t for t in _TOKEN.findall(expression) if t]
    assert "".join(tokens) == re.sub(r"\s+", "", expression), f"unsupported expression: {expression}"
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def truthy(value: str) -> bool:
        return value not in ("", "false", "0")

    def atom() -> str:
        word = take()
        if word == "(":
            value = either()
            assert take() == ")"
            return value
        if word.startswith("'"):
            return word[1:-1].replace("''", "'")
        if word == "always()":
            return "true"
        if word in ("true", "false"):
            return word
        return lookup(word)

    def comparison() -> str:
        left = atom()
        while peek() in ("==", "!="):
            operator, right = take(), atom()
            equal = left.lower() == right.lower()
            left = "true" if equal == (operator == "==") else "false"
        return left

    def both() -> str:
        left = comparison()
        while peek() == "&&":
            take()
            right = comparison()
            left = right if truthy(left) else left
        return left

    def either() -> str:
        left = both()
        while peek() == "||":
            take()
            right = both()
            left = left if truthy(left) else right
        return left

    value = either()
    assert position == len(tokens), f"unparsed: {tokens[position:]}"
    return value


def run_action(workspace: Path, tmp_path: Path, venv: Path, inputs: dict[str, str], event: dict[str, Any]) -> Run:
    action = yaml.safe_load((CHECKOUT / "action.yml").read_text("utf-8"))
    given = {name: inputs.get(name, str(spec.get("default", ""))) for name, spec in action["inputs"].items()}
    assert set(inputs) <= set(given), f"not inputs of action.yml: {set(inputs) - set(given)}"
    run = Run()
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(parents=True, exist_ok=True)

    def lookup(path: str) -> str:
        parts = path.split(".")
        match parts:
            case ["inputs", name]:
                return given[name]
            case ["steps", step, "outputs", name]:
                return run.outputs.get(step, {}).get(name, "")
            case ["github", "event_name"]:
                return str(event["name"])
            case ["github", "event", *rest]:
                value: Any = event["payload"]
                for key in rest:
                    value = value.get(key, "") if isinstance(value, dict) else ""
                return str(value)
        raise AssertionError(f"unknown context {path}")

    def expand(text: str) -> str:
        return _EXPRESSION.sub(lambda found: evaluate(found.group(1), lookup, run.failed), text)

    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CREDSCOPE_"))},
        **GIT_ENV,
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "GITHUB_ACTION_PATH": str(CHECKOUT),
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_EVENT_NAME": str(event["name"]),
    }
    for number, step in enumerate(action["runs"]["steps"]):
        name = step.get("name") or step.get("uses")
        condition = step.get("if")
        if condition is not None:
            text = str(condition).strip()
            inner = _EXPRESSION.fullmatch(text)
            always = "always()" in text
            if (run.failed and not always) or evaluate(inner.group(1) if inner else text, lookup, run.failed) in (
                "",
                "false",
            ):
                run.outcomes[name] = "skipped"
                continue
        elif run.failed:
            run.outcomes[name] = "skipped"
            continue
        if "uses" in step:
            run.outcomes[name] = _stand_in(step, expand, workspace, run)
            continue
        output = tmp_path / f"output-{number}"
        output.write_text("")
        env = {**base_env, "GITHUB_OUTPUT": str(output)}
        env.update({key: expand(str(value)) for key, value in (step.get("env") or {}).items()})
        script = tmp_path / f"step-{number}.sh"
        script.write_text(expand(step["run"]))
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        run.log += f"--- {name} (exit {done.returncode})\n{done.stdout}{done.stderr}"
        run.outcomes[name] = "success" if done.returncode == 0 else "failure"
        if "id" in step:
            run.outputs[step["id"]] = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
    return run


def _stand_in(step: dict[str, Any], expand: Callable[[str], str], workspace: Path, run: Run) -> str:
    uses = str(step["uses"])
    if uses.startswith("actions/setup-python@"):
        return "success"  # the virtualenv's python is first on PATH
    if uses.startswith("github/codeql-action/upload-sarif@"):
        settings = {key: expand(str(value)) for key, value in step["with"].items()}
        sarif = json.loads((workspace / settings["sarif_file"]).read_text("utf-8"))
        assert sarif["version"] == "2.1.0"
        run.uploaded.append({"category": settings["category"], "results": sarif["runs"][0]["results"]})
        return "success"
    raise AssertionError(f"no stand-in for {uses}")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv: the action's install step installs credscope into it from this checkout."""
    path = tmp_path_factory.mktemp("action") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    return path


def _push() -> dict[str, Any]:
    return {"name": "push", "payload": {}}


@pytest.mark.slow
def test_a_push_with_an_account_token_fails_the_job_after_uploading_the_alerts(
    repo: Repo, tmp_path: Path, venv: Path
) -> None:
    repo.write("scripts/fix_domains.sh", f"#!/bin/sh\nRAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    repo.commit("release script")
    run = run_action(repo.path, tmp_path, venv, {}, _push())
    assert run.outcomes == {
        "actions/setup-python@v5": "success",
        "Install credscope": "success",
        "Take the configuration from the base branch": "skipped",  # not a pull request
        "Scan": "success",
        "Upload SARIF": "success",
        "Enforce the policy": "failure",
    }, run.log
    assert run.outputs["scan"] == {"exit-code": "1"}
    (uploaded,) = run.uploaded
    assert uploaded["category"] == "credscope"
    found = [(r["ruleId"], r["properties"]["severity"]) for r in uploaded["results"]]
    assert found == [("railway-token", "critical")]
    assert "::error::credscope: credentials at or above the fail-on threshold" in run.log


@pytest.mark.slow
def test_a_clean_push_passes_and_still_uploads(repo: Repo, tmp_path: Path, venv: Path) -> None:
    repo.write("README.md", "nothing to see\n")
    repo.commit("docs")
    run = run_action(repo.path, tmp_path, venv, {"fail-on": "any"}, _push())
    assert not run.failed, run.log
    assert run.outcomes["Enforce the policy"] == "skipped"
    assert run.outputs["scan"] == {"exit-code": "0"}
    assert [u["results"] for u in run.uploaded] == [[]]


@pytest.mark.slow
def test_a_pull_request_that_relaxes_its_own_gate_still_fails(repo: Repo, tmp_path: Path, venv: Path) -> None:
    """The pull request sets fail_on: none in its own configuration; the action gates with the base branch's."""
    repo.write("README.md", "app\n")
    base_sha = repo.commit("base").strip()
    repo.git("checkout", "-q", "-b", "pr")
    repo.write(".credscope.yaml", "fail_on: none\n")
    repo.write("deploy.sh", f"RAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    repo.commit("release script")
    origin = tmp_path / "origin.git"
    git_env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(origin)], check=True, env=git_env)
    subprocess.run(["git", "-C", str(origin), "config", "uploadpack.allowAnySHA1InWant", "true"], check=True)
    workspace = tmp_path / "workspace"  # as actions/checkout leaves it: shallow, the pull request's head
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "-b", "pr", origin.as_uri(), str(workspace)], check=True, env=git_env
    )
    event = {"name": "pull_request", "payload": {"pull_request": {"base": {"sha": base_sha}}}}
    run = run_action(workspace, tmp_path, venv, {}, event)
    assert run.outcomes["Take the configuration from the base branch"] == "success", run.log
    assert run.outputs["scan"] == {"exit-code": "1"}, run.log
    assert run.outcomes["Enforce the policy"] == "failure"
    # The same checkout gated with its own configuration would pass: that is what the base branch's prevents.
    own = run_action(workspace, tmp_path / "own", venv, {"config-from-base": "false"}, event)
    assert own.outputs["scan"] == {"exit-code": "0"} and not own.failed, own.log


def test_the_expression_subset() -> None:
    values = {"inputs.a": "", "inputs.b": "x", "steps.s.outputs.c": "1"}
    assert evaluate(" inputs.a || inputs.b ", values.__getitem__, False) == "x"
    assert evaluate("inputs.b == 'x' && steps.s.outputs.c != ''", values.__getitem__, False) == "true"
    assert evaluate("always() && (inputs.a == '0' || steps.s.outputs.c == '1')", values.__getitem__, False) == "true"
    assert evaluate("inputs.a != ''", values.__getitem__, False) == "false"
