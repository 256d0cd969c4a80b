//! A profile turned into a working [`necid::Client`], and the log of every request it makes.
//!
//! The client reports each request to an observer; the observer sends an [`ActivityEntry`] down
//! a channel that the shell drains once per frame, so the Activity pane never locks anything the
//! background tasks hold.

use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use crate::profiles::{Profile, ProfileId};

/// An active profile's client.
#[derive(Clone, Debug)]
pub struct Connection {
    pub profile_id: ProfileId,
    /// The profile as it was when the client was built; a change means reconnecting.
    pub profile: Profile,
    pub client: necid::Client,
    /// The Local service's bucket folder, where bulk jobs read their images; `None` for a
    /// remote profile, whose bucket the user fills by other means.
    pub bucket_dir: Option<std::path::PathBuf>,
    /// Which client this is: the shell numbers every client it builds, so a pane that cached
    /// something from one client sees that it now has another (a profile's URL, keys or region
    /// changed) and asks again, instead of comparing profile ids, which do not change.
    pub generation: u64,
}

impl Connection {
    /// Whether `other` sends its requests to the same servers as this one (keys and region
    /// aside).
    pub fn same_servers(&self, other: &Connection) -> bool {
        self.profile.api_base_url == other.profile.api_base_url
            && self.profile.portal_base_url == other.profile.portal_base_url
    }
}

/// One request in the Activity pane. Holds no secret: the API key is only "sent" or not.
#[derive(Clone, Debug)]
pub struct ActivityEntry {
    pub profile_name: String,
    pub region: String,
    pub started: SystemTime,
    pub method: &'static str,
    pub url: String,
    pub status: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
    pub sent_api_key: bool,
    /// The JSON body when it was small enough to keep.
    pub body: Option<std::sync::Arc<str>>,
    pub body_bytes: usize,
}

impl ActivityEntry {
    pub fn from_record(profile: &Profile, record: necid::RequestRecord) -> Self {
        Self {
            profile_name: profile.name.clone(),
            region: profile.region.clone(),
            started: record.started,
            method: record.method,
            url: record.url,
            status: record.status,
            latency: record.latency,
            error: record.error,
            sent_api_key: record.sent_api_key,
            body: record.body,
            body_bytes: record.body_bytes,
        }
    }

    /// The path and query, without the host.
    pub fn path(&self) -> &str {
        let after_scheme = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest);
        after_scheme
            .find('/')
            .map_or("/", |slash| &after_scheme[slash..])
    }

    /// The request as a curl command that signs itself. The keys stay in `$AK`, `$SK` and
    /// `$API_KEY`; a body too large to keep (an image) is left to a file the user provides.
    pub fn as_curl(&self) -> String {
        let mut curl = format!(
            "curl --aws-sigv4 \"aws:amz:{}:execute-api\" --user \"$AK:$SK\" -X {} {}",
            self.region,
            self.method,
            shell_quote(&self.url)
        );
        curl.push_str(" -H 'accept: application/json'");
        if self.sent_api_key {
            curl.push_str(" -H \"x-api-key: $API_KEY\"");
        }
        if self.body_bytes > 0 {
            curl.push_str(" -H 'content-type: application/json'");
            match &self.body {
                Some(body) => {
                    curl.push_str(" --data-raw ");
                    curl.push_str(&shell_quote(body));
                }
                None => curl.push_str(&format!(
                    " --data-binary @body.json  # the {}-byte body (an image) was not kept",
                    self.body_bytes
                )),
            }
        }
        curl
    }
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Where a client's observer sends its entries.
pub type ActivitySender = mpsc::Sender<ActivityEntry>;
/// What the shell drains.
pub type ActivityReceiver = mpsc::Receiver<ActivityEntry>;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: Option<&str>, body_bytes: usize) -> ActivityEntry {
        ActivityEntry {
            profile_name: "p".to_owned(),
            region: "ap-southeast-2".to_owned(),
            started: SystemTime::UNIX_EPOCH,
            method: "POST",
            url: "http://127.0.0.1:8080/v1.1/tags/it's?x=1".to_owned(),
            status: Some(200),
            latency: Duration::from_millis(3),
            error: None,
            sent_api_key: true,
            body: body.map(std::sync::Arc::from),
            body_bytes,
        }
    }

    #[test]
    fn copy_as_curl_signs_with_placeholders_and_quotes_the_url() {
        let curl = entry(Some(r#"{"newName":"b"}"#), 15).as_curl();
        assert!(curl.starts_with(
            "curl --aws-sigv4 \"aws:amz:ap-southeast-2:execute-api\" --user \"$AK:$SK\" -X POST"
        ));
        assert!(curl.contains(r"'http://127.0.0.1:8080/v1.1/tags/it'\''s?x=1'"));
        assert!(curl.contains("x-api-key: $API_KEY"));
        assert!(curl.contains(r#"--data-raw '{"newName":"b"}'"#));
    }

    #[test]
    fn a_body_that_was_not_kept_is_named_not_invented() {
        let curl = entry(None, 200_000).as_curl();
        assert!(curl.contains("--data-binary @body.json"));
        assert!(curl.contains("200000-byte body"));
    }

    #[test]
    fn the_path_leaves_out_the_host() {
        assert_eq!(entry(None, 0).path(), "/v1.1/tags/it's?x=1");
    }
}
