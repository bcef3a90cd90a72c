#!/usr/bin/env python3
"""Vendor test servers for tokenshim's end-to-end tests.

Emulates the login APIs described in shared VENDORS.md, on a loopback port,
and records what it received so that tests can assert on the wire:

  GET  /_ts/stats      {"logins": N, "login_failures": N, "releases": N, ...}
  GET  /_ts/requests   every request received: method, path, headers, body
  POST /_ts/expire     invalidates every token issued so far
  POST /_ts/fail?n=N&status=S   answers the next N logins with HTTP S
  POST /_ts/next-token?value=V  the next login issues V as its token

Vendors:
  netbrain  /ServicesAPI/API/V1/Session (POST login, DELETE logout),
            /ServicesAPI/API/V1/Session/CurrentDomain (PUT),
            /ServicesAPI/API/V1/CMDB/... (needs a token and a domain),
            anything else under /ServicesAPI/API/ needs a token.
  /public/... answers anyone, for requests that must carry no token.

Usage: vendors.py --port-file FILE [--user NAME:PASSWORD] [--tenant T
       --domain D] [--login-delay SECONDS] [--blackhole]
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

NB = "/ServicesAPI/API"
NB_OK = 790200


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.users = dict(u.split(":", 1) for u in args.user)
        self.tokens = {}          # token -> {"user":..., "domain": bool}
        self.stats = {"logins": 0, "login_failures": 0, "releases": 0,
                      "domain_changes": 0, "rejected": 0}
        self.requests = []
        self.fail_next = 0
        self.fail_status = 503
        self.next_token = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vendor-emulator"

    def log_message(self, fmt, *a):
        pass

    # -- plumbing ---------------------------------------------------------
    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, obj=None, ctype="application/json", raw=None):
        data = raw if raw is not None else (
            b"" if obj is None else json.dumps(obj).encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _record(self, body):
        st = self.server.st
        with st.lock:
            st.requests.append({
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
            })

    def _json(self, body):
        try:
            v = json.loads(body or b"null")
            return v if isinstance(v, dict) else None
        except ValueError:
            return None

    def _handle(self):
        st = self.server.st
        body = self._body()
        url = urlsplit(self.path)
        if url.path.startswith("/_ts/"):
            return self._control(url, st)
        self._record(body)
        if url.path.startswith("/public/"):
            return self._send(200, {"public": True})
        if url.path.startswith(NB + "/"):
            return self._netbrain(url.path[len(NB):], body, st)
        self._send(404, {"error": "no such path"})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = \
        lambda self: self._handle()

    def _control(self, url, st):
        q = parse_qs(url.query)
        with st.lock:
            if url.path == "/_ts/stats":
                return self._send(200, dict(st.stats))
            if url.path == "/_ts/requests":
                return self._send(200, list(st.requests))
            if url.path == "/_ts/expire":
                st.tokens.clear()
                return self._send(200, {"expired": True})
            if url.path == "/_ts/fail":
                st.fail_next = int(q.get("n", ["1"])[0])
                st.fail_status = int(q.get("status", ["503"])[0])
                return self._send(200, {"fail_next": st.fail_next})
            if url.path == "/_ts/next-token":
                st.next_token = q.get("value", [""])[0]
                return self._send(200, {"next_token": True})
        self._send(404, {"error": "no such control"})

    # -- NetBrain ---------------------------------------------------------
    def _nb_session(self, st):
        tok = self.headers.get("token")
        with st.lock:
            return tok, st.tokens.get(tok) if tok else None

    def _netbrain(self, path, body, st):
        if path == "/V1/Session" and self.command == "POST":
            if st.args.login_delay:
                time.sleep(st.args.login_delay)
            with st.lock:
                if st.fail_next > 0:
                    st.fail_next -= 1
                    return self._send(st.fail_status,
                                      raw=b"<html>upstream busy</html>",
                                      ctype="text/html")
            req = self._json(body)
            if req is None:
                return self._send(400, {"statusCode": 791000,
                                        "statusDescription": "Invalid JSON."})
            user, pw = req.get("username"), req.get("password")
            with st.lock:
                if user not in st.users or st.users[user] != pw:
                    st.stats["login_failures"] += 1
                    return self._send(200, {
                        "statusCode": 795000,
                        "statusDescription": "Invalid username or password."})
                tok = st.next_token or str(uuid.uuid4())
                st.next_token = None
                st.tokens[tok] = {"user": user, "domain": False,
                                  "auth_id": req.get("authentication_id")}
                st.stats["logins"] += 1
            return self._send(200, {"token": tok, "statusCode": NB_OK,
                                    "statusDescription": "Success."})

        tok, sess = self._nb_session(st)
        if sess is None:
            with st.lock:
                st.stats["rejected"] += 1
            return self._send(401, {"statusCode": 795005 if tok else 795004,
                                    "statusDescription": "Invalid token." if tok
                                    else "Session expired."})
        if path == "/V1/Session" and self.command == "DELETE":
            with st.lock:
                st.tokens.pop(tok, None)
                st.stats["releases"] += 1
            return self._send(200, {"statusCode": NB_OK,
                                    "statusDescription": "Success."})
        if path == "/V1/Session/CurrentDomain" and self.command == "PUT":
            req = self._json(body) or {}
            if req.get("tenantId") != st.args.tenant:
                return self._send(200, {"statusCode": 791004,
                                        "statusDescription": "Invalid tenant."})
            if req.get("domainId") != st.args.domain:
                return self._send(200, {"statusCode": 791005,
                                        "statusDescription": "Invalid domain."})
            with st.lock:
                sess["domain"] = True
                st.stats["domain_changes"] += 1
            return self._send(200, {"statusCode": NB_OK,
                                    "statusDescription": "Success."})
        if path.startswith("/V1/CMDB/"):
            if not sess["domain"]:
                return self._send(200, {
                    "statusCode": 791006,
                    "statusDescription": "Please set a working domain first."})
            return self._send(200, {"statusCode": NB_OK,
                                    "devices": [{"name": "core-sw1"},
                                                {"name": "edge-rt2"}]})
        return self._send(200, {"statusCode": NB_OK, "path": path})


def blackhole(port_file):
    """Accepts connections at the TCP level and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    write_port(port_file, s.getsockname()[1])
    while True:
        time.sleep(3600)


def write_port(port_file, port):
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, port_file)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--tenant", default="T1")
    ap.add_argument("--domain", default="D1")
    ap.add_argument("--login-delay", type=float, default=0)
    ap.add_argument("--blackhole", action="store_true")
    args = ap.parse_args()
    if args.blackhole:
        return blackhole(args.port_file)
    if not args.user:
        args.user = ["admin:s3cret"]
    srv = ThreadingHTTPServer((args.bind, 0), Handler)
    srv.daemon_threads = True
    srv.st = State(args)
    write_port(args.port_file, srv.server_address[1])
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
