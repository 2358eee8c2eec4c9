#!/bin/sh
# As the official image: flags alone mean "nats-server with these flags".
set -e
if [ "${1#-}" != "$1" ]; then set -- nats-server "$@"; fi
exec "$@"
