"""gunicorn settings for certify in production: `gunicorn -c deploy/gunicorn.conf.py` (README).

Every value can be changed from the environment (the systemd unit's EnvironmentFile) or on the
command line, which wins over this file (e.g. `-w 5`).
"""

import os

# Refuse several workers on storage each would keep to itself (memory:// rate limits, sessions).
from certify.deployment import nworkers_changed, on_starting  # noqa: F401  (gunicorn hooks)

wsgi_app = "certify:create_app()"
bind = os.environ.get("CERTIFY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CERTIFY_WORKERS", "3"))
# A request that runs longer than this is killed; the database's own waits end well before it.
timeout = int(os.environ.get("CERTIFY_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5  # behind nginx, which keeps connections to the app open
# The app writes one log line per request itself (with its request id): no second access log.
accesslog = None
errorlog = "-"
# The proxy in front sets X-Forwarded-*; the app trusts them through CERTIFY_PROXY_FIX only.
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "certify"
