//! A profile turned into a working [`necid::Client`], and the log of every request it makes.
//!
//! The client reports each request when it starts, when it is retried and when it ends; the
//! observer sends an [`ActivityEvent`] down a channel that the shell drains once per frame, so
//! the Activity pane never locks anything the background tasks hold. A request is listed as in
//! flight from its start (with the command that owns it, so Activity can cancel that command),
//! then moves to the log as an [`ActivityEntry`] when it ends.

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

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

/// What a client's observer tells the shell.
#[derive(Clone, Debug)]
pub enum ActivityEvent {
    /// A request was sent.
    Started(RequestInFlight),
    /// A try failed and the request will be sent again.
    Retrying {
        request_id: necid::RequestId,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// The request ended: answered, failed or cancelled.
    Finished(ActivityEntry),
}

/// A request that has not ended yet, as Activity lists it.
#[derive(Clone, Debug)]
pub struct RequestInFlight {
    pub request_id: necid::RequestId,
    /// The background command that made it (see `backend::current_owner`), which Cancel stops.
    pub owner: Option<crate::backend::InFlightId>,
    pub method: &'static str,
    pub url: String,
    pub started: Instant,
    /// The try being made: 1 unless it is being retried.
    pub attempt: u32,
    /// Why the last try failed, while the request waits to be sent again.
    pub retrying_because: Option<String>,
}

impl RequestInFlight {
    /// The path and query, without the host.
    pub fn path(&self) -> &str {
        path_of(&self.url)
    }
}

/// One request in the Activity pane. Holds no secret: the API key is only "sent" or not.
#[derive(Clone, Debug)]
pub struct ActivityEntry {
    pub request_id: Option<necid::RequestId>,
    pub profile_name: String,
    pub region: String,
    pub started: SystemTime,
    pub method: &'static str,
    pub url: String,
    pub status: Option<u16>,
    pub latency: Duration,
    /// The cause in plain words, when it failed (a 2xx whose body could not be read did).
    pub error: Option<String>,
    /// The technical account of the failure, for the selected request's details.
    pub error_detail: Option<String>,
    /// How many times it was sent.
    pub attempts: u32,
    /// Its caller stopped waiting for it.
    pub cancelled: bool,
    pub sent_api_key: bool,
    /// The JSON body when it was small enough to keep.
    pub body: Option<std::sync::Arc<str>>,
    pub body_bytes: usize,
}

impl ActivityEntry {
    pub fn from_record(profile: &Profile, record: necid::RequestRecord) -> Self {
        Self {
            request_id: Some(record.id),
            profile_name: profile.name.clone(),
            region: profile.region.clone(),
            started: record.started,
            method: record.method,
            url: record.url,
            status: record.status,
            latency: record.latency,
            error: record.error,
            error_detail: record.error_detail,
            attempts: record.attempts,
            cancelled: record.cancelled,
            sent_api_key: record.sent_api_key,
            body: record.body,
            body_bytes: record.body_bytes,
        }
    }

    /// The path and query, without the host.
    pub fn path(&self) -> &str {
        path_of(&self.url)
    }

    /// The request as a curl command that signs itself. The keys stay in `$AK`, `$SK` and
    /// `$API_KEY`. A large body (an image) is written by the command itself to
    /// [`CURL_BODY_FILE`] through a here-document, which no argument-length limit applies to,
    /// and sent from there; an old one whose body was let go says so.
    pub fn as_curl(&self) -> String {
        self.curl(true)
    }

    /// [`Self::as_curl`] with a large body left out, for showing on screen.
    pub fn as_curl_preview(&self) -> String {
        self.curl(false)
    }

