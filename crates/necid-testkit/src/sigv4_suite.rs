//! The AWS Signature Version 4 test suites in `../shared/testdata/sigv4`, read for the client's
//! signer and the service's verifier alike: where they are, their credentials and clock, and
//! their raw HTTP request files parsed.
//!
//! Two suites: the classic `aws4_testsuite` (a folder per case with `.req`, `.sreq`, `.authz`)
//! and aws-c-auth's `aws-c-auth-v4` (a folder per case with `request.txt`,
//! `header-signed-request.txt` and `context.json`).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The suites' access key.
pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
/// The suites' secret key.
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// The suites' region.
pub const REGION: &str = "us-east-1";
/// The suites' service name.
pub const SERVICE: &str = "service";
/// The suites' request time as the `x-amz-date` header writes it.
pub const AMZ_DATE: &str = "20150830T123600Z";

/// `../shared/testdata/sigv4`, holding both suites.
pub fn suite_dir() -> PathBuf {
    crate::testdata().join("sigv4")
}

/// 2015-08-30T12:36:00Z, the suites' request time ([`AMZ_DATE`]).
pub fn suite_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// One raw HTTP/1.1 request of a suite: its request line, headers as written (names and values
/// untrimmed, continuation lines folded into the header before them with one space) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteRequest {
    pub method: String,
    /// The request target as written: path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SuiteRequest {
    /// The target's path.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(&self.target, |(path, _)| path)
    }

    /// The target's query, without its `?` (empty when there is none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, query)| query)
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a request file of either suite.
///
/// # Panics
/// On a file that is not an HTTP/1.1 request: the suites are fixed data.
pub fn parse_request(bytes: &[u8]) -> SuiteRequest {
    let text = std::str::from_utf8(bytes).expect("a UTF-8 request file");
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], bytes[i + 2..].to_vec()),
        None => (text, Vec::new()),
    };
    let mut lines = head.split('\n');
    let request_line = lines.next().expect("a request line");
    let (method, rest) = request_line.split_once(' ').expect("a method");
    let target = rest.rsplit_once(" HTTP/").expect("an HTTP version").0;
    let mut headers: Vec<(String, String)> = Vec::new();
    // A file without a body may end its head with a newline.
    for line in lines.filter(|line| !line.is_empty()) {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().expect("a continuation after a header");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    SuiteRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
    }
}

/// Reads and parses the request file at `path`.
///
/// # Panics
/// When it cannot be read.
pub fn read_request(path: &Path) -> SuiteRequest {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_request(&bytes)
}

/// Every case folder under `root` (at any depth: the classic suite nests some), sorted.
///
/// # Panics
/// When the folder cannot be read.
pub fn case_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("the suite folder is readable") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            }
        }
        if dir != root {
            found.push(dir);
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_file_is_split_into_line_headers_and_body_with_folded_continuations() {
        let request = parse_request(
            b"POST /a/b?x=1&y=2 HTTP/1.1\nHost:example.com\nMy-Header1:value1\n  value2\nX: y \n\nbody\nmore",
        );
        let without_body = parse_request(b"GET / HTTP/1.1\nHost:example.com\n");
        assert_eq!(without_body.headers.len(), 1);
        assert!(without_body.body.is_empty());
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/a/b?x=1&y=2");
        assert_eq!((request.path(), request.query()), ("/a/b", "x=1&y=2"));
        assert_eq!(
            request.headers,
            vec![
                ("Host".to_owned(), "example.com".to_owned()),
                ("My-Header1".to_owned(), "value1 value2".to_owned()),
                ("X".to_owned(), " y ".to_owned()),
            ]
        );
        assert_eq!(request.header("host"), Some("example.com"));
        assert_eq!(request.body, b"body\nmore");
    }

    #[test]
    fn both_suites_are_where_the_tests_look() {
        assert_eq!(case_dirs(&suite_dir().join("aws-c-auth-v4")).len(), 38);
        assert!(
            suite_dir()
                .join("aws4_testsuite/get-vanilla/get-vanilla.req")
                .is_file()
        );
    }
}
