//! Frame time of the Subjects pane over 100,000 rows, scrolling: the p99 CPU time per frame must
//! stay under 8 ms.
//!
//! How the rows get there: a real local `necid-server` runs on 127.0.0.1 and the real
//! `SubjectsPane` is connected to it through the real `Backend`, so everything the pane asks for
//! (its first page, the gallery's tags) goes over HTTP with SigV4. The 100,000 rows are then fed
//! into the pane's row cache through `SubjectsPane::receive_page`, the very function the pane's
//! paging hands each List Subjects answer to (1,000 rows a page, as the API pages them), so the
//! grouping, counts and virtualised table hold what they would hold after paging through a real
//! gallery of that size. Writing 100,000 subjects into the service first was tried: its store
//! counts the gallery's rows on every enrolment (to find a free slot), so filling it one subject
//! at a time is quadratic and had not finished after 8 minutes on this machine; measuring that
//! is not the point of this bench.
//!
//! What is timed: once every page has arrived, each frame's CPU work, `Context::run_ui` (the
//! pane's layout and the table) plus `Context::tessellate` (turning shapes into triangles), while
//! the mouse wheel scrolls from the top of the table to the bottom. GPU painting is left out: it
//! depends on the driver, not on the pane. Frames during loading are reported separately.
//!
//! The rows are shown as an admin sees them: every subject has a name (given through the
//! shell's cache, as a bulk job's identities are), one subject in 50 has a thumbnail on disk
//! (this console's, as after enrolling them), and a filter that every name matches is typed,
//! so the filter and the name lookups run over all 100,000 rows.
//!
//! Run it with `cargo bench --bench subjects_frame`. It prints p50/p95/p99/max in milliseconds.
// The bench sets up its service and waits for it on its own runtime: it is not the UI thread.
#![allow(clippy::disallowed_methods)]

#[path = "../tests/console/common_jobs.rs"]
mod common_jobs;

use std::time::{Duration, Instant};

use egui::{Event, MouseWheelUnit, Pos2, RawInput, Rect, TouchPhase, Vec2};
use necid::{EventId, EventStatus, SubjectId, SubjectPage, SubjectRow};
use necid_console::AppPaths;
use necid_console::ui::GalleryChange;
use necid_console::ui::subjects::SubjectsPane;

const ROWS: usize = 100_000;
/// Rows per List Subjects answer: the API's maximum.
const PAGE: usize = 1_000;
const SCREEN: Vec2 = Vec2::new(1280.0, 800.0);
/// Points scrolled per frame: a brisk wheel, so the run crosses the whole table.
const WHEEL_POINTS: f32 = 1_500.0;
const BUDGET_MS: f64 = 8.0;

fn main() {
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = common_jobs::runtime();
    let service = common_jobs::start_service(&runtime, &root.path().join("service"), 1_000, &[]);

    let paths = AppPaths::under(&root.path().join("console"));
    write_thumbnails(&paths);
    let mut shell = common_jobs::PaneShell::new(
        SubjectsPane::default(),
        &runtime,
        paths,
        service.connection(true),
        service.gallery.clone(),
    );
    let ctx = egui::Context::default();
    let mut time = 0.0_f64;
    // The names drawn in the latest frame, to check that the table did scroll to the end.
    let mut drawn_names: Vec<String> = Vec::new();
    let mut frame = |shell: &mut common_jobs::PaneShell<SubjectsPane>, events: Vec<Event>| {
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
        drawn_names = output
            .shapes
            .iter()
            .filter_map(|clipped| match &clipped.shape {
                egui::Shape::Text(text) if text.galley.text().starts_with("Person ") => {
                    Some(text.galley.text().to_owned())
                }
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

    // The pane's own paging first: the service's gallery is empty, so one page answers it.
    let started = Instant::now();
    while shell.pane.is_loading() {
        frame(&mut shell, Vec::new());
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first page did not arrive"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // Then 100 answers of 1,000 rows, one per frame, as pages arrive.
    let mut load_frames = Vec::new();
    for page_index in 0..ROWS / PAGE {
        let start = page_index * PAGE;
        let subjects = (start..start + PAGE).map(row).collect();
        shell.pane.receive_page(
            start as u64,
            SubjectPage {
                subjects,
                total: ROWS as u64,
            },
        );
        load_frames.push(frame(&mut shell, Vec::new()));
    }
    assert_eq!(shell.pane.loaded_rows(), ROWS as u64, "every row is loaded");
    let names = (0..ROWS)
        .map(|n| (row(n).id, format!("Person {n:06}")))
        .collect();
    shell.gallery.invalidate(&GalleryChange::Named(names));
    shell.pane.set_filter("person");
    frame(&mut shell, Vec::new());
    assert_eq!(
        shell.pane.shown_subjects().len(),
        ROWS,
        "every name matches the filter"
    );
    println!(
        "fed {} rows in {} pages",
        shell.pane.loaded_rows(),
        ROWS / PAGE
    );

    // Scrolling: the pointer over the table, the wheel turning until the bottom is reached.
    // Over the list, left of the selected subject's column.
    let pointer = Pos2::new(SCREEN.x / 4.0, SCREEN.y * 0.6);
    let row_points = 26.0;
    let frames = ((ROWS as f32 * row_points) / WHEEL_POINTS).ceil() as usize + 120;
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

    // The list keeps the service's order (oldest first): the last subject is the last row.
    let last = format!("Person {:06}", ROWS - 1);
    println!(
        "the last frame drew {} names, from “{}” to “{}”",
        drawn_names.len(),
        drawn_names.first().map_or("", String::as_str),
        drawn_names.last().map_or("", String::as_str),
    );
    assert!(
        drawn_names.contains(&last),
        "the table scrolled to its last row ({last})"
    );

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!("machine: {cores} cores, load average {}", load.trim());
    report("loading (frames while pages arrive)", &mut load_frames);
    let p99 = report("scrolling 100,000 rows", &mut scroll_frames);
    if p99 < BUDGET_MS {
        println!("p99 {p99:.2} ms is within the {BUDGET_MS} ms budget");
    } else {
        println!("p99 {p99:.2} ms is OVER the {BUDGET_MS} ms budget");
        std::process::exit(1);
    }
}

/// One subject in this many has a thumbnail.
const THUMBNAIL_EVERY: usize = 50;

/// Thumbnails for one subject in [`THUMBNAIL_EVERY`], in the console's data folder.
fn write_thumbnails(paths: &AppPaths) {
    let thumbnails = necid_console::thumbnails::Thumbnails::new(&paths.data_dir);
    let face = image::RgbImage::from_fn(160, 160, |x, y| image::Rgb([x as u8, y as u8, 128]));
    let mut png = Vec::new();
    face.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    for n in (0..ROWS).step_by(THUMBNAIL_EVERY) {
        thumbnails
            .save(&row(n).event_id, &png)
            .expect("a thumbnail");
    }
}

/// The `n`th row of the gallery: one event per subject, ids and times shaped like the service's.
fn row(n: usize) -> SubjectRow {
    SubjectRow {
        id: SubjectId::new(format!("{n:08x}-5b1c-4e0a-9d2f-{:012x}", n * 7919)),
        event_id: EventId::new(format!("{:08x}-a3e4-4c7b-8f10-{n:012x}", n * 104_729)),
        status: EventStatus::Active,
        last_updated: format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}.{:03}+00:00",
            1 + n / 86_400 % 28,
            n / 3_600 % 24,
            n / 60 % 60,
            n % 60,
            n % 1000
        ),
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
