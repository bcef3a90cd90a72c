#!/usr/bin/env python3
"""Vendor test servers for tokenshim's end-to-end tests.

Emulates the login APIs described in shared VENDORS.md, on a loopback port,
and records what it received so that tests can assert on the wire:

  GET  /_ts/stats      {"logins": N, "login_failures": N, "releases": N, ...}
  GET  /_ts/requests   every request received: method, path, headers, body
  POST /_ts/expire     invalidates every token issued so far
  POST /_ts/fail?n=N&status=S   answers the next N logins with HTTP S
  POST /_ts/next-token?value=V  the next login issues V as its token (or
                                the request body, for a long V)
  POST /_ts/next-answer?status=S  the next login answers the request body,
                                as JSON, with HTTP S (200)
  POST /_ts/forget-refresh      every refresh token issued is refused
  POST /_ts/huge                the next login answers 2 MiB of JSON
  POST /_ts/reject-all?on=1|0   NetBrain refuses every token (HTTP 401)
  ?delay=SECONDS on any other request: the answer waits that long
  ?answer=TEXT on any other request: a 200 with TEXT as its body
  ?refuse=1 on any other request: a 401, whatever the token
  ?redirect_to=URL: a 302 to URL
  /to/HOST:PORT/REST: a 302 to http://HOST:PORT/REST, with the query
  ?redirect_keep=URL: a 301 to URL with the rest of the query, as it came
  /qs/...   needs a NetBrain token in the query (?token=X)
  /dns-query  DNS over HTTPS: every name is 127.0.0.1

Vendors:
  netbrain  /ServicesAPI/API/V1/Session (POST login, DELETE logout),
            /ServicesAPI/API/V1/Session/CurrentDomain (PUT),
            /ServicesAPI/API/V1/CMDB/... (needs a token and a domain),
            .../NAME.geojson answers a small GeoJSON dataset (with a token),
            anything else under /ServicesAPI/API/ needs a token.
  resolve   /oauth/token (form; password and rotating refresh_token grants),
            /api/... needs "Authorization: Bearer X".
  automation-anywhere  /v1|v2/authentication (JSON; apiKey or password),
            .../authentication/token (renew), .../authentication/logout;
            a new login of a user without multipleLogin kills older tokens;
            other /v1/, /v2/ paths need "X-Authorization: X".
  idscan    /idscanenterprisesvc/token (form; area scanning|investigation),
            upload paths need a scanning token, JourneyDefinition and
            journey/get paths an investigation token, sent as
            "Authorization: X" (never Bearer) or "Cookie: token=X"; paths
            compare without case, as on IIS.
  vrops     /suite-api/api/auth/token/acquire|release; other /suite-api/api
            paths need "Authorization: vRealizeOpsToken X" (or OpsToken X),
            and each use slides the token's validity.
  portal    /ServicesAPI/API/V1/portal-auth-ticket (with a NetBrain token),
            /portal/i/{id}?token=TICKET, each ticket good once.
  oauth2    /oauth2/token (client_credentials, password, refresh_token;
            client auth basic or body), /oauth2-api/... needs Bearer.
  git       /git/dumb/REPO/... (static files, the dumb HTTP protocol) and
            /git/smart/REPO/... (git http-backend) from --git-root; both
            need a NetBrain token in the "token" header.
  /public/... answers anyone, for requests that must carry no token.
  Any path with ?redirect_to=URL answers 302 to URL (after recording it).

Usage: vendors.py --port-file FILE [--user NAME:PASSWORD] [--tenant T
       --domain D] [--login-delay SECONDS] [--blackhole] [--max-sessions N]
"""
import argparse
import base64
import json
import os
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

NB = "/ServicesAPI/API"
NB_OK = 790200


# a dataset for GDAL's /vsicurl/
GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "core-sw1"},
     "geometry": {"type": "Point", "coordinates": [8.5, 47.4]}}]}

