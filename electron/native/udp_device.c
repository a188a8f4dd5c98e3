// A UDP socket tied to one network interface (SO_BINDTODEVICE), which Node's dgram cannot make: it hears only what
// arrives on that interface and its broadcasts leave through it, whatever the routing table says. The socket is
// returned as a file descriptor for `dgram.Socket#bind({ fd })`, so Node's event loop owns it from then on.
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>
#include "node_errors.h"

// openUdpSocket(interfaceName: string, address: string, port: number, reuseAddress: boolean): number (the descriptor)
static napi_value open_udp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4)
    return throw_type_error(env, "openUdpSocket(interfaceName, address, port, reuseAddress)");

  char interface_name[IF_NAMESIZE + 1];
  size_t name_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], interface_name, sizeof interface_name, &name_length) != napi_ok ||
      name_length == 0 || name_length >= IF_NAMESIZE)
    return throw_type_error(env, "interfaceName must be an interface name of 1 to 15 characters");

  char address_text[INET_ADDRSTRLEN + 1];
  size_t address_length = 0;
  struct sockaddr_in local = {.sin_family = AF_INET};
  if (napi_get_value_string_utf8(env, argv[1], address_text, sizeof address_text, &address_length) != napi_ok ||
      inet_pton(AF_INET, address_text, &local.sin_addr) != 1)
    return throw_type_error(env, "address must be a dotted IPv4 address");

  uint32_t port = 0;
  if (napi_get_value_uint32(env, argv[2], &port) != napi_ok || port > 65535)
    return throw_type_error(env, "port must be 0 to 65535");
  local.sin_port = htons((uint16_t)port);

  bool reuse_address = false;
  if (napi_get_value_bool(env, argv[3], &reuse_address) != napi_ok)
    return throw_type_error(env, "reuseAddress must be a boolean");

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_system_error(env, errno, "socket");
  const int on = 1;
  const char *failed = NULL;
  if (reuse_address && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) failed = "setsockopt(SO_REUSEADDR)";
  else if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0) failed = "setsockopt(SO_BROADCAST)";
  else if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface_name, (socklen_t)name_length) != 0)
    failed = "setsockopt(SO_BINDTODEVICE)";
  else if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) failed = "bind";
  if (failed) {
    int error = errno;
    close(fd);
    return throw_system_error(env, error, failed);
  }

  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value function;
  napi_create_function(env, "openUdpSocket", NAPI_AUTO_LENGTH, open_udp_socket, NULL, &function);
  napi_set_named_property(env, exports, "openUdpSocket", function);
  return exports;
}
