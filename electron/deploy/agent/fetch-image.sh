#!/bin/sh
# Rackboot deploy agent: streams the image to the disk and survives a bad link (busybox sh, nc, dd, gunzip).
# Usage: fetch-image.sh IMAGE_URL FORMAT SIZE DISK, with AGENT_API (…/agent/v1) and AGENT_QUERY (mac=…&token=…) for
# reports. SIZE is the size on the disk. Exits 0 once the whole image is on the disk; non-zero, with the reason on
# stdout, when the server refuses the image, the disk refuses a write (too small, failing: dd's exit status), or a gzip
# stream ends short of SIZE: the node fails while writing, with that reason, not later at the read-back. Log lines go
# to stderr (the console) and to Rackboot.
#
# Busybox wget cannot resume a stream (its -c needs a file it can seek to the end of, and it refuses a 206 it did not
# ask for), so the request is written by hand and sent with nc. A raw image resumes where it stopped with an HTTP
# Range request, from the last whole MiB dd wrote; a gzip image starts again from its first byte, because gunzip
# cannot take up a stream in its middle (docs/decisions.md, "Deploy: faults seen and named").
URL=$1
FORMAT=$2
SIZE=$3
DISK=$4
STALL_SECONDS=${STALL_SECONDS:-10}
MIB=1048576
WORK=${AGENT_WORK:-/tmp}/fetch-image
mkdir -p "$WORK"

# report PATH BODY: best effort, in the background: on a link that drops everything a report hangs as long as the
# download does, and must not keep the stall from being noticed.
report() {
  [ -n "$AGENT_API" ] && wget -q -O /dev/null --post-data "$2" "$AGENT_API/$1?$AGENT_QUERY" 2>/dev/null &
}
log() {
  echo "rackboot-agent: $*" >&2
  report log "$*"
}

