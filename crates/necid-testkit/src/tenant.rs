//! A stand-in NEC tenant on 127.0.0.1 that counts every request it gets: enough of the portal
//! and the API (list and get galleries, list subjects and tags) for the console's tests of where
//! requests go and what a pane keeps when the server fails, and for its frame-time benches. It
//! checks no signature (the local service does; these tests are about the client's side). A
//! switch makes every answer a 500; another makes every answer hang.
//!
//! Unlike [`crate::FaultServer`], which speaks HTTP by hand to misbehave at the byte level, this
//! is an axum router serving well-formed answers for any number of galleries and subjects.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// What the tenant lists, and its switches.
#[derive(Debug)]
struct Tenant {
    /// Each gallery's id and name.
    galleries: Vec<(String, String)>,
    subjects: usize,
    requests: AtomicUsize,
    /// Hanging requests whose client went away (the server then drops their handler).
    abandoned: Arc<AtomicUsize>,
    failing: AtomicBool,
    hanging: AtomicBool,
}

/// A running stand-in tenant. It serves on the runtime it was started on, until that runtime
/// shuts down.
#[derive(Debug, Clone)]
pub struct FakeTenant {
    pub base_url: String,
    tenant: Arc<Tenant>,
}

impl FakeTenant {
    /// Serves one gallery named `gallery_name` holding `subjects` subjects of one event each.
    pub fn start(runtime: &tokio::runtime::Runtime, gallery_name: &str, subjects: usize) -> Self {
        Self::serving(runtime, vec![gallery_name.to_owned()], subjects)
    }

    /// Serves `count` empty galleries, "Gallery 00001" and on.
    pub fn with_galleries(runtime: &tokio::runtime::Runtime, count: usize) -> Self {
        Self::serving(
            runtime,
            (1..=count).map(|n| format!("Gallery {n:05}")).collect(),
            0,
        )
    }

    fn serving(runtime: &tokio::runtime::Runtime, names: Vec<String>, subjects: usize) -> Self {
        let tenant = Arc::new(Tenant {
            galleries: names
                .into_iter()
                .map(|name| (format!("gallery-{}", uuid::Uuid::new_v4().simple()), name))
                .collect(),
            subjects,
            requests: AtomicUsize::new(0),
            abandoned: Arc::new(AtomicUsize::new(0)),
            failing: AtomicBool::new(false),
            hanging: AtomicBool::new(false),
        });
        let router = Router::new()
            .route("/api/galleries", get(list_galleries))
            .route("/api/galleries/{gallery_id}", get(get_gallery))
            .route("/v1.1/subjects", get(list_subjects))
            .route("/v1.1/tags", get(list_tags))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&tenant),
                count_and_switch,
            ))
            .with_state(Arc::clone(&tenant));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a port on 127.0.0.1");
        let base_url = format!("http://{}", listener.local_addr().expect("its address"));
        runtime.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { base_url, tenant }
    }

    /// How many requests reached it so far.
    pub fn requests(&self) -> usize {
        self.tenant.requests.load(Ordering::SeqCst)
    }

    /// How many hanging requests were given up by the client (their connection closed).
    pub fn abandoned(&self) -> usize {
        self.tenant.abandoned.load(Ordering::SeqCst)
    }

    /// From now on every answer is a 500 (or, with `false`, normal again).
    pub fn set_failing(&self, failing: bool) {
        self.tenant.failing.store(failing, Ordering::SeqCst);
    }

    /// From now on no request is answered (or, with `false`, answered again).
    pub fn set_hanging(&self, hanging: bool) {
        self.tenant.hanging.store(hanging, Ordering::SeqCst);
    }
}

async fn count_and_switch(
    State(tenant): State<Arc<Tenant>>,
    request: Request,
    next: Next,
) -> Response {
    tenant.requests.fetch_add(1, Ordering::SeqCst);
    if tenant.hanging.load(Ordering::SeqCst) {
        // Counts when hyper drops this handler, which it does when the client closes the
        // connection.
        let _abandoned = Abandoned(Arc::clone(&tenant.abandoned));
        std::future::pending::<()>().await;
    }
    if tenant.failing.load(Ordering::SeqCst) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": "Internal server error", "errorCode": 0, "errorType": "Internal"})),
        )
            .into_response();
    }
    next.run(request).await
}

struct Abandoned(Arc<AtomicUsize>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn list_galleries(State(tenant): State<Arc<Tenant>>) -> Json<serde_json::Value> {
    let galleries: Vec<_> = tenant
        .galleries
        .iter()
        .map(|(id, name)| {
            json!({"id": id, "name": name, "description": "", "size": 100, "count": tenant.subjects})
        })
        .collect();
    Json(json!({ "galleries": galleries }))
}

async fn get_gallery(
    State(tenant): State<Arc<Tenant>>,
    axum::extract::Path(gallery_id): axum::extract::Path<String>,
) -> Response {
    let Some((id, name)) = tenant.galleries.iter().find(|(id, _)| *id == gallery_id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not found"}))).into_response();
    };
    Json(json!({
        "id": id,
        "name": name,
        "description": "",
        "size": 100,
        "count": tenant.subjects,
        "applications": [{"id": "application-1", "name": "app", "apiKey": "not-a-real-key"}],
    }))
    .into_response()
}

async fn list_subjects(State(tenant): State<Arc<Tenant>>) -> Json<serde_json::Value> {
    let rows: Vec<_> = (0..tenant.subjects)
        .map(|n| {
            json!({
                "id": format!("subject-{n}"),
                "eventId": format!("event-{n}"),
                "status": "ACTIVE",
                "lastUpdated": "2026-01-01T00:00:00.000+00:00",
            })
        })
        .collect();
    Json(json!({"subjects": rows, "total": tenant.subjects}))
}

async fn list_tags() -> Json<serde_json::Value> {
    Json(json!([]))
}
