//! AWS Signature Version 4, as NEC ID requires on every request.
//!
//! The signing itself is the `aws-sigv4` crate's; this module fixes the settings the API Gateway
//! expects (`x-amz-date`, no extra payload-hash header, the payload hash inside the canonical
//! request) and keeps the secret out of every `Debug` output.

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::fmt;
use std::time::SystemTime;

/// An access key pair from the NEC ID welcome pack (or the local service).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Credentials {
    /// A key pair.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// Adds a temporary session token (sent as `x-amz-security-token`).
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// The access key id (not secret; it appears in every `Authorization` header).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key, for storing it in the keyring.
    pub fn expose_secret(&self) -> &str {
        &self.secret_access_key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// Where and how requests are signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningScope {
    /// `ap-southeast-2` for NEC ID.
    pub region: String,
    /// `execute-api` for NEC ID.
    pub service: String,
    /// Path handling in the canonical request.
    pub path_style: PathStyle,
}

impl Default for SigningScope {
    fn default() -> Self {
        Self {
            region: "ap-southeast-2".to_owned(),
            service: "execute-api".to_owned(),
            path_style: PathStyle::AwsDefault,
        }
    }
}

/// How the path enters the canonical request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathStyle {
    /// What AWS services other than S3 (and so API Gateway) expect: the path normalised (`.` and
    /// `..` removed) and each segment encoded again.
    #[default]
    AwsDefault,
    /// Normalised, encoded once (the AWS test suites' reading, and curl's).
    SingleEncoded,
    /// As sent: encoded once, not normalised (S3's reading).
    AsSent,
}

/// Signs one request and returns the headers to add (`x-amz-date`, `authorization`, and
/// `x-amz-security-token` with a session token).
///
/// `url` is the full, already percent-encoded URL; `headers` are the headers that will be sent
/// and signed (without `host`, which is taken from the URL unless given).
pub fn sign_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    credentials: &Credentials,
    scope: &SigningScope,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let identity: Identity = AwsCredentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "necid",
    )
    .into();
    let mut settings = SigningSettings::default();
    match scope.path_style {
        PathStyle::AwsDefault => {
            settings.percent_encoding_mode = PercentEncodingMode::Double;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Enabled;
        }
        PathStyle::SingleEncoded => {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Enabled;
        }
        PathStyle::AsSent => {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
    }
    settings.session_token_mode = SessionTokenMode::Include;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&scope.region)
        .name(&scope.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}
