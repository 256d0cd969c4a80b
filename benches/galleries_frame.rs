//! Frame time of the Galleries pane over 10,000 galleries, scrolling: the p99 CPU time per frame
//! must stay under 8 ms.
//!
//! How the galleries get there: a stand-in tenant on 127.0.0.1 (`necid_testkit::FakeTenant`, an
//! axum listener) answers List Galleries with 10,000 galleries, and the real `GalleriesPane` asks
//! for them through the real `Backend` and `necid::Client`, over HTTP with SigV4, exactly as in the
//! console. (The local service is not used: creating 10,000 galleries there, each with its
//! application, is not what this bench measures.)
//!
//! What is timed: once the list has arrived, each frame's CPU work, `Context::run_ui` (the pane's
//! layout and the virtualised table) plus `Context::tessellate`, while the mouse wheel scrolls
//! from the top of the table to the bottom. GPU painting is left out: it depends on the driver,
//! not on the pane.
//!
//! Run it with `cargo bench --bench galleries_frame`. It prints p50/p95/p99/max in milliseconds.
// The bench starts its server and waits for it on its own runtime: it is not the UI thread.
#![allow(clippy::disallowed_methods)]

#[path = "../tests/console/common/tenant.rs"]
mod tenant;

use std::time::{Duration, Instant};

use egui::{Event, MouseWheelUnit, Pos2, RawInput, Rect, TouchPhase, Vec2};
use necid_console::AppPaths;
use necid_console::backend::{Backend, Outbox};
use necid_console::connection::Connection;
use necid_console::profiles::{Profile, ProfileId, ProfileKind};
use necid_console::ui::galleries::GalleriesPane;
use necid_console::ui::{ConnectionState, Pane, PaneContext, ShellAction};
use necid_console::widgets::Toasts;

const GALLERIES: usize = 10_000;
const SCREEN: Vec2 = Vec2::new(1280.0, 800.0);
/// Points scrolled per frame: a brisk wheel, so the run crosses the whole table.
const WHEEL_POINTS: f32 = 1_500.0;
const BUDGET_MS: f64 = 8.0;

/// The Galleries pane with what the shell would give it.
struct Shell {
    pane: GalleriesPane,
    backend: Backend,
    outbox: Outbox,
    toasts: Toasts,
    actions: Vec<ShellAction>,
    connection: Connection,
}

impl Shell {
    fn ui(&mut self, ui: &mut egui::Ui) {
        let data_dir = self.backend.paths().data_dir.clone();
        egui::CentralPanel::default().show(ui, |ui| {
            let mut cx = PaneContext {
                outbox: &mut self.outbox,
                toasts: &mut self.toasts,
                actions: &mut self.actions,
                connection: ConnectionState::Ready(&self.connection),
                local: None,
                gallery: None,
                opening_gallery: false,
                data_dir: &data_dir,
                shell: None,
            };
            self.pane.ui(ui, &mut cx);
        });
        self.toasts.ui(ui);
        for command in self.outbox.drain() {
            self.backend.execute(command, ui.ctx());
        }
    }
}

