#!/bin/bash
# Entry point of the streaming replica: on first start, copy the primary with
# `pg_basebackup -R` (which writes standby.signal and primary_conninfo), with its own
# replication slot so the primary keeps the WAL the replica has not read yet; then run
# PostgreSQL as the image normally does. Reports read here (DATABASE_REPLICA_URL).
set -euo pipefail
: "${POSTGRES_REPLICATION_PASSWORD:?set POSTGRES_REPLICATION_PASSWORD in .env}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  until pg_isready -q -h "$PRIMARY_HOST" -p 5432; do echo "waiting for $PRIMARY_HOST"; sleep 2; done
  PGPASSWORD=$POSTGRES_REPLICATION_PASSWORD gosu postgres pg_basebackup \
    --host="$PRIMARY_HOST" --username=replicator --pgdata="$PGDATA" \
    --write-recovery-conf --wal-method=stream --checkpoint=fast \
    --create-slot --slot="${REPLICA_SLOT:-replica1}" --progress
fi
exec docker-entrypoint.sh postgres -c hot_standby=on -c hot_standby_feedback=on
