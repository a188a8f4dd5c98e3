// lldp-listen SECONDS IFACE...: hears the first LLDP frame (ethertype 0x88cc) on each interface within SECONDS and
// prints it as "IFACE HEX" on one line. The deploy agent runs it in its ramdisk, which has no tcpdump; Rackboot reads
// the frames (electron/deploy/lldp.ts). Exits as soon as every interface has been heard, or at the deadline; exit 0
// either way (silence is an answer: the switch sends no LLDP), 2 on bad arguments.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_LLDP_FRAME 0x88cc
#define MAX_INTERFACES 64

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// One socket per interface, bound to it, with the LLDP multicast group joined so the NIC does not filter it out.
static int open_listener(const char *name) {
  unsigned int index = if_nametoindex(name);
  if (index == 0) return -1;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_LLDP_FRAME));
  if (fd < 0) return -1;
  struct sockaddr_ll address = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_LLDP_FRAME), .sll_ifindex = (int)index};
  struct packet_mreq group = {.mr_ifindex = (int)index, .mr_type = PACKET_MR_MULTICAST, .mr_alen = 6,
                              .mr_address = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}};
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
      setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc - 2 > MAX_INTERFACES || atoi(argv[1]) <= 0) {
    fprintf(stderr, "usage: lldp-listen SECONDS IFACE...\n");
    return 2;
  }
  long long deadline = now_ms() + (long long)atoi(argv[1]) * 1000;
  struct pollfd fds[MAX_INTERFACES];
  const char *names[MAX_INTERFACES];
  int waiting = 0;
  for (int i = 2; i < argc; i++) {
    int fd = open_listener(argv[i]);
    if (fd < 0) {
      fprintf(stderr, "lldp-listen: %s: %s\n", argv[i], strerror(errno));
      continue;
    }
    fds[waiting] = (struct pollfd){.fd = fd, .events = POLLIN};
    names[waiting] = argv[i];
    waiting++;
  }
  int open_count = waiting;
  unsigned char frame[9216];
  while (waiting > 0) {
    long long left = deadline - now_ms();
    if (left <= 0) break;
    int ready = poll(fds, (nfds_t)open_count, (int)left);
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < open_count && ready > 0; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & POLLIN)) continue;
      ssize_t length = recv(fds[i].fd, frame, sizeof frame, 0);
      if (length <= 14) continue;
      printf("%s ", names[i]);
      for (ssize_t at = 0; at < length; at++) printf("%02x", frame[at]);
      printf("\n");
      fflush(stdout);
      close(fds[i].fd);
      fds[i].fd = -1;
      waiting--;
    }
  }
  return 0;
}
