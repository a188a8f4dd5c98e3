// The data phase of one TFTP read transfer, run on a thread of its own. In lock-step every block waits for a round
// trip, so the time between an ACK arriving and the next DATA leaving is the transfer's speed; Node's per-datagram
// path (a call into JavaScript per ACK, a send request object per DATA) made that slower than dnsmasq on a busy
// machine. Here it is poll(), recv() and sendmsg() with the payload straight from a read buffer.
//
// The rules are those of electron/pxe/tftp/transfer.ts, which stays the reference (the JavaScript engine uses it):
// absolute block numbers with 16-bit wire rollover to 0; a last block shorter than blksize (empty when the size
// divides evenly); an OACK waits for ACK 0; an ACK below the last block sent resumes after it (RFC 7440); a repeated
// ACK never resends with windowsize 1 (Sorcerer's Apprentice) and earns exactly one early resend with a window;
// timeouts resend from the block after the last acknowledged one and give up after max_retries in a row.
//
// Progress and the outcome reach JavaScript through a thread-safe function. JavaScript stops a pump through an
// eventfd that is part of every poll(), so the thread wakes at once. Once the thread has been joined, its
// descriptors and buffers are released at once; the small rest of the pump is freed when the JavaScript handle is
// collected too.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <node_api.h>
#include "node_errors.h"

enum { OPCODE_DATA = 3, OPCODE_ACK = 4, OPCODE_ERROR = 5 };
enum { TFTP_ERROR_NOT_DEFINED = 0 };

// The numbers JavaScript receives as the first argument of its callback (electron/pxe/tftp/native-pump.ts).
enum report_kind { REPORT_PROGRESS = 0, REPORT_DONE = 1, REPORT_FAILED = 2, REPORT_STOPPED = 3 };

enum phase { PHASE_OACK, PHASE_DATA, PHASE_FINISHED };

// A quarter MiB per read: one pread() serves 178 lock-step blocks of 1468 bytes.
#define READ_CHUNK_BYTES (256 * 1024)
// The thread needs little: its buffers live in the heap-allocated pump.
#define THREAD_STACK_BYTES (64 * 1024)
// Lock-step only: how long a pump waits awake for the next ACK before it sleeps in poll(). A client next to us answers
// within tens of microseconds, and sleeping and being woken costs about as much again on every block (bench/tftp.ts
// on an idle machine: 20 MB/s asleep, 60 MB/s awake). One pump at a time spins, so spinning never takes more than
// one core; a spin that waited in vain (a client across a real network, or one that did not get a core) pauses
// spinning for the next SPIN_PAUSE_BLOCKS waits, so a slow client costs no CPU.
#define SPIN_MICROSECONDS 50
#define SPIN_PAUSE_BLOCKS 64
// The largest UDP payload; a client's ERROR message may be that long and is passed on whole, as dgram does.
#define RECEIVE_BYTES 65536

struct settings {
  uint64_t size;
  uint32_t blksize;
  uint32_t windowsize;
  uint32_t timeout_ms;
  uint32_t max_retries;
  uint32_t progress_interval_ms;
  uint8_t *oack;  // NULL: the transfer opens with DATA 1
  size_t oack_length;
};

// Consecutive blocks of the file held in memory, so most DATA packets need no read at all.
struct read_buffer {
  uint8_t *bytes;
  uint64_t capacity_blocks;
  uint64_t first_block;
  uint64_t loaded_blocks;  // 0: nothing held
};

struct outcome {
  enum report_kind kind;
  char *message;  // latin1 (a client's ERROR text is passed on byte for byte); NULL for none
  size_t message_length;
};

struct pump {
  struct settings settings;
  int socket_fd;
  int file_fd;
  int wake_fd;  // -1 once the thread has been joined: stopping is then a no-op
  atomic_bool stop_requested;  // set with the eventfd, for the spin, which does not poll
  uint32_t spin_pause;  // waits left before the pump spins again
  pthread_t thread;
  bool thread_started;
  napi_threadsafe_function report;
  // Owners: the JavaScript handle and the thread (through `report`). Changed on the JavaScript thread only.
  int references;

