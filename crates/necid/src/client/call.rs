//! A request as the resource handles build it ([`Call`]): surface, method, encoded path and
//! query, API key and JSON body, before it is signed and sent.

use crate::error::{Error, Result};
use necid_wire::ApiKey;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters kept as they are in a path segment or query value: RFC 3986 unreserved.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Which of the API's two surfaces a route belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Surface {
    /// `/v1.1/...` on the biometric API host.
    Biometric,
    /// `/api/...` on the portal host.
    Portal,
}

/// One request, before it is signed.
#[derive(Debug)]
pub(crate) struct Call {
    pub surface: Surface,
    pub method: http::Method,
    /// Already encoded, starting with `/`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub api_key: Option<ApiKey>,
    pub body: Option<Vec<u8>>,
}

impl Call {
    pub fn new(surface: Surface, method: http::Method, path: impl Into<String>) -> Self {
        Self {
            surface,
            method,
            path: path.into(),
            query: Vec::new(),
            api_key: None,
            body: None,
        }
    }

    pub fn api_key(mut self, api_key: &ApiKey) -> Self {
        self.api_key = Some(api_key.clone());
        self
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn json(mut self, body: &impl serde::Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the request: {e}")))?;
        self.body = Some(bytes);
        Ok(self)
    }
}
