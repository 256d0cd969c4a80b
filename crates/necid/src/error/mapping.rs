//! From what a server sent to an [`Error`]: a non-2xx answer read leniently (the API's error
//! body, a body with only `message`, plain text, an HTML page), and a 2xx answer that is not the
//! API's, with serde's wording turned into a field and a problem in plain words.
//!
//! It lives apart from the error type so that the guesswork about bodies (sniffing HTML,
//! rewording serde's messages) sits in one place, next to its tests.

use super::{Error, ForbiddenReason, RequestLine};
use necid_wire::ErrorBody;
use std::time::Duration;

impl Error {
    /// Maps a non-2xx response. The body is read leniently: the API's JSON error body, a JSON
    /// body with only `message`, or anything else (kept as a short excerpt when it is plain
    /// text, dropped when it is an HTML page).
    pub(crate) fn from_response(
        request: RequestLine,
        status: u16,
        content_type: Option<&str>,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        let request = Box::new(request);
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        if status == 403 {
            let message = parsed
                .map(|b| b.message)
                .or_else(|| plain_excerpt(content_type, body))
                .unwrap_or_default();
            let reason = if message.starts_with("Signature expired") {
                ForbiddenReason::SignatureExpired
            } else if message == "Forbidden" {
                ForbiddenReason::ApiKey
            } else {
                ForbiddenReason::Signature
            };
            return Self::Forbidden {
                reason,
                message,
                request,
            };
        }
        if status == 429 || status == 503 {
            return Self::Unavailable {
                status,
                retry_after,
                message: parsed
                    .map(|b| b.message)
                    .or_else(|| plain_excerpt(content_type, body))
                    .filter(|m| !m.is_empty()),
                request,
            };
        }
        match parsed {
            Some(body) => Self::Api {
                status,
                body,
                request,
            },
            None => Self::Status {
                status,
                text: plain_excerpt(content_type, body),
                content_type: content_type.map(str::to_owned),
                body_bytes: body.len(),
                request,
            },
        }
    }

    /// A 2xx answer whose body is not the API's: which field, and why, in plain words.
    pub(crate) fn unreadable(
        request: RequestLine,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        path: &str,
        inner: &serde_json::Error,
    ) -> Self {
        let parser_message = inner.to_string();
        let (field, problem) = if looks_like_html(content_type, body) {
            (
                None,
                "the server sent a web page instead of data".to_owned(),
            )
        } else if body.iter().all(u8::is_ascii_whitespace) {
            (None, "it is empty".to_owned())
        } else {
            match inner.classify() {
                serde_json::error::Category::Eof => {
                    (None, "it ended before it was complete".to_owned())
                }
                serde_json::error::Category::Syntax | serde_json::error::Category::Io => (
                    None,
                    format!(
                        "it is not valid JSON (line {}, column {})",
                        inner.line(),
                        inner.column()
                    ),
                ),
                serde_json::error::Category::Data => {
                    let raw = without_position(&parser_message);
                    plain_data_problem(path, raw)
                }
            }
        };
        Self::InvalidResponse {
            status,
            field,
            problem,
            parser_message,
            request: Box::new(request),
        }
    }
}

/// Whether a body is an HTML page, by its content type or its first characters.
fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype") || start.starts_with(b"<html") || start.starts_with(b"<?xml")
}

/// A short single-line excerpt of a plain-text body; `None` for an empty body or an HTML page.
fn plain_excerpt(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    if looks_like_html(content_type, body) {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    })
}

/// serde_json's message without its " at line L column C" suffix.
fn without_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |cut| &message[..cut])
}

/// A serde data error at `path` (`.` for the root) as a field and a problem in plain words.
fn plain_data_problem(path: &str, message: &str) -> (Option<String>, String) {
    let at = |p: &str| (p != "." && !p.is_empty()).then(|| p.to_owned());
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let field = match at(path) {
            Some(parent) => format!("{parent}.{name}"),
            None => name.to_owned(),
        };
        return (Some(field), "is missing".to_owned());
    }
    let mismatch = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    if let Some(rest) = mismatch
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return (
            at(path),
            format!(
                "should be {}, not {}",
                plain_expected(expected),
                plain_found(found)
            ),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or(rest);
        return (at(path), format!("has an unknown value \"{value}\""));
    }
    if message.starts_with("invalid length") {
        return (at(path), "has the wrong number of items".to_owned());
    }
    if message.starts_with("duplicate field") {
        return (at(path), "appears twice".to_owned());
    }
    (at(path), "has a value that cannot be read".to_owned())
}

/// serde's `Unexpected` in plain words.
fn plain_found(found: &str) -> String {
    let found = found.trim();
    let word = found.split([' ', '`']).next().unwrap_or(found);
    match word {
        "integer" | "floating" => "a number".to_owned(),
        "string" => match found.split_once(' ') {
            Some((_, value)) if value.len() <= 40 => format!("the text {value}"),
            _ => "text".to_owned(),
        },
        "boolean" => "true or false".to_owned(),
        "null" | "unit" => "empty (null)".to_owned(),
        "sequence" => "a list".to_owned(),
        "map" => "an object".to_owned(),
        _ => "something else".to_owned(),
    }
}

/// serde's "expected ..." in plain words.
fn plain_expected(expected: &str) -> &'static str {
    let expected = expected.to_ascii_lowercase();
    let has = |word: &str| expected.contains(word);
    if has("number")
        || has("integer")
        || has("float")
        || has("u64")
        || has("u32")
        || has("u16")
        || has("u8")
        || has("i64")
        || has("i32")
        || has("f64")
        || has("f32")
    {
        "a number"
    } else if has("string") || has("char") {
        "text"
    } else if has("sequence") || has("list") || has("array") || has("tuple") {
        "a list"
    } else if has("bool") {
        "true or false"
    } else if has("struct") || has("map") || has("object") {
        "an object"
    } else {
        "something else"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_wording_becomes_plain_words() {
        assert_eq!(
            plain_data_problem(
                "galleries[3].id",
                "invalid type: integer `5`, expected a string"
            ),
            (
                Some("galleries[3].id".to_owned()),
                "should be text, not a number".to_owned()
            )
        );
        assert_eq!(
            plain_data_problem(
                "galleries[0].size",
                "invalid value: string \"lots\", expected a number, or a string holding a number"
            )
            .1,
            "should be a number, not the text \"lots\""
        );
        assert_eq!(
            plain_data_problem("galleries[2]", "missing field `name`"),
            (
                Some("galleries[2].name".to_owned()),
                "is missing".to_owned()
            )
        );
        assert_eq!(
            plain_data_problem(".", "missing field `galleries`").0,
            Some("galleries".to_owned())
        );
    }
}
