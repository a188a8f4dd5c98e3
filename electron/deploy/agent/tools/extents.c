// The deploy agent's disk writer for an image sent as its data extents only (docs/agent-api.md, "The image
// download"): busybox can neither scatter one stream over many offsets cheaply nor ask the disk to zero a range, and
// its nc moves a stream through a pipe in small pieces, at a third of the speed of reading the socket here.
//
//   extents fetch HOST PORT PATH DISK MAP FROM
//                                      GETs PATH from HOST:PORT (HTTP/1.0; with a Range from data byte FROM on
//                                      when FROM > 0): the data extents' bytes, each written where MAP puts it.
//                                      Prints how far the data got (the resume point), also when stopped by SIGTERM.
//                                      Exit 0: all data written; 2: the connection failed, ended early or was cut
//                                      (resume); 3: the server refused (not 200, or not 206 to a Range); 4: it sent
//                                      another range than asked; 1: the disk refused.
//   extents zero DISK MAP SIZE         makes every byte of [0, SIZE) outside MAP read back as zero, by the cheapest
//                                      guaranteed means: the disk's write-zeroes (BLKZEROOUT where
//                                      queue/write_zeroes_max_bytes > 0), else zeros written (BLKZEROOUT's own
//                                      fallback, or pwrite). Prints "method=write-zeroes" or "method=written".
//   extents read DISK MAP              writes the data extents' bytes, in order, to stdout (for sha256sum).
//   extents check-zero DISK MAP SIZE   reads the holes back; exit 1 naming the first byte that is not zero.
//
// MAP is a file of "OFFSET LENGTH" lines, in order, not overlapping.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)

struct extent {
  uint64_t offset;
  uint64_t length;
};

static struct extent *extents;
static size_t extent_count;
/** One more byte than a chunk: a response head is read into it NUL-terminated. */
static unsigned char buffer[CHUNK + 1];

static void die(const char *what, uint64_t at) {
  fprintf(stderr, "%s at byte %llu: %s\n", what, (unsigned long long)at, strerror(errno));
  exit(1);
}

static void load_map(const char *path) {
  FILE *file = fopen(path, "r");
  if (!file) {
    fprintf(stderr, "cannot open the extent map %s: %s\n", path, strerror(errno));
    exit(1);
  }
  size_t capacity = 64;
  extents = malloc(capacity * sizeof *extents);
  unsigned long long offset, length, end = 0;
  while (fscanf(file, "%llu %llu", &offset, &length) == 2) {
    if (length == 0 || offset < end) {
      fprintf(stderr, "the extent map is not in order at extent %zu\n", extent_count);
      exit(1);
    }
    if (extent_count == capacity) extents = realloc(extents, (capacity *= 2) * sizeof *extents);
    if (!extents) exit(1);
    extents[extent_count++] = (struct extent){offset, length};
    end = offset + length;
  }
  fclose(file);
}

static uint64_t number(const char *text) { return strtoull(text, NULL, 10); }

static void write_all(int fd, const unsigned char *data, size_t length, uint64_t at) {
  while (length > 0) {
    ssize_t done = pwrite(fd, data, length, (off_t)at);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) {
      if (done == 0) errno = ENOSPC;
      die("writing to the disk failed", at);
    }
    data += done;
    length -= (size_t)done;
    at += (uint64_t)done;
  }
}

/** Data bytes of the extents on the disk so far (written; flushed only at the end): the resume point. */
static volatile uint64_t position;
static uint64_t data_total;
/** The extent `position` is in, and the data offset where that extent starts. */
static size_t extent_index;
static uint64_t extent_data_at;

/** Prints the resume point; async-signal-safe (write only), for the SIGTERM handler too. */
static void print_position(void) {
  char digits[24], text[24];
  int count = 0, length = 0;
  uint64_t value = position;
  do {
    digits[count++] = (char)('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (count > 0) text[length++] = digits[--count];
  text[length++] = '\n';
  if (write(1, text, (size_t)length) < 0) _exit(1);
}

/** The agent cuts a stalled transfer with SIGTERM: what was written stays, and the caller resumes from there. */
static void stop_on_term(int signal_number) {
  (void)signal_number;
  print_position();
  _exit(2);
}

static void start_at(uint64_t from) {
  for (size_t i = 0; i < extent_count; i++) data_total += extents[i].length;
  while (extent_index < extent_count && extent_data_at + extents[extent_index].length <= from) {
    extent_data_at += extents[extent_index++].length;
  }
  position = from < data_total ? from : data_total;
}

/** Writes the next bytes of the data where the map puts them; bytes beyond the last extent are dropped. */
static void put_data(int fd, const unsigned char *data, size_t length) {
  while (length > 0 && position < data_total) {
    uint64_t in_extent = position - extent_data_at;
    uint64_t left = extents[extent_index].length - in_extent;
    size_t part = length < left ? length : (size_t)left;
    write_all(fd, data, part, extents[extent_index].offset + in_extent);
    position += part;
    data += part;
    length -= part;
    if (position - extent_data_at == extents[extent_index].length) extent_data_at += extents[extent_index++].length;
  }
}

static int connect_to(const char *host, const char *port) {
  struct sockaddr_storage address = {0};
  socklen_t size;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)number(port));
    size = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)number(port));
    size = sizeof *v6;
  } else {
    fprintf(stderr, "%s is not an IP address\n", host);
    exit(3);
  }
  int sock = socket(address.ss_family, SOCK_STREAM, 0);
  if (sock < 0 || connect(sock, (struct sockaddr *)&address, size) != 0) return -1;
  return sock;
}

