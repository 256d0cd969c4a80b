use candle_core::{Device, Tensor};
use std::time::Instant;
fn main() -> candle_core::Result<()> {
    for (m, k, n) in [(512usize, 512usize, 512usize), (16384, 128, 128), (65536, 32, 64), (1024, 512, 512), (4096, 256, 256), (256, 1024, 1024)] {
        let a = vec![1.0f32; m * k];
        let b = Tensor::ones((k, n), candle_core::DType::F32, &Device::Cpu)?;
        let mut best = f64::INFINITY;
        let mut best_mm = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            let at = Tensor::from_vec(a.clone(), (m, k), &Device::Cpu)?;
            let t1 = Instant::now();
            let y = at.matmul(&b)?;
            let t2 = Instant::now();
            let v = y.flatten_all()?.to_vec1::<f32>()?;
            best = best.min(t.elapsed().as_secs_f64());
            best_mm = best_mm.min((t2 - t1).as_secs_f64());
            let _ = t1; std::hint::black_box(v);
        }
        let at = Tensor::from_vec(a.clone(), (m, k), &Device::Cpu)?;
        for chunk in [256usize, 1024, 4096] {
            if chunk >= m { continue; }
            let mut bc = f64::INFINITY;
            for _ in 0..5 {
                let t = Instant::now();
                let mut out: Vec<f32> = Vec::with_capacity(m * n);
                let mut r = 0;
                while r < m {
                    let len = chunk.min(m - r);
                    let y = at.narrow(0, r, len)?.matmul(&b)?;
                    out.extend(y.flatten_all()?.to_vec1::<f32>()?);
                    r += len;
                }
                bc = bc.min(t.elapsed().as_secs_f64());
                std::hint::black_box(out);
            }
            println!("   chunk {chunk}: {:.2} ms ({:.1})", bc * 1e3, (m * k * n) as f64 / bc / 1e9);
        }
        let macs = (m * k * n) as f64;
        println!("{m}x{k}x{n}: total {:.2} ms ({:.1} GMAC/s), matmul only {:.2} ms ({:.1})", best * 1e3, macs / best / 1e9, best_mm * 1e3, macs / best_mm / 1e9);
    }
    Ok(())
}
