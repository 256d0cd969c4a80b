//! How the operations share rayon's threads: a net's layers are short, so the pool is kept awake
//! through a whole forward pass ([`run_net`]), and several faces at once run one face per thread
//! with every operation kept on that thread ([`serial`]). The kernels ask [`threads`] how many
//! they may use and split their output into bands ([`for_each_band`]).

use rayon::prelude::*;

thread_local! {
    /// Set while a small net runs on this thread: its operations then stay on this thread.
    static SERIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Threads an operation may use: rayon's pool size, or 1 inside [`serial`].
pub(crate) fn threads() -> usize {
    if SERIAL.with(std::cell::Cell::get) {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Runs `f` with every operation it calls kept on the current thread. Used when several faces
/// are processed at once, one face per thread: the face nets (landmarks, descriptor, age/gender,
/// expressions) work on 112-150 pixel inputs whose matrices split less well than whole faces.
pub(crate) fn serial<R>(f: impl FnOnce() -> R) -> R {
    let _serial = FlagGuard::set(&SERIAL);
    f()
}

thread_local! {
    /// Set while this thread runs a net's forward pass or keeps itself awake for one.
    static IN_NET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Sets a thread-local flag for the life of the guard, then restores its previous value.
struct FlagGuard(&'static std::thread::LocalKey<std::cell::Cell<bool>>, bool);

impl FlagGuard {
    fn set(key: &'static std::thread::LocalKey<std::cell::Cell<bool>>) -> Self {
        Self(key, key.with(|f| f.replace(true)))
    }
}

impl Drop for FlagGuard {
    fn drop(&mut self) {
        let old = self.1;
        self.0.with(|f| f.set(old));
    }
}

/// Runs one net's forward pass: on this thread alone inside [`serial`], else on a thread of the
/// rayon pool with the pool's other threads kept awake until it ends.
///
/// A net is a chain of 20-40 short parallel layers with serial steps between them. An idle rayon
/// worker goes to sleep after about 40 µs and takes another 30-40 µs to wake (measured here), so
/// each layer would pay a wake-up. Instead, a helper task per other thread loops on
/// `rayon::yield_now`, running the layers' bands as they appear, until the pass ends. A helper
/// that starts on a thread already inside a net returns at once, so helpers never wait on work
/// that is suspended beneath them. Helpers are detached (`rayon::spawn`): the pass returns as soon
/// as its own work is done, even when a helper's thread has meanwhile picked up another caller's
/// net and will only see the end flag after that.
pub(crate) fn run_net<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    use std::sync::atomic::{AtomicBool, Ordering};
    if SERIAL.with(std::cell::Cell::get) {
        return f();
    }
    /// Raises the end flag when the pass ends, panicking or not, so that helpers stop.
    struct End(std::sync::Arc<AtomicBool>);
    impl Drop for End {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    rayon::scope(|_| {
        let _in_net = FlagGuard::set(&IN_NET);
        let end = End(std::sync::Arc::new(AtomicBool::new(false)));
        for _ in 1..rayon::current_num_threads() {
            let done = std::sync::Arc::clone(&end.0);
            rayon::spawn(move || {
                if IN_NET.with(std::cell::Cell::get) {
                    return;
                }
                let _in_net = FlagGuard::set(&IN_NET);
                while !done.load(Ordering::Acquire) {
                    if rayon::yield_now() != Some(rayon::Yield::Executed) {
                        std::hint::spin_loop();
                    }
                }
            });
        }
        f()
    })
}

/// Below this many output values a loop is not worth splitting across threads.
pub(super) const PAR_MIN: usize = 1 << 14;

/// Runs `work((index, band))` on each `band_len`-value band of `data`, across the rayon pool
/// when `parallel`, else in order on this thread.
pub(super) fn for_each_band(
    data: &mut [f32],
    band_len: usize,
    parallel: bool,
    work: impl Fn((usize, &mut [f32])) + Send + Sync,
) {
    if parallel {
        data.par_chunks_mut(band_len).enumerate().for_each(work);
    } else {
        data.chunks_mut(band_len).enumerate().for_each(work);
    }
}

/// Runs `f` with this thread's buffer held in `key`, taken out for the call and put back after.
///
/// A thread that waits on other threads inside `f` (a parallel matmul) runs other pending work
/// meanwhile, as rayon does, possibly another net's band that wants the same buffer. Taken out
/// rather than borrowed, the buffer is simply absent for that work, which starts one of its own,
/// where a borrowed `RefCell` would panic.
pub(super) fn with_thread_buffer<T: Default, R>(
    key: &'static std::thread::LocalKey<std::cell::Cell<T>>,
    f: impl FnOnce(&mut T) -> R,
) -> R {
    let mut buffer = key.take();
    let result = f(&mut buffer);
    key.set(buffer);
    result
}