static int send_all(int sock, const char *text, size_t length) {
  while (length > 0) {
    ssize_t sent = send(sock, text, length, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return -1;
    text += sent;
    length -= (size_t)sent;
  }
  return 0;
}

/**
 * Reads the response head into `buffer` (NUL-terminated at its end); returns the bytes received, of which the first
 * `*head` are the head and the rest the body's beginning, or 0 when the connection ended before the head did.
 */
static size_t read_head(int sock, size_t *head) {
  const size_t limit = 16 * 1024;
  size_t got = 0;
  while (got < limit) {
    ssize_t part = recv(sock, buffer + got, limit - got, 0);
    if (part < 0 && errno == EINTR) continue;
    if (part <= 0) return 0;
    got += (size_t)part;
    buffer[got] = 0;
    char *end = strstr((char *)buffer, "\r\n\r\n");
    if (end) {
      *head = (size_t)(end - (char *)buffer) + 4;
      buffer[*head - 2] = 0;
      return got;
    }
  }
  fprintf(stderr, "the response head is longer than %zu bytes\n", limit);
  exit(3);
}

/** Exit status for a response head: 0 to write its body, 3 refused, 4 another range. */
static int check_head(char *head, uint64_t from) {
  int code = 0;
  if (sscanf(head, "HTTP/%*d.%*d %d", &code) != 1) code = 0;
  if (code != (from > 0 ? 206 : 200)) {
    char *status_end = strchr(head, '\r');
    if (status_end) *status_end = 0;
    fprintf(stderr, "the server answered %.80s\n", head);
    return 3;
  }
  if (from == 0) return 0;
  char expected[40];
  snprintf(expected, sizeof expected, "bytes %llu-", (unsigned long long)from);
  for (char *line = strtok(head, "\r\n"); line; line = strtok(NULL, "\r\n")) {
    if (strncasecmp(line, "content-range:", 14) != 0) continue;
    char *value = line + 14;
    while (*value == ' ') value++;
    if (strncmp(value, expected, strlen(expected)) == 0) return 0;
  }
  return 4;
}

static int command_fetch(const char *host, const char *port, const char *path, const char *disk, uint64_t from) {
  int fd = open(disk, O_WRONLY);
  if (fd < 0) die("cannot open the disk for writing", 0);
  start_at(from);
  struct sigaction stop = {.sa_handler = stop_on_term};
  sigaction(SIGTERM, &stop, NULL);
  char range[48] = "";
  if (from > 0) snprintf(range, sizeof range, "Range: bytes=%llu-\r\n", (unsigned long long)from);
  char request[4096];
  int length = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: rackboot-agent\r\n%s\r\n", path, host, port, range);
  if (length < 0 || length >= (int)sizeof request) {
    fprintf(stderr, "the image path is too long for a request\n");
    return 3;
  }
  int sock = connect_to(host, port);
  size_t head = 0, got = 0;
  if (sock >= 0 && send_all(sock, request, (size_t)length) == 0) got = read_head(sock, &head);
  if (got == 0) {
    fprintf(stderr, "no answer from %s:%s: %s\n", host, port, errno ? strerror(errno) : "the connection closed");
    print_position();
    return 2;
  }
  int refused = check_head((char *)buffer, from);
  if (refused) return refused;
  put_data(fd, buffer + head, got - head);
  while (position < data_total) {
    uint64_t left = data_total - position;
    ssize_t part = recv(sock, buffer, left < CHUNK ? (size_t)left : CHUNK, 0);
    if (part < 0 && errno == EINTR) continue;
    if (part <= 0) break;
    put_data(fd, buffer, (size_t)part);
  }
  int status = position < data_total ? 2 : 0;
  if (status == 0 && fdatasync(fd) != 0) die("flushing the disk failed", position);
  // The resume point is printed once: a SIGTERM from here on would print it again.
  signal(SIGTERM, SIG_IGN);
  print_position();
  return status;
}

/** write_zeroes_max_bytes of the disk (of its whole device for a partition), 0 when unknown. */
static uint64_t write_zeroes_max(int fd) {
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISBLK(info.st_mode)) return 0;
  char path[128];
  const char *candidates[] = {"/sys/dev/block/%u:%u/queue/write_zeroes_max_bytes", "/sys/dev/block/%u:%u/../queue/write_zeroes_max_bytes"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, candidates[i], major(info.st_rdev), minor(info.st_rdev));
    FILE *file = fopen(path, "r");
    if (!file) continue;
    unsigned long long value = 0;
    int read = fscanf(file, "%llu", &value);
    fclose(file);
    if (read == 1) return value;
  }
  return 0;
}

