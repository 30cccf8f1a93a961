"""A minimal client for `safeclaw serve` (standard library only).

It talks to the Unix socket in safeclaw's state directory, or to
SAFECLAW_URL (e.g. http://127.0.0.1:7878, from `safeclaw serve --listen`)
with the bearer token in SAFECLAW_TOKEN. decide() never raises: any
failure to get a decision is a deny.
"""

import http.client
import json
import os
import socket
import urllib.parse


def _socket_path() -> str:
    if os.environ.get("SAFECLAW_SOCKET"):
        return os.environ["SAFECLAW_SOCKET"]
    if os.environ.get("SAFECLAW_HOME"):
        return os.path.join(os.environ["SAFECLAW_HOME"], "state", "serve.sock")
    state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return os.path.join(state, "safeclaw", "serve.sock")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def call(method: str, path: str, body=None, timeout: float = 300.0):
    """Sends one request; returns (HTTP status, decoded JSON body)."""
    url = os.environ.get("SAFECLAW_URL")
    if url:
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    else:
        conn = _UnixConnection(_socket_path(), timeout)
    headers = {"Content-Type": "application/json"}
    if os.environ.get("SAFECLAW_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["SAFECLAW_TOKEN"]
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def denied(why: str) -> dict:
    return {"result": {"decision": "deny", "reason": why, "rule": None, "ask": None}, "message": "Denied: " + why}


def decide(tool: str, args: dict, agent: str = "python-agent", **extra) -> dict:
    """Asks safeclaw about one tool call. A shell tool is sent as a command
    (safeclaw analyses it); any other tool by name and arguments (unknown
    names are denied unless the policy allows tool.<name>)."""
    if tool in ("run_shell", "shell", "terminal") and isinstance(args.get("command"), str):
        body = {"command": args["command"]}
    else:
        body = {"tool": tool, "input": args}
    body.update(agent=agent, cwd=os.getcwd(), **extra)
    try:
        status, answer = call("POST", "/v1/decide", body)
    except Exception as err:  # unreachable, timeout, bad JSON: deny
        return denied(f"safeclaw is unreachable ({err})")
    decision = (answer or {}).get("result", {}).get("decision")
    if status != 200 or decision not in ("allow", "deny", "ask"):
        return denied((answer or {}).get("message") or f"safeclaw answered HTTP {status}")
    return answer


def wait_for_person(approval_id: str) -> bool:
    """Long-polls an approval request until a person answers it (or it
    expires); True when approved."""
    while approval_id:
        try:
            status, ap = call("GET", f"/v1/approvals/{urllib.parse.quote(approval_id)}?wait=60s")
        except Exception:
            return False
        if status != 200:
            return False
        if ap["decision"] != "ask":
            return ap["decision"] == "allow"
    return False
