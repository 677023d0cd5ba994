#!/usr/bin/env bash
# Make sure a Redis answers on 127.0.0.1:6379 (tests use a real one); start one without persistence if not.
set -euo pipefail
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then exit 0; fi
mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
dir=/var/lib/redis; log=/var/log/redis/ci.log
[ -w "$dir" ] || { dir=$(mktemp -d); log=$dir/redis.log; }
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir "$dir" --logfile "$log"
for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 0.1; done
echo "redis did not start (log: $log)" >&2; exit 1
