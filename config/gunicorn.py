"""Gunicorn settings for the web process (`gunicorn config.wsgi -c config/gunicorn.py`, the Procfile).

- Binds to 127.0.0.1 unless told otherwise: `HOST=0.0.0.0` (or any address) opens it, `PORT`
  picks the port (honcho sets it), `BIND` replaces both (e.g. `unix:/run/clearhouse.sock`).
- The access log never records credentials: no `%(u)s` (gunicorn decodes the Basic-auth user,
  which is a whole `sk_…` key for `curl -u sk_…:`), no Authorization/Cookie header and no query
  string (it can carry a client secret). `SafeLogger` also blanks those atoms, so a custom
  `access_log_format` cannot bring them back.
- Serving model (issue 21), chosen by `bench/intents_confirm.py --serving gthread-2x4 sync-4
  sync-4-pool --rounds N` (interleaved; figures in the README's "Serving model, by measurement"):
  behind nginx (Procfile.production) 4 sync workers (`WEB_CONCURRENCY=4 GUNICORN_THREADS=1`) —
  one request per process, no GIL convoy between a worker's threads: the lower p99 at half of max
  throughput in 2 of 3 runs (41 ms against 517 ms in the least loaded round); bare (the Procfile,
  `make run`) gthread 2 x 4, the defaults below, since without a buffering proxy one slow client
  holds a whole sync worker. Either way one persistent connection per thread (CONN_MAX_AGE, no
  per-request `SELECT 1`: the socket-look check of apps/core/db); Django's psycopg pool
  (`DATABASE_POOL=1:2`) is selectable but gave no consistent gain (better with gthread in run 1,
  worse with sync workers in run 2).
- Both of gunicorn's logs go through apps.core.logging's formatter (EscapingFormatter, or
  JsonFormatter with LOG_FORMAT=json): a path or header with CR/LF/NUL in it is escaped, it cannot
  forge a line.
"""

import os

from gunicorn.glogging import Logger

from apps.core.logging import log_formatter

bind = [os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# Client address, time, method, path (without the query), protocol, status, bytes, duration,
# user agent, and the request id the API answered with (Request-Id header) to find its app logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss "%(a)s" %({request-id}o)s'

_SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie")


class SafeLogger(Logger):
    """gunicorn's logger with escaped output and without credentials in any access-log atom."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    fmt = handler.formatter
                    # LOG_FORMAT=json: JSON lines too (the access line is the message); else escaped text.
                    handler.setFormatter(
                        log_formatter(fmt._fmt if fmt else None, fmt.datefmt if fmt else None)
                    )

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"
        uri = environ.get("RAW_URI", "").split("?", 1)[0]
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {uri} {environ.get('SERVER_PROTOCOL')}"
        atoms["q"] = "-"
        for name in list(atoms):
            lowered = name.lower()
            if any(lowered in (f"{{{h}}}i", f"{{{h}}}o") for h in _SECRET_HEADERS) or lowered in (
                "{http_authorization}e",
                "{http_cookie}e",
                "{query_string}e",
                "{raw_uri}e",
            ):
                atoms[name] = "-"
        return atoms


logger_class = SafeLogger
