//! Extract, search and verify: `/v1.1/face/{extract,search,verify}`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::post;
use necid_wire::{
    Candidate, EventId, ExtractRequest, ExtractResponse, ExtractedFace, LANDMARK_COUNT, MatchScore,
    ScoredEvent, SearchRequest, SearchResponse, SubjectId, VerifyFaceRequest, VerifyFaceResponse,
    VerifySubjectRequest, VerifySubjectResponse,
};

use crate::error::ApiError;
use crate::extract::{ApiJson, decode_image_b64, parse_json};
use crate::index::{DIM, GalleryIndex};
use crate::scope::GalleryScope;
use crate::{AppState, read_lock};
use necid_face::Descriptor;

/// The threshold of verify, which has no threshold field (NOTES.md item 7).
pub const VERIFY_THRESHOLD: u16 = MatchScore::DEFAULT_THRESHOLD.get();

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1.1/face/extract", post(extract))
        .route("/v1.1/face/search", post(search))
        .route("/v1.1/face/verify", post(verify))
}

async fn extract(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    ApiJson(body): ApiJson<ExtractRequest>,
) -> Result<axum::Json<ExtractResponse>, ApiError> {
    let with_landmarks = wants_landmarks(query.as_deref())?;
    let image = decode_image_b64("faces", &body.faces, state.limits().max_image_bytes)?;
    let faces = state.face(move |s| Ok(s.engine().extract(&image)?)).await?;
    Ok(axum::Json(ExtractResponse {
        faces: faces
            .into_iter()
            .map(|face| ExtractedFace {
                landmarks: face.landmarks.filter(|_| with_landmarks),
                ..face
            })
            .collect(),
    }))
}

/// Whether Extract was asked for landmarks, the local extension `?landmarks=68` (docs/api.md).
/// Without it the answer is exactly the NEC one; any other value is a 400.
fn wants_landmarks(query: Option<&str>) -> Result<bool, ApiError> {
    let mut wanted = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "landmarks" {
            continue;
        }
        let value = crate::sigv4::percent_decode(value);
        if value != LANDMARK_COUNT.to_string().as_bytes() {
            return Err(ApiError::InvalidRequest(format!(
                "landmarks must be {LANDMARK_COUNT} (the only landmark set offered)."
            )));
        }
        wanted = true;
    }
    Ok(wanted)
}

/// One scored event of a search, before grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub row_id: i64,
    pub subject_id: SubjectId,
    pub event_id: EventId,
    pub score: u16,
    order: usize,
}

/// The search itself, shared by the route and `necid-server bench search`: the `limit` nearest
/// rows carrying one of the tags in `mask` (0 = all), scored exactly with the engine's
/// [`necid_face::compare`], those at or above `threshold`, best first.
pub fn rank(
    index: &GalleryIndex,
    probe: &[f32; DIM],
    limit: usize,
    mask: u64,
    threshold: u16,
) -> Vec<Scored> {
    let probe_d = Descriptor(*probe);
    let mut scored: Vec<Scored> = index
        .search(probe, limit, mask)
        .iter()
        .enumerate()
        .filter_map(|(order, h)| {
            let v: [f32; DIM] = index.vector(h.position).try_into().ok()?;
            let score = necid_face::compare(&probe_d, &Descriptor(v)).0;
            let m = index.meta(h.position);
            (score >= threshold).then(|| Scored {
                row_id: m.row_id,
                subject_id: SubjectId::new(m.subject_id.to_string()),
                event_id: EventId::new(m.event_id.to_string()),
                score,
                order,
            })
        })
        .collect();
    scored.sort_by(|a, b| b.score.cmp(&a.score).then(a.order.cmp(&b.order)));
    scored
}

