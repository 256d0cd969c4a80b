//! The face engine's integration tests, in one binary (one link, one load of the models):
//! agreement with the original's golden outputs, matching and detection rates on the shared
//! test data, attributes, bad inputs, and the `necid-face` command line.

mod attributes;
mod bad_inputs;
mod cli;
mod common;
mod detection;
mod golden;
mod matching;
