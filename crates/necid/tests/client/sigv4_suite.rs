//! The signer against the AWS Signature Version 4 test suites in `../shared/testdata/sigv4`.
//!
//! Every header-signed case that a JSON API client can produce must give the suite's expected
//! `Authorization`. Cases left out, and why:
//! - `get-header-value-multiline` (both suites): obs-fold continuation lines in a header value;
//!   HTTP/1.1 deprecates them and no HTTP client library sends them.
//! - `post-sts-header-after` (both suites): a session token added *after* signing; a client
//!   that holds the token signs it.
//! - aws-c-auth `post-x-www-form-urlencoded*`: `sign_body` adds S3's `x-amz-content-sha256`
//!   header; API Gateway hashes the payload inside the canonical request only (the classic
//!   suite's cases of the same name, which do that, are run).
//! - aws-c-auth `query-*` files: presigned URLs; the API is called with signed headers.
//! - aws-c-auth `*-unnormalized`: S3-style paths kept un-normalised; run with `PathStyle::AsSent`.

use necid::signing::{Credentials, PathStyle, SigningScope, sign_request};
use necid_testkit::sigv4_suite::{
    ACCESS_KEY, REGION, SECRET_KEY, SERVICE, SuiteRequest, case_dirs, parse_request, suite_dir,
    suite_time,
};

const SHORT_TOKEN: &str = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

/// Encodes a raw request target the way this client puts one on the wire: in the path, every
/// byte but RFC 3986's unreserved characters, `/` and existing `%XX` escapes is percent-encoded;
/// the query is left to the signer's own canonicalisation.
fn wire_target(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/%".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

fn authorization_for(request: &SuiteRequest, style: PathStyle, token: Option<&str>) -> String {
    let host = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.clone())
        .expect("a Host header");
    let url = format!("https://{host}{}", wire_target(&request.target));
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("x-amz-date")
                && !name.eq_ignore_ascii_case("x-amz-security-token")
        })
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let mut credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    if let Some(token) = token {
        credentials = credentials.with_session_token(token);
    }
    let scope = SigningScope {
        region: REGION.to_owned(),
        service: SERVICE.to_owned(),
        path_style: style,
    };
    let signed = sign_request(
        &request.method,
        &url,
        &headers,
        &request.body,
        &credentials,
        &scope,
        suite_time(),
    )
    .expect("the request signs");
    signed
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value)
        .expect("an authorization header")
}

fn session_token_in(request: &SuiteRequest) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-security-token"))
        .map(|(_, value)| value.clone())
}

#[test]
fn the_signer_reproduces_every_applicable_case_of_the_classic_aws_suite() {
    let root = suite_dir().join("aws4_testsuite");
    let skipped = ["get-header-value-multiline", "post-sts-header-after"];
    let mut checked = 0;
    for dir in case_dirs(&root) {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a case name")
            .to_owned();
        let req = dir.join(format!("{name}.req"));
        if !req.exists() || skipped.contains(&name.as_str()) {
            continue;
        }
        let request = parse_request(&std::fs::read(&req).expect("a .req file"));
        let expected =
            std::fs::read_to_string(dir.join(format!("{name}.authz"))).expect("an .authz file");
        let token = session_token_in(&request)
            .or_else(|| (name == "get-vanilla-with-session-token").then(|| SHORT_TOKEN.to_owned()));
        let actual = authorization_for(&request, PathStyle::SingleEncoded, token.as_deref());
        assert_eq!(actual, expected.trim_end(), "case {name}");
        checked += 1;
    }
    assert_eq!(checked, 32, "34 classic cases, 2 left out");
}

#[test]
fn the_signer_reproduces_every_header_signed_case_of_the_aws_c_auth_suite() {
    let root = suite_dir().join("aws-c-auth-v4");
    let mut checked = 0;
    for dir in case_dirs(&root) {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a case name")
            .to_owned();
        if name == "get-header-value-multiline" || name.starts_with("post-x-www-form-urlencoded") {
            continue;
        }
        let context: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("context.json")).expect("a context.json"),
        )
        .expect("context.json is JSON");
        let normalize = context["normalize"].as_bool().unwrap_or(true);
        let token = context["credentials"]["token"].as_str().map(str::to_owned);
        let omit_token = context["omit_session_token"].as_bool().unwrap_or(false);
        if omit_token {
            // `post-sts-header-after`: the token is added after signing (see the module docs).
            continue;
        }
        let request =
            parse_request(&std::fs::read(dir.join("request.txt")).expect("a request.txt"));
        let signed_request = std::fs::read_to_string(dir.join("header-signed-request.txt"))
            .expect("a header-signed-request.txt");
        let expected = signed_request
            .lines()
            .find_map(|line| line.strip_prefix("Authorization:"))
            .expect("the signed request has an Authorization line");
        let style = if normalize {
            PathStyle::SingleEncoded
        } else {
            PathStyle::AsSent
        };
        let actual = authorization_for(&request, style, token.as_deref());
        assert_eq!(actual, expected.trim(), "case {name}");
        checked += 1;
    }
    assert_eq!(checked, 34, "38 aws-c-auth cases, 4 left out");
}

#[test]
fn a_changed_body_changes_the_signature() {
    let request = SuiteRequest {
        method: "POST".into(),
        target: "/v1.1/subjects".into(),
        headers: vec![("Host".into(), "api.id.nec.com.au".into())],
        body: br#"{"face":"AAAA"}"#.to_vec(),
    };
    let mut altered = SuiteRequest {
        body: br#"{"face":"AAAB"}"#.to_vec(),
        ..request
    };
    let first = authorization_for(&altered, PathStyle::AwsDefault, None);
    altered.body = br#"{"face":"AAAA"}"#.to_vec();
    let second = authorization_for(&altered, PathStyle::AwsDefault, None);
    assert_ne!(first, second);
}