  // The transfer, touched by the pump thread only.
  enum phase phase;
  uint64_t total_blocks;
  uint64_t acked;
  uint64_t sent;
  uint32_t retries;
  bool rewound;
  uint64_t rewound_at;  // the ACK value that already caused an early resend
  int64_t deadline_ms;
  bool progress_reported;
  int64_t progress_reported_at_ms;
  struct read_buffer file;
  struct outcome outcome;
  uint8_t *received;  // RECEIVE_BYTES
};

// What the thread hands to JavaScript; freed on the JavaScript thread after the call.
struct report {
  enum report_kind kind;
  double bytes_acked;
  char *message;
  size_t message_length;
};

/** Whether some pump is spinning now: at most one does. */
static atomic_flag spin_taken = ATOMIC_FLAG_INIT;

static int64_t now_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

// ---------------------------------------------------------------------------------------------------------------
// Reporting to JavaScript

static void post_report(struct pump *pump, enum report_kind kind, char *message, size_t message_length) {
  struct report *report = malloc(sizeof *report);
  if (report == NULL) {
    free(message);
    return;
  }
  uint64_t acked_bytes = min_u64(pump->acked * pump->settings.blksize, pump->settings.size);
  *report = (struct report){
      .kind = kind,
      .bytes_acked = (double)(kind == REPORT_DONE ? pump->settings.size : acked_bytes),
      .message = message,
      .message_length = message_length,
  };
  // Non-blocking on an unbounded queue: this never waits, and fails only while Node is shutting down.
  if (napi_call_threadsafe_function(pump->report, report, napi_tsfn_nonblocking) != napi_ok) {
    free(report->message);
    free(report);
  }
}

// Runs on the JavaScript thread: callback(kind, bytesAcked, message | undefined).
static void deliver_report(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  struct report *report = data;
  if (env != NULL && callback != NULL) {
    napi_value arguments[3], receiver;
    napi_create_uint32(env, (uint32_t)report->kind, &arguments[0]);
    napi_create_double(env, report->bytes_acked, &arguments[1]);
    if (report->message != NULL)
      napi_create_string_latin1(env, report->message, report->message_length, &arguments[2]);
    else
      napi_get_undefined(env, &arguments[2]);
    napi_get_undefined(env, &receiver);
    napi_call_function(env, receiver, callback, 3, arguments, NULL);
  }
  free(report->message);
  free(report);
}

static void report_progress_if_due(struct pump *pump) {
  int64_t now = now_ms();
  if (pump->progress_reported && now - pump->progress_reported_at_ms < pump->settings.progress_interval_ms) return;
  pump->progress_reported = true;
  pump->progress_reported_at_ms = now;
  post_report(pump, REPORT_PROGRESS, NULL, 0);
}

