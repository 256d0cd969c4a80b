//! The client's integration tests, in one binary (one link, one start): each route against a
//! recording listener, the reference's example bodies, the SigV4 suites, and a back end that
//! misbehaves.

mod client_routes;
mod fault_server;
mod faults;
mod reference_examples;
mod sigv4_suite;
