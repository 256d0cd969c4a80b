//! How the [`FaultServer`](super::FaultServer) reads one request and answers it as its mode
//! says: the NEC API's answers for the few routes a console needs, and each way of misbehaving
//! (hanging, HTML, malformed or wrong-typed JSON, a huge stream, a cut-off, 429 and 503).

use super::{FaultMode, OpenConnection, SeenRequest, Shared, lock};
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Request {
    method: String,
    /// Path and query.
    path: String,
    had_api_key: bool,
}

pub(super) async fn handle(mut socket: TcpStream, connection: OpenConnection) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let mode = {
        let mut state = lock(&connection.0);
        state.seen.push(SeenRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            at: Instant::now(),
            had_api_key: request.had_api_key,
        });
        state.mode.clone()
    };
    let shared = &connection.0;
    let _ = answer(&mut socket, &request, mode, shared).await;
    let _ = socket.shutdown().await;
}

/// Reads one request's head and body; `None` when the client closes first or sends no HTTP.
async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let mut length = 0usize;
    let mut had_api_key = false;
    for (name, value) in lines.filter_map(|line| line.split_once(':')) {
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok()?;
        } else if name.eq_ignore_ascii_case("x-api-key") {
            had_api_key = true;
        }
    }
    let mut received = buffer.len() - (head_end + 4);
    while received < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        received += n;
    }
    Some(Request {
        method,
        path,
        had_api_key,
    })
}

async fn answer(
    socket: &mut TcpStream,
    request: &Request,
    mode: FaultMode,
    shared: &Mutex<Shared>,
) -> std::io::Result<()> {
    match mode {
        FaultMode::Ok | FaultMode::Refuse => answer_ok(socket, request, shared).await,
        FaultMode::Hang => {
            // Read (and drop) whatever comes until the client closes the connection.
            let mut sink = [0u8; 1024];
            while socket.read(&mut sink).await? > 0 {}
            Ok(())
        }
        FaultMode::Delay(delay) => {
            tokio::time::sleep(delay).await;
            answer_ok(socket, request, shared).await
        }
        FaultMode::Html5xx => {
            let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
                        <body><center><h1>502 Bad Gateway</h1></center><hr>\
                        <center>nginx/1.25.3</center></body></html>\n";
            write_answer(socket, 502, "text/html; charset=utf-8", &[], page).await
        }
        FaultMode::Malformed => {
            let body = r#"{"galleries": [{"id": "g1", "name": "Lobby", "size": 10,, ]"#;
            write_answer(socket, 200, "application/json", &[], body).await
        }
        FaultMode::WrongType => {
            let body = if request.path.starts_with("/v1.1/health") {
                serde_json::json!({"status": 5})
            } else {
                let mut galleries = galleries_json(3);
                galleries.push(serde_json::json!({
                    "id": 5, "name": "Wrong", "description": "", "size": 10, "count": 0
                }));
                serde_json::json!({ "galleries": galleries })
            };
            write_answer(socket, 200, "application/json", &[], &body.to_string()).await
        }
        FaultMode::Huge(bytes) => write_huge(socket, bytes).await,
        FaultMode::CutOff => {
            let (_, body) = ok_body(&request.method, &request.path, 3);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(&body.as_bytes()[..body.len() / 2]).await?;
            socket.flush().await
        }
        FaultMode::RateLimit {
            retry_after_secs,
            then_ok_after,
        } => {
            if take_refusal(shared, then_ok_after) {
                let body = r#"{"message": "Too Many Requests"}"#;
                let wait = retry_after_secs.to_string();
                write_answer(
                    socket,
                    429,
                    "application/json",
                    &[("retry-after", &wait)],
                    body,
                )
                .await
            } else {
                answer_ok(socket, request, shared).await
            }
        }
        FaultMode::Unavailable {
            retry_after_secs,
            then_ok_after,
        } => {
            if take_refusal(shared, then_ok_after) {
                let body = r#"{"message": "Service Unavailable"}"#;
                let wait = retry_after_secs.map(|s| s.to_string());
                let headers: Vec<(&str, &str)> =
                    wait.iter().map(|w| ("retry-after", w.as_str())).collect();
                write_answer(socket, 503, "application/json", &headers, body).await
            } else {
                answer_ok(socket, request, shared).await
            }
        }
    }
}

