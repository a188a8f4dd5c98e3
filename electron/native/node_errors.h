// Errors the addons throw into JavaScript, shaped like Node's own system errors: `code` is the errno name, which the
// TypeScript callers match on (EACCES and EPERM mean "ask the privileged helper", and so on).
#ifndef RACKBOOT_NODE_ERRORS_H
#define RACKBOOT_NODE_ERRORS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>

static inline const char *errno_code(int error) {
  switch (error) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case ENODEV: return "ENODEV";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    default: return "EUNKNOWN";
  }
}

static inline napi_value throw_system_error(napi_env env, int error, const char *what) {
  char text[160];
  snprintf(text, sizeof text, "%s: %s", what, strerror(error));
  napi_value code, message, exception;
  napi_create_string_utf8(env, errno_code(error), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &exception);
  napi_throw(env, exception);
  return NULL;
}

static inline napi_value throw_type_error(napi_env env, const char *text) {
  napi_throw_type_error(env, "EINVAL", text);
  return NULL;
}

#endif
