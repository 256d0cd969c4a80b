//! Reading an answer that arrived within its bounds: what one try received ([`Received`]), and
//! the [`Answer`] a caller reads as JSON, as nothing, or as "not found". The request's report is
//! finished here, so a 2xx whose body does not parse is logged as the failure it is.

use super::events::Report;
use crate::error::{Error, RequestLine, Result};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// What one try received: the status, the headers that matter, and the body (at most the size
/// limit).
#[derive(Debug)]
pub(super) struct Received {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Received {
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn error(&self, request: &RequestLine) -> Error {
        Error::from_response(
            request.clone(),
            self.status,
            self.content_type.as_deref(),
            self.retry_after,
            &self.body,
        )
    }
}

/// A response, and the report of its request: the report is finished when the body has been
/// read as what the caller expected, so a 2xx whose body does not parse is logged as the
/// failure it is. An answer dropped unread is reported by its status alone.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(super) received: Received,
    pub(super) request: RequestLine,
    pub(super) report: Option<Report>,
}

impl Answer {
    /// The body of a 2xx answer as `T`; any other status is an error.
    pub fn json<T: DeserializeOwned>(mut self) -> Result<T> {
        let result = if self.received.is_success() {
            self.parse()
        } else {
            Err(self.received.error(&self.request))
        };
        self.finish(result.as_ref().err());
        result
    }

    /// A 2xx answer whose body does not matter.
    pub fn empty(mut self) -> Result<()> {
        let result = if self.received.is_success() {
            Ok(())
        } else {
            Err(self.received.error(&self.request))
        };
        self.finish(result.as_ref().err());
        result
    }

    /// `None` for a 404 (the documented "not found / not verified" answer), else like `json`.
    pub fn json_or_not_found<T: DeserializeOwned>(mut self) -> Result<Option<T>> {
        if self.received.status == 404 {
            // A 404 without the API's JSON body is a wrong URL, not an answer.
            let result = match serde_json::from_slice::<serde_json::Value>(&self.received.body) {
                Ok(_) => Ok(None),
                Err(_) => Err(self.received.error(&self.request)),
            };
            self.finish(result.as_ref().err());
            return result;
        }
        self.json().map(Some)
    }

    fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        let body = &self.received.body;
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let parsed = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|e| (e.path().to_string(), e.into_inner()))
            .and_then(|value| {
                deserializer
                    .end()
                    .map(|()| value)
                    .map_err(|e| (".".to_owned(), e))
            });
        parsed.map_err(|(path, error)| {
            Error::unreadable(
                self.request.clone(),
                self.received.status,
                self.received.content_type.as_deref(),
                body,
                &path,
                &error,
            )
        })
    }

    fn finish(&mut self, error: Option<&Error>) {
        if let Some(report) = self.report.take() {
            report.finish(Some(self.received.status), self.received.body.len(), error);
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        if self.report.is_some() {
            let error = (!self.received.is_success()).then(|| self.received.error(&self.request));
            self.finish(error.as_ref());
        }
    }
}
