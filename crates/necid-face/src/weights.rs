//! Reading the tfjs "weights manifest" format (SPEC.md §2): a JSON manifest plus one `.bin` of
//! tensors stored back to back, some quantized to `u8`. This is the only module that touches the
//! file system for models; the nets receive a ready [`WeightMap`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::EngineError;

/// One decoded tensor: its tfjs shape and row-major f32 values.
#[derive(Debug, Clone)]
pub(crate) struct Weight {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// All tensors of one model by manifest name.
#[derive(Debug, Default)]
pub(crate) struct WeightMap {
    pub model: String,
    pub tensors: HashMap<String, Weight>,
}

impl WeightMap {
    /// The tensor `name`, checked to have `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&Weight, EngineError> {
        let w = self
            .tensors
            .get(name)
            .ok_or_else(|| EngineError::ModelCorrupt {
                model: self.model.clone(),
                reason: format!("tensor `{name}` is missing"),
            })?;
        if w.shape != shape {
            return Err(EngineError::ModelCorrupt {
                model: self.model.clone(),
                reason: format!(
                    "tensor `{name}` has shape {:?}, expected {shape:?}",
                    w.shape
                ),
            });
        }
        Ok(w)
    }

    /// The tensor `name` with any shape.
    pub fn any(&self, name: &str) -> Result<&Weight, EngineError> {
        self.tensors
            .get(name)
            .ok_or_else(|| EngineError::ModelCorrupt {
                model: self.model.clone(),
                reason: format!("tensor `{name}` is missing"),
            })
    }
}

#[derive(Deserialize)]
struct Group {
    paths: Vec<String>,
    weights: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    shape: Vec<usize>,
    dtype: String,
    quantization: Option<Quant>,
}

#[derive(Deserialize)]
struct Quant {
    dtype: String,
    scale: f64,
    min: f64,
}

fn missing(dir: &Path, file: &str) -> EngineError {
    EngineError::ModelMissing {
        path: dir.join(file),
    }
}

/// Loads `<dir>/<model>-weights_manifest.json` and its shard files.
pub(crate) fn load(dir: &Path, model: &str) -> Result<WeightMap, EngineError> {
    let manifest_name = format!("{model}-weights_manifest.json");
    let manifest_path: PathBuf = dir.join(&manifest_name);
    let manifest = std::fs::read(&manifest_path).map_err(|_| missing(dir, &manifest_name))?;
    let groups: Vec<Group> =
        serde_json::from_slice(&manifest).map_err(|e| EngineError::ModelCorrupt {
            model: model.to_owned(),
            reason: format!("{manifest_name} is not a weights manifest: {e}"),
        })?;
    let mut map = WeightMap {
        model: model.to_owned(),
        tensors: HashMap::new(),
    };
    for group in groups {
        let mut bytes = Vec::new();
        for p in &group.paths {
            let mut b = std::fs::read(dir.join(p)).map_err(|_| missing(dir, p))?;
            bytes.append(&mut b);
        }
        decode_group(model, &group.weights, &bytes, &mut map.tensors)?;
    }
    Ok(map)
}

fn decode_group(
    model: &str,
    entries: &[Entry],
    bytes: &[u8],
    out: &mut HashMap<String, Weight>,
) -> Result<(), EngineError> {
    let corrupt = |reason: String| EngineError::ModelCorrupt {
        model: model.to_owned(),
        reason,
    };
    let mut offset = 0usize;
    for e in entries {
        let n: usize = e.shape.iter().product();
        let data: Vec<f32> = match &e.quantization {
            Some(q) => {
                if q.dtype != "uint8" {
                    return Err(corrupt(format!("unsupported quantization {}", q.dtype)));
                }
                let raw = bytes
                    .get(offset..offset + n)
                    .ok_or_else(|| corrupt(format!("weights file too short at `{}`", e.name)))?;
                offset += n;
                // tfjs dequantizes in f64 and rounds once to f32 (SPEC.md §2).
                if e.dtype == "int32" {
                    raw.iter()
                        .map(|&q8| (f64::from(q8) * q.scale + q.min).round() as f32)
                        .collect()
                } else {
                    raw.iter()
                        .map(|&q8| (f64::from(q8) * q.scale + q.min) as f32)
                        .collect()
                }
            }
            None => {
                let raw = bytes
                    .get(offset..offset + 4 * n)
                    .ok_or_else(|| corrupt(format!("weights file too short at `{}`", e.name)))?;
                offset += 4 * n;
                // Offsets are not 4-aligned: read byte-wise.
                raw.chunks_exact(4)
                    .map(|c| {
                        let b = [c[0], c[1], c[2], c[3]];
                        if e.dtype == "int32" {
                            i32::from_le_bytes(b) as f32
                        } else {
                            f32::from_le_bytes(b)
                        }
                    })
                    .collect()
            }
        };
        out.insert(
            e.name.clone(),
            Weight {
                shape: e.shape.clone(),
                data,
            },
        );
    }
    if offset != bytes.len() {
        return Err(corrupt(format!(
            "weights file has {} bytes, manifest describes {offset}",
            bytes.len()
        )));
    }
    Ok(())
}
