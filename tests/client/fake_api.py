"""A stand-in for the server in client and CLI unit tests: canned answers by route."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]

ADDRESS = "http://mp.test"
SHA = "3f2a" + "0" * 36


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message, "id": "x"}})


def build(
    status: str = "succeeded", sha: str = SHA, algorithm: str = "alice/digits"
) -> dict[str, Any]:
    return {
        "build_id": sha,
        "commit_sha": sha,
        "status": status,
        "started_at": "2026-11-21T17:00:00.000Z",
        "finished_at": None if status == "in-progress" else "2026-11-21T17:00:04.250Z",
        "resource_type": "algorithm_build",
        "algorithm": algorithm,
        "call_url": f"{ADDRESS}/v1/algo/{algorithm}/{sha}",
    }


class FakeApi:
    """``api.on("GET", "/v1/...", answer)``; a list of answers is served in turn."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> FakeApi:
        self.routes[(method, path)] = list(answers)
        return self

    def json(self, method: str, path: str, body: Any, status: int = 200) -> FakeApi:
        return self.on(method, path, httpx.Response(status, json=body))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path))
        if not answers:
            return error(404, "not_found", f"no route {request.method} {request.url.path}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request) if callable(answer) else answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def last(self, method: str | None = None, path: str | None = None) -> httpx.Request:
        for request in reversed(self.requests):
            if (method is None or request.method == method) and (
                path is None or request.url.path == path
            ):
                return request
        raise AssertionError(f"no {method} {path} request among {self.requests}")

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def body_json(request: httpx.Request) -> Any:
    return json.loads(request.content)
