"""Real gunicorn for the deployment tests: the production settings (deploy/gunicorn.conf.py) on a
free port of 127.0.0.1, every line it prints kept, and an HTTP client with a cookie jar."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from certify.config import REPOSITORY

GUNICORN = Path(sys.executable).parent / "gunicorn"
FLASK = Path(sys.executable).parent / "flask"
CONFIG = REPOSITORY / "deploy" / "gunicorn.conf.py"
# Each access-log line names the worker (its pid) that served the request.
ACCESS_FORMAT = "worker=%(p)s %(m)s %(U)s%(q)s %(s)s"


def environment(folder: Path, **settings) -> dict:
    """This machine's environment without its certify settings, plus `settings` as CERTIFY_*:
    the instance folder, a secret key and gunicorn's control socket inside `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTIFY_")}
    env.update(CERTIFY_INSTANCE_PATH=str(folder / "instance"), CERTIFY_BIND="127.0.0.1:0",
               CERTIFY_SECRET_KEY=secrets.token_hex(32), XDG_RUNTIME_DIR=str(folder))
    env.update({f"CERTIFY_{name}": str(value) for name, value in settings.items()})
    return env


def flask(env: dict, *args: str) -> str:
    """A `flask --app certify` command; its output, or the test fails with it."""
    done = subprocess.run([str(FLASK), "--app", "certify", *args], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class Gunicorn:
    """gunicorn started with the production config; `url` once it listens, `output` so far."""

    def __init__(self, env: dict, *args: str):
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(CONFIG), "--access-logfile", "-",
             "--access-logformat", ACCESS_FORMAT, *args],
            cwd=env["XDG_RUNTIME_DIR"], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        # Read all the time: a full pipe would block the workers' logging.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._listening()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def _listening(self, patience: float = 60) -> str | None:
        """The address gunicorn reports; None when it exits first."""
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line)
                if found:
                    return found.group(1)
            if self.process.poll() is not None:
                self._reader.join(timeout=10)
                return None
            time.sleep(0.1)
        raise AssertionError("gunicorn did not start:\n" + self.output)

    def wait_for(self, text: str, count: int = 1, patience: float = 60) -> None:
        """Until `text` has been printed `count` times (e.g. every worker booted)."""
        deadline = time.monotonic() + patience
        while self.output.count(text) < count:
            assert self.process.poll() is None, "gunicorn stopped:\n" + self.output
            assert time.monotonic() < deadline, f"no {count} × {text!r}:\n" + self.output
            time.sleep(0.1)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def exit_code(self, patience: float = 60) -> int:
        code = self.process.wait(timeout=patience)
        self._reader.join(timeout=10)
        return code

    def workers_serving(self, marker: str) -> set[str]:
        """The workers (pids) whose access-log lines contain `marker`."""
        return {m.group(1) for line in list(self.lines) if marker in line
                for m in [re.search(r"worker=<?(\d+)>?", line)] if m}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._reader.join(timeout=10)


class Browser:
    """An HTTP client with its own cookies (a session), following redirects like a browser."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, method: str, path: str, *, form: dict | None = None,
                json_body: dict | None = None, headers: dict | None = None):
        """(status, final URL, body text)."""
        headers = dict(headers or {})
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers,
                                         method=method)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.request("POST", path, **kw)


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)
