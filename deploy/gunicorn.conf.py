"""gunicorn settings shared by the four services; every value can come from the environment."""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Under Twilio's 15 s webhook deadline: a stuck request is cut before Twilio gives up on us.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "12"))
graceful_timeout = 10
keepalive = 5
# The apps write one JSON access-log line per request (with its request id) to stdout;
# gunicorn's own access log would repeat it.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker makes its own MongoClient after the fork (connect=False, created on first use).
preload_app = False
# Four masters on one host would fight over gunicorn's default control socket path.
control_socket_disable = True
