//! What the crates' tests share, so that each has one copy: the shared test data
//! ([`testdata`], [`face`], [`shared`]), the AWS SigV4 suites ([`sigv4_suite`]), running a test
//! alone in a process of its own ([`in_a_process_of_its_own`]), a back end that misbehaves
//! ([`FaultServer`], in its own module, and [`StalledListener`], a port that never accepts), and
//! behind features the local service started for a test (`service`: [`Service`],
//! [`local_options`], [`engine`]) and a stand-in tenant served by axum (`tenant`:
//! [`FakeTenant`]), and [`Postgres`], a private PostgreSQL server from the Debian package for the
//! service's PostgreSQL back end.

mod alone;
mod fault_server;
mod postgres;
#[cfg(feature = "service")]
mod service;
pub mod sigv4_suite;
mod stalled_listener;
#[cfg(feature = "tenant")]
mod tenant;
mod testdata;

pub use alone::in_a_process_of_its_own;
pub use fault_server::{FaultMode, FaultServer, SeenRequest};
pub use postgres::Postgres;
#[cfg(feature = "service")]
pub use service::{Service, client, engine, local_options, models_dir};
pub use stalled_listener::StalledListener;
#[cfg(feature = "tenant")]
pub use tenant::FakeTenant;
pub use testdata::{face, shared, testdata};
