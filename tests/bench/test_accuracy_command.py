"""``eventlens bench accuracy`` end to end on a few people of the dev set, and the product never
importing the benchmark package."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlens.cli import app

SRC = Path(__file__).resolve().parents[2] / "src" / "eventlens"
PEOPLE = {"Angelina_Jolie": 5, "Barack_Obama": 3, "Joe_Biden": 2}
GROUP = "groups/voc_2007_007763.jpg"


def tiny_dataset(source: Path, target: Path) -> Path:
    """Three people, one annotated group photo, one photo without a face; Biden's last "photo" is a
    brick wall, so there is always a missed photo for the contact sheet."""
    for person, count in PEOPLE.items():
        folder = target / "identities" / person
        folder.mkdir(parents=True)
        for n in range(1, count + 1):
            shutil.copy(source / "identities" / person / f"{n}.jpg", folder / f"{n}.jpg")
    shutil.copy(source / "nofaces" / "skimage_brick.png", target / "identities" / "Joe_Biden" / "3.png")
    (target / "groups").mkdir()
    shutil.copy(source / GROUP, target / GROUP)
    (target / "nofaces").mkdir()
    shutil.copy(source / "nofaces" / "skimage_brick.png", target / "nofaces" / "brick.png")
    rows = (source / "FACE_BOXES.tsv").read_text().splitlines()
    (target / "FACE_BOXES.tsv").write_text(
        "\n".join([rows[0], *(r for r in rows if r.startswith(GROUP))]) + "\n"
    )
    return target


def test_accuracy_command_prints_every_measure_and_writes_a_report(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tiny_dataset(dataset, tmp_path / "data")
    report = tmp_path / "report"
    monkeypatch.setenv("EVENTLENS_FACE_ENGINE", "yunet-sface")  # restored after the test
    monkeypatch.setenv("COLUMNS", "160")  # rich tables: whole names, unwrapped titles
    result = CliRunner().invoke(
        app,
        ["bench", "accuracy", "--dataset", str(data), "--engine", "yunet-sface", "--report", str(report)],
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in ("At the engine's thresholds", "Cross-validation", "Several selfies", "Per face width"):
        assert heading in out
    assert "Look-alikes" in out and "Barack_Obama" in out
    assert "time per photo" in out and "search median" in out
    # Seven annotated faces of the group photo are counted in the detection column.
    assert sum(int(part.split("/")[1].rstrip(")")) for part in _detected(out)) == 7

    page = report / "index.html"
    html = page.read_text(encoding="utf-8")
    root = ET.fromstring(html)  # noqa: S314 (our own output)
    for element in root.iter():
        for name in ("src", "href"):
            assert not element.get(name, "").startswith(("http:", "https:", "//")), "no external asset"
    ns = {"h": "http://www.w3.org/1999/xhtml", "s": "http://www.w3.org/2000/svg"}
    assert len(root.findall(".//s:svg", ns)) == 2
    images = [img.get("src", "") for img in root.findall(".//h:img", ns)]
    assert any(src for src in images), "the missed brick-wall photo must be on a contact sheet"
    for src in images:
        assert not src.startswith(("/", "http")) and (report / src).is_file()
    captions = " ".join("".join(f.itertext()) for f in root.findall(".//h:figcaption", ns))
    assert "identities/Joe_Biden/3.png: no face found" in captions


def _detected(out: str) -> list[str]:
    """The "(found/total)" cells of the detection column of the per-width table."""
    rows = [line for line in out.splitlines() if line.startswith("│") and ("px" not in line)]
    cells = []
    for line in rows:
        parts = [p.strip() for p in line.strip("│").split("│")]
        if len(parts) == 4 and parts[0] in {"<24", "24-40", "40-64", "64-96", ">=96"}:
            cells.append(parts[1].split(" ")[-1])
    return cells


def test_only_the_cli_loads_the_benchmark_package_and_only_inside_a_command() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if "bench" in path.relative_to(SRC).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nested = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for n in ast.walk(f)}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            inside_the_command = path.name == "cli.py" and id(node) in nested
            if any(n.startswith("eventlens.bench") for n in names) and not inside_the_command:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, eventlens.app, eventlens.cli, eventlens.ftp.gateway; "
            "print(sorted(m for m in sys.modules if m.startswith('eventlens.bench')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC.parent), "PATH": "/usr/bin:/bin"},
    )
    assert loaded.stdout.strip() == "[]"
