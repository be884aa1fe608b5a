"""The annotation web app (Flask): one plain HTML page, a small JSON API, bound to 127.0.0.1.

Requests that do not come from the page are refused (403):

- the ``Host`` must be ``127.0.0.1:PORT`` or ``localhost:PORT`` (no DNS-rebinding name);
- every API call carries the per-session token, which only the page knows (``X-Token`` header;
  a new random token each time the server starts);
- a ``POST`` must carry an ``Origin`` equal to the page's own.
"""

from __future__ import annotations

import errno
import logging
import secrets
import socket
import sys
from importlib import resources

from nkdiplomacy.extras import require

require("annotate", "flask", what="nkdiplomacy annotate")

from flask import Flask, Response, abort, jsonify, request
from werkzeug.serving import make_server

from nkdiplomacy.labeling.annotate.session import AnnotateError, Session

_STATIC = ("app.js", "app.css")


def _static(name: str) -> str:
    return (
        resources.files("nkdiplomacy.labeling.annotate").joinpath("static", name).read_text(encoding="utf-8")
    )


def create_app(session: Session, token: str | None = None) -> Flask:
    """The app serving ``session``; ``app.config["TOKEN"]`` is the per-session token."""
    app = Flask(__name__, static_folder=None)
    app.config["TOKEN"] = token or secrets.token_urlsafe(32)
    app.config["PORT"] = None  # set by serve(); None accepts any port (tests with a test client)
    page = _static("index.html")

    def _refuse(message: str):
        return jsonify({"error": message}), 403

    @app.before_request
    def _check_request():
        host, _, port = request.host.rpartition(":")
        want_port = app.config["PORT"]
        if host not in ("127.0.0.1", "localhost") or (want_port is not None and port != str(want_port)):
            return _refuse("wrong host")
        if request.path.startswith("/api/"):
            if not secrets.compare_digest(request.headers.get("X-Token", ""), app.config["TOKEN"]):
                return _refuse("missing or wrong token")
            if request.method != "GET" and request.headers.get("Origin") != f"http://{request.host}":
                return _refuse("wrong origin")
        return None

    @app.after_request
    def _headers(resp: Response):
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        return resp

    @app.get("/")
    def index():
        return Response(page.replace("{{TOKEN}}", app.config["TOKEN"]), mimetype="text/html")

    @app.get("/static/<name>")
    def static_file(name: str):
        if name not in _STATIC:
            abort(404)
        mimetype = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(_static(name), mimetype=mimetype)

    @app.get("/api/state")
    def state():
        return jsonify(session.state())

    def _body() -> dict:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400)
        return body

    def _call(fn, *args):
        try:
            return jsonify(fn(*args))
        except ValueError as exc:
            return jsonify({"error": str(exc)}), 400
        except LookupError as exc:
            return jsonify({"error": str(exc)}), 409
        except OSError as exc:
            return jsonify({"error": f"cannot write {session.output.path}: {exc}"}), 500

    @app.post("/api/answer")
    def answer():
        body = _body()
        return _call(
            session.answer,
            body.get("key"),
            body.get("relevant"),
            body.get("event_type"),
            body.get("counterparts"),
        )

    @app.post("/api/skip")
    def skip():
        return _call(session.skip, _body().get("key"))

    @app.post("/api/undo")
    def undo():
        return _call(session.undo)

    return app


def serve(session: Session, port: int) -> None:
    """Serve on 127.0.0.1:``port`` (0: a free port) until Ctrl-C; :class:`AnnotateError` when the port is taken."""
    app = create_app(session)
    # Bound here, so that a port in use is one line (werkzeug would print two and exit).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        if port and exc.errno == errno.EADDRINUSE:
            raise AnnotateError(f"port {port} on 127.0.0.1 is in use (choose another with --port)") from None
        raise AnnotateError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})") from None
    sock.set_inheritable(True)
    server = make_server("127.0.0.1", sock.getsockname()[1], app, threaded=True, fd=sock.fileno())
    app.config["PORT"] = server.port
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    left = len(session.items) - len(session.done & session.by_key.keys())
    print(
        f"nkdiplomacy annotate: http://127.0.0.1:{server.port}/  ({left} of {len(session.items)} segments to label; "
        f"answers go to {session.output.path}; Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