/// Whether this request is one of the first `limit` refused in the current mode.
fn take_refusal(shared: &Mutex<Shared>, limit: u32) -> bool {
    let mut state = lock(shared);
    if state.refused_in_mode < limit {
        state.refused_in_mode += 1;
        true
    } else {
        false
    }
}

async fn answer_ok(
    socket: &mut TcpStream,
    request: &Request,
    shared: &Mutex<Shared>,
) -> std::io::Result<()> {
    let count = lock(shared).gallery_count;
    let (status, body) = ok_body(&request.method, &request.path, count);
    write_answer(socket, status, "application/json", &[], &body).await
}

fn galleries_json(count: usize) -> Vec<serde_json::Value> {
    (1..=count)
        .map(|n| {
            serde_json::json!({
                "id": format!("g{n}"),
                "name": format!("Gallery {n}"),
                "description": format!("Fault server gallery {n}"),
                "size": 1000,
                "count": n % 1000,
            })
        })
        .collect()
}

/// What the NEC API would answer to a well-formed request, for the routes a console needs.
fn ok_body(method: &str, target: &str, gallery_count: usize) -> (u16, String) {
    let path = target.split('?').next().unwrap_or(target);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = match (method, segments.as_slice()) {
        ("GET", ["v1.1", "health"]) => serde_json::json!({"status": "OK"}),
        ("GET", ["api", "galleries"]) => {
            serde_json::json!({ "galleries": galleries_json(gallery_count) })
        }
        ("GET", ["api", "galleries", id]) => serde_json::json!({
            "id": id,
            "name": format!("Gallery {}", id.trim_start_matches('g')),
            "description": "",
            "size": 1000,
            "count": 0,
            "applications": [{"id": format!("app-{id}"), "name": "Default", "apiKey": format!("key-{id}")}],
        }),
        ("GET", ["api", "applications"]) => serde_json::json!({"applications": []}),
        ("GET", ["v1.1", "subjects"]) => serde_json::json!({"subjects": [], "total": 0}),
        ("GET", ["v1.1", "tags"]) => serde_json::json!([]),
        _ => {
            return (
                404,
                serde_json::json!({"message": "the fault server has no such route"}).to_string(),
            );
        }
    };
    (200, body.to_string())
}

async fn write_answer(
    socket: &mut TcpStream,
    status: u16,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Answer",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         connection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body.as_bytes()).await?;
    socket.flush().await
}

/// Streams `{"galleries":[...]}` of about `bytes` bytes in 64 KiB chunks, made as they go out.
async fn write_huge(socket: &mut TcpStream, bytes: u64) -> std::io::Result<()> {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    socket.write_all(head.as_bytes()).await?;
    let mut sent = 0u64;
    let mut next_id = 0u64;
    let mut block = Vec::with_capacity(70 * 1024);
    write_chunk(socket, b"{\"galleries\":[").await?;
    while sent < bytes {
        block.clear();
        while block.len() < 64 * 1024 {
            if next_id > 0 {
                block.push(b',');
            }
            next_id += 1;
            let _ = write!(
                block,
                r#"{{"id":"g{next_id:08}","name":"Gallery {next_id:08}","description":"","size":1000,"count":0}}"#
            );
        }
        write_chunk(socket, &block).await?;
        sent += block.len() as u64;
    }
    write_chunk(socket, b"]}").await?;
    socket.write_all(b"0\r\n\r\n").await?;
    socket.flush().await
}

async fn write_chunk(socket: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    socket
        .write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    socket.write_all(data).await?;
    socket.write_all(b"\r\n").await
}