// Ends the transfer with a formatted message; returns false so callers can `return finish(...)` out of the loop.
static bool finish(struct pump *pump, enum report_kind kind, const char *format, ...) {
  pump->phase = PHASE_FINISHED;
  pump->outcome.kind = kind;
  if (format != NULL) {
    char *text = malloc(256);
    if (text != NULL) {
      va_list arguments;
      va_start(arguments, format);
      int length = vsnprintf(text, 256, format, arguments);
      va_end(arguments);
      pump->outcome.message = text;
      pump->outcome.message_length = length < 0 ? 0 : (length > 255 ? 255 : (size_t)length);
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

// False (and the transfer failed) when the network refuses the packet; a packet the kernel drops for lack of buffer
// space is as good as lost on the wire, and the timeout resends it.
static bool send_message(struct pump *pump, struct msghdr *message) {
  for (;;) {
    if (sendmsg(pump->socket_fd, message, 0) >= 0) return true;
    if (errno == EINTR) continue;
    if (errno == ENOBUFS || errno == EAGAIN) return true;
    return finish(pump, REPORT_FAILED, "network error: send %s", errno_code(errno));
  }
}

static bool send_bytes(struct pump *pump, const void *bytes, size_t length) {
  struct iovec part = {.iov_base = (void *)bytes, .iov_len = length};
  struct msghdr message = {.msg_iov = &part, .msg_iovlen = 1};
  return send_message(pump, &message);
}

// Best effort, as the JavaScript engine does: the transfer ends either way.
static void send_error(struct pump *pump, uint16_t code, const char *text) {
  uint8_t packet[128] = {0, OPCODE_ERROR, (uint8_t)(code >> 8), (uint8_t)code};
  size_t length = strlen(text);
  memcpy(packet + 4, text, length);  // callers pass short constants
  (void)send(pump->socket_fd, packet, 4 + length + 1, 0);
}

// Bytes of an absolute block; the last block is short, possibly empty, and nothing past the size is ever read.
static uint64_t block_length(const struct pump *pump, uint64_t block) {
  uint64_t offset = (block - 1) * pump->settings.blksize;
  if (offset >= pump->settings.size) return 0;
  return min_u64(pump->settings.blksize, pump->settings.size - offset);
}

static bool buffer_holds(const struct read_buffer *file, uint64_t block) {
  return file->loaded_blocks > 0 && block >= file->first_block && block < file->first_block + file->loaded_blocks;
}

// Reads the blocks from `block` on into the buffer. 0 on success, otherwise an errno value; -1: the file ended early.
static int fill_buffer(struct pump *pump, uint64_t block) {
  struct read_buffer *file = &pump->file;
  uint64_t offset = (block - 1) * pump->settings.blksize;
  uint64_t wanted = min_u64(file->capacity_blocks * pump->settings.blksize, pump->settings.size - offset);
  file->loaded_blocks = 0;
  uint64_t filled = 0;
  while (filled < wanted) {
    ssize_t count = pread(pump->file_fd, file->bytes + filled, wanted - filled, (off_t)(offset + filled));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) return errno;
    if (count == 0) return -1;
    filled += (uint64_t)count;
  }
  file->first_block = block;
  file->loaded_blocks = (wanted + pump->settings.blksize - 1) / pump->settings.blksize;
  return 0;
}

static bool send_block(struct pump *pump, uint64_t block) {
  uint64_t length = block_length(pump, block);
  if (length > 0 && !buffer_holds(&pump->file, block)) {
    int error = fill_buffer(pump, block);
    if (error != 0) {
      send_error(pump, TFTP_ERROR_NOT_DEFINED, "Server could not read the file");
      return finish(pump, REPORT_FAILED, "reading the file failed: %s",
                    error < 0 ? "the file became shorter while it was being sent" : strerror(error));
    }
  }
  // The wire carries the block number modulo 2^16: after 65535 comes 0.
  uint8_t header[4] = {0, OPCODE_DATA, (uint8_t)(block >> 8), (uint8_t)block};
  struct iovec parts[2] = {{.iov_base = header, .iov_len = sizeof header}, {.iov_base = NULL, .iov_len = 0}};
  if (length > 0) {
    parts[1].iov_base = pump->file.bytes + (block - pump->file.first_block) * pump->settings.blksize;
    parts[1].iov_len = length;
  }
  struct msghdr message = {.msg_iov = parts, .msg_iovlen = length > 0 ? 2 : 1};
  return send_message(pump, &message);
}

static void restart_timer(struct pump *pump) { pump->deadline_ms = now_ms() + pump->settings.timeout_ms; }

// Sends the window that follows the last acknowledged block, from `from` on (transfer.ts: sendFrom).
static bool send_window_from(struct pump *pump, uint64_t from) {
  uint64_t to = min_u64(pump->acked + pump->settings.windowsize, pump->total_blocks);
  pump->sent = to;
  restart_timer(pump);
  for (uint64_t block = from; block <= to; block += 1)
    if (!send_block(pump, block)) return false;
  report_progress_if_due(pump);
  // While the client answers, read ahead what the next ACK will ask for; a failure is reported by the send that
  // needs those bytes.
  uint64_t next = to + 1;
  if (next <= pump->total_blocks && block_length(pump, next) > 0 && !buffer_holds(&pump->file, next))
    (void)fill_buffer(pump, next);
  return true;
}

static bool send_oack(struct pump *pump) {
  restart_timer(pump);
  return send_bytes(pump, pump->settings.oack, pump->settings.oack_length);
}

// ---------------------------------------------------------------------------------------------------------------
// The state machine (transfer.ts)

static bool start_transfer(struct pump *pump) {
  if (pump->settings.oack != NULL) {
    pump->phase = PHASE_OACK;
    return send_oack(pump);
  }
  pump->phase = PHASE_DATA;
  return send_window_from(pump, 1);
}

static bool on_ack(struct pump *pump, uint16_t wire_block) {
  if (pump->phase == PHASE_OACK) {
    if (wire_block != 0) return true;
    pump->phase = PHASE_DATA;
    pump->retries = 0;
    return send_window_from(pump, 1);
  }
  // The absolute block nearest above the last acknowledged one with these low 16 bits.
  uint64_t block = pump->acked + ((wire_block - pump->acked) & 0xffff);
  if (block > pump->sent) return true;
  if (block == pump->total_blocks) {
    pump->acked = block;
    return finish(pump, REPORT_DONE, NULL);
  }
  if (block > pump->acked) {
    pump->acked = block;
    pump->retries = 0;
    // An ACK below the last block sent means the client saw a gap (RFC 7440): resume right after it.
    return send_window_from(pump, block + 1);
  }
  // A repeated ACK: with windowsize 1 only the timeout resends (Sorcerer's Apprentice); with a window the first copy
  // earns one early resend (the window's first block was lost) and further copies are ignored.
  if (pump->settings.windowsize > 1 && !(pump->rewound && pump->rewound_at == block)) {
    pump->rewound = true;
    pump->rewound_at = block;
    return send_window_from(pump, block + 1);
  }
  return true;
}

static bool on_client_error(struct pump *pump, uint16_t code, const uint8_t *text, size_t length) {
  const uint8_t *end = memchr(text, 0, length);
  if (end != NULL) length = (size_t)(end - text);
  char prefix[48];
  int prefix_length = snprintf(prefix, sizeof prefix, "client sent error %u: ", (unsigned)code);
  char *message = malloc((size_t)prefix_length + length);
  pump->phase = PHASE_FINISHED;
  pump->outcome.kind = REPORT_FAILED;
  if (message != NULL) {
    memcpy(message, prefix, (size_t)prefix_length);
    memcpy(message + prefix_length, text, length);
    pump->outcome.message = message;
    pump->outcome.message_length = (size_t)prefix_length + length;
  }
  return false;
}

static bool on_packet(struct pump *pump, const uint8_t *packet, size_t length) {
  // Runts and anything but ACK or ERROR are ignored: a stray packet must not end a good transfer.
  if (length < 4) return true;
  uint16_t opcode = (uint16_t)(packet[0] << 8 | packet[1]);
  uint16_t number = (uint16_t)(packet[2] << 8 | packet[3]);
  if (opcode == OPCODE_ACK) return on_ack(pump, number);
  if (opcode == OPCODE_ERROR) return on_client_error(pump, number, packet + 4, length - 4);
  return true;
}

static bool on_timeout(struct pump *pump) {
  pump->retries += 1;
  if (pump->retries > pump->settings.max_retries) {
    send_error(pump, TFTP_ERROR_NOT_DEFINED, "Transfer timed out");
    return finish(pump, REPORT_FAILED, "no acknowledgement after %u retries", pump->settings.max_retries);
  }
  if (pump->phase == PHASE_OACK) return send_oack(pump);
  return send_window_from(pump, pump->acked + 1);
}

// What recv() gave (a length, or -1 with errno): the packet handled, nothing yet, or the transfer failed.
static bool handle_received(struct pump *pump, ssize_t length) {
  if (length >= 0) return on_packet(pump, pump->received, (size_t)length);
  if (errno == EAGAIN || errno == EINTR) return true;
  // On a connected socket an ICMP "port unreachable" from the client arrives here, as it does in Node's dgram.
  return finish(pump, REPORT_FAILED, "network error: recvmsg %s", errno_code(errno));
}

static bool receive_packet(struct pump *pump) {
  return handle_received(pump, recv(pump->socket_fd, pump->received, RECEIVE_BYTES, MSG_DONTWAIT));
}

// Waits awake for the client's next packet (lock-step, and only while no other pump spins). True when a packet (or a
// socket error) was handled, with `running` set as receive_packet would; false when none came in time or a stop was
// asked for: then poll() waits and sees it.
static bool spin_for_packet(struct pump *pump, bool *running) {
  if (pump->settings.windowsize != 1 || pump->phase != PHASE_DATA) return false;
  if (pump->spin_pause > 0) {
    pump->spin_pause -= 1;
    return false;
  }
  if (atomic_flag_test_and_set(&spin_taken)) return false;
  int64_t until = now_us() + SPIN_MICROSECONDS;
  bool handled = false;
  do {
    if (atomic_load(&pump->stop_requested)) break;
    ssize_t length = recv(pump->socket_fd, pump->received, RECEIVE_BYTES, MSG_DONTWAIT);
    if (length >= 0 || (errno != EAGAIN && errno != EINTR)) {
      *running = handle_received(pump, length);
      handled = true;
      break;
    }
    // On a busy machine the client may be waiting for this very core: let it run.
    sched_yield();
  } while (now_us() < until);
  atomic_flag_clear(&spin_taken);
  if (!handled && !atomic_load(&pump->stop_requested)) pump->spin_pause = SPIN_PAUSE_BLOCKS;
  return handled;
}

static void run_transfer(struct pump *pump) {
  bool running = start_transfer(pump);
  while (running) {
    if (spin_for_packet(pump, &running)) continue;
    struct pollfd watched[2] = {{.fd = pump->wake_fd, .events = POLLIN}, {.fd = pump->socket_fd, .events = POLLIN}};
    int64_t remaining = pump->deadline_ms - now_ms();
    int ready = poll(watched, 2, remaining > 0 ? (int)remaining : 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      running = finish(pump, REPORT_FAILED, "network error: poll %s", errno_code(errno));
    } else if (watched[0].revents != 0) {
      running = finish(pump, REPORT_STOPPED, NULL);
    } else if (watched[1].revents != 0) {
      running = receive_packet(pump);
    } else if (now_ms() >= pump->deadline_ms) {
      running = on_timeout(pump);
    }
  }
}

static void *pump_thread(void *argument) {
  struct pump *pump = argument;
  run_transfer(pump);
  // The socket and the file are closed before JavaScript hears the outcome, so a finished transfer holds nothing.
  close(pump->socket_fd);
  close(pump->file_fd);
  pump->socket_fd = pump->file_fd = -1;
  post_report(pump, pump->outcome.kind, pump->outcome.message, pump->outcome.message_length);
  pump->outcome.message = NULL;
  napi_release_threadsafe_function(pump->report, napi_tsfn_release);
  return NULL;
}

// ---------------------------------------------------------------------------------------------------------------
// Lifetime

// Everything but the pump itself: descriptors should not wait for the garbage collector.
static void release_resources(struct pump *pump) {
  if (pump->wake_fd >= 0) close(pump->wake_fd);
  pump->wake_fd = -1;
  free(pump->settings.oack);
  free(pump->file.bytes);
  free(pump->received);
  free(pump->outcome.message);
  pump->settings.oack = pump->file.bytes = pump->received = NULL;
  pump->outcome.message = NULL;
}

static void drop_reference(struct pump *pump) {
  pump->references -= 1;
  if (pump->references > 0) return;
  release_resources(pump);
  free(pump);
}

// The thread has released the thread-safe function (or Node is shutting down): wake it in case it still runs, and
// wait for it, so no thread outlives the pump. Runs on the JavaScript thread, as stopPump does, so the two never
// race over the eventfd.
static void on_report_closed(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct pump *pump = data;
  if (pump->thread_started) {
    atomic_store(&pump->stop_requested, true);
    eventfd_write(pump->wake_fd, 1);
    pthread_join(pump->thread, NULL);
  }
  release_resources(pump);
  drop_reference(pump);
}

static void on_handle_collected(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  drop_reference(data);
}

// ---------------------------------------------------------------------------------------------------------------
// JavaScript entry points

static bool get_uint32(napi_env env, napi_value object, const char *name, uint32_t low, uint32_t high, uint32_t *out) {
  napi_value value;
  return napi_get_named_property(env, object, name, &value) == napi_ok &&
         napi_get_value_uint32(env, value, out) == napi_ok && *out >= low && *out <= high;
}

static bool get_ipv4(napi_env env, napi_value object, const char *name, struct in_addr *out) {
  napi_value value;
  char text[INET_ADDRSTRLEN + 1];
  size_t length = 0;
  return napi_get_named_property(env, object, name, &value) == napi_ok &&
         napi_get_value_string_utf8(env, value, text, sizeof text, &length) == napi_ok &&
         inet_pton(AF_INET, text, out) == 1;
}

static bool get_size(napi_env env, napi_value object, uint64_t *out) {
  napi_value value;
  double number = -1;
  if (napi_get_named_property(env, object, "size", &value) != napi_ok || napi_get_value_double(env, value, &number) != napi_ok)
    return false;
  if (!(number >= 0 && number <= 9007199254740991.0) || number != (double)(uint64_t)number) return false;
  *out = (uint64_t)number;
  return true;
}

// The OACK bytes (a Buffer) or null; copied, since the Buffer belongs to JavaScript.
static bool get_oack(napi_env env, napi_value object, uint8_t **bytes, size_t *length) {
  napi_value value;
  napi_valuetype type;
  bool is_buffer = false;
  void *data = NULL;
  *bytes = NULL;
  *length = 0;
  if (napi_get_named_property(env, object, "oack", &value) != napi_ok || napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_null) return true;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return false;
  if (napi_get_buffer_info(env, value, &data, length) != napi_ok || *length == 0) return false;
  *bytes = malloc(*length);
  if (*bytes == NULL) return false;
  memcpy(*bytes, data, *length);
  return true;
}

// A UDP socket on the provisioning address's ephemeral port (the server's transfer ID), connected to the client so
// the kernel drops datagrams from anyone else. -1 with errno set, and `failed` naming the call, on failure.
static int open_transfer_socket(struct in_addr local_address, struct in_addr client_address, uint16_t client_port,
                                const char **failed) {
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = local_address, .sin_port = 0};
  struct sockaddr_in client = {.sin_family = AF_INET, .sin_addr = client_address, .sin_port = htons(client_port)};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *failed = "socket";
    return -1;
  }
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) *failed = "bind";
  else if (connect(fd, (struct sockaddr *)&client, sizeof client) != 0) *failed = "connect";
  else return fd;
  int error = errno;
  close(fd);
  errno = error;
  return -1;
}

