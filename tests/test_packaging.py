"""The built wheel works on its own: installed into a fresh virtual environment outside the
checkout, run from another folder, it creates its database, serves pages and answers the API."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from certify.config import REPOSITORY

pytestmark = pytest.mark.slow

# Folders of the repository that the wheel carries inside the package (setup.cfg's package_dir).
MAPPED = {"templates": "certify/templates", "workflows": "certify/workflows"}
NOT_SHIPPED = ("__pycache__", ".pyc")


def _environment() -> dict:
    """This machine's environment without any certify setting or import path of the checkout:
    the installed package must find everything by itself."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CERTIFY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "FLASK_APP")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args, cwd, env, timeout=300) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _checkout_files() -> set[str]:
    """What a wheel must hold: every file of the package and of the mapped folders."""
    wanted = set()
    for path in (REPOSITORY / "certify").rglob("*"):
        if path.is_file() and not any(part in str(path) for part in NOT_SHIPPED):
            wanted.add(path.relative_to(REPOSITORY).as_posix())
    for folder, inside in MAPPED.items():
        for path in (REPOSITORY / folder).rglob("*"):
            if path.is_file():
                wanted.add(f"{inside}/{path.relative_to(REPOSITORY / folder).as_posix()}")
    return wanted


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist),
          str(REPOSITORY)], cwd=dist, env=_environment())
    (built,) = dist.glob("certify-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_package_templates_and_workflows(wheel):
    with zipfile.ZipFile(wheel) as archive:
        held = {name for name in archive.namelist() if name.startswith("certify/")}
    missing = _checkout_files() - held
    assert not missing, f"left out of the wheel: {sorted(missing)}"


def test_installed_wheel_runs_from_another_folder(wheel, tmp_path):
    env = _environment()
    root = tmp_path / "venv"
    venv.create(root, with_pip=True)
    python = root / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    flask = [str(root / "bin" / "flask"), "--app", "certify"]

    # The instance folder of an installed package is Flask's <prefix>/var/certify-instance.
    assert "up to date" in _run([*flask, "init-db"], cwd=elsewhere, env=env)
    instance = root / "var" / "certify-instance"
    assert (instance / "certify.sqlite3").is_file()
    assert not list(elsewhere.iterdir()), "the installed app wrote into the working folder"
    password = secrets.token_urlsafe(18)
    _run([*flask, "create-admin", "quan-tri", "--password", password], cwd=elsewhere, env=env)

    server = subprocess.Popen([str(root / "bin" / "waitress-serve"), "--host", "127.0.0.1",
                               "--port", "0", "--call", "certify:create_app"],
                              cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = _served_at(server)
        status, page = _request(f"{base}/")
        assert status == 200 and "Công nhận danh hiệu học tập" in page
        # The English catalogue travelled too.
        status, page = _request(f"{base}/", headers={"Cookie": "lang=en"})
        assert status == 200 and "Sign in" in page
        status, css = _request(f"{base}/static/app.css")
        assert status == 200 and css
        status, body = _request(f"{base}/api/v1/auth/token",
                                {"username": "quan-tri", "password": password})
        assert status == 200, body
        token = json.loads(body)["token"]
        # The rules come from the workflow files inside the installed package.
        status, body = _request(f"{base}/api/v1/titles",
                                headers={"Authorization": f"Bearer {token}"})
        assert status == 200, body
        codes = {title["code"] for title in json.loads(body)}
        assert codes == {p.stem for p in (REPOSITORY / "workflows").glob("*.yaml")}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _served_at(server: subprocess.Popen) -> str:
    """waitress names the port it bound (asked for port 0: any free one)."""
    lines = []
    for line in server.stdout:
        lines.append(line)
        found = re.search(r"Serving on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return found.group(1)
    raise AssertionError("waitress did not start:\n" + "".join(lines))


def _request(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={
        **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310 - local http
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
