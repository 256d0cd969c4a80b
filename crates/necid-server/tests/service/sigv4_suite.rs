//! The server-side verifier against the AWS SigV4 test suite in ../shared/testdata/sigv4: every
//! header-signed case is accepted with the suite's credentials, region, service and clock, and
//! refused once any signed part of it is altered.
//!
//! Skipped: the aws-c-auth `query-*` (presigned URL) variants, since the service accepts only
//! header signatures, and nothing else.

use necid_server::sigv4::{self, AuthError, Scope, SignedRequest};
use necid_testkit::sigv4_suite::{
    ACCESS_KEY, AMZ_DATE, REGION, SECRET_KEY as SECRET, SERVICE, read_request, suite_dir,
};

fn scope() -> Scope {
    Scope {
        region: REGION.into(),
        service: SERVICE.into(),
    }
}

fn now() -> time::OffsetDateTime {
    sigv4::parse_amz_date(AMZ_DATE).expect("suite date")
}

/// A signed request of a suite, its target split as the verifier takes it.
#[derive(Debug, Clone)]
struct Raw {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse(path: &std::path::Path) -> Raw {
    let request = read_request(path);
    Raw {
        method: request.method.clone(),
        path: request.path().to_owned(),
        query: request.query().to_owned(),
        headers: request.headers,
        body: request.body,
    }
}

fn check(raw: &Raw) -> Result<String, AuthError> {
    let req = SignedRequest {
        method: &raw.method,
        path: &raw.path,
        query: &raw.query,
        headers: raw.headers.clone(),
        payload_sha256: sigv4::payload_hash(&raw.body),
    };
    sigv4::verify(&req, &scope(), now(), |ak| {
        (ak == ACCESS_KEY).then(|| SECRET.to_owned())
    })
}

/// Every header-signed request of both suites, with its case name.
fn cases() -> Vec<(String, Raw)> {
    let mut out = Vec::new();
    let classic = suite_dir().join("aws4_testsuite");
    let mut stack = vec![classic];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("suite dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "sreq") {
                let name = p.file_stem().expect("stem").to_string_lossy().into_owned();
                let mut raw = parse(&p);
                // The .authz file is the suite's expected header; one .sreq
                // (get-vanilla-with-session-token) carries a scrambled signature instead.
                let authz = std::fs::read_to_string(p.with_extension("authz")).expect("authz");
                set_header(&mut raw, "authorization", authz.trim());
                out.push((format!("aws4_testsuite/{name}"), raw));
            }
        }
    }
    for entry in std::fs::read_dir(suite_dir().join("aws-c-auth-v4")).expect("suite dir") {
        let p = entry.expect("entry").path();
        let signed = p.join("header-signed-request.txt");
        if signed.is_file() {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            out.push((format!("aws-c-auth-v4/{name}"), parse(&signed)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_header_signed_request_of_the_aws_suite_is_accepted() {
    let cases = cases();
    assert_eq!(cases.len(), 34 + 38, "both suites complete");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, raw)| check(raw).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(failures.is_empty(), "refused: {failures:#?}");
}

fn set_header(raw: &mut Raw, name: &str, value: &str) {
    for h in raw
        .headers
        .iter_mut()
        .filter(|h| h.0.eq_ignore_ascii_case(name))
    {
        h.1 = value.to_owned();
    }
}

#[test]
fn every_suite_request_is_refused_once_altered() {
    for (name, raw) in cases() {
        let mut body = raw.clone();
        body.body.push(b'x');
        // A request that sent x-amz-content-sha256 is caught earlier, by that header.
        let sent_hash = raw
            .headers
            .iter()
            .any(|h| h.0.eq_ignore_ascii_case("x-amz-content-sha256"));
        let expected = if sent_hash {
            AuthError::PayloadHashMismatch
        } else {
            AuthError::SignatureMismatch
        };
        assert_eq!(check(&body), Err(expected), "{name}: changed body");

        let mut path = raw.clone();
        path.path.push('x');
        assert_eq!(
            check(&path),
            Err(AuthError::SignatureMismatch),
            "{name}: changed path"
        );

        let mut query = raw.clone();
        query
            .query
            .push_str(if raw.query.is_empty() { "z=1" } else { "&z=1" });
        assert_eq!(
            check(&query),
            Err(AuthError::SignatureMismatch),
            "{name}: changed query"
        );

        let mut method = raw.clone();
        method.method = if raw.method == "GET" {
            "POST".into()
        } else {
            "GET".into()
        };
        assert_eq!(
            check(&method),
            Err(AuthError::SignatureMismatch),
            "{name}: changed method"
        );

        let mut date = raw.clone();
        set_header(&mut date, "x-amz-date", "20150830T123601Z");
        assert_eq!(
            check(&date),
            Err(AuthError::SignatureMismatch),
            "{name}: changed date"
        );

        let mut host = raw.clone();
        set_header(&mut host, "host", "example.amazonaws.org");
        assert_eq!(
            check(&host),
            Err(AuthError::SignatureMismatch),
            "{name}: changed host"
        );

        let secret = sigv4::verify(
            &SignedRequest {
                method: &raw.method,
                path: &raw.path,
                query: &raw.query,
                headers: raw.headers.clone(),
                payload_sha256: sigv4::payload_hash(&raw.body),
            },
            &scope(),
            now(),
            |_| Some(format!("{SECRET}x")),
        );
        assert_eq!(
            secret,
            Err(AuthError::SignatureMismatch),
            "{name}: wrong secret"
        );
    }
}

#[test]
fn a_stale_signature_is_refused_with_the_expired_message() {
    let (_, raw) = cases()
        .into_iter()
        .find(|c| c.0 == "aws4_testsuite/get-vanilla")
        .expect("case");
    let req = SignedRequest {
        method: &raw.method,
        path: &raw.path,
        query: &raw.query,
        headers: raw.headers.clone(),
        payload_sha256: sigv4::payload_hash(&raw.body),
    };
    let later = now() + time::Duration::minutes(5) + time::Duration::seconds(1);
    let err = sigv4::verify(&req, &scope(), later, |_| Some(SECRET.into())).expect_err("expired");
    assert_eq!(
        err.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)"
    );
    let at_limit = now() + time::Duration::minutes(5);
    assert!(sigv4::verify(&req, &scope(), at_limit, |_| Some(SECRET.into())).is_ok());
    let earlier = now() - time::Duration::minutes(6);
    let err = sigv4::verify(&req, &scope(), earlier, |_| Some(SECRET.into())).expect_err("future");
    assert!(
        err.to_string()
            .starts_with("Signature not yet current: 20150830T123600Z"),
        "{err}"
    );
}

#[test]
fn a_signed_bare_host_name_matches_a_host_header_with_a_port_and_nothing_looser() {
    let (_, raw) = cases()
        .into_iter()
        .find(|c| c.0 == "aws4_testsuite/get-vanilla")
        .expect("case");
    let mut with_port = raw.clone();
    set_header(&mut with_port, "host", "example.amazonaws.com:8443");
    assert!(
        check(&with_port).is_ok(),
        "signed example.amazonaws.com, sent with a port"
    );
    let mut other = raw.clone();
    set_header(&mut other, "host", "example.amazonaws.co:8443");
    assert_eq!(check(&other), Err(AuthError::SignatureMismatch));
    let mut suffix = raw.clone();
    set_header(&mut suffix, "host", "xexample.amazonaws.com");
    assert_eq!(check(&suffix), Err(AuthError::SignatureMismatch));
}

#[test]
fn an_unknown_key_or_an_unsigned_host_is_refused() {
    let (_, raw) = cases()
        .into_iter()
        .find(|c| c.0 == "aws4_testsuite/get-vanilla")
        .expect("case");
    let req = SignedRequest {
        method: &raw.method,
        path: &raw.path,
        query: &raw.query,
        headers: raw.headers.clone(),
        payload_sha256: sigv4::payload_hash(&raw.body),
    };
    assert_eq!(
        sigv4::verify(&req, &scope(), now(), |_| None),
        Err(AuthError::UnknownAccessKey)
    );
    let mut no_host = raw.clone();
    for h in no_host
        .headers
        .iter_mut()
        .filter(|h| h.0 == "Authorization")
    {
        h.1 =
            h.1.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date");
    }
    assert_eq!(check(&no_host), Err(AuthError::HostNotSigned));
    let mut none = raw.clone();
    none.headers.retain(|h| h.0 != "Authorization");
    assert_eq!(check(&none), Err(AuthError::MissingAuthorization));
}
