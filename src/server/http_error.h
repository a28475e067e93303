// The one place where errors become HTTP responses: a Status (base/status.h) or an HTTP status
// maps to a status code and an OpenAI-style error body
//   {"error":{"message":"...","type":"invalid_request_error","param":null,"code":null}}.
//
// StatusCode -> HTTP status:
//   InvalidArgument, OutOfRange, Unsupported -> 400    NotFound -> 404
//   ResourceExhausted -> 429                           Unavailable -> 503
//   Cancelled -> 499 (the client closed the request)   Corrupt, IoError, Internal -> 500
// HTTP status -> error type:
//   400, 405, 408, 411, 413, 415, 422, other 4xx -> invalid_request_error
//   401 authentication_error   403 permission_error   404 not_found_error
//   429 rate_limit_error       499 cancelled_error    503 unavailable_error
//   other 5xx -> server_error
// 5xx messages are replaced by a generic text (the Status is logged instead), so file paths and
// internals never reach a client. base/status.h has no code for "unauthenticated" or "forbidden":
// the auth layer calls error_response(401 or 403, ...) directly.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "server/http_message.h"

namespace qwl::http {

// The HTTP status for a non-ok Status code (200 for kOk).
int http_status_for(StatusCode code);
// The OpenAI error type for an HTTP status ("invalid_request_error", ...).
std::string_view error_type_for(int http_status);
// The reason phrase for a status code ("Not Found"); "Unknown" for codes we never send.
std::string_view reason_phrase(int http_status);

// The error JSON for one error. `param` and `code` are JSON null when empty.
std::string error_json(std::string_view message, std::string_view type, std::string_view param = {},
                       std::string_view code = {});

// A JSON error response for `http_status` with the type error_type_for(http_status).
Response error_response(int http_status, std::string_view message, std::string_view param = {},
                        std::string_view code = {});
// A JSON error response for a non-ok `status` (status.message() as the message, except for 5xx).
Response error_response(const Status& status, std::string_view param = {},
                        std::string_view code = {});

}  // namespace qwl::http
