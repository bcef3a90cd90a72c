#!/usr/bin/env python3
"""An HTTP proxy for tokenshim's end-to-end tests, on a loopback port.

Forwards absolute-URI requests (plain http) and tunnels CONNECT, and
records what it saw of each request, one JSON object a line in --log:
{"method", "target", "headers": [[name, value], ...]}. With --auth
USER:PASS it wants Proxy-Authorization: Basic for every request.
Serves only loopback origins.
"""
import argparse
import base64
import json
import os
import select
import socket
import socketserver
import threading
from urllib.parse import urlsplit

LOCK = threading.Lock()


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return lines, rest


def pipe(a, b):
    socks = [a, b]
    while True:
        r, _, _ = select.select(socks, [], [], 30)
        if not r:
            return
        for s in r:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        lines, rest = read_head(c)
        if not lines or not lines[0]:
            return
        method, target, version = (lines[0].split(" ") + ["", ""])[:3]
        headers = [l.split(":", 1) for l in lines[1:] if ":" in l]
        headers = [[k.strip(), v.strip()] for k, v in headers]
        with LOCK, open(self.server.log, "a") as f:
            f.write(json.dumps({"method": method, "target": target,
                                "headers": headers}) + "\n")
        if self.server.auth:
            want = "Basic " + base64.b64encode(self.server.auth.encode()).decode()
            got = [v for k, v in headers if k.lower() == "proxy-authorization"]
            if got != [want]:
                c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                          b"Proxy-Authenticate: Basic realm=\"test\"\r\n"
                          b"Content-Length: 0\r\n\r\n")
                return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if host not in ("localhost", "127.0.0.1", "127.0.0.2"):
                c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            up = socket.create_connection((host, int(port)))
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                up.sendall(rest)
            pipe(c, up)
            up.close()
            return
        u = urlsplit(target)
        if u.hostname not in ("localhost", "127.0.0.1", "127.0.0.2"):
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        up = socket.create_connection((u.hostname, u.port or 80))
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        kept = [f"{k}: {v}" for k, v in headers
                if k.lower() not in ("proxy-authorization", "proxy-connection",
                                     "connection")]
        up.sendall((f"{method} {path} {version}\r\n" + "\r\n".join(kept) +
                    "\r\nConnection: close\r\n\r\n").encode("latin-1") + rest)
        pipe(c, up)
        up.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--auth", default=None)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.log = a.log
    srv.auth = a.auth
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