class State:
    def __init__(self, args):
        self.login_serial = threading.Lock()
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
        self.huge_next = False
        self.next_answer = None      # (status, bytes)
        self.reject_all = False
        self.api_keys = dict(u.split(":", 1) for u in args.api_key)
        self.resolve_access = {}     # access token -> user
        self.resolve_refresh = {}    # refresh token -> user
        self.aa_tokens = {}          # token -> {"user", "exp"}
        self.idscan_tokens = {}      # token -> area
        self.vrops_tokens = {}       # token -> expiry (s)
        self.tickets = {}            # ticket -> portal id
        self.oauth_tokens = {}       # access token -> expiry (s)
        self.oauth_refresh = {}
        for k in ("refreshes", "renewals", "tickets"):
            self.stats[k] = 0


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

    def _form(self, body):
        return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                             keep_blank_values=True).items()}

    def _login_gate(self, st):
        """Delay and injected failures shared by every vendor's login."""
        if st.args.login_delay:
            time.sleep(st.args.login_delay)
        with st.lock:
            if st.fail_next > 0:
                st.fail_next -= 1
                self._send(st.fail_status, raw=b"<html>upstream busy</html>",
                           ctype="text/html")
                return False
            if st.next_answer is not None:
                status, raw = st.next_answer
                st.next_answer = None
                self._send(status, raw=raw)
                return False
            if st.huge_next:
                st.huge_next = False
                pad = "x" * (2 * 1024 * 1024)
                self._send(200, raw=('{"pad":"%s","access_token":"t"}' % pad).encode())
                return False
            if st.next_token is not None:
                return True
        return True

    def _new_token(self, st, default=None):
        with st.lock:
            tok = st.next_token or default or str(uuid.uuid4())
            st.next_token = None
        return tok

    def _handle(self):
        st = self.server.st
        body = self._body()
        url = urlsplit(self.path)
        if url.path.startswith("/_ts/"):
            return self._control(url, st, body)
        self._record(body)
        delay = parse_qs(url.query).get("delay")
        if delay:
            time.sleep(float(delay[0]))
        answer = parse_qs(url.query).get("answer")
        if answer:
            return self._send(200, raw=answer[0].encode(), ctype="text/plain")
        if url.path.startswith("/to/"):
            # /to/HOST:PORT/REST: a 302 to http://HOST:PORT/REST, query kept
            # (for clients, such as git, that build their own query)
            hostport, _, rest = url.path[4:].partition("/")
            self.send_response(302)
            self.send_header("Location", "http://%s/%s%s" % (
                hostport, rest, "?" + url.query if url.query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        keep = parse_qs(url.query).get("redirect_keep")
        if keep:
            # a redirect that keeps the rest of the query, token included
            rest = "&".join(p for p in url.query.split("&")
                            if not p.startswith("redirect_keep="))
            self.send_response(301)
            self.send_header("Location", keep[0] + ("?" + rest if rest else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        to = parse_qs(url.query).get("redirect_to")
        if to:
            self.send_response(302)
            self.send_header("Location", to[0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parse_qs(url.query).get("refuse"):
            # a URL that refuses every token, as some endpoints do
            with st.lock:
                st.stats["rejected"] += 1
            return self._send(401, {"statusCode": 795005,
                                    "statusDescription": "Invalid token."})
        if url.path == "/dns-query":
            return self._doh(body)
        if url.path.startswith("/qs/"):
            # a NetBrain session token, taken from the query
            tok = parse_qs(url.query).get("token", [None])[0]
            with st.lock:
                ok = tok in st.tokens and not st.reject_all
                if not ok:
                    st.stats["rejected"] += 1
            return self._send(200 if ok else 401, {"query_token": ok})
        if url.path.startswith("/git/"):
            return self._git(url, body, st)
        if url.path.startswith("/public/"):
            if url.path.endswith(".geojson"):
                return self._send(200, GEOJSON, ctype="application/geo+json")
            return self._send(200, {"public": True})
        low = url.path.lower()
        if url.path == NB + "/V1/portal-auth-ticket":
            return self._portal_ticket(body, st)
        if url.path.startswith("/portal/i/"):
            return self._portal(url, st)
        if url.path.startswith(NB + "/"):
            return self._netbrain(url.path[len(NB):], body, st)
        if url.path == "/oauth/token" or url.path.startswith("/api/"):
            return self._resolve(url.path, body, st)
        if url.path.startswith(("/v1/", "/v2/")):
            return self._aa(url.path, body, st)
        if low.startswith("/idscanenterprisesvc/"):
            return self._idscan(low, body, st)
        if url.path.startswith("/suite-api/api/"):
            return self._vrops(url.path, body, st)
        if url.path == "/oauth2/token" or url.path.startswith("/oauth2-api/"):
            return self._oauth2(url.path, body, st)
        self._send(404, {"error": "no such path"})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = \
        lambda self: self._handle()

    def _doh(self, q):
        """DNS over HTTPS (RFC 8484, POST): every name is 127.0.0.1."""
        if len(q) < 17:
            return self._send(400, {"error": "short DNS message"})
        i = 12
        while i < len(q) and q[i]:
            i += q[i] + 1
        qtype = int.from_bytes(q[i + 1:i + 3], "big")
        question = q[12:i + 5]
        answer = b""
        if qtype == 1:
            answer = (b"\xc0\x0c" + (1).to_bytes(2, "big") + (1).to_bytes(2, "big")
                      + (60).to_bytes(4, "big") + (4).to_bytes(2, "big")
                      + bytes([127, 0, 0, 1]))
        head = (q[:2] + b"\x81\x80" + (1).to_bytes(2, "big")
                + (1 if answer else 0).to_bytes(2, "big") + b"\x00\x00\x00\x00")
        return self._send(200, raw=head + question + answer,
                          ctype="application/dns-message")

    def _control(self, url, st, body=b""):
        q = parse_qs(url.query)
        with st.lock:
            if url.path == "/_ts/stats":
                return self._send(200, dict(st.stats, sessions=len(st.tokens)))
            if url.path == "/_ts/requests":
                return self._send(200, list(st.requests))
            if url.path == "/_ts/expire":
                st.tokens.clear()
                for d in (st.resolve_access, st.aa_tokens, st.idscan_tokens,
                          st.vrops_tokens, st.oauth_tokens):
                    d.clear()
                return self._send(200, {"expired": True})
            if url.path == "/_ts/fail":
                st.fail_next = int(q.get("n", ["1"])[0])
                st.fail_status = int(q.get("status", ["503"])[0])
                return self._send(200, {"fail_next": st.fail_next})
            if url.path == "/_ts/reject-all":
                st.reject_all = q.get("on", ["1"])[0] == "1"
                return self._send(200, {"reject_all": st.reject_all})
            if url.path == "/_ts/huge":
                st.huge_next = True
                return self._send(200, {"huge_next": True})
            if url.path == "/_ts/forget-refresh":
                st.resolve_refresh.clear()
                st.oauth_refresh.clear()
                return self._send(200, {"forgot": True})
            if url.path == "/_ts/next-answer":
                st.next_answer = (int(q.get("status", ["200"])[0]), body)
                return self._send(200, {"next_answer": len(body)})
            if url.path == "/_ts/next-token":
                st.next_token = (body.decode("utf-8", "replace") if body
                                 else q.get("value", [""])[0])
                return self._send(200, {"next_token": True})
        self._send(404, {"error": "no such control"})

    # -- NetBrain ---------------------------------------------------------
    def _nb_session(self, st):
        tok = self.headers.get("token")
        with st.lock:
            if st.reject_all:
                return tok, None
            return tok, st.tokens.get(tok) if tok else None

    def _netbrain(self, path, body, st):
        if path == "/V1/Session" and self.command == "POST":
            if st.args.serial_logins:
                # one login at a time, as LDAP-backed logins often are
                with st.login_serial:
                    time.sleep(st.args.login_delay)
            elif st.args.login_delay:
                time.sleep(st.args.login_delay)
            with st.lock:
                if st.fail_next > 0:
                    st.fail_next -= 1
                    return self._send(st.fail_status,
                                      raw=b"<html>upstream busy</html>",
                                      ctype="text/html")
                if st.next_answer is not None:
                    status, raw = st.next_answer
                    st.next_answer = None
                    return self._send(status, raw=raw)
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
                if st.args.max_sessions and sum(
                        1 for v in st.tokens.values()
                        if v["user"] == user) >= st.args.max_sessions:
                    st.stats["login_failures"] += 1
                    st.stats["too_many"] = st.stats.get("too_many", 0) + 1
                    return self._send(403, {
                        "statusCode": 795007,
                        "statusDescription": "Too many sessions."})
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
        if path.endswith(".geojson"):
            # a dataset for GDAL's /vsicurl/
            return self._send(200, GEOJSON, ctype="application/geo+json")
        if path.startswith("/V1/CMDB/"):
            if not sess["domain"]:
                return self._send(200, {
                    "statusCode": 791006,
                    "statusDescription": "Please set a working domain first."})
            return self._send(200, {"statusCode": NB_OK,
                                    "devices": [{"name": "core-sw1"},
                                                {"name": "edge-rt2"}]})
        return self._send(200, {"statusCode": NB_OK, "path": path})

    # -- Resolve Insights (Spring Security OAuth2) ---------------------------
    def _resolve(self, path, body, st):
        if path == "/oauth/token":
            if not self._login_gate(st):
                return
            f = self._form(body)
            if (f.get("client_id"), f.get("client_secret")) != \
                    ("fixstreamapp", "fixstream"):
                return self._send(401, {"error": "invalid_client",
                                        "error_description": "Bad client credentials"})
            grant = f.get("grant_type")
            with st.lock:
                if grant == "password":
                    user = f.get("username")
                    if st.users.get(user) != f.get("password"):
                        st.stats["login_failures"] += 1
                        return self._send(400, {"error": "invalid_grant",
                                                "error_description": "Bad credentials"})
                    st.stats["logins"] += 1
                elif grant == "refresh_token":
                    user = st.resolve_refresh.pop(f.get("refresh_token"), None)
                    if user is None:
                        st.stats["refresh_refused"] = \
                            st.stats.get("refresh_refused", 0) + 1
                        return self._send(400, {"error": "invalid_grant",
                                                "error_description": "Invalid refresh token"})
                    st.stats["refreshes"] += 1
                else:
                    return self._send(400, {"error": "unsupported_grant_type",
                                            "error_description": "Unsupported grant type"})
                acc = st.next_token or str(uuid.uuid4())
                st.next_token = None
                ref = str(uuid.uuid4())
                st.resolve_access[acc] = (user, time.time() + st.args.expires_in)
                st.resolve_refresh[ref] = user
            return self._send(200, {"access_token": acc, "token_type": "bearer",
                                    "refresh_token": ref,
                                    "expires_in": st.args.expires_in,
                                    "scope": f.get("scope", ""),
                                    "jti": str(uuid.uuid4()),
                                    "user": {"name": user}})
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        with st.lock:
            sess = st.resolve_access.get(tok)
            if sess is None or sess[1] < time.time():
                st.stats["rejected"] += 1
                return self._send(401, {"error": "invalid_token",
                                        "error_description": "Invalid access token"})
        return self._send(200, {"name": sess[0], "userType": "LOCAL"})

    # -- Automation Anywhere Control Room -----------------------------------
    def _jwt(self, claims):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        return ".".join([enc(b'{"alg":"RS512"}'), enc(json.dumps(claims).encode()),
                         enc(b"signature-not-checked")])

    def _aa(self, path, body, st):
        parts = path.split("/", 2)          # ["", "v1", "rest"]
        rest = parts[2] if len(parts) > 2 else ""
        if rest == "authentication" and self.command == "POST":
            if not self._login_gate(st):
                return
            req = self._json(body) or {}
            user = req.get("username")
            if "apiKey" in req:
                good = user in st.api_keys and st.api_keys[user] == req["apiKey"]
            else:
                good = user in st.users and st.users[user] == req.get("password")
            if not good:
                with st.lock:
                    st.stats["login_failures"] += 1
                return self._send(401, {"code": "UM1110",
                                        "message": "Invalid credentials."})
            now = int(time.time())
            claims = {"sub": "9", "clientType": "WEB", "iat": now,
                      "iss": "AutomationAnywhere", "nanoTime": 1}
            if not st.args.no_exp:
                claims["exp"] = now + st.args.expires_in
            tok = self._new_token(st, self._jwt(claims))
            with st.lock:
                if not req.get("multipleLogin"):
                    for t in [t for t, v in st.aa_tokens.items() if v["user"] == user]:
                        del st.aa_tokens[t]
                st.aa_tokens[tok] = {"user": user,
                                     "exp": now + st.args.expires_in}
                st.stats["logins"] += 1
            return self._send(200, {"token": tok,
                                    "user": {"username": user, "id": 9}})
        tok = self.headers.get("X-Authorization")
        with st.lock:
            sess = st.aa_tokens.get(tok)
            if sess is not None and sess["exp"] < time.time():
                sess = None
            if sess is None:
                st.stats["rejected"] += 1
                return self._send(401, {"code": "UM1002",
                                        "message": "Token is invalid or expired."})
            if rest == "authentication/token" and self.command == "POST":
                req = self._json(body) or {}
                if req.get("token") != tok:
                    return self._send(400, {"message": "token mismatch"})
                now = int(time.time())
                new = self._jwt({"sub": "9", "iat": now,
                                 "exp": now + st.args.expires_in, "n": str(uuid.uuid4())})
                del st.aa_tokens[tok]
                st.aa_tokens[new] = {"user": sess["user"],
                                     "exp": now + st.args.expires_in}
                st.stats["renewals"] += 1
                return self._send(200, {"token": new})
            if rest == "authentication/logout" and self.command == "POST":
                del st.aa_tokens[tok]
                st.stats["releases"] += 1
                return self._send(204)
        return self._send(200, {"list": [], "page": {"totalFilter": 0}})

    # -- GBG IDscan Enterprise (IIS: paths compare without case) -------------
    def _idscan(self, low, body, st):
        if low == "/idscanenterprisesvc/token":
            if not self._login_gate(st):
                return
            f = self._form(body)
            if f.get("grant_type") != "password":
                return self._send(400, {"error": "unsupported_grant_type"})
            if st.users.get(f.get("username")) != f.get("password"):
                with st.lock:
                    st.stats["login_failures"] += 1
                return self._send(400, {"error": "invalid_grant",
                                        "error_description": "The user name or password is incorrect."})
            area = f.get("area")
            if area not in ("scanning", "investigation"):
                return self._send(400, {"error": "invalid_area",
                                        "error_description": "Area is not valid."})
            tok = self._new_token(st, uuid.uuid4().hex + uuid.uuid4().hex)
            with st.lock:
                st.idscan_tokens[tok] = area
                st.stats["logins"] += 1
            answer = {st.args.idscan_token_key: tok, "token_type": "bearer",
                      "FullName": "PSC", "IdleSessionTimeout": "15"}
            if st.args.expires_in:
                answer["expires_in"] = st.args.expires_in
            return self._send(200, answer)
        auth = self.headers.get("Authorization", "")
        tok = auth if auth and " " not in auth else None
        if tok is None:
            for part in self.headers.get("Cookie", "").split(";"):
                k, _, v = part.strip().partition("=")
                if k == "token":
                    tok = v
        need = "scanning" if "/journey/upload" in low else "investigation"
        with st.lock:
            area = st.idscan_tokens.get(tok)
            if area != need:
                st.stats["rejected"] += 1
                return self._send(401, {"Message": "Authorization has been denied for this request."})
        return self._send(200, {"area": area, "ok": True})

    # -- VMware Aria Operations ---------------------------------------------
    def _vrops(self, path, body, st):
        if path == "/suite-api/api/auth/token/acquire":
            if not self._login_gate(st):
                return
            req = self._json(body) or {}
            if st.users.get(req.get("username")) != req.get("password") or \
                    (st.args.auth_source and req.get("authSource") != st.args.auth_source):
                with st.lock:
                    st.stats["login_failures"] += 1
                return self._send(401)
            tok = self._new_token(st, "%s::%s" % (uuid.uuid4(), uuid.uuid4()))
            exp = time.time() + st.args.expires_in
            with st.lock:
                st.vrops_tokens[tok] = exp
                st.stats["logins"] += 1
            return self._send(200, {"token": tok, "validity": int(exp * 1000),
                                    "expiresAt": time.ctime(exp), "roles": []})
        auth = self.headers.get("Authorization", "")
        scheme, _, tok = auth.partition(" ")
        with st.lock:
            exp = st.vrops_tokens.get(tok) if scheme in ("vRealizeOpsToken", "OpsToken") else None
            if exp is None or exp < time.time():
                st.stats["rejected"] += 1
                return self._send(401, {"message": "Invalid or expired token",
                                        "httpStatusCode": 401, "apiErrorCode": 1512})
            if path == "/suite-api/api/auth/token/release":
                del st.vrops_tokens[tok]
                st.stats["releases"] += 1
                return self._send(200)
            st.vrops_tokens[tok] = time.time() + st.args.expires_in  # slides
        return self._send(200, {"resourceList": []})

    # -- git over HTTP, behind a NetBrain token -----------------------------
    def _git(self, url, body, st):
        tok, sess = self._nb_session(st)
        if sess is None or not st.args.git_root:
            with st.lock:
                st.stats["rejected"] += 1
            return self._send(401, {"statusCode": 795005,
                                    "statusDescription": "Invalid token."})
        kind, _, rest = url.path[len("/git/"):].partition("/")
        root = os.path.realpath(st.args.git_root)
        if kind == "dumb":
            path = os.path.realpath(os.path.join(root, unquote(rest)))
            if not path.startswith(root + os.sep) or not os.path.isfile(path):
                return self._send(404, {"error": "no such file"})
            with open(path, "rb") as f:
                return self._send(200, raw=f.read(),
                                  ctype="application/octet-stream")
        if kind != "smart":
            return self._send(404, {"error": "no such path"})
        env = {"GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": "/" + unquote(rest), "QUERY_STRING": url.query,
               "REQUEST_METHOD": self.command, "REMOTE_ADDR": "127.0.0.1",
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)),
               "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for h, e in (("Git-Protocol", "HTTP_GIT_PROTOCOL"),
                     ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
            if self.headers.get(h):
                env[e] = self.headers[h]
        import subprocess
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             stdout=subprocess.PIPE).stdout
        head, _, data = out.partition(b"\r\n\r\n")
        status, ctype = 200, "text/plain"
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k.lower() == "content-type":
                ctype = v.strip()
        return self._send(status, raw=data, ctype=ctype)

    # -- NetBrain Incident Portal tickets -----------------------------------
    def _portal_ticket(self, body, st):
        tok, sess = self._nb_session(st)
        if sess is None:
            return self._send(401, {"statusCode": 795005,
                                    "statusDescription": "Invalid token."})
        pid = (self._json(body) or {}).get("portalId")
        if not pid:
            return self._send(200, {"statusCode": 791000,
                                    "statusDescription": "portalId is required."})
        t = str(uuid.uuid4())
        with st.lock:
            st.tickets[t] = pid
            st.stats["tickets"] += 1
        return self._send(200, {"ticket": t, "statusCode": 0})

    def _portal(self, url, st):
        pid = unquote(url.path[len("/portal/i/"):].split("/")[0])
        t = parse_qs(url.query).get("token", [None])[0]
        with st.lock:
            if st.tickets.get(t) != pid:
                st.stats["rejected"] += 1
                return self._send(401, raw=b"<html>ticket refused</html>",
                                  ctype="text/html")
            del st.tickets[t]          # a ticket is good once
        return self._send(200, raw=("<html>portal %s</html>" % pid).encode(),
                          ctype="text/html")

    # -- generic OAuth2 -----------------------------------------------------
    def _oauth2(self, path, body, st):
        if path == "/oauth2/token":
            if not self._login_gate(st):
                return
            f = self._form(body)
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                cid, _, csec = base64.b64decode(auth[6:]).decode().partition(":")
            else:
                cid, csec = f.get("client_id"), f.get("client_secret")
            if (cid, csec) != (st.args.client_id, st.args.client_secret):
                return self._send(401, {"error": "invalid_client",
                                        "error_description": "Client authentication failed."})
            grant = f.get("grant_type")
            refresh = None
            with st.lock:
                if grant == "client_credentials":
                    st.stats["logins"] += 1
                elif grant == "password":
                    if st.users.get(f.get("username")) != f.get("password"):
                        st.stats["login_failures"] += 1
                        return self._send(400, {"error": "invalid_grant",
                                                "error_description": "Invalid user credentials"})
                    st.stats["logins"] += 1
                    refresh = str(uuid.uuid4())
                elif grant == "refresh_token":
                    if not st.oauth_refresh.pop(f.get("refresh_token"), None):
                        return self._send(400, {"error": "invalid_grant",
                                                "error_description": "Token is not active"})
                    st.stats["refreshes"] += 1
                    refresh = str(uuid.uuid4())
                else:
                    return self._send(400, {"error": "unsupported_grant_type"})
                acc = st.next_token or str(uuid.uuid4())
                st.next_token = None
                st.oauth_tokens[acc] = time.time() + st.args.expires_in
                if refresh:
                    st.oauth_refresh[refresh] = True
            answer = {"access_token": acc, "token_type": "Bearer",
                      "expires_in": st.args.expires_in}
            if refresh:
                answer["refresh_token"] = refresh
            return self._send(200, answer)
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        with st.lock:
            exp = st.oauth_tokens.get(tok)
            if exp is None or exp < time.time():
                st.stats["rejected"] += 1
                return self._send(401, {"error": "invalid_token"})
        return self._send(200, {"ok": True})



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


class Server(ThreadingHTTPServer):
    # 128 processes connect at once in make bench (section b): the
    # default backlog of 5 would make their SYNs wait out retransmits
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        # a client that drops a connection mid-response is no server error:
        # tokenshim ends a refused (401) attempt that way
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--tenant", default="T1")
    ap.add_argument("--domain", default="D1")
    ap.add_argument("--login-delay", type=float, default=0)
    ap.add_argument("--serial-logins", action="store_true",
                    help="netbrain: serve one login at a time")
    ap.add_argument("--blackhole", action="store_true")
    ap.add_argument("--max-sessions", type=int, default=0,
                    help="netbrain: sessions a user may hold (0: any)")
    ap.add_argument("--api-key", action="append", default=[],
                    help="automation-anywhere NAME:APIKEY")
    ap.add_argument("--expires-in", type=int, default=3600,
                    help="token lifetime the OAuth-style vendors announce")
    ap.add_argument("--no-exp", action="store_true",
                    help="automation-anywhere JWTs without an exp claim")
    ap.add_argument("--idscan-token-key", default="access_token")
    ap.add_argument("--auth-source", default=None)
    ap.add_argument("--client-id", default="tokenshim-client")
    ap.add_argument("--client-secret", default="client-s3cret")
    ap.add_argument("--git-root", default=None,
                    help="repositories served under /git/")
    ap.add_argument("--tls-cert", default=None, help="serve HTTPS")
    ap.add_argument("--tls-key", default=None)
    args = ap.parse_args()
    if args.blackhole:
        return blackhole(args.port_file)
    if not args.user:
        args.user = ["admin:s3cret"]
    srv = Server((args.bind, 0), Handler)
    srv.daemon_threads = True
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.st = State(args)
    write_port(args.port_file, srv.server_address[1])
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