static void write_zeros(int fd, uint64_t at, uint64_t length) {
  memset(buffer, 0, CHUNK);
  while (length > 0) {
    size_t part = length < CHUNK ? (size_t)length : CHUNK;
    write_all(fd, buffer, part, at);
    at += part;
    length -= part;
  }
}

static int ioctl_works;
static int wrote_zeros;

/** Zeros [at, at+length): the sector-aligned middle by BLKZEROOUT while the disk takes it, anything else written. */
static void zero_range(int fd, uint64_t at, uint64_t length) {
  uint64_t start = (at + 511) & ~(uint64_t)511;
  uint64_t end = (at + length) & ~(uint64_t)511;
  if (ioctl_works && end > start) {
    uint64_t range[2] = {start, end - start};
    if (ioctl(fd, BLKZEROOUT, &range) == 0) {
      if (start > at || at + length > end) wrote_zeros = 1;
      write_zeros(fd, at, start - at);
      write_zeros(fd, end, at + length - end);
      return;
    }
    ioctl_works = 0;
  }
  wrote_zeros = 1;
  write_zeros(fd, at, length);
}

static int command_zero(const char *disk, uint64_t size) {
  int fd = open(disk, O_WRONLY);
  if (fd < 0) die("cannot open the disk for zeroing", 0);
  struct stat info;
  ioctl_works = fstat(fd, &info) == 0 && S_ISBLK(info.st_mode);
  int offloaded = write_zeroes_max(fd) > 0;
  uint64_t at = 0, zeroed = 0;
  for (size_t i = 0; i <= extent_count; i++) {
    uint64_t next = i < extent_count ? extents[i].offset : size;
    if (next > at) {
      zero_range(fd, at, next - at);
      zeroed += next - at;
    }
    if (i < extent_count) at = extents[i].offset + extents[i].length;
  }
  if (fdatasync(fd) != 0) die("flushing the disk failed", size);
  // Only the disk's own write-zeroes is a guarantee that needs no reading back; zeros written (by the kernel's
  // fallback or here) are read back like any write whose result is not otherwise checked.
  printf("zeroed=%llu method=%s\n", (unsigned long long)zeroed, offloaded && ioctl_works && !wrote_zeros ? "write-zeroes" : "written");
  return 0;
}

static void read_range(int fd, uint64_t at, uint64_t length, int check_zero) {
  while (length > 0) {
    size_t part = length < CHUNK ? (size_t)length : CHUNK;
    ssize_t got = pread(fd, buffer, part, (off_t)at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (got == 0) errno = EIO;
      die("reading the disk back failed", at);
    }
    if (check_zero) {
      for (ssize_t i = 0; i < got; i++) {
        if (buffer[i]) {
          fprintf(stderr, "byte %llu of a hole reads back %u, not zero\n", (unsigned long long)(at + (uint64_t)i), buffer[i]);
          exit(1);
        }
      }
    } else {
      for (ssize_t written = 0; written < got;) {
        ssize_t out = write(1, buffer + written, (size_t)(got - written));
        if (out < 0 && errno == EINTR) continue;
        if (out <= 0) exit(1);
        written += out;
      }
    }
    at += (uint64_t)got;
    length -= (uint64_t)got;
  }
}

static int command_read(const char *disk, int check_zero, uint64_t size) {
  int fd = open(disk, O_RDONLY);
  if (fd < 0) die("cannot open the disk for reading", 0);
  // What was just written may still be in the page cache: read what the disk holds.
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  uint64_t at = 0;
  for (size_t i = 0; i <= extent_count; i++) {
    if (check_zero) {
      uint64_t next = i < extent_count ? extents[i].offset : size;
      if (next > at) read_range(fd, at, next - at, 1);
      if (i < extent_count) at = extents[i].offset + extents[i].length;
    } else if (i < extent_count) {
      read_range(fd, extents[i].offset, extents[i].length, 0);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 8 && strcmp(argv[1], "fetch") == 0) {
    load_map(argv[6]);
    return command_fetch(argv[2], argv[3], argv[4], argv[5], number(argv[7]));
  }
  if (argc >= 4) load_map(argv[3]);
  if (argc == 5 && strcmp(argv[1], "zero") == 0) return command_zero(argv[2], number(argv[4]));
  if (argc == 4 && strcmp(argv[1], "read") == 0) return command_read(argv[2], 0, 0);
  if (argc == 5 && strcmp(argv[1], "check-zero") == 0) return command_read(argv[2], 1, number(argv[4]));
  fprintf(stderr, "usage: extents fetch HOST PORT PATH DISK MAP FROM | zero DISK MAP SIZE | read DISK MAP | check-zero DISK MAP SIZE\n");
  return 64;
}
