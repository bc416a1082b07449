"""The audit reports: HTML rendered in a real headless Chromium, and Markdown; both ranked, neither leaks a secret."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from credscope.model import Severity

from helpers import Repo, plant, run_cli

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
RANK = {s.value: s.rank for s in Severity}


@pytest.fixture(scope="session")
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "chromium is not installed (tests/run.sh installs it: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def generated(repo: Repo) -> tuple[Repo, list[str], list[dict[str, object]]]:
    """A repository with critical, medium and low credentials; its secrets and its JSON findings."""
    files = {
        "app.py": 'import os\n\nGITHUB_TOKEN = "{{github:ghp}}"\n',
        "scripts/deploy.sh": (
            "#!/bin/sh\nexport AWS_ACCESS_KEY_ID={{aws:akia}}\nexport AWS_SECRET_ACCESS_KEY={{aws-secret}}\n"
        ),
        "config/settings.yaml": "stripe:\n  secret_key: {{stripe:sk_live}}\n",
        "billing/<charge>.py": 'STRIPE_KEY = "{{stripe:sk_live}}"\n',
        ".env": "DATABASE_URL={{postgres}}\nGH_TOKEN={{github:ghp}}\n",
    }
    values = plant(repo, files)
    repo.write(".gitignore", ".env\n")
    repo.commit("init", *[p for p in files if p != ".env"], ".gitignore")
    report = run_cli("scan", ".", "--format", "json", "--fail-on", "any", cwd=repo.path).json()
    findings = report["findings"]
    assert isinstance(findings, list)
    return repo, values, findings


def _no_secret(text: str, values: list[str]) -> None:
    for value in values:
        assert value not in text
        if "://" in value:
            assert value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1] not in text
        else:
            middle = value[6:-2]
            assert not any(middle[i : i + 10] in text for i in range(len(middle) - 9))


class _Articles(HTMLParser):
    """Collects each credential <article>'s attributes and visible text from the rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.articles: list[dict[str, str]] = []
        self.ids: set[str] = set()
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "article":
            self.articles.append({k: v or "" for k, v in found.items()} | {"text": ""})
            self._depth = 1
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth and self.articles:
            self.articles[-1]["text"] += data


def test_html_report_renders_in_chromium(
    generated: tuple[Repo, list[str], list[dict[str, object]]], chromium: str, tmp_path: Path
) -> None:
    repo, values, findings = generated
    report = tmp_path / "report.html"
    done = run_cli("scan", ".", "--format", "html", "--fail-on", "any", "--output", str(report), cwd=repo.path)
    assert done.exit_code == 1, done.stderr
    html = report.read_text("utf-8")
    _no_secret(html, values)
    # Self-contained: nothing that could make the browser fetch anything.
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "@font-face"):
        assert forbidden not in html.lower()
    assert "default-src 'none'" in html
    assert "@media print" in html

    profile = tmp_path / "profile"
    flags = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*flags, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=180, check=False
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = _Articles()
    parsed.feed(dom.stdout)
    assert {"summary", "by-provider", "by-reach", "credentials", "verdict", "scan"} <= parsed.ids

    credentials: dict[str, list[dict[str, object]]] = {}
    for finding in findings:
        credentials.setdefault(str(finding["fingerprint"]), []).append(finding)
    # Every credential is there, once, with its preview, fingerprint and every location; most severe first.
    assert sorted(a["data-fingerprint"] for a in parsed.articles) == sorted(credentials)
    ranks = [RANK[a["data-severity"]] for a in parsed.articles]
    assert ranks == sorted(ranks, reverse=True)
    for article in parsed.articles:
        places = credentials[article["data-fingerprint"]]
        text = article["text"]
        assert article["data-severity"] == places[0]["severity"]
        assert str(places[0]["preview"]) in text
        assert article["data-fingerprint"] in text
        for place in places:
            assert f"{place['path']}:{place['line']}:{place['column']}" in text
        assert "Fix:" in text
    # The summary counts what the JSON report counts.
    by_severity = {s.value: 0 for s in Severity}
    for places in credentials.values():
        by_severity[str(places[0]["severity"])] += 1
    for severity, count in by_severity.items():
        assert re.search(rf'id="count-{severity}"><span class="n">{count}</span>', dom.stdout), severity
    assert re.search(rf'id="count-credentials"><span class="n">{len(credentials)}</span>', dom.stdout)
    assert "billing/&lt;charge&gt;.py:1:" in dom.stdout  # escaped, not markup

    shot = tmp_path / "report.png"
    screenshot = subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,2200", "--hide-scrollbars", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert screenshot.returncode == 0, screenshot.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    keep = os.environ.get("CREDSCOPE_KEEP_SCREENSHOT")
    if keep:  # for a person to look at: CREDSCOPE_KEEP_SCREENSHOT=/tmp/report.png
        shutil.copyfile(shot, keep)


