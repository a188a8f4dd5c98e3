#!/bin/sh
# Rackboot deploy agent: writes the image's data extents to the disk, zeroes its holes, and survives a bad link
# (busybox sh, wget, and the static helper `extents`). Usage: fetch-image.sh DATA_URL MAP_URL DATA_SIZE
# VIRTUAL_SIZE DISK, with AGENT_API (…/agent/v1) and AGENT_QUERY (mac=…&token=…) for reports. MAP_URL gives the data
# extents ("OFFSET LENGTH" lines); DATA_URL their bytes one after the other (DATA_SIZE in all). Exits 0 once every
# data byte is on the disk and every other byte of VIRTUAL_SIZE reads as zero; non-zero with the reason on stdout
# when the server refuses the image or the disk refuses a write. Leaves WORK/map and WORK/zero (how the holes were
# zeroed) for verify-image.sh. Log lines go to stderr (the console) and to Rackboot.
#
# Busybox wget cannot resume a stream (its -c needs a file it can seek to the end of, and it refuses a 206 it did not
# ask for), and busybox nc pipes a stream at a third of the socket's speed: the helper sends its own request and
# writes the body straight from the socket; an interrupted transfer asks again with an HTTP Range from the last data
# byte it wrote (docs/decisions.md, "Deploy: faults seen and named").
URL=$1
MAP_URL=$2
SIZE=$3
VIRTUAL_SIZE=$4
DISK=$5
STALL_SECONDS=${STALL_SECONDS:-10}
WORK=${AGENT_WORK:-/tmp}/fetch-image
mkdir -p "$WORK"

OUTBOX=$WORK/outbox
: > "$OUTBOX"
rm -f "$WORK/closing"

# running PID: true while PID runs (a child that ended but was not reaped yet is not running). No fork: it is asked
# five times a second.
running() {
  state=
  read -r _ _ state _ 2>/dev/null < "/proc/$1/stat"
  case "$state" in '' | Z) return 1 ;; esac
}

# post PATH BODY: one report, given up after 5 s: busybox 1.35's `wget -T` segfaults, and a connect over a link that
# drops everything waits minutes.
post() {
  [ -n "$AGENT_API" ] || return 0
  wget -q -O /dev/null --post-data "$2" "$AGENT_API/$1?$AGENT_QUERY" 2>/dev/null &
  poster=$!
  waited=0
  while running "$poster" && [ "$waited" -lt 25 ]; do
    sleep 0.2
    waited=$((waited + 1))
  done
  kill "$poster" 2>/dev/null
  wait "$poster"
}

# report PATH BODY: progress, best effort and in the background: the next count replaces a lost one, and a report must
# not keep a stall from being noticed. Not on stdout, which the caller reads to its end for a refusal.
report() { post "$1" "$2" >/dev/null & }

# The log lines go to Rackboot in order, each until it passes (courier): what the agent says while the link drops
# everything (the stall, the resume) reaches the window once the link is back.
log() {
  echo "rackboot-agent: $*" >&2
  [ -n "$AGENT_API" ] && echo "$*" >> "$OUTBOX"
}

# courier: sends OUTBOX's lines one after the other (read from its own descriptor, which stays at the end of what it
# read: no fork while nothing new is said), a line again 1 s after it failed. Once WORK/closing exists it ends with the
# last line sent, or after 5 more failures (the agent's own reports say the rest).
courier() {
  exec 4< "$OUTBOX"
  failures=0
  while :; do
    # Looked at before the read: every line said before the closing is in the file by then.
    closing=
    [ -e "$WORK/closing" ] && closing=1
    if read -r line <&4; then
      until post log "$line"; do
        [ -e "$WORK/closing" ] && failures=$((failures + 1))
        [ "$failures" -ge 5 ] && return 1
        sleep 1
      done
      continue
    fi
    [ -n "$closing" ] && return 0
    sleep 0.2
  done
}
courier >/dev/null &
COURIER=$!

# finish STATUS: the log lines said so far reach Rackboot before this script's caller speaks again, then exits STATUS.
finish() {
  : > "$WORK/closing"
  wait "$COURIER"
  exit "$1"
}

