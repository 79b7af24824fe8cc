"""A partner's endpoint for the tests: a real HTTP server on a free port that keeps every request
it is sent and answers as a test tells it (a status per request in turn, or a hang)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.received = []  # {"path", "headers", "body"} of each request, in order
        self.answers = []  # statuses to answer in turn; then 204
        self.hang_seconds = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                if receiver.hang_seconds:
                    time.sleep(receiver.hang_seconds)
                status = receiver.answers.pop(0) if receiver.answers else 204
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/mash/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        self.received.clear()
        self.answers.clear()
        self.hang_seconds = 0

    def bodies(self):
        return [json.loads(request["body"]) for request in self.received]
