"""Before the test run: are PostgreSQL and Redis reachable? One clear line each if not."""

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis

START_PG = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)

failed = False
db = urlparse(os.environ["DATABASE_URL"])
try:
    psycopg.connect(
        host=db.hostname,
        port=db.port or 5432,
        user=db.username or "postgres",
        dbname="postgres",
        connect_timeout=3,
    ).close()
except psycopg.Error:
    print(f"PostgreSQL is not reachable at {db.hostname}:{db.port or 5432} — start it with: {START_PG}")
    failed = True
rd = urlparse(os.environ["REDIS_URL"])
try:
    redis.Redis(host=rd.hostname, port=rd.port or 6379, socket_connect_timeout=3).ping()
except redis.RedisError:
    print(f"Redis is not reachable at {rd.hostname}:{rd.port or 6379} — start it with: {START_REDIS}")
    failed = True
sys.exit(1 if failed else 0)