def test_markdown_report(generated: tuple[Repo, list[str], list[dict[str, object]]]) -> None:
    repo, values, findings = generated
    done = run_cli("scan", ".", "--format", "markdown", "--fail-on", "any", cwd=repo.path)
    assert done.exit_code == 1, done.stderr
    text = done.stdout
    _no_secret(text, values)
    credentials: dict[str, list[dict[str, object]]] = {}
    for finding in findings:
        credentials.setdefault(str(finding["fingerprint"]), []).append(finding)
    headings = re.findall(r"^### (\d+)\. ([A-Z]+) — (\S+) (\S+)$", text, flags=re.MULTILINE)
    assert [int(n) for n, *_ in headings] == list(range(1, len(credentials) + 1))
    ranks = [RANK[severity.lower()] for _, severity, _, _ in headings]
    assert ranks == sorted(ranks, reverse=True)
    for fingerprint, places in credentials.items():
        assert f"- secret: `{places[0]['preview']}` · fingerprint `{fingerprint}`" in text
        for place in places:
            path = str(place["path"]).replace("<", "\\<").replace(">", "\\>")
            assert f"| `{place['path']}:{place['line']}:{place['column']}` | {place['reach']} |" in text, path
    by_severity = {s.value: 0 for s in Severity}
    for places in credentials.values():
        by_severity[str(places[0]["severity"])] += 1
    for severity, count in by_severity.items():
        assert f"| {severity} | {count} |" in text
    destructive = sum(1 for places in credentials.values() if places[0]["destructive"])
    assert f"**{len(credentials)}** credential(s) in {len(findings)} place(s); **{destructive}** can destroy" in text
    assert json.dumps(text)  # plain text, nothing binary


def _colour_columns(png: Path, colour: str) -> tuple[int, int, int]:
    """The leftmost and rightmost x of the pixels of exactly `colour`, and how many there are."""
    from PIL import Image

    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    image = Image.open(png).convert("RGB")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    xs = [x for y in range(0, height, 2) for x in range(width) if pixels[x, y] == wanted]
    return (min(xs), max(xs), len(xs)) if xs else (-1, -1, 0)


def test_the_blast_radius_is_drawn_across_the_page_and_prints(repo: Repo, chromium: str, tmp_path: Path) -> None:
    """Reachable from → credential → what it can destroy, as inline SVG: the incident's Railway account token in a
    tracked script and its project token in a gitignored .env, with what each can destroy; a classic GitHub PAT
    whose scope is unknown points at what it may be able to do (dashed)."""
    from credscope.report.blast import ACTION_FILL, SOURCE_FILL

    values = plant(
        repo,
        {
            "scripts/fix_domains.sh": "#!/bin/sh\nRAILWAY_API_TOKEN={{uuid4}}\n",
            ".env": "RAILWAY_TOKEN={{uuid4}}\nGH_TOKEN={{github:ghp}}\n",
        },
    )
    repo.write(".gitignore", ".env\n")
    repo.commit("init", "scripts/fix_domains.sh", ".gitignore")
    report = tmp_path / "report.html"
    done = run_cli("scan", ".", "--format", "html", "--output", str(report), cwd=repo.path)
    assert done.exit_code == 1, done.stderr
    html = report.read_text("utf-8")
    _no_secret(html, values)
    svg = html[html.index('<svg id="blast-radius"') : html.index("</svg>")]
    nodes = re.findall(r'<g class="node col(\d)">.*?>([^<>]*)</text></g>', svg)
    assert ("0", "scripts/fix_domains.sh [tracked]") in nodes and ("0", ".env [ignored]") in nodes
    assert ("1", "CRITICAL railway account-token") in nodes and ("1", "HIGH railway project-token") in nodes
    assert ("1", "HIGH github personal-access-token") in nodes
    assert ("2", "railway:volumeDelete") in nodes and ("2", "may: github:delete_repo") in nodes
    assert 'stroke-dasharray="6 4"' in svg  # the "may" edges

    profile = tmp_path / "profile"
    flags = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    for width in (1200, 800):
        shot = tmp_path / f"blast-{width}.png"
        taken = subprocess.run(
            [*flags, f"--screenshot={shot}", f"--window-size={width},1800", "--hide-scrollbars", report.as_uri()],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert taken.returncode == 0, taken.stderr[-2000:]
        left, _, sources = _colour_columns(shot, SOURCE_FILL)
        _, right, actions = _colour_columns(shot, ACTION_FILL)
        assert sources > 500 and actions > 500, (sources, actions)
        # The picture spans the page's content width: sources at the left edge, actions at the right.
        assert left < 0.1 * width and right > 0.9 * width, (width, left, right)
        keep = os.environ.get("CREDSCOPE_KEEP_SCREENSHOT")
        if keep and width == 1200:
            shutil.copyfile(shot, Path(keep).with_name("blast-radius.png"))
    pdf = tmp_path / "report.pdf"
    printed = subprocess.run(
        [*flags, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
