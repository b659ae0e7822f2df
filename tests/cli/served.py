"""`byon emulator` as the CLI tests meet it: one process per seed and test worker, reset
to a fresh account before each test that takes it.

Starting the process costs about half a second of CPU (Python, aiohttp, the SIP edge); a
reset (`POST /__emulator__/reset`, emulator.md) gives the same fresh account, log, clock
and faults, so each test still starts from an untouched account.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field

import httpx

from tests.pipes import read_line
from tests.runner import run_byon, start_byon


@dataclass
class Served:
    """A running `byon emulator` and a way to talk to its control surface."""

    proc: subprocess.Popen
    api_url: str
    auth_id: str
    auth_token: str
    seed: str | None = None
    # one client for the control surface: a new one per call would load the CA bundle
    # each time (about 35 ms of CPU), and the tests make hundreds of these calls
    http: httpx.Client | None = field(default=None, repr=False)

    @classmethod
    def start(cls, seed: str | None = None) -> Served:
        args = ["emulator", "--port", "0"] + (["--seed", seed] if seed else [])
        # stderr (a line per request) goes to a file: a pipe nobody reads would fill up
        with tempfile.TemporaryFile() as err:
            proc = start_byon(*args, stdout=subprocess.PIPE, stderr=err, text=True)
            info = json.loads(read_line(proc, errfile=err))
        return cls(proc, info["api_url"], info["auth_id"], info["auth_token"], seed)

    def reset(self) -> None:
        self.control("POST", "reset", {"seed": self.seed})

    def control(self, method: str, what: str, body: dict | None = None) -> dict:
        if self.http is None:
            self.http = httpx.Client(auth=(self.auth_id, self.auth_token), timeout=30)
        resp = self.http.request(method, f"{self.api_url}/__emulator__/{what}", json=body)
        resp.raise_for_status()
        return resp.json()

    def log(self) -> list[dict]:
        return self.control("GET", "log")["requests"]

    def writes(self) -> list[dict]:
        return [r for r in self.log() if r["method"] != "GET"]

    def state(self) -> dict:
        return self.control("GET", "state")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PLIVO_", "BYON_"))}
        env.update(
            PLIVO_AUTH_ID=self.auth_id,
            PLIVO_AUTH_TOKEN=self.auth_token,
            PLIVO_API_URL=self.api_url,
            # the test's own state dir (journals, locks), shared with this process
            BYON_STATE_DIR=os.environ["BYON_STATE_DIR"],
        )
        env.update(extra)
        return env

    def byon(self, *args: str, stdin: int | None = subprocess.DEVNULL, **env: str):
        """`byon ARGS` against this emulator (this checkout's code, see tests/runner.py)."""
        assert self.auth_token not in " ".join(args)
        return run_byon(*args, env=self.env(**env), stdin=stdin)

    def stop(self) -> None:
        if self.http is not None:
            self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Emulators:
    """This worker's emulators, one per seed, each reset before it is handed out."""

    def __init__(self) -> None:
        self.running: dict[str | None, Served] = {}

    def fresh(self, seed: str | None = None) -> Served:
        served = self.running.get(seed)
        if served is None or served.proc.poll() is not None:
            served = self.running[seed] = Served.start(seed)
        else:
            served.reset()
        return served

    def stop(self) -> None:
        for served in self.running.values():
            served.stop()
        self.running.clear()
