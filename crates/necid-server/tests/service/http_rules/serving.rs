//! The service behind a real listener (`necid_server::serve`), driven by raw TCP clients so that
//! a test controls every byte and every pause: photo-sized bodies, the signature checked before
//! a body is read, 413 for bodies over the limit, and the bounds on slow clients (request head
//! and body read timeouts, the connection cap, the per-request time limit, graceful shutdown).
//!
//! The clients are blocking `std::net` sockets on the blocking pool; the server runs on the
//! test's multi-threaded runtime.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine as _;
use necid_server::serve::ServeOptions;
use necid_server::{AppState, Limits};
use serde_json::{Value, json};

use crate::common::{self, Call, Service};

/// A signed request as it goes on the wire: its head (with a `Content-Length` unless `extra`
/// sets the framing) and its body.
fn wire(call: &Call, state: &AppState, extra: &[(&str, &str)]) -> (Vec<u8>, Vec<u8>) {
    let req = call.request(state);
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method(), req.uri());
    for (name, value) in req.headers() {
        head.push_str(&format!(
            "{name}: {}\r\n",
            value.to_str().expect("ascii header")
        ));
    }
    let framed = extra.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    });
    if !framed {
        head.push_str(&format!("content-length: {}\r\n", call.body.len()));
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    (head.into_bytes(), call.body.clone())
}

#[derive(Debug)]
struct RawResponse {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl RawResponse {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Reads one response (an interim `100 Continue` counts as one).
fn read_response(stream: &mut TcpStream) -> std::io::Result<RawResponse> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(RawResponse { status, head, body })
}

fn connect(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

/// Sends `head` and `body` on a new connection and reads the response, failing the test when
/// none comes within `within`.
fn exchange(address: &str, head: &[u8], body: &[u8], within: Duration) -> RawResponse {
    let mut stream = connect(address);
    stream.set_read_timeout(Some(within)).expect("timeout");
    stream.write_all(head).expect("send head");
    stream.write_all(body).expect("send body");
    read_response(&mut stream).expect("a response in time")
}

/// Whether the server closes `stream` within `within` (whatever it sends before closing is
/// read and dropped).
fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).expect("timeout");
        match stream.read(&mut chunk) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

/// A real face photo made phone-sized: upscaled 2.5× to 3840×2880 with a little sensor noise
/// (an upscaled photo alone compresses too well) and saved as a quality-95 JPEG.
fn phone_sized_jpeg() -> Vec<u8> {
    let photo = image::open(common::face("deepface_p01/2.jpg"))
        .expect("test photo")
        .to_rgb8();
    let (width, height) = photo.dimensions();
    let mut big = image::imageops::resize(
        &photo,
        width * 5 / 2,
        height * 5 / 2,
        image::imageops::FilterType::Triangle,
    );
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for pixel in big.pixels_mut() {
        for channel in pixel.0.iter_mut() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed % 17) as i16 - 8;
            *channel = (i16::from(*channel) + noise).clamp(0, 255) as u8;
        }
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&big)
        .expect("encode");
    jpeg
}

fn extract_body(jpeg: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "faces": base64::engine::general_purpose::STANDARD.encode(jpeg)
    }))
    .expect("json")
}

