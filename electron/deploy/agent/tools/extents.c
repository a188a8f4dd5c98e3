// The deploy agent's disk writer for an image sent as its data extents only (docs/agent-api.md, "The image
// download"): busybox dd can neither scatter one stream over many offsets cheaply nor ask the disk to zero a range.
//
//   extents write DISK MAP FROM        stdin holds the data extents' bytes from byte FROM of their sequence on;
//                                      writes each where MAP puts it. Prints how far the data got (the resume point).
//                                      Exit 0: all data written; 2: stdin ended early (resume); 1: the disk refused.
//   extents zero DISK MAP SIZE         makes every byte of [0, SIZE) outside MAP read back as zero, by the cheapest
//                                      guaranteed means: the disk's write-zeroes (BLKZEROOUT where
//                                      queue/write_zeroes_max_bytes > 0), else zeros written (BLKZEROOUT's own
//                                      fallback, or pwrite). Prints "method=write-zeroes" or "method=written".
//   extents read DISK MAP              writes the data extents' bytes, in order, to stdout (for sha256sum).
//   extents check-zero DISK MAP SIZE   reads the holes back; exit 1 naming the first byte that is not zero.
//
// MAP is a file of "OFFSET LENGTH" lines, in order, not overlapping.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
static unsigned char buffer[CHUNK];

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

static int command_write(const char *disk, uint64_t from) {
  int fd = open(disk, O_WRONLY);
  if (fd < 0) die("cannot open the disk for writing", 0);
  uint64_t total = 0;
  for (size_t i = 0; i < extent_count; i++) total += extents[i].length;
  uint64_t data_at = 0;
  size_t index = 0;
  while (index < extent_count && data_at + extents[index].length <= from) data_at += extents[index++].length;
  uint64_t position = from;
  int status = 0;
  while (position < total) {
    uint64_t in_extent = position - data_at;
    uint64_t left = extents[index].length - in_extent;
    ssize_t got = read(0, buffer, left < CHUNK ? (size_t)left : CHUNK);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      status = 2;
      break;
    }
    write_all(fd, buffer, (size_t)got, extents[index].offset + in_extent);
    position += (uint64_t)got;
    if (position - data_at == extents[index].length) data_at += extents[index++].length;
  }
  if (status == 0 && fdatasync(fd) != 0) die("flushing the disk failed", position);
  printf("%llu\n", (unsigned long long)position);
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
  if (argc >= 4) load_map(argv[3]);
  if (argc == 5 && strcmp(argv[1], "write") == 0) return command_write(argv[2], number(argv[4]));
  if (argc == 5 && strcmp(argv[1], "zero") == 0) return command_zero(argv[2], number(argv[4]));
  if (argc == 4 && strcmp(argv[1], "read") == 0) return command_read(argv[2], 0, 0);
  if (argc == 5 && strcmp(argv[1], "check-zero") == 0) return command_read(argv[2], 1, number(argv[4]));
  fprintf(stderr, "usage: extents write DISK MAP FROM | zero DISK MAP SIZE | read DISK MAP | check-zero DISK MAP SIZE\n");
  return 64;
}
