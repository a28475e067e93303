// Status -> HTTP status -> OpenAI error JSON, in one place (see the table in http_error.h).
#include "server/http_error.h"

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace qwl::http {

int http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kUnsupported:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kCancelled:
      return 499;
    case StatusCode::kCorrupt:
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view error_type_for(int http_status) {
  switch (http_status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 409:
      return "conflict_error";
    case 429:
      return "rate_limit_error";
    case 499:
      return "cancelled_error";
    case 503:
      return "unavailable_error";
    default:
      break;
  }
  if (http_status >= 500) return "server_error";
  return "invalid_request_error";
}

std::string_view reason_phrase(int http_status) {
  switch (http_status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string error_json(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) {
  nlohmann::json error = {
      {"message", message},
      {"type", type},
      {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)},
      {"code", code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code)},
  };
  // Messages can quote client input; invalid UTF-8 is replaced rather than thrown on.
  return nlohmann::json{{"error", std::move(error)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
}

Response error_response(int http_status, std::string_view message, std::string_view param,
                        std::string_view code) {
  return Response::json(error_json(message, error_type_for(http_status), param, code), http_status);
}

Response error_response(const Status& status, std::string_view param, std::string_view code) {
  const int http_status = status.ok() ? 500 : http_status_for(status.code());
  if (status.ok()) {
    QWL_LOG_ERROR("http: error_response() called with an ok Status");
    return error_response(500, "internal server error", param, code);
  }
  if (http_status >= 500 && http_status != 503) {
    // A server-side failure's message may name files and internals; the client gets a generic
    // text and the operator the details.
    QWL_LOG_ERROR("http: answered {} for {}", http_status, status.to_string());
    return error_response(http_status, "internal server error", param, code);
  }
  return error_response(http_status, status.message(), param, code);
}

}  // namespace qwl::http