/// Quick bounds for the tests of slow clients.
fn quick(options: ServeOptions) -> ServeOptions {
    ServeOptions {
        header_read_timeout: Duration::from_millis(400),
        body_read_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(600),
        ..options
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_sized_photo_is_extracted_with_its_one_face() {
    let service = Service::start().await;
    let jpeg = blocking(phone_sized_jpeg).await;
    assert!(jpeg.len() > 4_500_000, "{} bytes", jpeg.len());
    let mut call = Call::new("POST", "/v1.1/face/extract");
    call.host = service.address();
    call.body = extract_body(&jpeg);
    let (head, body) = wire(&call, &service.state, &[]);
    let address = service.address().to_owned();
    let response =
        blocking(move || exchange(&address, &head, &body, Duration::from_secs(60))).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let faces = response.json()["faces"].as_array().expect("faces").len();
    assert_eq!(faces, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_upload_is_refused_without_a_100_continue_and_before_its_body() {
    let service = Service::start().await;
    let head = format!(
        "POST /v1.1/face/extract HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         content-length: 20000000\r\nexpect: 100-continue\r\n\r\n",
        service.address()
    );
    let address = service.address().to_owned();
    let response =
        blocking(move || exchange(&address, head.as_bytes(), b"", Duration::from_secs(5))).await;
    assert_eq!(response.status, 403, "{}", response.head);
    assert_eq!(response.json()["message"], "Missing Authentication Token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_uploads_held_open_are_refused_while_their_bodies_are_still_unsent() {
    let service = Service::start().await;
    let declared = Limits::default().max_body_bytes;
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let address = service.address().to_owned();
            let head = format!(
                "POST /v1.1/subjects HTTP/1.1\r\nhost: {address}\r\n\
                 content-type: application/json\r\ncontent-length: {declared}\r\n\r\n"
            );
            // The first kilobyte of a body whose rest is never sent.
            blocking(move || {
                exchange(
                    &address,
                    head.as_bytes(),
                    &[b' '; 1024],
                    Duration::from_secs(5),
                )
            })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.status, 403);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_declaring_a_body_over_the_limit_gets_413_before_sending_it() {
    let service = Service::start().await;
    let mut call = Call::new("POST", "/v1.1/face/extract");
    call.host = service.address();
    let over = Limits::default().max_body_bytes + 1;
    let (head, _) = wire(
        &call,
        &service.state,
        &[("content-length", &over.to_string())],
    );
    let address = service.address().to_owned();
    let started = Instant::now();
    let response = blocking(move || exchange(&address, &head, b"", Duration::from_secs(5))).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(response.status, 413);
    let error = response.json();
    assert_eq!(error["errorType"], "InvalidRequest");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains(&Limits::default().max_body_bytes.to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_is_refused_with_413_as_soon_as_it_passes_the_limit() {
    let limits = Limits {
        max_body_bytes: Limits::MIN_BODY_BYTES,
        ..Limits::default()
    };
    let service = Service::start_with(limits, ServeOptions::default()).await;
    let mut call = Call::new("POST", "/v1.1/face/extract");
    call.host = service.address();
    let (head, _) = wire(&call, &service.state, &[("transfer-encoding", "chunked")]);
    let address = service.address().to_owned();
    let response = blocking(move || {
        let mut stream = connect(&address);
        stream.write_all(&head).expect("head");
        // 1 MiB chunks up to one past the limit, and no last chunk: the body never ends.
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..=(Limits::MIN_BODY_BYTES >> 20) {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .expect("chunk size");
            stream.write_all(&chunk).expect("chunk");
            stream.write_all(b"\r\n").expect("chunk end");
        }
        read_response(&mut stream).expect("a response while the body is still open")
    })
    .await;
    assert_eq!(response.status, 413);
    assert_eq!(response.json()["errorType"], "InvalidRequest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_sent_in_part_is_closed_after_the_header_timeout() {
    let options = quick(ServeOptions::default());
    let service = Service::start_with(Limits::default(), options).await;
    let address = service.address().to_owned();
    let (closed, after) = blocking(move || {
        let mut stream = connect(&address);
        let started = Instant::now();
        stream
            .write_all(b"GET /api/galleries HTTP/1.1\r\nhost: x\r\nx-amz-da")
            .expect("half a head");
        let closed = closed_by_server(&mut stream, Duration::from_secs(3));
        (closed, started.elapsed())
    })
    .await;
    assert!(closed, "the half-sent head was kept open");
    assert!(
        after >= options.header_read_timeout && after < Duration::from_secs(2),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_sent_in_part_gets_a_timeout_and_is_closed() {
    let options = quick(ServeOptions::default());
    let service = Service::start_with(Limits::default(), options).await;
    let call = {
        let mut call = Call::new("POST", "/api/galleries").json(
            json!({"name": "Slow", "description": "", "faceMinimumQualityScore": 0.5, "size": 10}),
        );
        call.host = service.address();
        call
    };
    let (head, body) = wire(&call, &service.state, &[]);
    let address = service.address().to_owned();
    let (response, closed) = blocking(move || {
        let mut stream = connect(&address);
        stream.write_all(&head).expect("head");
        stream
            .write_all(&body[..body.len() / 2])
            .expect("half the body");
        let response = read_response(&mut stream).expect("a response");
        (
            response,
            closed_by_server(&mut stream, Duration::from_secs(2)),
        )
    })
    .await;
    assert_eq!(response.status, 408, "{}", response.head);
    assert_eq!(response.json()["errorType"], "Timeout");
    assert_eq!(response.json()["errorCode"], 1003);
    assert!(closed, "the connection stayed open after the timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let options = ServeOptions {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1200),
        ..ServeOptions::default()
    };
    let service = Service::start_with(Limits::default(), options).await;
    let address = service.address().to_owned();
    let (closed, after) = blocking(move || {
        let mut stream = connect(&address);
        stream
            .write_all(b"GET /v1.1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            .expect("request");
        assert_eq!(read_response(&mut stream).expect("response").status, 200);
        let answered = Instant::now();
        let closed = closed_by_server(&mut stream, Duration::from_secs(4));
        (closed, answered.elapsed())
    })
    .await;
    assert!(closed, "the idle connection was kept");
    assert!(
        after >= Duration::from_millis(1000) && after < Duration::from_secs(3),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_slow_connections_neither_delay_a_signed_request_nor_stay_open() {
    let options = ServeOptions {
        header_read_timeout: Duration::from_millis(1500),
        ..ServeOptions::default()
    };
    let service = Service::start_with(Limits::default(), options).await;
    let address = service.address().to_owned();
    let mut slow: Vec<TcpStream> = blocking(move || {
        (0..50)
            .map(|_| {
                let mut stream = connect(&address);
                stream
                    .write_all(b"GET /v1.1/health HTTP/1.1\r\nhost: 127.0.0.1\r\nacce")
                    .expect("half a head");
                stream
            })
            .collect()
    })
    .await;
    let opened = Instant::now();

    let mut times = Vec::new();
    for _ in 0..5 {
        let mut call = Call::new("GET", "/api/galleries");
        call.host = service.address();
        let (head, body) = wire(&call, &service.state, &[]);
        let address = service.address().to_owned();
        let (status, took) = blocking(move || {
            let started = Instant::now();
            let response = exchange(&address, &head, &body, Duration::from_secs(5));
            (response.status, started.elapsed())
        })
        .await;
        assert_eq!(status, 200);
        times.push(took);
    }
    assert!(
        opened.elapsed() < options.header_read_timeout,
        "the requests ran after the slow connections' timeout: nothing measured"
    );
    times.sort();
    assert!(times[2] < Duration::from_millis(50), "{times:?}");

    let all_closed = blocking(move || {
        slow.iter_mut()
            .all(|stream| closed_by_server(stream, Duration::from_secs(4)))
    })
    .await;
    assert!(
        all_closed,
        "slow connections were kept past the header timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let options = ServeOptions {
        header_read_timeout: Duration::from_millis(800),
        max_connections: 2,
        ..ServeOptions::default()
    };
    let service = Service::start_with(Limits::default(), options).await;
    let address = service.address().to_owned();
    let took = blocking(move || {
        let mut held: Vec<TcpStream> = (0..2)
            .map(|_| {
                let mut stream = connect(&address);
                stream
                    .write_all(b"GET /v1.1/health HTTP/1.1\r\n")
                    .expect("half a head");
                stream
            })
            .collect();
        let started = Instant::now();
        let response = exchange(
            &address,
            b"GET /v1.1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
            b"",
            Duration::from_secs(5),
        );
        assert_eq!(response.status, 200);
        held.clear();
        started.elapsed()
    })
    .await;
    // Served only once a held connection was closed by the header timeout.
    assert!(took >= Duration::from_millis(500), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_time_limit_gets_the_typed_timeout_error() {
    let options = ServeOptions {
        request_timeout: Duration::from_millis(20),
        ..ServeOptions::default()
    };
    let service = Service::start_with(Limits::default(), options).await;
    let jpeg = std::fs::read(common::face("deepface_p01/2.jpg")).expect("photo");
    let mut call = Call::new("POST", "/v1.1/face/extract");
    call.host = service.address();
    call.body = extract_body(&jpeg);
    let (head, body) = wire(&call, &service.state, &[]);
    let address = service.address().to_owned();
    let response =
        blocking(move || exchange(&address, &head, &body, Duration::from_secs(10))).await;
    assert_eq!(response.status, 504);
    let error = response.json();
    assert_eq!(error["errorCode"], 1003);
    assert_eq!(error["errorType"], "Timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_closes_idle_connections_and_returns() {
    let (state, _dir) = common::state();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(necid_server::serve::serve_with_shutdown(
        listener,
        necid_server::app(state),
        ServeOptions::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    let client_address = address.clone();
    let mut kept_alive = blocking(move || {
        let mut stream = connect(&client_address);
        stream
            .write_all(b"GET /v1.1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            .expect("request");
        assert_eq!(read_response(&mut stream).expect("response").status, 200);
        stream
    })
    .await;
    drop(stop);
    tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .expect("serve returned")
        .expect("serve task");
    assert!(blocking(move || closed_by_server(&mut kept_alive, Duration::from_secs(1))).await);
    assert!(TcpStream::connect(&address).is_err(), "still listening");
}
