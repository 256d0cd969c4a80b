//! Shared helpers of the integration tests: paths to ../shared, the one engine, golden files.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use necid_face::{DecodeLimits, FaceEngine};
use serde_json::Value;

pub use necid_testkit::shared;

pub fn models_dir() -> PathBuf {
    necid_face::default_models_dir().expect("no models dir: set NECID_MODELS_DIR or HOME")
}

/// The engine, loaded once per test binary. Fails with the engine's message (which names the
/// missing file and `scripts/fetch-models`) when the models are absent.
pub fn engine() -> &'static FaceEngine {
    static E: OnceLock<FaceEngine> = OnceLock::new();
    E.get_or_init(|| match FaceEngine::load(models_dir()) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    })
}

pub fn load_rgb(path: &Path) -> image::RgbImage {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    necid_face::decode_image(&bytes, &DecodeLimits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One golden image: its JSON and the path of the image it was made from.
pub struct Golden {
    pub name: String,
    pub json: Value,
    pub image: PathBuf,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") && !p.ends_with("INDEX.json") {
            out.push(p);
        }
    }
}

/// Every golden of `out-image-rs/` plus the images that `out-image-rs/testdata/INDEX.json`
/// marks `samePixelsAsPrimary` (their JSON is in `out/testdata/`).
pub fn goldens() -> &'static Vec<Golden> {
    static G: OnceLock<Vec<Golden>> = OnceLock::new();
    G.get_or_init(|| {
        let root = shared("face-models/golden");
        let mut files = Vec::new();
        walk(&root.join("out-image-rs"), &mut files);
        let index: Value = serde_json::from_slice(
            &std::fs::read(root.join("out-image-rs/testdata/INDEX.json")).unwrap(),
        )
        .unwrap();
        for img in index["images"].as_array().unwrap() {
            if img["samePixelsAsPrimary"].as_bool() == Some(true) {
                let f = img["file"].as_str().unwrap();
                files.push(root.join("out/testdata").join(format!("{f}.json")));
            }
        }
        files
            .into_iter()
            .map(|p| {
                let json: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                let rel = p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let image = if rel.starts_with("out-image-rs/demo/") {
                    let f = json["image"]["originFile"]
                        .as_str()
                        .unwrap_or_else(|| json["image"]["file"].as_str().unwrap());
                    let f = Path::new(f)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .replace(".ppm", "");
                    models_dir().join("demo").join(f)
                } else {
                    let f = json["image"]["originFile"].as_str().unwrap_or_else(|| {
                        let r = rel
                            .trim_start_matches("out/testdata/")
                            .trim_end_matches(".json");
                        Box::leak(r.to_owned().into_boxed_str())
                    });
                    shared("testdata").join(f)
                };
                Golden {
                    name: rel,
                    json,
                    image,
                }
            })
            .collect()
    })
}

/// The SSD run of a golden.
pub fn ssd_faces(g: &Golden) -> Option<&Vec<Value>> {
    g.json["runs"]
        .as_array()?
        .iter()
        .find(|r| r["detector"] == "ssd_mobilenetv1")?["faces"]
        .as_array()
}

pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

pub fn crop(v: &Value) -> necid_face::CropRect {
    let u = |k: &str| v[k].as_u64().unwrap() as u32;
    necid_face::CropRect {
        x: u("x"),
        y: u("y"),
        width: u("width"),
        height: u("height"),
    }
}