rest=${URL#http://}
HOSTPORT=${rest%%/*}
URL_PATH=/${rest#*/}
[ "$URL_PATH" = "/$rest" ] && URL_PATH=/
HOST=${HOSTPORT%:*}
PORT=${HOSTPORT##*:}
[ "$PORT" = "$HOSTPORT" ] && PORT=80
CR=$(printf '\r')

# request OFFSET: the HTTP request for the image from OFFSET on (the whole image for 0).
request() {
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: rackboot-agent\r\n' "$URL_PATH" "$HOSTPORT"
  [ "$1" -gt 0 ] && printf 'Range: bytes=%s-\r\n' "$1"
  printf '\r\n'
}

# body OFFSET: reads the response's status line and headers from stdin and leaves the body there. Exit 3 when the
# server refused, 4 when it sent another range than asked. Writes nothing: the dd it is replaced by is watched through
# this process's write counter.
body() {
  IFS= read -r status || exit 5
  # shellcheck disable=SC2086
  set -- $status "$1"
  code=$2
  shift $(($# - 1))
  range=
  while IFS= read -r line; do
    line=${line%"$CR"}
    [ -z "$line" ] && break
    case "$line" in [Cc]ontent-[Rr]ange:*) range=${line#*: } ;; esac
  done
  if [ "$1" -gt 0 ]; then
    [ "$code" = 206 ] || exit 3
    case "$range" in "bytes $1-"*) ;; *) exit 4 ;; esac
  else
    [ "$code" = 200 ] || exit 3
  fi
}

# connect OFFSET: sends the request and writes the raw response to stdout. nc's input stays open while nc runs: a
# request whose sender half-closes the connection is dropped by Node's HTTP server.
connect() {
  {
    request "$1"
    until [ -s "$WORK/nc.pid" ]; do sleep 0.1; done
    while kill -0 "$(cat "$WORK/nc.pid" 2>/dev/null)" 2>/dev/null; do sleep 0.2; done
  } | sh -c 'echo $$ > "$1/nc.pid"; exec nc -w 10 "$2" "$3"' nc "$WORK" "$HOST" "$PORT"
}

hang_up() {
  kill "$(cat "$WORK/nc.pid" 2>/dev/null)" 2>/dev/null
}

# attempt_raw OFFSET DD_ARGS...: one connection, its body written by dd at OFFSET, in the background: $! is that dd
# (the last command of the pipeline), whose write counter is the progress.
attempt_raw() {
  offset=$1
  shift
  rm -f "$WORK/nc.pid" "$WORK/dd.err"
  connect "$offset" | { body "$offset" && exec dd of="$DISK" conv=notrunc "$@" 2>"$WORK/dd.err"; } &
}

# attempt_gzip: one connection from byte 0, decompressed onto the disk, in the background ($! is the dd).
attempt_gzip() {
  rm -f "$WORK/nc.pid" "$WORK/refused" "$WORK/gunzip.ok"
  connect 0 | {
    body 0 || { [ $? = 3 ] && : > "$WORK/refused"; exit 1; }
    gunzip -c && : > "$WORK/gunzip.ok"
  } | dd of="$DISK" bs=$MIB iflag=fullblock conv=notrunc 2>"$WORK/dd.err" &
}

# running PID: true while PID runs (a child that ended but was not reaped yet is not running).
running() {
  case "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)" in '' | Z) return 1 ;; esac
}

written_now() { sed -n 's/^wchar: //p' "/proc/$1/io" 2>/dev/null; }

# watch PID BASE: reports progress while PID runs; after STALL_SECONDS without a new byte it says so and returns 1, and
# the caller hangs up and resumes. Returns 0 when the writer ended on its own.
watch() {
  last=
  still=0
  while running "$1"; do
    sleep 1
    now=$(written_now "$1")
    [ -z "$now" ] && continue
    if [ "$now" != "$last" ]; then
      last=$now
      still=0
      report progress "written=$(($2 + now))"
      continue
    fi
    still=$((still + 1))
    if [ "$still" -ge "$STALL_SECONDS" ]; then
      log "image transfer stalled: no new byte for $still s at byte $(($2 + now)) of $SIZE; cutting the connection to resume"
      return 1
    fi
  done
  return 0
}

# full_records: whole blocks dd wrote, from its "F+P records out" line.
full_records() { sed -n 's/^\([0-9]*\)+[0-9]* records out$/\1/p' "$WORK/dd.err"; }

# pause_before_retry TRIES: none after an attempt that brought bytes, then 1, 2 … 5 s.
pause_before_retry() {
  pause=$1
  [ "$pause" -gt 5 ] && pause=5
  sleep "$pause"
}

fetch_raw() {
  whole_mibs_end=$((SIZE - SIZE % MIB))
  offset=0
  tries=0
  while [ "$offset" -lt "$SIZE" ]; do
    left=$((SIZE - offset))
    if [ "$left" -ge "$MIB" ]; then
      attempt_raw "$offset" bs=$MIB iflag=fullblock seek=$((offset / MIB))
    else
      # The last partial MiB in one block, so "1+0 records out" says it all arrived.
      attempt_raw "$offset" bs="$left" count=1 iflag=fullblock seek="$offset" oflag=seek_bytes
    fi
    writer=$!
    watch "$writer" "$offset"
    hang_up
    wait "$writer"
    status=$?
    case $status in
      1) echo "writing to $DISK failed at byte $offset or later: $(grep -v records "$WORK/dd.err" | tail -n 1)"; return 1 ;;
      3) echo "the server refused the image at $URL (from byte $offset)"; return 1 ;;
      4)
        log "the server sent another range than bytes $offset-; starting again from byte 0"
        offset=0
        tries=$((tries + 1))
        pause_before_retry "$tries"
        continue
        ;;
    esac
    before=$offset
    full=$(full_records 2>/dev/null)
    if [ "$left" -ge "$MIB" ]; then
      offset=$((offset + ${full:-0} * MIB))
    elif [ "${full:-0}" = 1 ]; then
      offset=$SIZE
    fi
    [ "$offset" -ge "$SIZE" ] && break
    if [ "$offset" -gt "$before" ]; then tries=0; else tries=$((tries + 1)); fi
    # Whole MiBs first, then the rest in one block: the end of the whole MiBs is no interruption.
    [ "$left" -lt "$MIB" ] || [ "$offset" -lt "$whole_mibs_end" ] &&
      log "image transfer interrupted at byte $offset of $SIZE; resuming from there (HTTP Range)"
    pause_before_retry "$tries"
  done
  return 0
}

fetch_gzip() {
  tries=0
  while :; do
    attempt_gzip
    writer=$!
    watch "$writer" 0
    hang_up
    wait "$writer" || { echo "writing to $DISK failed: $(grep -v records "$WORK/dd.err" | tail -n 1)"; return 1; }
    [ -e "$WORK/refused" ] && { echo "the server refused the image at $URL"; return 1; }
    if [ -e "$WORK/gunzip.ok" ]; then
      # Whole MiBs and the one partial block busybox dd counts (it prints no byte total): the size the image must have.
      records=$(sed -n 's/^\([0-9]*+[0-9]*\) records out$/\1/p' "$WORK/dd.err")
      [ "$records" = "$((SIZE / MIB))+$((SIZE % MIB > 0))" ] && return 0
      echo "the gzip image decompressed to $records MiB records, not the $((SIZE / MIB))+$((SIZE % MIB > 0)) of the $SIZE bytes Rackboot measured: the image file changed or is damaged"
      return 1
    fi
    tries=$((tries + 1))
    log "gzip image transfer interrupted; a gzip stream cannot be resumed in its middle, so it starts again from byte 0 (try $((tries + 1)))"
    pause_before_retry "$tries"
  done
}

case "$FORMAT" in
  raw) fetch_raw || exit 1 ;;
  gzip) fetch_gzip || exit 1 ;;
  *) echo "unknown image format $FORMAT"; exit 1 ;;
esac
# The last count goes before the script ends, so the agent's read-back is not reported ahead of it.
report progress "written=$SIZE"
wait