    fn curl(&self, with_large_body: bool) -> String {
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
        if self.body_bytes == 0 {
            return curl;
        }
        curl.push_str(" -H 'content-type: application/json'");
        match &self.body {
            Some(body) if body.len() <= SMALL_BODY_BYTES => {
                curl.push_str(" --data-raw ");
                curl.push_str(&shell_quote(body));
                curl
            }
            Some(body) => {
                let shown = if with_large_body {
                    body.to_string()
                } else {
                    format!("… the {}-byte body …", self.body_bytes)
                };
                format!(
                    "cat > {CURL_BODY_FILE} <<'{HEREDOC_END}'\n{shown}\n{HEREDOC_END}\n\
                     {curl} --data-binary @{CURL_BODY_FILE}"
                )
            }
            None => {
                curl.push_str(&format!(
                    " --data-binary @{CURL_BODY_FILE}  # the {}-byte body (an image) is no \
                     longer kept: only the last {KEPT_LARGE_BODIES} large requests keep theirs",
                    self.body_bytes
                ));
                curl
            }
        }
    }
}

/// A body up to this size is kept by every entry and sent inline by its curl command.
pub const SMALL_BODY_BYTES: usize = 16 * 1024;
/// How many of the latest entries keep a larger body (an image), for "Copy as curl".
pub const KEPT_LARGE_BODIES: usize = 20;
/// The file a copied curl command writes a large body to, in the shell's current folder.
pub const CURL_BODY_FILE: &str = "necid-request-body.json";
/// The here-document's end line: a JSON body, written on one line, never is this line.
const HEREDOC_END: &str = "NECID_REQUEST_BODY";

/// Lets go of the large body of the entry that just left the latest [`KEPT_LARGE_BODIES`];
/// the shell calls it after each entry it appends, so the log holds at most that many images.
pub fn let_go_of_old_large_bodies(log: &mut [ActivityEntry]) {
    if let Some(index) = log.len().checked_sub(KEPT_LARGE_BODIES + 1)
        && log[index].body_bytes > SMALL_BODY_BYTES
    {
        log[index].body = None;
    }
}

/// The path and query of `url`, without the host.
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..])
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Where a client's observer sends its events.
pub type ActivitySender = mpsc::Sender<ActivityEvent>;
/// What the shell drains.
pub type ActivityReceiver = mpsc::Receiver<ActivityEvent>;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: Option<&str>, body_bytes: usize) -> ActivityEntry {
        ActivityEntry {
            request_id: None,
            error_detail: None,
            attempts: 1,
            cancelled: false,
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
    fn an_image_requests_curl_writes_its_body_to_the_file_it_sends() {
        let body = format!(r#"{{"image":"{}"}}"#, "A".repeat(300_000));
        let curl = entry(Some(&body), body.len()).as_curl();
        let (script, command) = curl
            .rsplit_once('\n')
            .expect("a here-document, then the command");
        assert_eq!(
            script,
            format!(
                "cat > necid-request-body.json <<'NECID_REQUEST_BODY'\n{body}\nNECID_REQUEST_BODY"
            )
        );
        assert!(command.starts_with("curl --aws-sigv4"));
        assert!(command.ends_with(" --data-binary @necid-request-body.json"));
        let preview = entry(Some(&body), body.len()).as_curl_preview();
        assert!(preview.len() < 1000 && preview.contains(&format!("the {}-byte body", body.len())));
    }

    #[test]
    fn only_the_latest_entries_keep_a_large_body() {
        let large = "x".repeat(SMALL_BODY_BYTES + 1);
        let mut log = Vec::new();
        for _ in 0..KEPT_LARGE_BODIES + 3 {
            log.push(entry(Some(&large), large.len()));
            let_go_of_old_large_bodies(&mut log);
        }
        log.push(entry(Some("{}"), 2));
        let_go_of_old_large_bodies(&mut log);
        let kept = log.iter().filter(|e| e.body.is_some()).count();
        assert_eq!(kept, KEPT_LARGE_BODIES);
        assert!(log[0].body.is_none() && log.last().is_some_and(|e| e.body.is_some()));
    }

    #[test]
    fn a_body_that_was_not_kept_is_named_not_invented() {
        let curl = entry(None, 200_000).as_curl();
        assert!(curl.contains("--data-binary @necid-request-body.json"));
        assert!(curl.contains("200000-byte body"));
    }

    #[test]
    fn the_path_leaves_out_the_host() {
        assert_eq!(entry(None, 0).path(), "/v1.1/tags/it's?x=1");
    }
}
