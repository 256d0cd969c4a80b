//! The NEC ID API as it travels: typed ids, every request and answer body, the face attributes,
//! the error body with its codes, and the limits both ends agree on.
//!
//! It exists so that the client (`necid`) and the local service (`necid-server`) speak through
//! the same types without the service depending on the client: nothing here does I/O, and its
//! only dependencies are serde's. The reference's quirks (numbers sent as strings, `""` for
//! "none") are read leniently in [`wire`].

mod audit;
mod ids;
mod model;
pub mod wire;

pub use audit::*;
pub use ids::{
    ApiKey, ApplicationId, AuditId, BatchId, EventId, GalleryId, RecordId, SubjectId, TagName,
};
pub use model::*;

/// Most tags a gallery may hold (the reference's hard limit).
pub const MAX_TAGS: usize = 64;
