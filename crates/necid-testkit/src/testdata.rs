//! Where the shared test data lives: `../shared` beside the repository (read-only, never copied
//! into it): photos, crafted bad files, the SigV4 suites and the engine's golden outputs.

use std::path::{Path, PathBuf};

/// `../shared/<rel>`, beside the repository.
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

/// `../shared/testdata`.
pub fn testdata() -> PathBuf {
    shared("testdata")
}

/// One photo of `../shared/testdata/faces`, e.g. `face("obama/1.jpg")`.
pub fn face(rel: &str) -> PathBuf {
    testdata().join("faces").join(rel)
}