static int start_thread(struct pump *pump) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, THREAD_STACK_BYTES);
  // Signals stay with Node's threads: the pump's blocking calls should not be the ones interrupted.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  int error = pthread_create(&pump->thread, &attributes, pump_thread, pump);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  pthread_attr_destroy(&attributes);
  pump->thread_started = error == 0;
  return error;
}

// startPump(request, onReport): handle. `request` is checked by the TypeScript wrapper's types and again here.
static napi_value start_pump(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype callback_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_typeof(env, argv[1], &callback_type) != napi_ok || callback_type != napi_function)
    return throw_type_error(env, "startPump(request, onReport)");
  napi_value request = argv[0];

  struct settings settings = {0};
  struct in_addr local_address, client_address;
  uint32_t client_port = 0, file_descriptor = 0;
  if (!get_ipv4(env, request, "localAddress", &local_address) || !get_ipv4(env, request, "clientAddress", &client_address))
    return throw_type_error(env, "localAddress and clientAddress must be dotted IPv4 addresses");
  if (!get_uint32(env, request, "clientPort", 1, 65535, &client_port) ||
      !get_uint32(env, request, "fileDescriptor", 0, INT32_MAX, &file_descriptor) || !get_size(env, request, &settings.size) ||
      !get_uint32(env, request, "blksize", 8, 65464, &settings.blksize) ||
      !get_uint32(env, request, "windowsize", 1, 65535, &settings.windowsize) ||
      !get_uint32(env, request, "timeoutMs", 1, INT32_MAX, &settings.timeout_ms) ||
      !get_uint32(env, request, "maxRetries", 0, UINT32_MAX, &settings.max_retries) ||
      !get_uint32(env, request, "progressIntervalMs", 0, UINT32_MAX, &settings.progress_interval_ms))
    return throw_type_error(env, "a pump request needs clientPort, fileDescriptor, size, blksize, windowsize, timeoutMs, "
                                 "maxRetries and progressIntervalMs in their ranges");
  if (!get_oack(env, request, &settings.oack, &settings.oack_length))
    return throw_type_error(env, "oack must be a non-empty Buffer or null");

  struct pump *pump = calloc(1, sizeof *pump);
  // Enough blocks for a whole window and the one after it, so a window never needs two reads.
  uint64_t capacity_blocks = READ_CHUNK_BYTES / settings.blksize;
  if (capacity_blocks < (uint64_t)settings.windowsize + 1) capacity_blocks = (uint64_t)settings.windowsize + 1;
  uint8_t *file_bytes = pump == NULL ? NULL : malloc(capacity_blocks * settings.blksize);
  uint8_t *received = pump == NULL ? NULL : malloc(RECEIVE_BYTES);
  if (pump == NULL || file_bytes == NULL || received == NULL) {
    free(pump);
    free(file_bytes);
    free(received);
    free(settings.oack);
    return throw_system_error(env, ENOMEM, "startPump");
  }
  pump->settings = settings;
  pump->file = (struct read_buffer){.bytes = file_bytes, .capacity_blocks = capacity_blocks};
  pump->received = received;
  pump->total_blocks = settings.size / settings.blksize + 1;
  pump->references = 2;

  // Our own copy of the descriptor: JavaScript closes its file handle whenever it likes.
  const char *failed = NULL;
  pump->file_fd = fcntl((int)file_descriptor, F_DUPFD_CLOEXEC, 0);
  if (pump->file_fd < 0) failed = "dup(file)";
  pump->wake_fd = failed ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!failed && pump->wake_fd < 0) failed = "eventfd";
  pump->socket_fd = failed ? -1 : open_transfer_socket(local_address, client_address, (uint16_t)client_port, &failed);
  if (failed) {
    int error = errno;
    if (pump->file_fd >= 0) close(pump->file_fd);
    pump->references = 1;
    drop_reference(pump);  // closes wake_fd if it was opened, and frees
    return throw_system_error(env, error, failed);
  }

  napi_value resource_name;
  napi_create_string_utf8(env, "rackboot.tftpPump", NAPI_AUTO_LENGTH, &resource_name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, resource_name, 0, 1, pump, on_report_closed, NULL,
                                      deliver_report, &pump->report) != napi_ok) {
    close(pump->socket_fd);
    close(pump->file_fd);
    pump->references = 1;
    drop_reference(pump);
    return throw_system_error(env, ENOMEM, "napi_create_threadsafe_function");
  }
  int error = start_thread(pump);
  if (error != 0) {
    close(pump->socket_fd);
    close(pump->file_fd);
    // No handle is returned; the thread-safe function's finalizer frees the pump.
    pump->references = 1;
    napi_release_threadsafe_function(pump->report, napi_tsfn_abort);
    return throw_system_error(env, error, "pthread_create");
  }

  napi_value handle;
  napi_create_external(env, pump, on_handle_collected, NULL, &handle);
  return handle;
}

// stopPump(handle): wakes the thread, which ends the transfer without sending anything more and reports "stopped".
// Harmless after the transfer has ended: before the thread is joined the eventfd is still open, after it is -1.
static napi_value stop_pump(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok)
    return throw_type_error(env, "stopPump(handle)");
  struct pump *pump = data;
  atomic_store(&pump->stop_requested, true);
  if (pump->wake_fd >= 0) eventfd_write(pump->wake_fd, 1);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value function;
  napi_create_function(env, "startPump", NAPI_AUTO_LENGTH, start_pump, NULL, &function);
  napi_set_named_property(env, exports, "startPump", function);
  napi_create_function(env, "stopPump", NAPI_AUTO_LENGTH, stop_pump, NULL, &function);
  napi_set_named_property(env, exports, "stopPump", function);
  return exports;
}
