"""The shipped resources (schemas, seeds, default plugins) are found wherever the packages are."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from clapboard_server.schema import resource_path

ROOT = Path(__file__).resolve().parents[2]
SHOW_SEED_PATH = "from clapboard_server.schema import resource_path; print(resource_path('seed', 'builtin.json'))"


def test_a_source_checkout_uses_its_resource_folder():
    assert resource_path("seed", "builtin.json") == ROOT / "resource" / "seed" / "builtin.json"
    assert sorted(path.name for path in resource_path("schema").glob("*.json")) == sorted(
        path.name for path in (ROOT / "resource" / "schema").glob("*.json")
    )


def test_an_installed_copy_finds_the_resources_inside_its_package(tmp_path):
    """As a wheel lays the files out (``pip install --target``): resource/ is clapboard_server.resource."""
    target = tmp_path / "target"
    shutil.copytree(ROOT / "source" / "clapboard_server", target / "clapboard_server")
    shutil.copytree(ROOT / "resource", target / "clapboard_server" / "resource")
    environment = dict(os.environ, PYTHONPATH=str(target))
    output = subprocess.run(
        [sys.executable, "-c", SHOW_SEED_PATH], env=environment, cwd=tmp_path, capture_output=True, text=True,
        check=True,
    ).stdout
    assert Path(output.strip()) == target / "clapboard_server" / "resource" / "seed" / "builtin.json"