rest=${URL#http://}
HOSTPORT=${rest%%/*}
URL_PATH=/${rest#*/}
[ "$URL_PATH" = "/$rest" ] && URL_PATH=/
HOST=${HOSTPORT%:*}
PORT=${HOSTPORT##*:}
[ "$PORT" = "$HOSTPORT" ] && PORT=80

# attempt OFFSET: one connection, its body written by the helper from data byte OFFSET on, in the background: $! is
# the helper, whose write counter is the progress. It leaves the data offset it reached in WORK/reached, also when
# cut with SIGTERM.
attempt() {
  rm -f "$WORK/write.err" "$WORK/reached"
  extents fetch "$HOST" "$PORT" "$URL_PATH" "$DISK" "$WORK/map" "$1" >"$WORK/reached" 2>"$WORK/write.err" &
}

written_now() { sed -n 's/^wchar: //p' "/proc/$1/io" 2>/dev/null; }

# watch PID BASE: reports progress every second while PID runs; after STALL_SECONDS without a new byte it says so and
# returns 1, and the caller cuts the connection (stops the helper) and resumes. Returns 0 when the writer ended on its
# own, noticed within a fifth of a second (a small image is written in less than one).
watch() {
  last=
  still=0
  ticks=0
  while running "$1"; do
    sleep 0.2
    ticks=$((ticks + 1))
    [ $((ticks % 5)) -eq 0 ] || continue
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

# pause_before_retry TRIES: none after an attempt that brought bytes, then 1, 2 … 5 s.
pause_before_retry() {
  pause=$1
  [ "$pause" -gt 5 ] && pause=5
  sleep "$pause"
}

# fetch_map: the data extents; asked for again while the link drops the answer, given up at once when refused.
fetch_map() {
  tries=0
  until wget -q -O "$WORK/map" "$MAP_URL" 2>"$WORK/map.err"; do
    grep -q 'server returned error' "$WORK/map.err" && { echo "the server refused the extent map at $MAP_URL: $(tail -n 1 "$WORK/map.err")"; return 1; }
    tries=$((tries + 1))
    [ "$tries" -ge 10 ] && { echo "the server gave no extent map at $MAP_URL: $(tail -n 1 "$WORK/map.err")"; return 1; }
    pause_before_retry "$tries"
  done
}

fetch_data() {
  offset=0
  tries=0
  while [ "$offset" -lt "$SIZE" ]; do
    attempt "$offset"
    writer=$!
    watch "$writer" "$offset" || kill "$writer" 2>/dev/null
    wait "$writer"
    status=$?
    case $status in
      1) echo "writing the image to $DISK failed: $(tail -n 1 "$WORK/write.err")"; return 1 ;;
      3) echo "the server refused the image at $URL (from data byte $offset): $(tail -n 1 "$WORK/write.err")"; return 1 ;;
      4)
        log "the server sent another range than bytes $offset-; starting again from data byte 0"
        offset=0
        tries=$((tries + 1))
        pause_before_retry "$tries"
        continue
        ;;
    esac
    before=$offset
    reached=$(cat "$WORK/reached" 2>/dev/null)
    [ -n "$reached" ] && offset=$reached
    [ "$offset" -ge "$SIZE" ] && break
    if [ "$offset" -gt "$before" ]; then tries=0; else tries=$((tries + 1)); fi
    log "image transfer interrupted at data byte $offset of $SIZE; resuming from there (HTTP Range)"
    pause_before_retry "$tries"
  done
  return 0
}

fetch_map || finish 1
fetch_data || finish 1
# The last count goes before the holes are zeroed, so Rackboot sees the data complete while that runs.
report progress "written=$SIZE"
extents zero "$DISK" "$WORK/map" "$VIRTUAL_SIZE" >"$WORK/zero" 2>"$WORK/zero.err" || {
  echo "zeroing the image's holes on $DISK failed: $(tail -n 1 "$WORK/zero.err")"
  finish 1
}
case "$(cat "$WORK/zero")" in
  *method=write-zeroes*) log "holes zeroed by the disk's write-zeroes ($(sed -n 's/^zeroed=\([0-9]*\).*/\1/p' "$WORK/zero") bytes; the disk guarantees they read as zero)" ;;
  *) log "holes zeroed by writing zeros ($(sed -n 's/^zeroed=\([0-9]*\).*/\1/p' "$WORK/zero") bytes; they will be read back)" ;;
esac
finish 0
