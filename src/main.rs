//! The NEC ID admin console: logging, the one tokio runtime, and the window.

use anyhow::Context as _;
use necid_console::{APP_TITLE, AppPaths, ConsoleApp};

fn main() -> anyhow::Result<()> {
    let _ = necid_console::PROCESS_STARTED.set(std::time::Instant::now());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    // The one runtime: every background task of the console runs here (see backend.rs).
    let runtime =
        necid_console::backend::runtime().context("could not start the background runtime")?;
    let _enter = runtime.enter();

    let paths = AppPaths::from_os()?;
    tracing::info!(config = %paths.config_dir.display(), data = %paths.data_dir.display(), "starting");
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(APP_TITLE)
            .with_app_id("necid-console")
            .with_inner_size([1200.0, 780.0])
            .with_min_inner_size([720.0, 480.0]),
        persistence_path: Some(paths.eframe_state_file()),
        ..Default::default()
    };
    let handle = runtime.handle().clone();
    eframe::run_native(
        APP_TITLE,
        options,
        Box::new(move |cc| {
            let app = ConsoleApp::new(paths, handle, cc.storage);
            // The built-in Local profile: the service embedded in the console.
            Ok(Box::new(match necid_server::engine::default_models_dir() {
                Some(models_dir) => app.with_local_service(models_dir),
                None => {
                    tracing::warn!("no models folder (HOME is not set): no Local profile");
                    app
                }
            }))
        }),
    )
    .map_err(|error| anyhow::anyhow!("the console window could not be opened: {error}"))
}
