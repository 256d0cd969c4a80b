//! The OpenAPI 3 document of the service, checked into the repository as
//! `crates/necid-server/openapi.json` and served at `GET /openapi.json`.

pub const DOCUMENT: &str = include_str!("../openapi.json");
