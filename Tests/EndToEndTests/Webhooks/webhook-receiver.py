#!/usr/bin/env python3
"""A webhook receiver for the end-to-end tests: verifies each delivery with the `standardwebhooks` library (not
with a copy of our code) and logs it as one JSON line.

Usage: webhook-receiver.py FOLDER. FOLDER/secrets holds the whsec_ secrets, one per line (read at each request);
FOLDER/responses the statuses to answer, one per line, consumed in order (200 once it is empty; "hang" holds the
request without answering). With FOLDER/tls.crt and FOLDER/tls.key, it speaks HTTPS with that certificate. Writes its port to FOLDER/port, and one line per request to FOLDER/received:
{"id","timestamp","body","verifiedBy":[indexes of the secrets that verify],"tamperedVerifies":bool,"answered"}.
"""
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

folder = sys.argv[1]
lock = threading.Lock()


def path(name):
    return os.path.join(folder, name)


def next_response():
    with lock:
        try:
            with open(path("responses")) as f:
                lines = [line.strip() for line in f if line.strip()]
        except FileNotFoundError:
            lines = []
        if not lines:
            return "200"
        with open(path("responses"), "w") as f:
            f.write("".join(line + "\n" for line in lines[1:]))
        return lines[0]


def verifies(secret, body, headers):
    try:
        Webhook(secret).verify(body, headers)
        return True
    except WebhookVerificationError:
        return False


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        with open(path("secrets")) as f:
            secrets = [line.strip() for line in f if line.strip()]
        verified_by = [i for i, s in enumerate(secrets) if verifies(s, body, headers)]
        tampered = body.replace(b"\"job.", b"\"jab.", 1)
        tampered_verifies = any(verifies(s, tampered, headers) for s in secrets)
        answer = next_response()
        record = {
            "id": headers.get("webhook-id"),
            "timestamp": headers.get("webhook-timestamp"),
            "contentType": headers.get("content-type"),
            "body": body.decode("utf-8"),
            "verifiedBy": verified_by,
            "tamperedVerifies": tampered_verifies,
            "answered": answer,
            "path": self.path,
            "receivedAt": int(time.time() * 1000),
        }
        with lock:
            with open(path("received"), "a") as f:
                f.write(json.dumps(record) + "\n")
        if answer == "hang":
            time.sleep(60)
            return
        self.send_response(int(answer))
        if answer.startswith("3"):
            # A sender that followed redirects would post here again at once (and get 200).
            self.send_header("Location", "/redirected")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), Handler)
server.daemon_threads = True
if os.path.exists(path("tls.crt")):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(path("tls.crt"), path("tls.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(path("port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(path("port.tmp"), path("port"))
server.serve_forever()