fn main() {
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = necid_console::backend::runtime().expect("a tokio runtime");
    let tenant = tenant::FakeTenant::with_galleries(&runtime, GALLERIES);
    let client = necid::Client::builder()
        .base_url(tenant.base_url.clone())
        .credentials(necid::Credentials::new(
            "AKBENCHONLY".to_owned(),
            "not-a-secret".to_owned(),
        ))
        .build()
        .expect("a client");
    let profile = Profile {
        profile_id: ProfileId::new_random(),
        name: "Bench tenant".to_owned(),
        kind: ProfileKind::Custom,
        api_base_url: tenant.base_url.clone(),
        portal_base_url: tenant.base_url.clone(),
        region: "ap-southeast-2".to_owned(),
        badge_rgb: [80, 160, 80],
        connect_timeout_secs: necid_console::profiles::DEFAULT_CONNECT_TIMEOUT_SECS,
        request_timeout_secs: necid_console::profiles::DEFAULT_REQUEST_TIMEOUT_SECS,
    };
    let mut shell = Shell {
        pane: GalleriesPane::default(),
        backend: Backend::new(runtime.handle().clone(), AppPaths::under(root.path())),
        outbox: Outbox::default(),
        toasts: Toasts::default(),
        actions: Vec::new(),
        connection: Connection {
            profile_id: profile.profile_id.clone(),
            profile,
            client,
            bucket_dir: None,
            generation: 1,
        },
    };

    let ctx = egui::Context::default();
    let mut time = 0.0_f64;
    // The texts drawn in the latest frame, to check what the table shows.
    let mut drawn_texts: Vec<String> = Vec::new();
    let mut frame = |shell: &mut Shell, events: Vec<Event>| {
        time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SCREEN)),
            time: Some(time),
            predicted_dt: 1.0 / 60.0,
            events,
            ..RawInput::default()
        };
        let started = Instant::now();
        let output = ctx.run_ui(input, |ui| shell.ui(ui));
        let layout = started.elapsed();
        // Not timed: what the frame shows.
        drawn_texts = output
            .shapes
            .iter()
            .filter_map(|clipped| match &clipped.shape {
                egui::Shape::Text(text) => Some(text.galley.text().to_owned()),
                _ => None,
            })
            .collect();
        let started = Instant::now();
        let _meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        let elapsed = layout + started.elapsed();
        // No painter uploads textures here; say so, as a painter would by applying them.
        let mut textures = output.textures_delta;
        textures.clear();
        elapsed
    };

    // The pane's own request: List Galleries, answered with every gallery at once.
    let started = Instant::now();
    while shell.pane.listed().is_none() {
        frame(&mut shell, Vec::new());
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the gallery list did not arrive"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let arrived = frame(&mut shell, Vec::new());
    assert_eq!(
        shell.pane.listed(),
        Some(GALLERIES),
        "every gallery is listed"
    );
    println!(
        "listed {GALLERIES} galleries over HTTP in {:.0} ms; first frame with them {:.2} ms",
        started.elapsed().as_secs_f64() * 1000.0,
        arrived.as_secs_f64() * 1000.0
    );

    // Scrolling: the pointer over the table, the wheel turning until the bottom is reached.
    let pointer = Pos2::new(SCREEN.x / 2.0, SCREEN.y * 0.6);
    let row_points = 26.0;
    let frames = ((GALLERIES as f32 * row_points) / WHEEL_POINTS).ceil() as usize + 120;
    let mut scroll_frames = Vec::with_capacity(frames);
    for _ in 0..10 {
        frame(&mut shell, vec![Event::PointerMoved(pointer)]);
    }
    for _ in 0..frames {
        scroll_frames.push(frame(
            &mut shell,
            vec![
                Event::PointerMoved(pointer),
                Event::MouseWheel {
                    unit: MouseWheelUnit::Point,
                    delta: Vec2::new(0.0, -WHEEL_POINTS),
                    phase: TouchPhase::Move,
                    source: egui::MouseWheelSource::Unknown,
                    modifiers: egui::Modifiers::NONE,
                },
            ],
        ));
    }
    let last = format!("Gallery {GALLERIES:05}");
    println!(
        "the last frame drew {} texts, from “{}” to “{}”",
        drawn_texts.len(),
        drawn_texts
            .iter()
            .find(|t| t.starts_with("Gallery "))
            .map_or("", String::as_str),
        drawn_texts
            .iter()
            .rfind(|t| t.starts_with("Gallery "))
            .map_or("", String::as_str),
    );
    assert!(
        drawn_texts.contains(&last),
        "the scroll did not reach the last gallery"
    );
    assert_eq!(
        tenant.requests(),
        1,
        "scrolling must not ask the server again"
    );

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!("machine: {cores} cores, load average {}", load.trim());
    let p99 = report("scrolling 10,000 galleries", &mut scroll_frames);
    if p99 < BUDGET_MS {
        println!("p99 {p99:.2} ms is within the {BUDGET_MS} ms budget");
    } else {
        println!("p99 {p99:.2} ms is OVER the {BUDGET_MS} ms budget");
        std::process::exit(1);
    }
}

/// Prints the percentiles of `frames`; returns the p99 in milliseconds.
fn report(what: &str, frames: &mut [Duration]) -> f64 {
    frames.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(frames[((frames.len() - 1) as f64 * q).round() as usize]);
    let p99 = at(0.99);
    println!(
        "{what}: {} frames, p50 {:.2} ms, p95 {:.2} ms, p99 {p99:.2} ms, max {:.2} ms",
        frames.len(),
        at(0.50),
        at(0.95),
        ms(frames[frames.len() - 1]),
    );
    p99
}