async fn search(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiJson(body): ApiJson<SearchRequest>,
) -> Result<axum::Json<SearchResponse>, ApiError> {
    let threshold = body
        .threshold
        .unwrap_or(MatchScore::DEFAULT_THRESHOLD)
        .get();
    let limit = body.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::invalid("limit must be from 1 to 50."));
    }
    let probe = decode_image_b64("probe", &body.probe, state.limits().max_image_bytes)?;
    let tags = body.tags;
    let gallery_id = app.gallery_id.clone();
    let mask = {
        let gallery_id = gallery_id.clone();
        state
            .db(move |s| Ok(s.store().resolve_tags(&gallery_id, &tags)?.mask))
            .await?
    };
    let face = state
        .face(move |s| Ok(s.engine().one_face(&probe)?))
        .await?;
    let attributes = face.attributes.clone();
    // The scan takes no face worker: a search waits for no bulk job.
    let scored = state
        .db(move |s| {
            let index = s.search_index(&gallery_id)?;
            let index = read_lock(&index);
            Ok(rank(
                &index,
                &face.descriptor,
                limit as usize,
                mask,
                threshold,
            ))
        })
        .await?;
    if scored.is_empty() {
        return Err(ApiError::NotFound("Candidates not found.".into()));
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut at: HashMap<SubjectId, usize> = HashMap::new();
    for s in scored {
        let event = ScoredEvent {
            id: s.event_id,
            score: MatchScore::saturating(f64::from(s.score)),
        };
        match at.get(&s.subject_id) {
            Some(&i) => candidates[i].events.push(event),
            None => {
                at.insert(s.subject_id.clone(), candidates.len());
                candidates.push(Candidate {
                    id: s.subject_id,
                    score: event.score,
                    events: vec![event],
                });
            }
        }
    }
    Ok(axum::Json(SearchResponse {
        candidates,
        attributes,
    }))
}

async fn verify(
    State(state): State<AppState>,
    scoped: Option<GalleryScope>,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let value: serde_json::Value = parse_json(&body)?;
    let max = state.limits().max_image_bytes;
    if value.get("face").is_some() && value.get("id").is_none() {
        // Verify Face (2020 revision): two images, no gallery.
        let req: VerifyFaceRequest = parse_json(&body)?;
        let face = decode_image_b64("face", &req.face, max)?;
        let probe = decode_image_b64("probe", &req.probe, max)?;
        let a = state.face(move |s| Ok(s.engine().one_face(&face)?)).await?;
        let b = state
            .face(move |s| Ok(s.engine().one_face(&probe)?))
            .await?;
        let score = state.engine().score(&a.descriptor, &b.descriptor);
        if score < VERIFY_THRESHOLD {
            return Err(ApiError::NotFound("Not verified.".into()));
        }
        return Ok(axum::Json(VerifyFaceResponse {
            score: MatchScore::saturating(f64::from(score)),
        })
        .into_response());
    }
    let Some(GalleryScope(app)) = scoped else {
        return Err(ApiError::Forbidden);
    };
    let req: VerifySubjectRequest = parse_json(&body)?;
    let probe = decode_image_b64("probe", &req.probe, max)?;
    let subject_id = req.id;
    {
        let (g, id) = (app.gallery_id.clone(), subject_id.clone());
        state
            .db(move |s| Ok(s.store().subject_exists(&g, &id)?))
            .await?;
    }
    let face = state
        .face(move |s| Ok(s.engine().one_face(&probe)?))
        .await?;
    let gallery_id = app.gallery_id.clone();
    let id = subject_id.clone();
    let best = state
        .db(move |s| {
            let index = s.search_index(&gallery_id)?;
            let index = read_lock(&index);
            let engine = s.engine();
            Ok(index
                .subject_positions(&id)
                .into_iter()
                .filter_map(|p| {
                    let v: &[f32; DIM] = index.vector(p).try_into().ok()?;
                    Some(engine.score(&face.descriptor, v))
                })
                .max())
        })
        .await?;
    match best {
        Some(score) if score >= VERIFY_THRESHOLD => Ok(axum::Json(VerifySubjectResponse {
            id: subject_id,
            score: MatchScore::saturating(f64::from(score)),
        })
        .into_response()),
        _ => Err(ApiError::NotFound("Subject not verified.".into())),
    }
}
